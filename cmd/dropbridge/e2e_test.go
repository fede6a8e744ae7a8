package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/httpapi"
)

// e2eSecret is a value that must appear in no log line of the service
// and not in clear in its database.
type e2eSecret struct {
	what, value string
}

// e2eRun is a running "dropbridge dev" driven through HTTP, and the
// secrets met on the way.
type e2eRun struct {
	t       *testing.T
	data    string
	base    string // the service, without /v1
	emu     string // the emulator
	key     string // the API key
	secrets []e2eSecret
}

// keep notes a secret for the log and database checks.
func (r *e2eRun) keep(what, value string) {
	r.t.Helper()
	if value == "" {
		r.t.Fatalf("no %s to check for", what)
	}
	r.secrets = append(r.secrets, e2eSecret{what, value})
}

// e2eResponse is an answer of the service.
type e2eResponse struct {
	status int
	header http.Header
	body   []byte
}

// e2eBytes is a request body of raw bytes, streamed from r, size long.
type e2eBytes struct {
	r    io.Reader
	size int64
}

// send calls the service with the API key; body is JSON-encoded unless it
// is e2eBytes, which is streamed as it is.
func (r *e2eRun) send(method, path string, body any, header ...string) *e2eResponse {
	r.t.Helper()
	var rd io.Reader
	size, contentType := int64(0), ""
	switch b := body.(type) {
	case nil:
	case e2eBytes:
		rd, size, contentType = b.r, b.size, "application/octet-stream"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		rd, size, contentType = bytes.NewReader(j), int64(len(j)), "application/json"
	}
	req, err := http.NewRequestWithContext(r.t.Context(), method, r.base+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if rd != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	return &e2eResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// must calls the service, wants status want, and decodes the answer into
// out (if not nil).
func (r *e2eRun) must(want int, method, path string, in, out any, header ...string) {
	r.t.Helper()
	resp := r.send(method, path, in, header...)
	if resp.status != want {
		r.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.status, want, resp.body)
	}
	if out != nil {
		if err := json.Unmarshal(resp.body, out); err != nil {
			r.t.Fatalf("%s %s: %v: %s", method, path, err, resp.body)
		}
	}
}

// problem wants the answer to be a problem+json of status with Dropbox's
// error tag starting with tag, and returns it.
func (r *e2eRun) problem(what string, resp *e2eResponse, status int, tag string) httpapi.Problem {
	r.t.Helper()
	var p httpapi.Problem
	if resp.status != status || resp.header.Get("Content-Type") != "application/problem+json" {
		r.t.Fatalf("%s: %d %s %s, want a problem of %d", what, resp.status, resp.header.Get("Content-Type"), resp.body, status)
	}
	if err := json.Unmarshal(resp.body, &p); err != nil {
		r.t.Fatalf("%s: %v", what, err)
	}
	if !strings.HasPrefix(p.DropboxError, tag) {
		r.t.Errorf("%s: dropbox_error %q, want %q", what, p.DropboxError, tag)
	}
	return p
}

// connect opens a connect link as a browser does: Dropbox's (the
// emulator's) consent page, the pick of the account with email, the
// redirect back to the service. It keeps the OAuth state and code for the
// secret checks and returns the service's final page.
func (r *e2eRun) connect(link, email string) string {
	r.t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		r.t.Fatal(err)
	}
	r.keep("OAuth state of "+email, u.Query().Get("state"))
	var code string
	browser := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if c := req.URL.Query().Get("code"); c != "" {
			code = c
		}
		return nil
	}}
	resp, err := browser.Get(link)
	if err != nil {
		r.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	for _, m := range hiddenInput.FindAllSubmatch(page, -1) {
		form.Add(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	for _, m := range accountButton.FindAllSubmatch(page, -1) {
		if strings.Contains(html.UnescapeString(string(m[2])), "<"+email+">") {
			form.Set("account_id", string(m[1]))
		}
	}
	if form.Get("account_id") == "" {
		r.t.Fatalf("no account %s on the consent page (%d):\n%s", email, resp.StatusCode, page)
	}
	decide, err := resp.Request.URL.Parse("/oauth2/authorize/decide")
	if err != nil {
		r.t.Fatal(err)
	}
	resp, err = browser.PostForm(decide.String(), form)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Dropbox is connected") {
		r.t.Fatalf("connect as %s: %d %s", email, resp.StatusCode, b)
	}
	r.keep("OAuth code of "+email, code)
	return string(b)
}

// connection returns the one connection of externalUserID.
func (r *e2eRun) connection(externalUserID string) httpapi.Connection {
	r.t.Helper()
	var list struct {
		Data []httpapi.Connection `json:"data"`
	}
	r.must(http.StatusOK, http.MethodGet, "/v1/connections?"+url.Values{"external_user_id": {externalUserID}}.Encode(), nil, &list)
	if len(list.Data) != 1 || list.Data[0].Status != "active" {
		r.t.Fatalf("connections of %s: %+v, want one active", externalUserID, list.Data)
	}
	return list.Data[0]
}

// emulator calls the emulator's admin API.
func (r *e2eRun) emulator(method, path string, in, out any) {
	r.t.Helper()
	admin := &emulatorAdmin{base: r.emu}
	if err := admin.call(r.t.Context(), method, path, in, out); err != nil {
		r.t.Fatal(err)
	}
}

// storedTokens reads the tokens of the connections from the database, as
// the oracle of the secret checks (the service never shows them). It
// opens the database beside the running service, with dev's key.
func (r *e2eRun) storedTokens(conns ...httpapi.Connection) map[string][2]string {
	r.t.Helper()
	keys, err := devKeyring(r.data)
	if err != nil {
		r.t.Fatal(err)
	}
	store, err := openStore(r.t.Context(), "sqlite:"+filepath.Join(r.data, "dropbridge.db"), keys)
	if err != nil {
		r.t.Fatal(err)
	}
	defer store.Close()
	env, err := store.FindEnvironmentByName(r.t.Context(), devEnvironment)
	if err != nil {
		r.t.Fatal(err)
	}
	apps, err := store.ListApps(r.t.Context(), env.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, a := range apps {
		r.keep("app secret of "+a.AppKey, string(a.AppSecret))
	}
	out := map[string][2]string{}
	for _, c := range conns {
		sc, err := store.FindConnectionByID(r.t.Context(), env.ID, c.ID)
		if err != nil {
			r.t.Fatal(err)
		}
		out[c.ID] = [2]string{string(sc.Token.AccessToken), string(sc.Token.RefreshToken)}
		r.keep("access token of "+c.Email, string(sc.Token.AccessToken))
		if sc.Token.RefreshToken != "" {
			r.keep("refresh token of "+c.Email, string(sc.Token.RefreshToken))
		}
	}
	return out
}

// checkDatabase wants no secret in clear in the database's files, which
// together must hold plain, a value stored in clear (so that what is
// searched is the data, not an empty file).
func (r *e2eRun) checkDatabase(when, plain string) {
	r.t.Helper()
	db := filepath.Join(r.data, "dropbridge.db")
	read, held := 0, false
	for _, path := range []string{db, db + "-wal"} {
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			r.t.Fatal(err)
		}
		read++
		held = held || bytes.Contains(b, []byte(plain))
		for _, s := range r.secrets {
			if bytes.Contains(b, []byte(s.value)) {
				r.t.Errorf("%s: %s holds the %s in clear", when, filepath.Base(path), s.what)
			}
		}
	}
	if read == 0 || !held {
		r.t.Fatalf("%s: no database file in %s holds %q", when, r.data, plain)
	}
}

// contentHasher computes Dropbox's content hash: SHA-256 of the SHA-256
// digests of the 4 MiB blocks (https://www.dropbox.com/developers/reference/content-hash).
type contentHasher struct {
	whole, block hash.Hash
	n            int
}

func newContentHasher() *contentHasher {
	return &contentHasher{whole: sha256.New(), block: sha256.New()}
}

func (h *contentHasher) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := min(len(p), 4<<20-h.n)
		h.block.Write(p[:k])
		h.n, p = h.n+k, p[k:]
		if h.n == 4<<20 {
			h.whole.Write(h.block.Sum(nil))
			h.block.Reset()
			h.n = 0
		}
	}
	return total, nil
}

func (h *contentHasher) sum() string {
	if h.n > 0 {
		h.whole.Write(h.block.Sum(nil))
		h.block.Reset()
		h.n = 0
	}
	return hex.EncodeToString(h.whole.Sum(nil))
}

// TestEndToEnd drives "dropbridge dev" through HTTP only, as an
// application and its users would: connect sessions through the
// emulator's consent page, then files, listings, shared links, file
// requests and Paper documents on the connection, team members and team
// folders on a team connection, and the connection's deletion. Every log
// line of the run and the database are then searched for the secrets met
// on the way.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	dev := startCmd(t, "dev", "--data", data, "--listen", "127.0.0.1:0", "--emulator-listen", "127.0.0.1:0", "--verbose")
	r := &e2eRun{t: t, data: data}
	r.emu = dev.line(t, "Dropbox emulator: ")
	r.base = strings.TrimSuffix(dev.line(t, "API base URL: "), "/v1")
	r.key = dev.line(t, "API key: ")
	link := dev.line(t, "Connect link: ")
	teamLink := dev.line(t, "Team connect link: ")
	r.keep("API key", r.key)

	// The demo user connects the pro demo account.
	r.connect(link, devDemoEmail)
	demo := r.connection(devExternalUserID)
	if demo.Email != devDemoEmail || demo.AccountType != "pro" {
		t.Fatalf("demo connection %+v", demo)
	}
	conn := "/v1/connections/" + demo.ID

	// A big upload, streamed, and its download, streamed, with the same
	// bytes and content hash.
	sent, sentHash := sha256.New(), newContentHasher()
	body := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{'e', '2', 'e'}), e2eUploadSize), io.MultiWriter(sent, sentHash))
	var up httpapi.Entry
	r.must(http.StatusOK, http.MethodPut, conn+"/files/content?path=/Big/upload.bin", e2eBytes{body, e2eUploadSize}, &up)
	wantHash := sentHash.sum()
	if up.Size == nil || *up.Size != e2eUploadSize || up.ContentHash != wantHash {
		t.Fatalf("uploaded %+v, want %d bytes of content hash %s", up, e2eUploadSize, wantHash)
	}
	got, gotHash := sha256.New(), newContentHasher()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, r.base+conn+"/files/content?path=/Big/upload.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.MultiWriter(got, gotHash), resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || n != e2eUploadSize {
		t.Fatalf("download: %d, %d bytes, %v", resp.StatusCode, n, err)
	}
	if !bytes.Equal(got.Sum(nil), sent.Sum(nil)) || gotHash.sum() != wantHash || resp.Header.Get(httpapi.ContentHashHeader) != wantHash {
		t.Fatalf("the download differs from the upload: content hash %s (header %s), want %s",
			gotHash.sum(), resp.Header.Get(httpapi.ContentHashHeader), wantHash)
	}

	// The whole Dropbox, listed two entries a page.
	var listed []string
	pages := 0
	q := url.Values{"recursive": {"true"}, "limit": {"2"}}
	for next := "x"; next != ""; pages++ {
		if pages > 50 {
			t.Fatal("no end to the listing")
		}
		var p struct {
			Data       []httpapi.Entry `json:"data"`
			NextCursor string          `json:"next_cursor"`
		}
		r.must(http.StatusOK, http.MethodGet, conn+"/files?"+q.Encode(), nil, &p)
		for _, e := range p.Data {
			listed = append(listed, e.Tag+" "+e.PathDisplay)
		}
		next, q = p.NextCursor, url.Values{"cursor": {p.NextCursor}}
	}
	slices.Sort(listed)
	want := []string{"file /Archive/old-notes.txt", "file /Big/upload.bin", "file /Getting started.txt", "file /Notes/ideas.md",
		"file /Photos/README.txt", "file /Reports/2025-q1.csv", "file /Reports/2025-q2.csv",
		"folder /Archive", "folder /Big", "folder /Notes", "folder /Photos", "folder /Reports"}
	if diff := cmp.Diff(want, listed); diff != "" || pages < 4 {
		t.Errorf("listing in %d pages (-want +got):\n%s", pages, diff)
	}

	// A shared link with an expiry: made on the pro account...
	expires := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	var link1 httpapi.SharedLink
	r.must(http.StatusCreated, http.MethodPost, conn+"/shared-links", map[string]any{"path": "/Reports/2025-q1.csv", "expires": expires}, &link1)
	if link1.Expires == nil || !link1.Expires.Equal(expires) || link1.URL == "" {
		t.Errorf("pro account's shared link %+v, want one expiring at %s", link1, expires)
	}
	// ... and refused, saying why and what to do, on a basic one. dev's
	// demo has no basic account: it is made at the emulator (Dropbox's
	// side, not the service's setup) and connected by a second session.
	r.emulator(http.MethodPost, "/_emulator/accounts", map[string]any{"email": "basic@example.com", "display_name": "Basic User", "account_type": "basic"}, nil)
	var sess httpapi.ConnectSession
	r.must(http.StatusCreated, http.MethodPost, "/v1/connect-sessions", map[string]any{"external_user_id": "basic-user"}, &sess)
	r.connect(sess.URL, "basic@example.com")
	basic := r.connection("basic-user")
	if basic.AccountType != "basic" {
		t.Fatalf("basic connection %+v", basic)
	}
	small := []byte("month,visits\njuly,12\n")
	r.must(http.StatusOK, http.MethodPut, "/v1/connections/"+basic.ID+"/files/content?path=/visits.csv", e2eBytes{bytes.NewReader(small), int64(len(small))}, nil)
	p := r.problem("basic account's link with an expiry", r.send(http.MethodPost, "/v1/connections/"+basic.ID+"/shared-links",
		map[string]any{"path": "/visits.csv", "expires": expires}), http.StatusConflict, "settings_error/not_authorized")
	if !strings.Contains(p.Detail, "paid Dropbox plan") || !strings.Contains(p.Detail, "Leave those settings out") {
		t.Errorf("the refusal does not say why nor what to do: %q", p.Detail)
	}

	// A file request, seen, listed and closed.
	var fr httpapi.FileRequest
	r.must(http.StatusCreated, http.MethodPost, conn+"/file-requests", map[string]any{"title": "Q3 receipts", "destination": "/Receipts/Q3"}, &fr)
	if fr.ID == "" || !fr.IsOpen || fr.Destination != "/Receipts/Q3" || fr.URL == "" {
		t.Errorf("file request %+v", fr)
	}
	var frGot httpapi.FileRequest
	r.must(http.StatusOK, http.MethodGet, conn+"/file-requests/"+fr.ID, nil, &frGot)
	if diff := cmp.Diff(fr, frGot); diff != "" {
		t.Errorf("file request fetched (-made +got):\n%s", diff)
	}
	var frs struct {
		Data []httpapi.FileRequest `json:"data"`
	}
	r.must(http.StatusOK, http.MethodGet, conn+"/file-requests", nil, &frs)
	if len(frs.Data) != 1 || frs.Data[0].ID != fr.ID {
		t.Errorf("file requests %+v, want %s", frs.Data, fr.ID)
	}
	r.must(http.StatusOK, http.MethodPost, conn+"/file-requests/"+fr.ID+"/close", nil, &frGot)
	if frGot.IsOpen {
		t.Errorf("closed file request %+v", frGot)
	}

	// A Paper document: made from markdown, appended to, exported.
	const first, more = "# Plan\n\nConnect Dropbox.\n", "Then ship.\n"
	var doc httpapi.PaperDoc
	r.must(http.StatusCreated, http.MethodPost, conn+"/paper-docs", map[string]any{"path": "/Notes/Plan.paper", "import_format": "markdown", "content": first}, &doc)
	var exp httpapi.PaperExport
	r.must(http.StatusOK, http.MethodGet, conn+"/paper-docs/export?path=/Notes/Plan.paper&export_format=markdown", nil, &exp)
	if exp.Content != first {
		t.Errorf("exported %q, want %q", exp.Content, first)
	}
	r.must(http.StatusOK, http.MethodPost, conn+"/paper-docs/update", map[string]any{"path": doc.FileID, "import_format": "markdown",
		"doc_update_policy": "update", "paper_revision": doc.PaperRevision, "content": first + more}, nil)
	r.must(http.StatusOK, http.MethodGet, conn+"/paper-docs/export?path="+url.QueryEscape(doc.FileID), nil, &exp)
	if exp.Content != first+more || exp.PaperRevision == nil || *exp.PaperRevision <= doc.PaperRevision {
		t.Errorf("exported after the update %q (revision %v), want %q after %d", exp.Content, exp.PaperRevision, first+more, doc.PaperRevision)
	}

	// The team link: the Demo Team's admin links the demo team app, and
	// the team connection lists the team's members, a page at a time, and
	// makes and lists team folders.
	r.connect(teamLink, devTeamAdminEmail)
	team := r.connection(devTeamExternalUserID)
	if team.TeamID == "" || team.Email != devTeamAdminEmail {
		t.Fatalf("team connection %+v", team)
	}
	tconn := "/v1/connections/" + team.ID
	var members []string
	q = url.Values{"limit": {"1"}}
	for pages = 0; pages < 10; pages++ {
		var p struct {
			Data       []httpapi.TeamMember `json:"data"`
			NextCursor string               `json:"next_cursor"`
		}
		r.must(http.StatusOK, http.MethodGet, tconn+"/team-members?"+q.Encode(), nil, &p)
		for _, m := range p.Data {
			members = append(members, m.Email+" "+m.Status)
		}
		if p.NextCursor == "" {
			break
		}
		q = url.Values{"cursor": {p.NextCursor}}
	}
	slices.Sort(members)
	if diff := cmp.Diff([]string{"alice@demo-team.example active", "bob@demo-team.example active"}, members); diff != "" || pages != 1 {
		t.Errorf("team members in %d pages (-want +got):\n%s", pages+1, diff)
	}
	var tf httpapi.TeamFolder
	r.must(http.StatusCreated, http.MethodPost, tconn+"/team-folders", map[string]any{"name": "Launch"}, &tf)
	if tf.TeamFolderID == "" || tf.Name != "Launch" || tf.Status != "active" {
		t.Errorf("team folder made %+v", tf)
	}
	var tfs struct {
		Data []httpapi.TeamFolder `json:"data"`
	}
	r.must(http.StatusOK, http.MethodGet, tconn+"/team-folders", nil, &tfs)
	var folders []string
	for _, f := range tfs.Data {
		if !f.IsTeamSharedDropbox {
			folders = append(folders, f.Name+" "+f.Status)
		}
	}
	slices.Sort(folders)
	if diff := cmp.Diff([]string{"Launch active", "Projects active"}, folders); diff != "" {
		t.Errorf("team folders (-want +got):\n%s", diff)
	}

	tokens := r.storedTokens(demo, basic, team)
	r.checkDatabase("with the connections", demo.ID)

	// Deleting the connection revokes its token at Dropbox.
	before := e2eCallDropbox(t, r.emu, tokens[demo.ID][0], false)
	if before != http.StatusOK {
		t.Fatalf("the demo connection's token before the delete: %d", before)
	}
	var deleted httpapi.Connection
	r.must(http.StatusOK, http.MethodDelete, conn, nil, &deleted)
	if deleted.Status != "revoked" {
		t.Errorf("deleted connection %+v", deleted)
	}
	if after := e2eCallDropbox(t, r.emu, tokens[demo.ID][0], false); after != http.StatusUnauthorized {
		t.Errorf("the deleted connection's token at the emulator: %d, want 401", after)
	}
	for _, other := range []httpapi.Connection{basic, team} {
		if got := e2eCallDropbox(t, r.emu, tokens[other.ID][0], other.TeamID != ""); got != http.StatusOK {
			t.Errorf("the token of %s after the delete: %d, want 200", other.Email, got)
		}
	}
	r.checkDatabase("after the delete", demo.ID)

	if err := dev.stop(t); err != nil {
		t.Fatalf("dev stopped with %v\n%s", err, dev.stderr)
	}
	r.checkDatabase("after the stop", demo.ID)
	logs := strings.Split(strings.TrimSpace(dev.stderr.String()), "\n")
	if !slices.ContainsFunc(logs, func(l string) bool { return strings.Contains(l, "msg=request") }) {
		t.Fatalf("the log has no request lines: is it captured?\n%s", strings.Join(logs, "\n"))
	}
	for _, l := range logs {
		for _, s := range r.secrets {
			if strings.Contains(l, s.value) {
				t.Errorf("the %s is in a log line: %s", s.what, l)
			}
		}
	}
	t.Logf("%d log lines, %d secrets checked", len(logs), len(r.secrets))
}

// e2eCallDropbox calls users/get_current_account (team/get_info with a
// team token) at the emulator with token and returns the status.
func e2eCallDropbox(t *testing.T, emu, token string, isTeam bool) int {
	t.Helper()
	route := "/2/users/get_current_account"
	if isTeam {
		route = "/2/team/get_info"
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, emu+route, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// e2eUploadSize is the size of the end-to-end test's big file.
const e2eUploadSize = 200 << 20
