package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
)

// sorted compares lists of strings in any order.
var sorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// page is a page of a listing.
type page struct {
	Data       []httpapi.Entry `json:"data"`
	NextCursor string          `json:"next_cursor"`
}

// connected makes an account with email, connects it as an end user of
// the same name and returns the connection's ID and the emulator's
// account. The first call registers the test app.
func (s *service) connected(email string) (string, dropboxtest.Account) {
	s.t.Helper()
	acct := s.emu.CreateAccount(s.t, dropboxtest.AccountArg{Email: email, AccountType: "pro"})
	var apps struct {
		Data []httpapi.App `json:"data"`
	}
	if s.must(http.StatusOK, http.MethodGet, "/v1/apps", nil, &apps); len(apps.Data) == 0 {
		s.registerApp()
	}
	return s.connect(email, email), acct
}

// send calls the API with the test's key and a raw body (none if nil) of
// size bytes (-1: chunked).
func (s *service) send(method, path string, body io.Reader, size int64, header ...string) *response {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}
}

// put uploads content to path with the extra query and fails unless the
// answer is 200; it returns the file.
func (s *service) put(conn, path string, content []byte, query ...string) httpapi.Entry {
	s.t.Helper()
	q := url.Values{"path": {path}}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	r := s.send(http.MethodPut, "/v1/connections/"+conn+"/files/content?"+q.Encode(), bytes.NewReader(content), int64(len(content)))
	if r.status != http.StatusOK {
		s.t.Fatalf("upload %s: %d %s", path, r.status, r.body)
	}
	var e httpapi.Entry
	r.decode(s.t, &e)
	return e
}

// wantProblem fails unless r is a problem with status and, if not empty,
// Dropbox's error tag path starting with tag.
func wantProblem(t *testing.T, what string, r *response, status int, tag string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.status, status, r.body)
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	var p httpapi.Problem
	r.decode(t, &p)
	if !strings.HasPrefix(p.DropboxError, tag) || tag == "" && p.DropboxError != "" {
		t.Errorf("%s: dropbox_error %q, want %q", what, p.DropboxError, tag)
	}
	if len(p.Detail) < 10 {
		t.Errorf("%s: detail %q does not say what to do", what, p.Detail)
	}
}

// names returns the display paths of entries.
func names(es []httpapi.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Tag+" "+e.PathDisplay)
	}
	return out
}

func TestFilesAndFolders(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	base := "/v1/connections/" + conn

	var folder httpapi.Entry
	s.must(http.StatusCreated, http.MethodPost, base+"/folders", map[string]any{"path": "/Docs"}, &folder)
	if folder.Tag != "folder" || folder.PathDisplay != "/Docs" || !strings.HasPrefix(folder.ID, "id:") {
		t.Errorf("created folder = %+v", folder)
	}
	wantProblem(t, "create the folder again", s.do(s.key, http.MethodPost, base+"/folders", map[string]any{"path": "/Docs"}), http.StatusConflict, "path/conflict")
	var renamed httpapi.Entry
	s.must(http.StatusCreated, http.MethodPost, base+"/folders", map[string]any{"path": "/Docs", "autorename": true}, &renamed)
	if renamed.PathDisplay == "/Docs" {
		t.Errorf("autorename kept the name: %+v", renamed)
	}

	a := s.put(conn, "/Docs/a.txt", []byte("alpha"))
	if a.Tag != "file" || a.Size == nil || *a.Size != 5 || a.Rev == "" || a.ContentHash == "" || a.ServerModified == nil {
		t.Errorf("uploaded file = %+v", a)
	}
	s.put(conn, "/Docs/b.txt", []byte("beta"))
	s.put(conn, "/top.txt", []byte("top"))

	// Metadata, by path and by ID.
	var got httpapi.Entry
	s.must(http.StatusOK, http.MethodGet, base+"/files/metadata?path=/docs/A.TXT", nil, &got)
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("metadata (-upload +metadata):\n%s", diff)
	}
	s.must(http.StatusOK, http.MethodGet, base+"/files/metadata?path="+url.QueryEscape(a.ID), nil, &got)
	if got.PathDisplay != "/Docs/a.txt" {
		t.Errorf("metadata by id = %+v", got)
	}
	wantProblem(t, "metadata of nothing", s.do(s.key, http.MethodGet, base+"/files/metadata?path=/nope", nil), http.StatusNotFound, "path/not_found")

	// Listing: the root, recursively, and a page at a time.
	var root page
	s.must(http.StatusOK, http.MethodGet, base+"/files?path=/", nil, &root)
	if diff := cmp.Diff([]string{"folder /Docs", "folder " + renamed.PathDisplay, "file /top.txt"}, names(root.Data), sorted); diff != "" || root.NextCursor != "" {
		t.Errorf("root listing (-want +got):\n%s(next_cursor %q)", diff, root.NextCursor)
	}
	var all []string
	for cursor, pages := "", 0; ; pages++ {
		var p page
		q := url.Values{"recursive": {"true"}, "limit": {"1"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		s.must(http.StatusOK, http.MethodGet, base+"/files?"+q.Encode(), nil, &p)
		all = append(all, names(p.Data)...)
		if cursor = p.NextCursor; cursor == "" {
			if pages < 2 {
				t.Errorf("a recursive listing of 5 entries with limit 1 came in %d pages", pages+1)
			}
			break
		}
		if pages > 20 {
			t.Fatal("the listing does not end")
		}
	}
	want := []string{"folder /Docs", "folder " + renamed.PathDisplay, "file /Docs/a.txt", "file /Docs/b.txt", "file /top.txt"}
	if diff := cmp.Diff(want, all, sorted); diff != "" {
		t.Errorf("paged recursive listing (-want +got):\n%s", diff)
	}
	wantProblem(t, "list a file", s.do(s.key, http.MethodGet, base+"/files?path=/top.txt", nil), http.StatusConflict, "path/not_folder")
	wantProblem(t, "list nothing", s.do(s.key, http.MethodGet, base+"/files?path=/nope", nil), http.StatusNotFound, "path/not_found")

	// Move, copy, delete.
	var moved httpapi.Entry
	s.must(http.StatusOK, http.MethodPost, base+"/files/move", map[string]any{"from_path": "/Docs/a.txt", "to_path": "/Docs/c.txt"}, &moved)
	if moved.PathDisplay != "/Docs/c.txt" || moved.ID != a.ID || moved.Rev == "" {
		t.Errorf("moved = %+v, want a.txt at /Docs/c.txt", moved)
	}
	wantProblem(t, "move onto a file", s.do(s.key, http.MethodPost, base+"/files/move", map[string]any{"from_path": "/Docs/c.txt", "to_path": "/Docs/b.txt"}), http.StatusConflict, "to/conflict")
	wantProblem(t, "move nothing", s.do(s.key, http.MethodPost, base+"/files/move", map[string]any{"from_path": "/nope", "to_path": "/x"}), http.StatusNotFound, "from_lookup/not_found")
	var copied httpapi.Entry
	s.must(http.StatusCreated, http.MethodPost, base+"/files/copy", map[string]any{"from_path": moved.ID, "to_path": "/Copy/c.txt"}, &copied)
	if copied.PathDisplay != "/Copy/c.txt" || copied.ID == a.ID || copied.ContentHash != a.ContentHash {
		t.Errorf("copy = %+v", copied)
	}
	wantProblem(t, "copy with allow_ownership_transfer", s.do(s.key, http.MethodPost, base+"/files/copy",
		map[string]any{"from_path": "/Docs/c.txt", "to_path": "/x", "allow_ownership_transfer": true}), http.StatusUnprocessableEntity, "")

	wantProblem(t, "delete at a stale rev", s.do(s.key, http.MethodPost, base+"/files/delete", map[string]any{"path": "/Copy/c.txt", "parent_rev": "0123456789abcdef"}), http.StatusConflict, "path_write/conflict")
	var deleted httpapi.Entry
	s.must(http.StatusOK, http.MethodPost, base+"/files/delete", map[string]any{"path": "/Copy/c.txt", "parent_rev": copied.Rev}, &deleted)
	if deleted.PathDisplay != "/Copy/c.txt" || deleted.Tag != "file" {
		t.Errorf("deleted = %+v", deleted)
	}
	wantProblem(t, "metadata of the deleted file", s.do(s.key, http.MethodGet, base+"/files/metadata?path=/Copy/c.txt", nil), http.StatusNotFound, "path/not_found")
	s.must(http.StatusOK, http.MethodGet, base+"/files/metadata?path=/Copy/c.txt&include_deleted=true", nil, &got)
	if got.Tag != "deleted" || got.Name != "c.txt" {
		t.Errorf("deleted metadata = %+v", got)
	}
	s.must(http.StatusOK, http.MethodPost, base+"/files/delete", map[string]any{"path": "/Docs"}, &deleted)
	if deleted.Tag != "folder" {
		t.Errorf("deleted folder = %+v", deleted)
	}
	wantProblem(t, "delete again", s.do(s.key, http.MethodPost, base+"/files/delete", map[string]any{"path": "/Docs"}), http.StatusNotFound, "path_lookup/not_found")

	// A repeated change with an Idempotency-Key answers the first result.
	first := s.do(s.key, http.MethodPost, base+"/folders", map[string]any{"path": "/Once"}, "Idempotency-Key", "once-1")
	again := s.do(s.key, http.MethodPost, base+"/folders", map[string]any{"path": "/Once"}, "Idempotency-Key", "once-1")
	if first.status != http.StatusCreated || again.status != http.StatusCreated || string(again.body) != string(first.body) {
		t.Errorf("repeated create folder: %d %s, then %d %s", first.status, first.body, again.status, again.body)
	}
}

func TestFilesBadInput(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	other, _ := s.connected("bob@example.com")
	base := "/v1/connections/" + conn
	s.put(conn, "/a.txt", []byte("a"))
	s.put(conn, "/b.txt", []byte("b"))
	var p page
	s.must(http.StatusOK, http.MethodGet, base+"/files?limit=1", nil, &p)
	if p.NextCursor == "" {
		t.Fatal("no next_cursor with limit 1 on two files")
	}

	tests := []struct {
		name         string
		method, path string
		body         any
		status       int
		tag          string
	}{
		{"cursor of another connection", http.MethodGet, "/v1/connections/" + other + "/files?cursor=" + p.NextCursor, nil, 422, ""},
		{"cursor of another listing", http.MethodGet, base + "/search?query=a&cursor=" + p.NextCursor, nil, 422, ""},
		{"made-up cursor", http.MethodGet, base + "/files?cursor=AAAA", nil, 422, ""},
		{"limit 0", http.MethodGet, base + "/files?limit=0", nil, 422, ""},
		{"metadata without path", http.MethodGet, base + "/files/metadata", nil, 422, ""},
		{"path that is no path", http.MethodGet, base + "/files/metadata?path=nope", nil, 422, ""},
		{"malformed path", http.MethodGet, base + "/files/metadata?path=/a//b", nil, 422, "path/malformed_path"},
		{"folder without path", http.MethodPost, base + "/folders", map[string]any{}, 422, ""},
		{"move without to_path", http.MethodPost, base + "/files/move", map[string]any{"from_path": "/a.txt"}, 422, ""},
		{"unknown field", http.MethodPost, base + "/files/delete", map[string]any{"path": "/a.txt", "recursive": true}, 422, ""},
		{"revisions without path", http.MethodGet, base + "/files/revisions", nil, 422, ""},
		{"restore a bad rev", http.MethodPost, base + "/files/restore", map[string]any{"path": "/a.txt", "rev": "zz"}, 422, ""},
		{"search without query", http.MethodGet, base + "/search", nil, 422, ""},
		{"unknown connection", http.MethodGet, "/v1/connections/conn_nope/files", nil, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantProblem(t, tc.name, s.do(s.key, tc.method, tc.path, tc.body), tc.status, tc.tag)
		})
	}
	// Nothing changed.
	s.must(http.StatusOK, http.MethodGet, base+"/files", nil, &p)
	if diff := cmp.Diff([]string{"file /a.txt", "file /b.txt"}, names(p.Data), sorted); diff != "" {
		t.Errorf("files after bad requests (-want +got):\n%s", diff)
	}
}

func TestFilesOfAnotherEnvironment(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	s.put(conn, "/a.txt", []byte("a"))
	_, otherKey := s.newEnvironment("other")
	base := "/v1/connections/" + conn
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, base + "/files", nil},
		{http.MethodGet, base + "/files/metadata?path=/a.txt", nil},
		{http.MethodGet, base + "/files/content?path=/a.txt", nil},
		{http.MethodPut, base + "/files/content?path=/b.txt", "b"},
		{http.MethodPost, base + "/folders", map[string]any{"path": "/x"}},
		{http.MethodPost, base + "/files/move", map[string]any{"from_path": "/a.txt", "to_path": "/m.txt"}},
		{http.MethodPost, base + "/files/copy", map[string]any{"from_path": "/a.txt", "to_path": "/c.txt"}},
		{http.MethodPost, base + "/files/delete", map[string]any{"path": "/a.txt"}},
		{http.MethodGet, base + "/files/revisions?path=/a.txt", nil},
		{http.MethodPost, base + "/files/restore", map[string]any{"path": "/a.txt", "rev": "0123456789"}},
		{http.MethodGet, base + "/search?query=a", nil},
		{http.MethodPost, base + "/files/temporary-link", map[string]any{"path": "/a.txt"}},
	} {
		wantProblem(t, tc.method+" "+tc.path, s.do(otherKey, tc.method, tc.path, tc.body), http.StatusNotFound, "")
	}
	var p page
	s.must(http.StatusOK, http.MethodGet, base+"/files", nil, &p)
	if diff := cmp.Diff([]string{"file /a.txt"}, names(p.Data)); diff != "" {
		t.Errorf("files after another environment's calls (-want +got):\n%s", diff)
	}
}

func TestFilesOpenAPI(t *testing.T) {
	t.Parallel()
	s := newService(t)
	r := s.do("", http.MethodGet, "/v1/openapi.json", nil)
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"requestBody"`
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	r.decode(t, &doc)
	for path, methods := range map[string][]string{
		"/v1/connections/{id}/files":                {"get"},
		"/v1/connections/{id}/files/metadata":       {"get"},
		"/v1/connections/{id}/files/content":        {"get", "put"},
		"/v1/connections/{id}/folders":              {"post"},
		"/v1/connections/{id}/files/move":           {"post"},
		"/v1/connections/{id}/files/copy":           {"post"},
		"/v1/connections/{id}/files/delete":         {"post"},
		"/v1/connections/{id}/files/revisions":      {"get"},
		"/v1/connections/{id}/files/restore":        {"post"},
		"/v1/connections/{id}/search":               {"get"},
		"/v1/connections/{id}/files/temporary-link": {"post"},
	} {
		for _, m := range methods {
			if _, ok := doc.Paths[path][m]; !ok {
				t.Errorf("openapi.json lacks %s %s", m, path)
			}
		}
	}
	content := doc.Paths["/v1/connections/{id}/files/content"]
	if _, ok := content["put"].RequestBody.Content["application/octet-stream"]; !ok {
		t.Errorf("the upload's body is not described as application/octet-stream")
	}
	for _, status := range []string{"200", "206", "304", "416", "404", "409"} {
		if _, ok := content["get"].Responses[status]; !ok {
			t.Errorf("the download's %s answer is not described", status)
		}
	}
}
