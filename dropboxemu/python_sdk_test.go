package dropboxemu_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// systemPython is Debian's python, which has python3-dropbox; a pyenv or
// venv python on PATH would not.
const systemPython = "/usr/bin/python3"

// requirePythonSDK skips the test when Dropbox's Python SDK is not
// installed, or fails it when DROPBRIDGE_REQUIRE_PYTHON_SDK=1 (as in CI).
func requirePythonSDK(t *testing.T) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), systemPython, "-c", "import dropbox; print(dropbox.__version__)").CombinedOutput()
	if err == nil {
		t.Logf("Dropbox Python SDK %s", bytes.TrimSpace(out))
		return
	}
	msg := "Dropbox's Python SDK is not available (apt-get install python3-dropbox): " + err.Error() + "\n" + string(out)
	if os.Getenv("DROPBRIDGE_REQUIRE_PYTHON_SDK") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// tlsEmulator is one emulator with two doors: TLS for the Python SDK (it
// only speaks https), plain HTTP for the admin helpers.
type tlsEmulator struct {
	admin  *dropboxtest.Emulator // plain HTTP
	url    string                // https://127.0.0.1:port
	caFile string                // the certificate, for REQUESTS_CA_BUNDLE
	client *http.Client          // trusts the certificate
}

func newTLSEmulator(t *testing.T) *tlsEmulator {
	t.Helper()
	srv, err := dropboxemu.New(dropboxemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cert, certPEM, err := dropboxemu.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	tlsServer := httptest.NewUnstartedServer(srv)
	tlsServer.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	tlsServer.StartTLS()
	plain := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Drain()
		tlsServer.Close()
		plain.Close()
		srv.Close()
	})
	caFile := filepath.Join(t.TempDir(), "emulator-ca.pem")
	if err := os.WriteFile(caFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		t.Fatal("SelfSignedCert gave a PEM that does not parse")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(client.CloseIdleConnections)
	return &tlsEmulator{admin: &dropboxtest.Emulator{Server: srv, URL: plain.URL, HTTP: plain},
		url: tlsServer.URL, caFile: caFile, client: client}
}

// pyEvent is one line a script prints: {"event": name, ...fields}.
type pyEvent map[string]any

func (ev pyEvent) name() string { s, _ := ev["event"].(string); return s }

// runPython runs testdata/script with the system python against e, with
// the SDK's host variables and CA bundle set and extra in the environment.
// Each event the script prints goes to answer; a non-empty answer is
// written back on the script's stdin. It returns the events in order and
// fails the test when the script fails.
func runPython(t *testing.T, e *tlsEmulator, script string, extra []string, answer func(pyEvent) string) []pyEvent {
	t.Helper()
	host := mustURL(t, e.url).Host
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, systemPython, filepath.Join("testdata", script))
	cmd.Env = append(os.Environ(),
		"DROPBOX_API_HOST="+host, "DROPBOX_API_CONTENT_HOST="+host, "DROPBOX_API_NOTIFY_HOST="+host,
		"REQUESTS_CA_BUNDLE="+e.caFile, "NO_PROXY=*", "no_proxy=*",
		"PYTHONIOENCODING=utf-8", "PYTHONDONTWRITEBYTECODE=1")
	cmd.Env = append(cmd.Env, extra...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start python: %v", err)
	}
	var events []pyEvent
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var ev pyEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.name() == "" {
			t.Errorf("%s printed %q", script, sc.Text())
			continue
		}
		events = append(events, ev)
		if reply := answer(ev); reply != "" {
			if _, err := stdin.Write([]byte(reply + "\n")); err != nil {
				t.Errorf("answer %s: %v", script, err)
			}
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.Bytes())
	}
	if t.Failed() {
		t.Logf("%s stderr:\n%s", script, stderr.Bytes())
	}
	return events
}

func eventNames(events []pyEvent) []string {
	var names []string
	for _, ev := range events {
		names = append(names, ev.name())
	}
	return names
}

// TestPythonSDK runs testdata/python_sdk_scenario.py, which uses Dropbox's
// official Python SDK against the emulator over TLS: uploads, an upload
// session, paginated listing, downloads, errors, long-poll, and refreshing
// an access token that the emulator's clock has expired.
func TestPythonSDK(t *testing.T) {
	t.Parallel()
	requirePythonSDK(t)
	emu := newTLSEmulator(t)
	admin := emu.admin

	// The OAuth dance, over TLS, as a web app would do it.
	const appKey, appSecret, redirect = "pyapp", "pysecret", "http://localhost/oauth/callback"
	admin.CreateApp(t, dropboxtest.AppArg{AppKey: appKey, AppSecret: appSecret, RedirectURIs: []string{redirect}})
	acct := admin.CreateAccount(t, dropboxtest.AccountArg{Email: "guido@example.com", DisplayName: "Guido Python"})
	conf := oauthConfig(emu.url, appKey, appSecret, redirect)
	code := authorizeCode(t, emu.client, emu.url, conf, acct.AccountID)
	tok, err := conf.Exchange(context.WithValue(t.Context(), oauth2.HTTPClient, emu.client), code)
	if err != nil {
		t.Fatalf("exchange the code: %v", err)
	}
	if tok.RefreshToken == "" || tok.Extra("account_id") != acct.AccountID {
		t.Fatalf("token answer: refresh token %q, account_id %v", tok.RefreshToken, tok.Extra("account_id"))
	}

	events := runPython(t, emu, "python_sdk_scenario.py", []string{
		"EMU_APP_KEY=" + appKey, "EMU_APP_SECRET=" + appSecret, "EMU_ACCOUNT_ID=" + acct.AccountID,
		"EMU_ACCESS_TOKEN=" + tok.AccessToken, "EMU_REFRESH_TOKEN=" + tok.RefreshToken,
	}, func(ev pyEvent) string {
		if ev.name() != "expire" {
			return ""
		}
		// Past the 4 hour life of every access token issued so far.
		admin.Advance(t, 5*time.Hour)
		return "expired"
	})
	if got := eventNames(events); !slices.Equal(got, []string{"expire", "done"}) {
		t.Fatalf("script events %v, want [expire done]", got)
	}

	// What the SDK did is what the emulator holds.
	var tokRes struct {
		AccessToken string `json:"access_token"`
	}
	admin.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": acct.AccountID}, &tokRes)
	got := downloadFile(t, admin, tokRes.AccessToken, "/Python/after.txt")
	if string(got.Content) != "written after the refresh" || got.Meta["path_display"] != "/Python/after.txt" {
		t.Errorf("after.txt = %q, %v", got.Content, got.Meta)
	}
	if r := do(t, admin, rawCall{Route: "files/get_metadata", Token: tok.AccessToken, Arg: map[string]any{"path": "/Python/big.bin"}}); r.Status != http.StatusUnauthorized {
		t.Errorf("the original access token still works after the clock passed its expiry: %d", r.Status)
	}
}

// TestPythonSDKSharing runs testdata/python_sdk_sharing.py: shared links
// with a password and an expiry on a Professional account (made, fetched
// over HTTPS with the password and dl=1, listed, changed, revoked, expired
// by the emulator's clock), the same settings refused to a Basic account,
// and a file request whose public page takes an upload, then is closed and
// deleted.
func TestPythonSDKSharing(t *testing.T) {
	t.Parallel()
	requirePythonSDK(t)
	emu := newTLSEmulator(t)
	admin := emu.admin
	const appKey, appSecret = "pyshare", "pyshare-secret"
	admin.CreateApp(t, dropboxtest.AppArg{AppKey: appKey, AppSecret: appSecret, RedirectURIs: []string{"http://localhost/cb"}})
	pro := admin.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com", DisplayName: "Ada Pro", AccountType: "pro"})
	basic := admin.CreateAccount(t, dropboxtest.AccountArg{Email: "bob@example.com", DisplayName: "Bob Basic", AccountType: "basic"})
	const notes = "Notes for the request: ☃ and 😀\n"

	var advanced time.Duration
	events := runPython(t, emu, "python_sdk_sharing.py", []string{
		"EMU_PRO_TOKEN=" + pro.AccessToken, "EMU_BASIC_TOKEN=" + basic.AccessToken,
		"EMU_APP_KEY=" + appKey, "EMU_APP_SECRET=" + appSecret, "EMU_NOTES=" + notes,
	}, func(ev pyEvent) string {
		if ev.name() != "advance" {
			return ""
		}
		secs, ok := ev["seconds"].(float64)
		if !ok || secs <= 0 {
			t.Errorf("advance event %v", ev)
			return "advanced"
		}
		d := time.Duration(secs) * time.Second
		admin.Advance(t, d)
		advanced += d
		return "advanced"
	})
	if got := eventNames(events); !slices.Equal(got, []string{"advance", "done"}) {
		t.Fatalf("script events %v, want [advance done]", got)
	}
	if advanced != 2*time.Hour {
		t.Errorf("the script advanced the clock by %v, want 2h", advanced)
	}
	done := events[len(events)-1]
	revoked, _ := done["revoked_link"].(string)
	expired, _ := done["expired_link"].(string)
	received, _ := done["received"].(string)
	for name, link := range map[string]string{"revoked": revoked, "expired": expired} {
		if !strings.HasPrefix(link, emu.url+"/scl/fi/") {
			t.Errorf("%s link %q is not an https link of the emulator", name, link)
		}
	}

	// What the SDK did is what the emulator holds, seen over plain HTTP.
	got := downloadFile(t, admin, pro.AccessToken, received)
	if string(got.Content) != notes || got.Meta["path_display"] != "/Requests/Inbox/Ada Lovelace - notes.txt" {
		t.Errorf("file received through the request: %q, %v", got.Content, got.Meta)
	}
	count := ok(t, admin, rawCall{Route: "file_requests/count", Token: pro.AccessToken}).json(t)
	if count["file_request_count"] != float64(0) {
		t.Errorf("file_requests/count after the script = %v, want 0", count)
	}
	links := ok(t, admin, rawCall{Route: "sharing/list_shared_links", Token: pro.AccessToken, Arg: map[string]any{}}).json(t)
	var urls []string
	for _, l := range links["links"].([]any) {
		urls = append(urls, l.(map[string]any)["url"].(string))
	}
	if slices.Contains(urls, revoked) {
		t.Errorf("the revoked link is still listed: %v", urls)
	}
	r := do(t, admin, rawCall{Route: "sharing/get_shared_link_metadata", Token: basic.AccessToken, Arg: map[string]any{"url": expired}})
	if r.Status != http.StatusConflict || r.json(t)["error"].(map[string]any)[".tag"] != "shared_link_not_found" {
		t.Errorf("metadata of the expired link for another user: %d %s", r.Status, r.Body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestPythonSDKTeamSpace: a team folder seen by a member through the path
// root, driven by the official Python SDK (DropboxTeam, as_user,
// with_path_root).
func TestPythonSDKTeamSpace(t *testing.T) {
	t.Parallel()
	requirePythonSDK(t)
	emu := newTLSEmulator(t)
	admin := emu.admin
	tm := admin.CreateTeam(t, "Rocket Co")
	ada := admin.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@rocket.example", DisplayName: "Ada Lovelace", TeamID: tm.TeamID})
	bob := admin.CreateAccount(t, dropboxtest.AccountArg{Email: "bob@rocket.example", DisplayName: "Bob Builder", TeamID: tm.TeamID})
	events := runPython(t, emu, "python_sdk_team.py", []string{
		"EMU_TEAM_TOKEN=" + tm.AccessToken, "EMU_ADA_MEMBER=" + ada.MemberID,
		"EMU_BOB_MEMBER=" + bob.MemberID, "EMU_BOB_TOKEN=" + bob.AccessToken,
	}, func(pyEvent) string { return "" })
	if got := eventNames(events); !slices.Equal(got, []string{"done"}) {
		t.Fatalf("script events %v, want [done]", got)
	}
	if root := events[0]["root_namespace_id"]; root != tm.RootNS {
		t.Errorf("root namespace seen by the SDK = %v, want %s", root, tm.RootNS)
	}
}
