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

// TestPythonSDK runs testdata/python_sdk_scenario.py, which uses Dropbox's
// official Python SDK against the emulator over TLS: uploads, an upload
// session, paginated listing, downloads, errors, long-poll, and refreshing
// an access token that the emulator's clock has expired.
func TestPythonSDK(t *testing.T) {
	t.Parallel()
	requirePythonSDK(t)

	srv, err := dropboxemu.New(dropboxemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cert, certPEM, err := dropboxemu.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	// One emulator, two doors: TLS for the SDK (it only speaks https), plain
	// HTTP for the admin helpers.
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
	admin := &dropboxtest.Emulator{Server: srv, URL: plain.URL, HTTP: plain}
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

	// The OAuth dance, over TLS, as a web app would do it.
	const appKey, appSecret, redirect = "pyapp", "pysecret", "http://localhost/oauth/callback"
	admin.CreateApp(t, dropboxtest.AppArg{AppKey: appKey, AppSecret: appSecret, RedirectURIs: []string{redirect}})
	acct := admin.CreateAccount(t, dropboxtest.AccountArg{Email: "guido@example.com", DisplayName: "Guido Python"})
	conf := oauthConfig(tlsServer.URL, appKey, appSecret, redirect)
	code := authorizeCode(t, client, tlsServer.URL, conf, acct.AccountID)
	tok, err := conf.Exchange(context.WithValue(t.Context(), oauth2.HTTPClient, client), code)
	if err != nil {
		t.Fatalf("exchange the code: %v", err)
	}
	if tok.RefreshToken == "" || tok.Extra("account_id") != acct.AccountID {
		t.Fatalf("token answer: refresh token %q, account_id %v", tok.RefreshToken, tok.Extra("account_id"))
	}

	host := mustURL(t, tlsServer.URL).Host
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, systemPython, filepath.Join("testdata", "python_sdk_scenario.py"))
	cmd.Env = append(os.Environ(),
		"DROPBOX_API_HOST="+host, "DROPBOX_API_CONTENT_HOST="+host, "DROPBOX_API_NOTIFY_HOST="+host,
		"REQUESTS_CA_BUNDLE="+caFile, "NO_PROXY=*", "no_proxy=*",
		"PYTHONIOENCODING=utf-8", "PYTHONDONTWRITEBYTECODE=1",
		"EMU_APP_KEY="+appKey, "EMU_APP_SECRET="+appSecret, "EMU_ACCOUNT_ID="+acct.AccountID,
		"EMU_ACCESS_TOKEN="+tok.AccessToken, "EMU_REFRESH_TOKEN="+tok.RefreshToken)
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
	var events []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var ev struct {
			Event string `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Errorf("script printed %q", sc.Text())
			continue
		}
		events = append(events, ev.Event)
		if ev.Event == "expire" {
			// Past the 4 hour life of every access token issued so far.
			admin.Advance(t, 5*time.Hour)
			if _, err := stdin.Write([]byte("expired\n")); err != nil {
				t.Errorf("answer the script: %v", err)
			}
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("python_sdk_scenario.py: %v\n%s", err, stderr.Bytes())
	}
	if len(events) != 2 || events[0] != "expire" || events[1] != "done" {
		t.Fatalf("script events %v, want [expire done]\n%s", events, stderr.Bytes())
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

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
