package dropboxemu_test

import (
	"io"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"
)

func featFormat(f string) *files.ImportFormat {
	return &files.ImportFormat{Tagged: dropbox.Tagged{Tag: f}}
}

// featPaper creates a Paper doc and fails the test on error.
func featPaper(t *testing.T, fc files.ContextClient, path, format, doc string) *files.PaperCreateResult {
	t.Helper()
	res, err := fc.PaperCreateContext(t.Context(), files.NewPaperCreateArg(path, featFormat(format)), strings.NewReader(doc))
	if err != nil {
		t.Fatalf("paper/create %s: %v", path, err)
	}
	return res
}

// featUpdate updates a Paper doc.
func featUpdate(t *testing.T, fc files.ContextClient, path, policy string, rev int64, doc string) (*files.PaperUpdateResult, error) {
	t.Helper()
	arg := files.NewPaperUpdateArg(path, featFormat(files.ImportFormatMarkdown),
		&files.PaperDocUpdatePolicy{Tagged: dropbox.Tagged{Tag: policy}})
	arg.PaperRevision = rev
	return fc.PaperUpdateContext(t.Context(), arg, strings.NewReader(doc))
}

// featExport exports path in format ("" for the default).
func featExport(t *testing.T, fc files.ContextClient, path, format string) (*files.ExportResult, string, error) {
	t.Helper()
	arg := files.NewExportArg(path)
	arg.ExportFormat = format
	res, rc, err := fc.ExportContext(t.Context(), arg)
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b), nil
}

func TestPaperCreateAndExport(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	doc := "# Plan\r\n\r\nHello **world**, see [the site](https://example.com).\r\n\r\n- one\r\n- two\r\n"
	res := featPaper(t, fc, "/Paper Docs/Plan.paper", files.ImportFormatMarkdown, doc)
	if res.ResultPath != "/Paper Docs/Plan.paper" || !strings.HasPrefix(res.FileId, "id:") || res.PaperRevision != 1 || res.Url == "" {
		t.Errorf("create = %+v", res)
	}
	// A .paper file in the tree: not downloadable, exportable.
	m, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg(res.FileId))
	if err != nil {
		t.Fatal(err)
	}
	fm := m.(*files.FileMetadata)
	if fm.IsDownloadable || fm.ExportInfo == nil || fm.ExportInfo.ExportAs != "markdown" || fm.PathDisplay != res.ResultPath {
		t.Errorf("metadata = %+v", fm)
	}

	exp, body, err := featExport(t, fc, "/paper docs/plan.PAPER", "")
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	want := "# Plan\n\nHello **world**, see [the site](https://example.com).\n\n- one\n- two\n"
	if body != want {
		t.Errorf("markdown export = %q, want %q", body, want)
	}
	if em := exp.ExportMetadata; em.Name != "Plan.md" || em.Size != uint64(len(body)) || em.PaperRevision != 1 || len(em.ExportHash) != 64 {
		t.Errorf("export_metadata = %+v", em)
	}
	if exp.FileMetadata == nil || exp.FileMetadata.Id != res.FileId {
		t.Errorf("file_metadata = %+v", exp.FileMetadata)
	}
	exp, body, err = featExport(t, fc, res.FileId, "html")
	if err != nil {
		t.Fatalf("export html: %v", err)
	}
	for _, frag := range []string{"<title>Plan</title>", "<h1>Plan</h1>", "<strong>world</strong>",
		`<a href="https://example.com">the site</a>`, "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"} {
		if !strings.Contains(body, frag) {
			t.Errorf("html export lacks %q:\n%s", frag, body)
		}
	}
	if exp.ExportMetadata.Name != "Plan.html" {
		t.Errorf("html export name = %q", exp.ExportMetadata.Name)
	}

	// Creating at a taken path numbers the new document.
	again := featPaper(t, fc, "/paper docs/plan.paper", files.ImportFormatPlainText, "x")
	if again.ResultPath != "/Paper Docs/Plan (1).paper" || again.FileId == res.FileId {
		t.Errorf("second create = %+v", again)
	}
	// Download refuses Paper documents.
	_, _, err = fc.DownloadContext(t.Context(), files.NewDownloadArg(res.ResultPath))
	if e := coreAPIErr[files.DownloadAPIError](t, err).EndpointError; e.Tag != files.DownloadErrorUnsupportedFile {
		t.Errorf("download: %+v", e)
	}
}

func TestPaperImportFormats(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	for _, tc := range []struct{ format, in, want string }{
		{files.ImportFormatPlainText, "Line *one*\n\n# not a heading\n1. not a list\n", "Line \\*one\\*\n\n\\# not a heading\n\n1\\. not a list\n"},
		{files.ImportFormatHtml, `<!DOCTYPE html><html><head><title>t</title><style>p{}</style></head><body>
<h2>Title &amp; more</h2><p>Some <b>bold</b> and <em>soft</em> text<br>next line</p>
<ul><li>a</li><li>b</li></ul><ol><li>x</li></ol><pre><code>a &lt; b</code></pre>
<p><a href="https://x.example/">link</a> <img src="pic.png" alt="pic"></p></body></html>`,
			"## Title & more\n\nSome **bold** and *soft* text  \nnext line\n\n- a\n- b\n\n1. x\n\n```\na < b\n```\n\n[link](https://x.example/) ![pic](pic.png)\n"},
	} {
		res := featPaper(t, fc, "/"+tc.format+".paper", tc.format, tc.in)
		_, body, err := featExport(t, fc, res.FileId, "markdown")
		if err != nil {
			t.Fatalf("%s export: %v", tc.format, err)
		}
		if diff := cmp.Diff(tc.want, body); diff != "" {
			t.Errorf("%s import (-want +got):\n%s", tc.format, diff)
		}
	}
}

func TestPaperUpdatePolicies(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	res := featPaper(t, fc, "/Doc.paper", files.ImportFormatMarkdown, "middle\n")
	step := func(policy string, rev int64, doc string, wantRev int64, wantBody string) {
		t.Helper()
		up, err := featUpdate(t, fc, "/doc.paper", policy, rev, doc)
		if err != nil {
			t.Fatalf("%s: %v", policy, err)
		}
		if up.PaperRevision != wantRev {
			t.Errorf("%s: paper_revision %d, want %d", policy, up.PaperRevision, wantRev)
		}
		exp, body, err := featExport(t, fc, "/Doc.paper", "")
		if err != nil {
			t.Fatal(err)
		}
		if body != wantBody || exp.ExportMetadata.PaperRevision != wantRev {
			t.Errorf("%s: export %q rev %d, want %q rev %d", policy, body, exp.ExportMetadata.PaperRevision, wantBody, wantRev)
		}
	}
	step(files.PaperDocUpdatePolicyAppend, 0, "end", 2, "middle\n\nend\n")
	step(files.PaperDocUpdatePolicyPrepend, 0, "start\n", 3, "start\n\nmiddle\n\nend\n")
	step(files.PaperDocUpdatePolicyUpdate, 3, "fresh", 4, "fresh\n")
	step(files.PaperDocUpdatePolicyOverwrite, 0, "# Over", 5, "# Over\n")

	_, err := featUpdate(t, fc, res.FileId, files.PaperDocUpdatePolicyUpdate, 4, "stale")
	if e := coreAPIErr[files.PaperUpdateAPIError](t, err).EndpointError; e.Tag != files.PaperUpdateErrorRevisionMismatch {
		t.Errorf("stale revision: %+v", e)
	}
	_, err = featUpdate(t, fc, res.FileId, files.PaperDocUpdatePolicyUpdate, 0, "none")
	if e := coreAPIErr[files.PaperUpdateAPIError](t, err).EndpointError; e.Tag != files.PaperUpdateErrorRevisionMismatch {
		t.Errorf("no revision: %+v", e)
	}
	// The file's revisions are the doc's revisions.
	_, revs := featRevs(t, fc, files.NewListRevisionsArg("/Doc.paper"))
	if len(revs) != 5 {
		t.Errorf("file revisions = %d, want 5", len(revs))
	}
}

func TestPaperErrors(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	coreOverwrite(t, fc, "/plain.txt", []byte("x"))
	coreMkdir(t, fc, "/folder.paper")

	createErr := func(path, format, doc string) *files.PaperCreateError {
		t.Helper()
		_, err := fc.PaperCreateContext(t.Context(), files.NewPaperCreateArg(path, featFormat(format)), strings.NewReader(doc))
		return coreAPIErr[files.PaperCreateAPIError](t, err).EndpointError
	}
	for _, tc := range []struct{ path, format, doc, want string }{
		{"/notes.txt", files.ImportFormatMarkdown, "x", files.PaperCreateErrorInvalidFileExtension},
		{"/plain.txt/sub.paper", files.ImportFormatMarkdown, "x", files.PaperCreateErrorInvalidPath},
		{"/a.paper", files.ImportFormatHtml, "<p>unterminated <b", files.PaperCreateErrorContentMalformed},
		{"/a.paper", files.ImportFormatMarkdown, "bad \xff utf-8", files.PaperCreateErrorContentMalformed},
		{"/a.paper", files.ImportFormatHtml, `<img src="data:image/png;base64,` + strings.Repeat("A", 1500000) + `">`, files.PaperCreateErrorImageSizeExceeded},
		{"/a.paper", files.ImportFormatPlainText, strings.Repeat("x", 10<<20+1), files.PaperCreateErrorDocLengthExceeded},
	} {
		if e := createErr(tc.path, tc.format, tc.doc); e.Tag != tc.want {
			t.Errorf("create %s: %s, want %s", tc.path, e.Tag, tc.want)
		}
	}
	_, err := fc.PaperCreateContext(t.Context(), files.NewPaperCreateArg("/a.paper", featFormat("other")), strings.NewReader("x"))
	featBadRequest(t, err)
	_, err = fc.PaperCreateContext(t.Context(), files.NewPaperCreateArg("a.paper", featFormat(files.ImportFormatMarkdown)), strings.NewReader("x"))
	featBadRequest(t, err)
	if res, err := fc.ListFolderContext(t.Context(), files.NewListFolderArg("")); err != nil || len(res.Entries) != 2 {
		t.Errorf("failed creates left something: %v %v", res, err)
	}

	updateErr := func(path string) string {
		t.Helper()
		_, err := featUpdate(t, fc, path, files.PaperDocUpdatePolicyOverwrite, 0, "x")
		e := coreAPIErr[files.PaperUpdateAPIError](t, err).EndpointError
		if e.Path != nil {
			return e.Tag + "/" + e.Path.Tag
		}
		return e.Tag
	}
	doc := featPaper(t, fc, "/gone.paper", files.ImportFormatMarkdown, "bye")
	featDelete(t, fc, "/gone.paper")
	for path, want := range map[string]string{
		"/missing.paper": "path/not_found",
		"/folder.paper":  "path/not_file",
		"/plain.txt":     "path/unsupported_content_type",
		"/gone.paper":    files.PaperUpdateErrorDocDeleted,
		doc.FileId:       files.PaperUpdateErrorDocDeleted,
	} {
		if got := updateErr(path); got != want {
			t.Errorf("update %s: %s, want %s", path, got, want)
		}
	}

	exportErr := func(path, format string) *files.ExportError {
		t.Helper()
		_, _, err := featExport(t, fc, path, format)
		return coreAPIErr[files.ExportAPIError](t, err).EndpointError
	}
	featPaper(t, fc, "/ok.paper", files.ImportFormatMarkdown, "ok")
	if e := exportErr("/plain.txt", ""); e.Tag != files.ExportErrorNonExportable {
		t.Errorf("export of a plain file: %+v", e)
	}
	if e := exportErr("/ok.paper", "pdf"); e.Tag != files.ExportErrorInvalidExportFormat {
		t.Errorf("export as pdf: %+v", e)
	}
	if e := exportErr("/missing.paper", ""); e.Tag != files.ExportErrorPath || e.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("export of a missing file: %+v", e)
	}
	if e := exportErr("/folder.paper", ""); e.Tag != files.ExportErrorPath || e.Path.Tag != files.LookupErrorNotFile {
		t.Errorf("export of a folder: %+v", e)
	}
}
