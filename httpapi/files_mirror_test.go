package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/httpapi"
)

// tracking returns change tracking on the service's store and emulator,
// listing pageLimit entries a page; the test drives its syncs.
func (s *service) tracking(pageLimit uint32) *changes.Service {
	s.t.Helper()
	svc := connect.New(s.store, s.srv.URL)
	svc.Dropbox = connect.SingleHost(s.emu.URL)
	svc.Now = s.clock.Now
	tr, err := changes.New(changes.Config{Store: s.store, Connect: svc, PageLimit: pageLimit, Now: s.clock.Now})
	if err != nil {
		s.t.Fatal(err)
	}
	return tr
}

// dropboxCalls returns the emulator's count of answers by route and
// status.
func (s *service) dropboxCalls() map[string]map[string]int {
	s.t.Helper()
	var stats struct {
		Routes map[string]map[string]int `json:"routes"`
	}
	s.emu.Admin(s.t, http.MethodGet, "/_emulator/stats", nil, &stats)
	return stats.Routes
}

// listAll pages through a listing of the connection's folder with the
// extra query, and returns its entries and the last page's answer.
func (s *service) listAll(conn, folder string, query ...string) ([]httpapi.Entry, *response) {
	s.t.Helper()
	q := url.Values{"path": {folder}}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	var all []httpapi.Entry
	for pages := 0; ; pages++ {
		if pages > 1000 {
			s.t.Fatalf("list %s %v: the listing does not end", folder, q)
		}
		var p page
		r := s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/files?"+q.Encode(), nil, &p)
		all = append(all, p.Data...)
		if p.NextCursor == "" {
			return all, r
		}
		q = url.Values{"cursor": {p.NextCursor}}
	}
}

// byPath sorts entries by path_lower.
func byPath(es []httpapi.Entry) []httpapi.Entry {
	out := slices.Clone(es)
	slices.SortFunc(out, func(a, b httpapi.Entry) int { return strings.Compare(a.PathLower, b.PathLower) })
	return out
}

// mirrorVersion returns the mirror version of an answer, failing unless
// it has one and a time of update.
func mirrorVersion(t *testing.T, r *response) int64 {
	t.Helper()
	v, err := strconv.ParseInt(r.header.Get(httpapi.MirrorVersionHeader), 10, 64)
	if err != nil || v < 1 {
		t.Fatalf("%s = %q, want a version", httpapi.MirrorVersionHeader, r.header.Get(httpapi.MirrorVersionHeader))
	}
	if _, err := time.Parse(time.RFC3339Nano, r.header.Get(httpapi.MirrorUpdatedHeader)); err != nil {
		t.Fatalf("%s: %v", httpapi.MirrorUpdatedHeader, err)
	}
	return v
}

// TestFilesFromMirror lists an account from the mirror after change
// tracking synced it: the same entries as Dropbox's listings, paged by
// path, without a single call to Dropbox.
func TestFilesFromMirror(t *testing.T) {
	t.Parallel()
	s := newService(t)
	alice, _ := s.connected("alice@example.com")
	for _, p := range []string{"/Reports/Q1.pdf", "/Reports/2026/Plan.TXT", "/Reports/2026/deep/x.bin", "/readme.md",
		"/a b.txt", "/a.txt", "/a0", "/gone.txt"} {
		s.put(alice, p, []byte("content of "+p))
	}
	for i := range 7 {
		s.put(alice, "/Many/f"+strconv.Itoa(i), []byte{byte(i)})
	}
	s.must(http.StatusCreated, http.MethodPost, "/v1/connections/"+alice+"/folders", map[string]any{"path": "/Archive"}, nil)
	s.must(http.StatusOK, http.MethodPost, "/v1/connections/"+alice+"/files/delete", map[string]any{"path": "/gone.txt"}, nil)

	// Before change tracking listed the account, and while its first
	// listing runs, the mirror is not ready.
	notReady := func(what string) {
		t.Helper()
		r := s.do(s.key, http.MethodGet, "/v1/connections/"+alice+"/files?source=mirror", nil)
		wantProblem(t, what, r, http.StatusConflict, "")
		if r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "not ready") {
			t.Errorf("%s: Retry-After %q, body %s", what, r.header.Get("Retry-After"), r.body)
		}
	}
	notReady("before tracking")
	tr := s.tracking(3)
	more, err := tr.SyncFilesPage(t.Context(), s.env.ID, alice)
	if err != nil || !more {
		t.Fatalf("first page: more %v, %v", more, err)
	}
	notReady("during the first listing")
	if _, err := tr.SyncFiles(t.Context(), s.env.ID, alice); err != nil {
		t.Fatal(err)
	}

	type listing struct {
		folder    string
		recursive bool
	}
	listings := []listing{{"", false}, {"", true}, {"/", false}, {"/Reports", false}, {"/Reports", true},
		{"/Reports/2026/deep", true}, {"/Archive", false}, {"/Archive", true}, {"/Many", false}}
	want := map[listing][]httpapi.Entry{}
	for _, l := range listings {
		es, _ := s.listAll(alice, l.folder, "recursive", strconv.FormatBool(l.recursive), "limit", "5")
		want[l] = byPath(es)
	}
	var meta httpapi.Entry
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+alice+"/files/metadata?path=/Reports/2026/Plan.TXT", nil, &meta)
	notFound := s.do(s.key, http.MethodGet, "/v1/connections/"+alice+"/files?path=/nowhere", nil)
	notFolder := s.do(s.key, http.MethodGet, "/v1/connections/"+alice+"/files?path=/readme.md", nil)
	metaNotFound := s.do(s.key, http.MethodGet, "/v1/connections/"+alice+"/files/metadata?path=/gone.txt", nil)

	before := s.dropboxCalls()
	var version int64
	for _, l := range listings {
		// Paths compare lowercased; pages of 2, and all at once.
		folder := strings.ToUpper(l.folder)
		rec := strconv.FormatBool(l.recursive)
		paged, r := s.listAll(alice, folder, "source", "mirror", "recursive", rec, "limit", "2")
		version = mirrorVersion(t, r)
		whole, _ := s.listAll(alice, folder, "source", "mirror", "recursive", rec, "limit", "2000")
		if diff := cmp.Diff(want[l], paged); diff != "" {
			t.Errorf("mirror listing of %q (recursive %v) by pages (-dropbox +mirror):\n%s", l.folder, l.recursive, diff)
		}
		if diff := cmp.Diff(paged, whole); diff != "" {
			t.Errorf("mirror listing of %q (recursive %v), paged vs whole (-paged +whole):\n%s", l.folder, l.recursive, diff)
		}
	}
	// Folders by id, and metadata by path in any case and by id.
	reports := want[listing{"", false}][slices.IndexFunc(want[listing{"", false}], func(e httpapi.Entry) bool { return e.Name == "Reports" })]
	byID, _ := s.listAll(alice, reports.ID, "source", "mirror", "recursive", "true")
	if diff := cmp.Diff(want[listing{"/Reports", true}], byID); diff != "" {
		t.Errorf("mirror listing by id (-dropbox +mirror):\n%s", diff)
	}
	for _, p := range []string{"/reports/2026/plan.txt", "/REPORTS/2026/PLAN.txt", meta.ID} {
		var got httpapi.Entry
		r := s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+alice+"/files/metadata?source=mirror&path="+url.QueryEscape(p), nil, &got)
		mirrorVersion(t, r)
		if diff := cmp.Diff(meta, got); diff != "" {
			t.Errorf("metadata of %s (-dropbox +mirror):\n%s", p, diff)
		}
	}
	// The mirror refuses as Dropbox does, with Dropbox's tags.
	for _, tt := range []struct {
		name  string
		path  string
		dbx   *response
		want  int
		tag   string
		query string
	}{
		{"not found", "/v1/connections/" + alice + "/files?source=mirror&path=/NoWhere", notFound, http.StatusNotFound, "path/not_found", ""},
		{"not a folder", "/v1/connections/" + alice + "/files?source=mirror&path=/README.md", notFolder, http.StatusConflict, "path/not_folder", ""},
		{"metadata not found", "/v1/connections/" + alice + "/files/metadata?source=mirror&path=/gone.txt", metaNotFound, http.StatusNotFound, "path/not_found", ""},
	} {
		wantProblem(t, tt.name+" from Dropbox", tt.dbx, tt.want, tt.tag)
		wantProblem(t, tt.name+" from the mirror", s.do(s.key, http.MethodGet, tt.path, nil), tt.want, tt.tag)
	}
	var first page
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+alice+"/files?source=mirror&limit=1", nil, &first)
	for _, q := range []string{
		"/files?source=mirror&include_deleted=true",
		"/files?source=mirror&path=ns:123",
		"/files?source=mirror&path=relative",
		"/files?cursor=" + first.NextCursor[:len(first.NextCursor)-2],
		"/files/metadata?source=mirror&path=/",
		"/files/metadata?source=mirror&path=rev:a1c10ce0dd78",
		"/files/metadata?source=mirror&path=/a.txt&include_deleted=true",
		"/files?source=elsewhere",
	} {
		wantProblem(t, q, s.do(s.key, http.MethodGet, "/v1/connections/"+alice+q, nil), http.StatusUnprocessableEntity, "")
	}
	if diff := cmp.Diff(before, s.dropboxCalls()); diff != "" {
		t.Errorf("Dropbox calls while answering from the mirror (-before +after):\n%s", diff)
	}

	// The mirror is as fresh as change tracking keeps it: a change shows
	// once synced, with a newer version.
	s.put(alice, "/Reports/Q2.pdf", []byte("q2"))
	s.must(http.StatusOK, http.MethodPost, "/v1/connections/"+alice+"/files/move",
		map[string]any{"from_path": "/a.txt", "to_path": "/Archive/A.txt"}, nil)
	stale, r := s.listAll(alice, "/Reports", "source", "mirror")
	if diff := cmp.Diff(want[listing{"/Reports", false}], stale); diff != "" || mirrorVersion(t, r) != version {
		t.Errorf("before the sync, version %s (want %d) (-before +mirror):\n%s", r.header.Get(httpapi.MirrorVersionHeader), version, diff)
	}
	s.clock.Advance(time.Second)
	if _, err := tr.SyncFiles(t.Context(), s.env.ID, alice); err != nil {
		t.Fatal(err)
	}
	for _, l := range []listing{{"", true}, {"/Reports", false}, {"/Archive", false}} {
		dbx, _ := s.listAll(alice, l.folder, "recursive", strconv.FormatBool(l.recursive))
		got, r := s.listAll(alice, l.folder, "source", "mirror", "recursive", strconv.FormatBool(l.recursive))
		if diff := cmp.Diff(byPath(dbx), got); diff != "" {
			t.Errorf("after the sync, %q (-dropbox +mirror):\n%s", l.folder, diff)
		}
		if v := mirrorVersion(t, r); v <= version {
			t.Errorf("after the sync, version %d, want more than %d", v, version)
		}
	}
}

// TestFilesFromMirrorIsolation keeps each connection's mirror its own and
// another environment's connections out of sight.
func TestFilesFromMirrorIsolation(t *testing.T) {
	t.Parallel()
	s := newService(t)
	alice, _ := s.connected("alice@example.com")
	bob, _ := s.connected("bob@example.com")
	s.put(alice, "/alice/one.txt", []byte("1"))
	s.put(alice, "/alice/two.txt", []byte("2"))
	s.put(bob, "/bob.txt", []byte("b"))
	tr := s.tracking(0)
	for _, c := range []string{alice, bob} {
		if _, err := tr.SyncFiles(t.Context(), s.env.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.listAll(bob, "", "source", "mirror", "recursive", "true")
	if diff := cmp.Diff([]string{"file /bob.txt"}, names(got)); diff != "" {
		t.Errorf("bob's mirror (-want +got):\n%s", diff)
	}
	// A cursor of alice's listing is not bob's.
	var p page
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+alice+"/files?source=mirror&recursive=true&limit=1", nil, &p)
	if p.NextCursor == "" {
		t.Fatal("no next cursor after one of three entries")
	}
	wantProblem(t, "alice's cursor on bob", s.do(s.key, http.MethodGet, "/v1/connections/"+bob+"/files?cursor="+p.NextCursor, nil),
		http.StatusUnprocessableEntity, "")
	// Another environment sees neither connection.
	_, otherKey := s.newEnvironment("other")
	for _, q := range []string{"/files?source=mirror", "/files?cursor=" + p.NextCursor, "/files/metadata?source=mirror&path=/alice"} {
		if r := s.do(otherKey, http.MethodGet, "/v1/connections/"+alice+q, nil); r.status != http.StatusNotFound {
			t.Errorf("another environment, %s: %d %s", q, r.status, r.body)
		}
	}
	// A deleted connection's mirror is not answered.
	s.must(http.StatusOK, http.MethodDelete, "/v1/connections/"+bob, nil, nil)
	wantProblem(t, "deleted connection", s.do(s.key, http.MethodGet, "/v1/connections/"+bob+"/files?source=mirror", nil),
		http.StatusConflict, "")
}

// TestFilesFromMirrorDropboxLowercase finds entries whose path_lower
// Dropbox lowercased otherwise than Go does (here: not at all), by
// folding each component of the path.
func TestFilesFromMirrorDropboxLowercase(t *testing.T) {
	t.Parallel()
	s := newService(t)
	alice, _ := s.connected("alice@example.com")
	folder := json.RawMessage(`{".tag":"folder","name":"Ärger","id":"id:fold","path_lower":"/Ärger","path_display":"/Ärger"}`)
	file := json.RawMessage(`{".tag":"file","name":"X.txt","id":"id:file","path_lower":"/Ärger/x.txt","path_display":"/Ärger/X.txt",` +
		`"rev":"015a1b2c3d4e5f6a7b8c9","size":3,"client_modified":"2026-01-02T03:04:05Z","server_modified":"2026-01-02T03:04:05Z",` +
		`"content_hash":"abc"}`)
	_, err := s.store.ApplyMirrorChange(t.Context(), &dropbridge.MirrorChange{EnvironmentID: s.env.ID, ConnectionID: alice,
		Kind: dropbridge.MirrorFiles, Cursor: "cursor-1", Entries: []dropbridge.EntryUpdate{
			{ID: "id:fold", Entry: &dropbridge.Entry{ID: "id:fold", PathLower: "/Ärger", Kind: dropbridge.EntryFolder, Object: folder}},
			{ID: "id:file", Entry: &dropbridge.Entry{ID: "id:file", PathLower: "/Ärger/x.txt", Kind: dropbridge.EntryFile,
				Rev: "015a1b2c3d4e5f6a7b8c9", ContentHash: "abc", Object: file}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/ÄRGER", "/ärger", "id:fold"} {
		got, _ := s.listAll(alice, p, "source", "mirror", "limit", "1")
		if diff := cmp.Diff([]string{"file /Ärger/X.txt"}, names(got)); diff != "" {
			t.Errorf("listing %s (-want +got):\n%s", p, diff)
		}
	}
	var e httpapi.Entry
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+alice+"/files/metadata?source=mirror&path="+url.QueryEscape("/ärger/X.TXT"), nil, &e)
	if e.ID != "id:file" || e.PathDisplay != "/Ärger/X.txt" || e.Size == nil || *e.Size != 3 {
		t.Errorf("metadata: %+v", e)
	}
	wantProblem(t, "a name that is not there", s.do(s.key, http.MethodGet,
		"/v1/connections/"+alice+"/files/metadata?source=mirror&path="+url.QueryEscape("/ärger/Y.txt"), nil), http.StatusNotFound, "path/not_found")
}
