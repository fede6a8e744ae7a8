package httpapi_test

import (
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/httpapi"
)

// revisionsPage is a page of a file's revisions.
type revisionsPage struct {
	Data       []httpapi.Entry `json:"data"`
	IsDeleted  bool            `json:"is_deleted"`
	NextCursor string          `json:"next_cursor"`
}

func TestRevisionsAndRestore(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	base := "/v1/connections/" + conn
	var revs []string // newest first
	for _, v := range []string{"v1", "v2", "v3"} {
		e := s.put(conn, "/plan.txt", []byte(v), "mode", "overwrite")
		revs = append([]string{e.Rev}, revs...)
	}

	var got []string
	cursor := ""
	for range 5 {
		var p revisionsPage
		q := url.Values{"path": {"/plan.txt"}, "limit": {"2"}}
		if cursor != "" {
			q = url.Values{"cursor": {cursor}}
		}
		s.must(http.StatusOK, http.MethodGet, base+"/files/revisions?"+q.Encode(), nil, &p)
		if p.IsDeleted || len(p.Data) > 2 {
			t.Errorf("revisions page = %+v", p)
		}
		for _, e := range p.Data {
			got = append(got, e.Rev)
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if diff := cmp.Diff(revs, got); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}

	var restored httpapi.Entry
	s.must(http.StatusOK, http.MethodPost, base+"/files/restore", map[string]any{"path": "/plan.txt", "rev": revs[2]}, &restored)
	if restored.PathDisplay != "/plan.txt" || restored.Tag != "file" {
		t.Errorf("restored = %+v", restored)
	}
	if r := s.send(http.MethodGet, contentPath(conn, "/plan.txt"), nil, 0); string(r.body) != "v1" {
		t.Errorf("after restoring v1 the file holds %q", r.body)
	}

	// A deleted file: its revisions say so, and it can be restored.
	s.must(http.StatusOK, http.MethodPost, base+"/files/delete", map[string]any{"path": "/plan.txt"}, nil)
	var p revisionsPage
	s.must(http.StatusOK, http.MethodGet, base+"/files/revisions?path=/plan.txt", nil, &p)
	if !p.IsDeleted || len(p.Data) == 0 {
		t.Errorf("revisions of the deleted file = %+v, want is_deleted", p)
	}
	s.must(http.StatusOK, http.MethodPost, base+"/files/restore", map[string]any{"path": "/plan.txt", "rev": revs[0]}, &restored)
	if r := s.send(http.MethodGet, contentPath(conn, "/plan.txt"), nil, 0); string(r.body) != "v3" {
		t.Errorf("after restoring v3 the file holds %q", r.body)
	}

	wantProblem(t, "revisions of nothing", s.do(s.key, http.MethodGet, base+"/files/revisions?path=/nope.txt", nil), http.StatusNotFound, "path/not_found")
	wantProblem(t, "restore an unknown rev", s.do(s.key, http.MethodPost, base+"/files/restore",
		map[string]any{"path": "/plan.txt", "rev": "0123456789abcdef"}), http.StatusConflict, "invalid_revision")
}

func TestSearch(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	base := "/v1/connections/" + conn
	s.put(conn, "/Reports/report-2025.pdf", []byte("a"))
	s.put(conn, "/Reports/report-2026.pdf", []byte("b"))
	s.put(conn, "/Reports/report-2026.docx", []byte("c"))
	s.put(conn, "/Other/report-old.pdf", []byte("d"))
	s.put(conn, "/notes.txt", []byte("e"))

	var all []string
	cursor := ""
	for range 10 {
		var p page
		q := url.Values{"query": {"report"}, "path": {"/Reports"}, "limit": {"1"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		s.must(http.StatusOK, http.MethodGet, base+"/search?"+q.Encode(), nil, &p)
		all = append(all, names(p.Data)...)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	want := []string{"file /Reports/report-2025.pdf", "file /Reports/report-2026.pdf", "file /Reports/report-2026.docx"}
	if diff := cmp.Diff(want, all, sorted); diff != "" {
		t.Errorf("paged search (-want +got):\n%s", diff)
	}
	var p page
	s.must(http.StatusOK, http.MethodGet, base+"/search?query=report&file_extensions=pdf&filename_only=true", nil, &p)
	want = []string{"file /Reports/report-2025.pdf", "file /Reports/report-2026.pdf", "file /Other/report-old.pdf"}
	if diff := cmp.Diff(want, names(p.Data), sorted); diff != "" {
		t.Errorf("search for pdf (-want +got):\n%s", diff)
	}
	s.must(http.StatusOK, http.MethodGet, base+"/search?query=nothing-like-it", nil, &p)
	if len(p.Data) != 0 || p.NextCursor != "" {
		t.Errorf("search for nothing = %+v", p)
	}
}

func TestTemporaryLink(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	base := "/v1/connections/" + conn
	file := s.put(conn, "/share.txt", []byte("for a while"))

	var link httpapi.TemporaryLink
	s.must(http.StatusOK, http.MethodPost, base+"/files/temporary-link", map[string]any{"path": "/share.txt"}, &link)
	if link.Metadata.ID != file.ID || link.Link == "" {
		t.Fatalf("temporary link = %+v", link)
	}
	resp, err := http.Get(link.Link)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "for a while" {
		t.Errorf("GET the link: %d %q", resp.StatusCode, b)
	}
	wantProblem(t, "link to nothing", s.do(s.key, http.MethodPost, base+"/files/temporary-link", map[string]any{"path": "/nope.txt"}), http.StatusNotFound, "path/not_found")
	s.must(http.StatusCreated, http.MethodPost, base+"/folders", map[string]any{"path": "/dir"}, nil)
	wantProblem(t, "link to a folder", s.do(s.key, http.MethodPost, base+"/files/temporary-link", map[string]any{"path": "/dir"}), http.StatusConflict, "path/not_file")
}
