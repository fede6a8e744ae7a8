package httpapi_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
)

// TestIdempotencyKeyActors: the team member or admin a request acts as
// belongs to what an Idempotency-Key stands for. The same member gets the
// first answer again; another member, or an admin, reusing the key gets a
// conflict, never the first member's answer.
func TestIdempotencyKeyActors(t *testing.T) {
	t.Parallel()
	s := newService(t)
	tm := s.teamConnection("Initech", "admin@initech.test", "peter@initech.test", "joanna@initech.test")
	admin, peter, joanna := tm.members[0], tm.members[1], tm.members[2]
	folders := "/v1/connections/" + tm.conn + "/folders"
	body := map[string]any{"path": "/Notes"}

	first := s.do(s.key, http.MethodPost, folders, body, "Idempotency-Key", "notes-1", httpapi.MemberHeader, peter.MemberID)
	if first.status != http.StatusCreated {
		t.Fatalf("create as Peter: %d %s", first.status, first.body)
	}
	again := s.do(s.key, http.MethodPost, folders, body, "Idempotency-Key", "notes-1", httpapi.MemberHeader, peter.MemberID)
	if again.status != http.StatusCreated || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat as Peter: %d %s (replayed %q), want the first answer again", again.status, again.body, again.header.Get("Idempotent-Replayed"))
	}

	for _, actor := range []struct {
		name, header, id string
	}{
		{"another member", httpapi.MemberHeader, joanna.MemberID},
		{"an admin", httpapi.AdminHeader, admin.MemberID},
	} {
		r := s.do(s.key, http.MethodPost, folders, body, "Idempotency-Key", "notes-1", actor.header, actor.id)
		wantProblem(t, "the key reused by "+actor.name, r, http.StatusConflict, "")
		if r.header.Get("Idempotent-Replayed") != "" || bytes.Contains(r.body, first.body) {
			t.Errorf("the key reused by %s replays Peter's answer: %s", actor.name, r.body)
		}
		if !bytes.Contains(r.body, []byte("Idempotency-Key")) {
			t.Errorf("the conflict for %s does not say the key was used: %s", actor.name, r.body)
		}
	}

	// A key of Joanna's own does what she asks.
	r := s.do(s.key, http.MethodPost, folders, map[string]any{"path": "/Joanna's notes"}, "Idempotency-Key", "notes-joanna", httpapi.MemberHeader, joanna.MemberID)
	if r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("create as Joanna with her own key: %d %s", r.status, r.body)
	}
}

// TestIdempotencyKeyIgnoresActorsOutsideConnections: the member headers
// count only where they act, on a connection's operations; elsewhere a
// repeat with a stray one is still the same request.
func TestIdempotencyKeyIgnoresActorsOutsideConnections(t *testing.T) {
	t.Parallel()
	s := newService(t)
	body := map[string]any{"name": "Test app", "app_key": testAppKey, "app_secret": testAppSecret}
	first := s.do(s.key, http.MethodPost, "/v1/apps", body, "Idempotency-Key", "app-1")
	if first.status != http.StatusCreated {
		t.Fatalf("create the app: %d %s", first.status, first.body)
	}
	again := s.do(s.key, http.MethodPost, "/v1/apps", body, "Idempotency-Key", "app-1", httpapi.MemberHeader, "dbmid:stray")
	if again.status != http.StatusCreated || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat with a stray %s: %d %s, want the first answer again", httpapi.MemberHeader, again.status, again.body)
	}
}

// replay sends the same request twice with key and fails unless the
// second answer is the first one again, marked as replayed. It returns the
// first answer.
func (s *service) replay(method, path string, body any, key string, status int) *response {
	s.t.Helper()
	first := s.do(s.key, method, path, body, "Idempotency-Key", key)
	if first.status != status {
		s.t.Fatalf("%s %s: %d %s, want %d", method, path, first.status, first.body, status)
	}
	if first.header.Get("Idempotent-Replayed") != "" {
		s.t.Errorf("%s %s: the first answer is marked as replayed", method, path)
	}
	again := s.do(s.key, method, path, body, "Idempotency-Key", key)
	if again.status != status || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		s.t.Errorf("%s %s repeated: %d %s (replayed %q), want the first answer again: %s",
			method, path, again.status, again.body, again.header.Get("Idempotent-Replayed"), first.body)
	}
	return first
}

// TestIdempotencyKeyLinks: the answers that hold a credential (a
// temporary link, a shared link) are replayed too, and a repeat does not
// act twice; another body with the same key is a conflict.
func TestIdempotencyKeyLinks(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	base := "/v1/connections/" + conn
	s.put(conn, "/Docs/report.txt", []byte("the report"))

	var tl httpapi.TemporaryLink
	s.replay(http.MethodPost, base+"/files/temporary-link", map[string]any{"path": "/Docs/report.txt"}, "tl-1", http.StatusOK).decode(t, &tl)
	var fresh httpapi.TemporaryLink
	s.must(http.StatusOK, http.MethodPost, base+"/files/temporary-link", map[string]any{"path": "/Docs/report.txt"}, &fresh)
	if fresh.Link == tl.Link {
		t.Fatalf("two temporary links are the same %s: a replay cannot be told from a second link", tl.Link)
	}
	wantProblem(t, "temporary link: another body with the same key",
		s.do(s.key, http.MethodPost, base+"/files/temporary-link", map[string]any{"path": "/Docs/other.txt"}, "Idempotency-Key", "tl-1"),
		http.StatusConflict, "")

	// Without a key, asking for the link again answers 200; the repeat
	// with the key is the first answer, 201, and there is one link.
	expires := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	create := map[string]any{"path": "/Docs/report.txt", "expires": expires}
	var link httpapi.SharedLink
	s.replay(http.MethodPost, base+"/shared-links", create, "sl-1", http.StatusCreated).decode(t, &link)
	var links linksPage
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links", nil, &links)
	if diff := cmp.Diff([]string{link.URL}, linkURLs(links.Data)); diff != "" {
		t.Errorf("shared links after a repeated create (-want +got):\n%s", diff)
	}
	wantProblem(t, "shared link: another body with the same key",
		s.do(s.key, http.MethodPost, base+"/shared-links", map[string]any{"path": "/Docs/report.txt"}, "Idempotency-Key", "sl-1"),
		http.StatusConflict, "")

	// A modification is replayed, not made again: a change made between
	// the two stays.
	later := expires.Add(24 * time.Hour)
	modify := map[string]any{"url": link.URL, "expires": later}
	s.must(http.StatusOK, http.MethodPost, base+"/shared-links/modify", modify, nil)
	first := s.do(s.key, http.MethodPost, base+"/shared-links/modify", map[string]any{"url": link.URL, "audience": "public", "expires": expires}, "Idempotency-Key", "mod-1")
	if first.status != http.StatusOK {
		t.Fatalf("modify: %d %s", first.status, first.body)
	}
	s.must(http.StatusOK, http.MethodPost, base+"/shared-links/modify", modify, nil)
	again := s.do(s.key, http.MethodPost, base+"/shared-links/modify", map[string]any{"url": link.URL, "audience": "public", "expires": expires}, "Idempotency-Key", "mod-1")
	if again.status != http.StatusOK || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("modify repeated: %d %s, want the first answer again", again.status, again.body)
	}
	s.must(http.StatusOK, http.MethodGet, base+"/shared-links", nil, &links)
	if len(links.Data) != 1 || links.Data[0].Expires == nil || !links.Data[0].Expires.Equal(later) {
		t.Errorf("after a replayed modify the links are %+v, want one expiring at %v (the change made in between)", links.Data, later)
	}
	wantProblem(t, "modify: another body with the same key",
		s.do(s.key, http.MethodPost, base+"/shared-links/modify", modify, "Idempotency-Key", "mod-1"), http.StatusConflict, "")
}

// TestIdempotencyKeyConnectSession: a repeat gets the same session, whose
// URL still connects once.
func TestIdempotencyKeyConnectSession(t *testing.T) {
	t.Parallel()
	s := newService(t)
	s.registerApp()
	s.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	body := map[string]any{"external_user_id": "user-1", "redirect_url": "https://" + appHost + "/connected"}
	var cs httpapi.ConnectSession
	s.replay(http.MethodPost, "/v1/connect-sessions", body, "cs-1", http.StatusCreated).decode(t, &cs)
	wantProblem(t, "another body with the same key",
		s.do(s.key, http.MethodPost, "/v1/connect-sessions", map[string]any{"external_user_id": "user-2"}, "Idempotency-Key", "cs-1"),
		http.StatusConflict, "")

	next, status, page := s.callback(s.consent(cs.URL, "ada@example.com"))
	if next == nil || next.Query().Get("connect_session_id") != cs.ID || next.Query().Get("connection_id") == "" {
		t.Fatalf("connecting through the replayed session: %d %s %v", status, page, next)
	}
}

// startUpload starts a PUT of size bytes to the file content at path
// (with the query given) whose body is written later, and returns once the
// service has begun to read the body (answering the request's Expect:
// 100-continue), so that the upload holds its Idempotency-Key: by then
// the key is claimed. The upload goes on when content is written to the
// returned pipe and it is closed; its answer comes on the channel.
func (s *service) startUpload(path string, size int64, header ...string) (*io.PipeWriter, <-chan *response) {
	s.t.Helper()
	pr, pw := io.Pipe()
	s.t.Cleanup(func() { pw.CloseWithError(errors.New("test over")) })
	started := make(chan struct{})
	ctx := httptrace.WithClientTrace(s.t.Context(), &httptrace.ClientTrace{Got100Continue: func() { close(started) }})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.srv.URL+path, pr)
	if err != nil {
		s.t.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Expect", "100-continue")
	req.Header.Set("Authorization", "Bearer "+s.key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// The transport waits for 100 Continue before it sends the body.
	tr := &http.Transport{ExpectContinueTimeout: time.Hour}
	s.t.Cleanup(tr.CloseIdleConnections)
	done := make(chan *response, 1)
	failed := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			failed <- err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			failed <- err
			return
		}
		done <- &response{status: resp.StatusCode, header: resp.Header, body: b}
	}()
	select {
	case <-started:
	case err := <-failed:
		s.t.Fatalf("start the upload: %v", err)
	case r := <-done:
		s.t.Fatalf("the upload was answered before its body was read: %d %s", r.status, r.body)
	}
	return pw, done
}

// TestIdempotencyKeyUpload: an upload with an Idempotency-Key claims it
// before the body is read; a repeat while it runs is a conflict; once it
// succeeded a repeat gets its answer without uploading again; another
// path, parameters or length with the key is a conflict; a failed upload
// frees the key.
func TestIdempotencyKeyUpload(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	base := "/v1/connections/" + conn
	content := randomBytes(3<<20, 7)
	path := contentPath(conn, "/once.bin", "mode", "overwrite")

	pw, done := s.startUpload(path, int64(len(content)), "Idempotency-Key", "up-1")
	running := s.send(http.MethodPut, path, bytes.NewReader(content), int64(len(content)), "Idempotency-Key", "up-1")
	wantProblem(t, "a repeat while the upload runs", running, http.StatusConflict, "")
	if _, err := pw.Write(content); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	first := <-done
	if first.status != http.StatusOK {
		t.Fatalf("upload: %d %s", first.status, first.body)
	}
	var file httpapi.Entry
	first.decode(t, &file)

	// Other bytes of the same length under the same key: the first
	// answer, and nothing written.
	other := randomBytes(len(content), 8)
	again := s.send(http.MethodPut, path, bytes.NewReader(other), int64(len(other)), "Idempotency-Key", "up-1")
	if again.status != http.StatusOK || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat: %d %s (replayed %q), want the first answer again", again.status, again.body, again.header.Get("Idempotent-Replayed"))
	}
	if r := s.send(http.MethodGet, contentPath(conn, "/once.bin"), nil, 0); !bytes.Equal(r.body, content) {
		t.Errorf("after a repeat the file holds other bytes (%d, %d bytes): the repeat was uploaded", r.status, len(r.body))
	}
	var revs struct {
		Data []httpapi.Entry `json:"data"`
	}
	s.must(http.StatusOK, http.MethodGet, base+"/files/revisions?path=/once.bin", nil, &revs)
	if len(revs.Data) != 1 || revs.Data[0].Rev != file.Rev {
		t.Errorf("revisions after a repeat: %d, want only %s", len(revs.Data), file.Rev)
	}

	// The same key for another upload: a conflict, whose body is not read.
	for name, r := range map[string]*response{
		"another length": s.send(http.MethodPut, path, bytes.NewReader(content[:10]), 10, "Idempotency-Key", "up-1"),
		"a chunked body": s.send(http.MethodPut, path, bytes.NewReader(content), -1, "Idempotency-Key", "up-1"),
		"another mode": s.send(http.MethodPut, contentPath(conn, "/once.bin", "mode", "add", "autorename", "true"),
			bytes.NewReader(content), int64(len(content)), "Idempotency-Key", "up-1"),
	} {
		wantProblem(t, name+" with the same key", r, http.StatusConflict, "")
	}

	// A failed upload frees its key: the same request runs again.
	add := contentPath(conn, "/once.bin")
	wantProblem(t, "add over the file", s.send(http.MethodPut, add, bytes.NewReader([]byte("x")), 1, "Idempotency-Key", "up-2"),
		http.StatusConflict, "path/conflict")
	s.must(http.StatusOK, http.MethodPost, base+"/files/delete", map[string]any{"path": "/once.bin"}, nil)
	retry := s.send(http.MethodPut, add, bytes.NewReader([]byte("x")), 1, "Idempotency-Key", "up-2")
	if retry.status != http.StatusOK || retry.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the retry of a failed upload: %d %s (replayed %q), want a fresh upload", retry.status, retry.body, retry.header.Get("Idempotent-Replayed"))
	}
}

// TestIdempotentAnswersSealed: the answers kept for Idempotency-Key that
// hold credentials are not in the SQLite file in clear.
func TestIdempotentAnswersSealed(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	s.put(conn, "/secret.txt", []byte("for a while"))
	var tl httpapi.TemporaryLink
	s.replay(http.MethodPost, "/v1/connections/"+conn+"/files/temporary-link", map[string]any{"path": "/secret.txt"}, "tl-1", http.StatusOK).decode(t, &tl)
	var cs httpapi.ConnectSession
	s.replay(http.MethodPost, "/v1/connect-sessions", map[string]any{"external_user_id": "user-2"}, "cs-1", http.StatusCreated).decode(t, &cs)
	sessionURL, err := url.Parse(cs.URL)
	if err != nil {
		t.Fatal(err)
	}
	linkURL, err := url.Parse(tl.Link)
	if err != nil {
		t.Fatal(err)
	}

	// Closing the store moves what the WAL holds into the database file,
	// which is then read whole. newService keeps the database in the
	// test's first temporary directory; t.TempDir makes its next ones
	// beside it.
	if err := s.store.Close(); err != nil {
		t.Fatal(err)
	}
	dbs, err := filepath.Glob(filepath.Join(filepath.Dir(t.TempDir()), "*", "dropbridge.db"))
	if err != nil || len(dbs) != 1 {
		t.Fatalf("the service's database: %q, %v; want one file", dbs, err)
	}
	var raw []byte
	for _, p := range []string{dbs[0], dbs[0] + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		raw = append(raw, b...)
	}
	if !bytes.Contains(raw, []byte("tl-1")) || !bytes.Contains(raw, []byte("cs-1")) {
		t.Fatal("the database file lacks the idempotency keys: the records are not where the test looks")
	}
	// The link's path is its token; the session URL's state is the one-time
	// secret of the OAuth flow.
	secrets := map[string]string{
		"temporary link": linkURL.Path,
		"OAuth state":    sessionURL.Query().Get("state"),
		"PKCE challenge": sessionURL.Query().Get("code_challenge"),
	}
	for name, secret := range secrets {
		if len(secret) < 16 {
			t.Fatalf("the %s is %q: not something to look for", name, secret)
		}
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the database file holds the %s in clear", name)
		}
	}
}

// TestIdempotencyKeyProxy: through the proxy, an RPC call and an upload
// with an Idempotency-Key are replayed, not made again; a download is
// answered afresh; a refusal by Dropbox frees the key.
func TestIdempotencyKeyProxy(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	replayed := func(what string, first, again *response) {
		t.Helper()
		if first.status != http.StatusOK || first.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("%s: %d %s (replayed %q)", what, first.status, first.body, first.header.Get("Idempotent-Replayed"))
		}
		if again.status != http.StatusOK || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" ||
			again.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s repeated: %d %s %s (replayed %q), want the first answer again", what, again.status, again.header.Get("Content-Type"),
				again.body, again.header.Get("Idempotent-Replayed"))
		}
	}

	// Creating a folder twice would be a conflict: the repeat is the first
	// answer.
	mkdir := []byte(`{"path":"/Proxied"}`)
	replayed("create_folder_v2", s.proxy(s.key, conn, "files/create_folder_v2", mkdir, "Idempotency-Key", "mk-1"),
		s.proxy(s.key, conn, "files/create_folder_v2", mkdir, "Idempotency-Key", "mk-1"))
	wantProblem(t, "another argument with the same key",
		s.proxy(s.key, conn, "files/create_folder_v2", []byte(`{"path":"/Other"}`), "Idempotency-Key", "mk-1"), http.StatusConflict, "")

	// An upload in add mode twice would write "note (1).txt": the repeat,
	// other bytes of the same length, writes nothing.
	arg := []string{"Content-Type", "application/octet-stream", "Dropbox-API-Arg", `{"path":"/Proxied/note.txt","mode":"add","autorename":true}`,
		"Idempotency-Key", "up-1"}
	replayed("upload", s.proxy(s.key, conn, "files/upload", []byte("first"), arg...), s.proxy(s.key, conn, "files/upload", []byte("again"), arg...))
	var list struct {
		Entries []struct {
			Name string `json:"name"`
		} `json:"entries"`
	}
	s.mustProxy(conn, "files/list_folder", []byte(`{"path":"/Proxied"}`), &list)
	if len(list.Entries) != 1 || list.Entries[0].Name != "note.txt" {
		t.Errorf("after a repeated upload the folder holds %+v, want note.txt alone", list.Entries)
	}
	down := s.proxy(s.key, conn, "files/download", nil, "Dropbox-API-Arg", `{"path":"/Proxied/note.txt"}`, "Idempotency-Key", "down-1")
	if down.status != http.StatusOK || string(down.body) != "first" {
		t.Errorf("download after the repeated upload: %d %q, want first", down.status, down.body)
	}
	down = s.proxy(s.key, conn, "files/download", nil, "Dropbox-API-Arg", `{"path":"/Proxied/note.txt"}`, "Idempotency-Key", "down-1")
	if down.status != http.StatusOK || string(down.body) != "first" || down.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a repeated download: %d %q (replayed %q), want it answered afresh", down.status, down.body, down.header.Get("Idempotent-Replayed"))
	}

	// Dropbox's refusal is not kept: the same call runs again once it can
	// succeed.
	deleted := []byte(`{"path":"/Gone"}`)
	if r := s.proxy(s.key, conn, "files/delete_v2", deleted, "Idempotency-Key", "del-1"); r.status != http.StatusConflict {
		t.Fatalf("delete of nothing: %d %s", r.status, r.body)
	}
	s.mustProxy(conn, "files/create_folder_v2", deleted, nil)
	if r := s.proxy(s.key, conn, "files/delete_v2", deleted, "Idempotency-Key", "del-1"); r.status != http.StatusOK || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the retry of a refused call: %d %s, want it made afresh", r.status, r.body)
	}
}
