package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/httpapi"
)

// exportPaper exports the document at path in format and fails unless the
// answer is 200.
func (s *service) exportPaper(conn, path, format string) httpapi.PaperExport {
	s.t.Helper()
	var out httpapi.PaperExport
	q := url.Values{"path": {path}, "export_format": {format}}
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/paper-docs/export?"+q.Encode(), nil, &out)
	return out
}

func TestPaperRoundTrip(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("paper@example.com")
	base := "/v1/connections/" + conn + "/paper-docs"

	const first = "# Plan\n\nShip the **connector**.\n\n- tests\n- docs\n"
	var doc httpapi.PaperDoc
	s.must(http.StatusCreated, http.MethodPost, base, map[string]any{
		"path": "/Notes/Plan.paper", "import_format": "markdown", "content": first,
	}, &doc)
	if doc.ResultPath != "/Notes/Plan.paper" || !strings.HasPrefix(doc.FileID, "id:") || doc.URL == "" || doc.PaperRevision < 1 {
		t.Fatalf("created %+v", doc)
	}

	exp := s.exportPaper(conn, "/Notes/Plan.paper", "markdown")
	if diff := cmp.Diff(first, exp.Content); diff != "" {
		t.Errorf("markdown export differs from what was imported (-want +got):\n%s", diff)
	}
	if exp.PaperRevision == nil || *exp.PaperRevision != doc.PaperRevision || exp.ExportFormat != "markdown" ||
		exp.File.ID != doc.FileID || exp.Size != uint64(len(exp.Content)) {
		t.Errorf("export %+v, want revision %d of %s", exp, doc.PaperRevision, doc.FileID)
	}

	// An update at the exported revision replaces the content.
	const second = "# Plan\n\nShipped.\n"
	var rev struct {
		PaperRevision int64 `json:"paper_revision"`
	}
	s.must(http.StatusOK, http.MethodPost, base+"/update", map[string]any{
		"path": doc.FileID, "import_format": "markdown", "doc_update_policy": "update",
		"paper_revision": *exp.PaperRevision, "content": second,
	}, &rev)
	if rev.PaperRevision <= doc.PaperRevision {
		t.Errorf("revision after the update %d, want more than %d", rev.PaperRevision, doc.PaperRevision)
	}
	exp = s.exportPaper(conn, "/Notes/Plan.paper", "markdown")
	if diff := cmp.Diff(second, exp.Content); diff != "" {
		t.Errorf("markdown export after the update (-want +got):\n%s", diff)
	}
	if exp.PaperRevision == nil || *exp.PaperRevision != rev.PaperRevision {
		t.Errorf("export revision %v, want %d", exp.PaperRevision, rev.PaperRevision)
	}

	// The same update again is at a revision that is gone.
	r := s.do(s.key, http.MethodPost, base+"/update", map[string]any{
		"path": doc.FileID, "import_format": "markdown", "doc_update_policy": "update",
		"paper_revision": doc.PaperRevision, "content": second,
	})
	wantProblem(t, "update at a stale revision", r, http.StatusConflict, "revision_mismatch")

	// Appending needs no revision; HTML export renders the document.
	s.must(http.StatusOK, http.MethodPost, base+"/update", map[string]any{
		"path": "/Notes/Plan.paper", "import_format": "plain_text", "doc_update_policy": "append", "content": "Next: docs",
	}, nil)
	if got := s.exportPaper(conn, "/Notes/Plan.paper", "markdown").Content; got != second+"\nNext: docs\n" {
		t.Errorf("after append: %q", got)
	}
	html := s.exportPaper(conn, "/Notes/Plan.paper", "html")
	if !strings.Contains(html.Content, "<h1") || !strings.Contains(html.Content, "Shipped.") || html.ExportFormat != "html" {
		t.Errorf("html export: %+v", html)
	}

	// The document is a .paper file among the others.
	var meta httpapi.Entry
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/files/metadata?path=%2FNotes%2FPlan.paper", nil, &meta)
	if meta.ID != doc.FileID {
		t.Errorf("metadata %+v, want the document %s", meta, doc.FileID)
	}
}

func TestPaperImportFormats(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("formats@example.com")
	base := "/v1/connections/" + conn + "/paper-docs"
	for _, tc := range []struct {
		format, content, want string
	}{
		{"html", "<h1>Title</h1><p>Hello <strong>world</strong></p>", "# Title\n\nHello **world**\n"},
		{"plain_text", "Line one\nLine two\n", "Line one\n\nLine two\n"},
	} {
		path := "/Formats/" + tc.format + ".paper"
		s.must(http.StatusCreated, http.MethodPost, base, map[string]any{"path": path, "import_format": tc.format, "content": tc.content}, nil)
		if got := s.exportPaper(conn, path, "markdown").Content; got != tc.want {
			t.Errorf("%s: exported %q, want %q", tc.format, got, tc.want)
		}
	}

	// A second document at a taken path gets a numbered name.
	var again httpapi.PaperDoc
	s.must(http.StatusCreated, http.MethodPost, base, map[string]any{"path": "/Formats/html.paper", "import_format": "markdown", "content": "x"}, &again)
	if again.ResultPath == "/Formats/html.paper" || !strings.HasPrefix(again.ResultPath, "/Formats/html") {
		t.Errorf("second document at a taken path: %+v", again)
	}
}

func TestPaperIdempotentCreate(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("idem-paper@example.com")
	body := map[string]any{"path": "/Once.paper", "import_format": "markdown", "content": "# Once\n"}
	r1 := s.do(s.key, http.MethodPost, "/v1/connections/"+conn+"/paper-docs", body, "Idempotency-Key", "paper-1")
	r2 := s.do(s.key, http.MethodPost, "/v1/connections/"+conn+"/paper-docs", body, "Idempotency-Key", "paper-1")
	if r1.status != http.StatusCreated || r2.status != http.StatusCreated || string(r1.body) != string(r2.body) {
		t.Fatalf("create twice with one key: %d %s, then %d %s", r1.status, r1.body, r2.status, r2.body)
	}
	if r2.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the repeat was not a replay")
	}
	var p page
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/files", nil, &p)
	if diff := cmp.Diff([]string{"file /Once.paper"}, names(p.Data)); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
}

func TestPaperBadInput(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("bad-paper@example.com")
	base := "/v1/connections/" + conn + "/paper-docs"
	for _, tc := range []struct {
		what, path string
		body       map[string]any
		status     int
		tag        string
	}{
		{"no .paper", "", map[string]any{"path": "/Notes/Plan.md", "import_format": "markdown", "content": "x"}, http.StatusUnprocessableEntity, ""},
		{"unknown format", "", map[string]any{"path": "/Plan.paper", "import_format": "docx", "content": "x"}, http.StatusUnprocessableEntity, ""},
		{"root", "", map[string]any{"path": "/", "import_format": "markdown", "content": "x"}, http.StatusUnprocessableEntity, ""},
		{"update without revision", "/update", map[string]any{"path": "/Plan.paper", "import_format": "markdown", "doc_update_policy": "update", "content": "x"}, http.StatusUnprocessableEntity, ""},
		{"revision without update", "/update", map[string]any{"path": "/Plan.paper", "import_format": "markdown", "doc_update_policy": "overwrite", "paper_revision": 1, "content": "x"}, http.StatusUnprocessableEntity, ""},
		{"update of nothing", "/update", map[string]any{"path": "/Nothing.paper", "import_format": "markdown", "doc_update_policy": "overwrite", "content": "x"}, http.StatusNotFound, "path/not_found"},
	} {
		wantProblem(t, tc.what, s.do(s.key, http.MethodPost, base+tc.path, tc.body), tc.status, tc.tag)
	}
	wantProblem(t, "export of nothing", s.do(s.key, http.MethodGet, base+"/export?path=%2FNothing.paper", nil), http.StatusNotFound, "path/not_found")
	var p page
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/files", nil, &p)
	if len(p.Data) != 0 {
		t.Errorf("bad requests wrote %v", names(p.Data))
	}

	// Another environment's key sees no such connection.
	_, other := s.newEnvironment("other")
	r := s.do(other, http.MethodPost, base, map[string]any{"path": "/X.paper", "import_format": "markdown", "content": "x"})
	wantProblem(t, "another environment's key", r, http.StatusNotFound, "")
}
