package dropboxemu_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// Helpers of the core file route tests (files/upload, list_folder, download,
// upload sessions, temporary links), all named core*.

// coreSetup starts an emulator with a pro account and returns a files client
// of Dropbox's Go SDK pointed at it.
func coreSetup(t *testing.T, opts ...dropboxtest.Option) (*dropboxtest.Emulator, dropboxtest.Account, files.ContextClient) {
	t.Helper()
	emu, acct, cfg := newSDKAccount(t, opts...)
	return emu, acct, files.NewContext(cfg)
}

// corePut uploads data to path in add mode and fails the test on error.
func corePut(t *testing.T, fc files.ContextClient, path string, data []byte) *files.FileMetadata {
	t.Helper()
	m, err := fc.UploadContext(t.Context(), files.NewUploadArg(path), bytes.NewReader(data))
	if err != nil {
		t.Fatalf("upload %s: %v", path, err)
	}
	return m
}

// coreMkdir creates a folder and fails the test on error.
func coreMkdir(t *testing.T, fc files.ContextClient, path string) *files.FolderMetadata {
	t.Helper()
	res, err := fc.CreateFolderV2Context(t.Context(), files.NewCreateFolderArg(path))
	if err != nil {
		t.Fatalf("create_folder_v2 %s: %v", path, err)
	}
	return res.Metadata
}

// coreSummary renders a Metadata entry as "<tag> <path_display>".
func coreSummary(m files.IsMetadata) string {
	switch m := m.(type) {
	case *files.FileMetadata:
		return "file " + m.PathDisplay
	case *files.FolderMetadata:
		return "folder " + m.PathDisplay
	case *files.DeletedMetadata:
		return "deleted " + m.PathDisplay
	}
	return "?"
}

func coreSummaries(ms []files.IsMetadata) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, coreSummary(m))
	}
	return out
}

// coreList lists arg to the end (following has_more) and returns the
// entries and the last cursor.
func coreList(t *testing.T, fc files.ContextClient, arg *files.ListFolderArg) ([]files.IsMetadata, string) {
	t.Helper()
	res, err := fc.ListFolderContext(t.Context(), arg)
	if err != nil {
		t.Fatalf("list_folder %q: %v", arg.Path, err)
	}
	entries := res.Entries
	if res.HasMore {
		more, cur := coreContinue(t, fc, res.Cursor)
		return append(entries, more...), cur
	}
	return entries, res.Cursor
}

// coreContinue calls list_folder/continue until has_more is false.
func coreContinue(t *testing.T, fc files.ContextClient, cursor string) ([]files.IsMetadata, string) {
	t.Helper()
	var entries []files.IsMetadata
	for range 10000 {
		res, err := fc.ListFolderContinueContext(t.Context(), files.NewListFolderContinueArg(cursor))
		if err != nil {
			t.Fatalf("list_folder/continue: %v", err)
		}
		entries = append(entries, res.Entries...)
		cursor = res.Cursor
		if !res.HasMore {
			return entries, cursor
		}
	}
	t.Fatal("list_folder/continue never ends")
	return nil, ""
}

// coreAPIErr asserts that err is (or wraps) an SDK error of type T.
func coreAPIErr[T any](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %T %v, want %T", err, err, target)
	}
	return target
}

// coreBadRequest asserts a 400 whose text contains want.
func coreBadRequest(t *testing.T, err error, want string) {
	t.Helper()
	br := coreAPIErr[auth.BadRequest](t, err)
	if !strings.Contains(br.ErrorSummary, want) {
		t.Errorf("400 text = %q, want it to contain %q", br.ErrorSummary, want)
	}
}

// coreErrorBody decodes a JSON error answer of a raw call into its "error" member.
func coreErrorBody(t *testing.T, r rawResult, status int) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
	var body struct {
		Summary string         `json:"error_summary"`
		Error   map[string]any `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Error == nil || body.Summary == "" {
		t.Fatalf("error answer is not {error_summary, error}: %s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	return body.Error
}

// coreJSON parses s as JSON, for expected values in comparisons.
func coreJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad expected JSON %s: %v", s, err)
	}
	return m
}

func TestFilesPathsCaseInsensitive(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	first := corePut(t, fc, "/Docs/Report.TXT", []byte("v1"))
	if first.PathDisplay != "/Docs/Report.TXT" || first.PathLower != "/docs/report.txt" || first.Name != "Report.TXT" {
		t.Fatalf("upload = %q %q %q", first.PathDisplay, first.PathLower, first.Name)
	}
	// A new file below an existing folder keeps the folder's stored casing,
	// a new folder on the way takes the casing given.
	child := corePut(t, fc, "/DOCS/New/child.txt", []byte("c"))
	if child.PathDisplay != "/Docs/New/child.txt" || child.PathLower != "/docs/new/child.txt" {
		t.Errorf("child = %q %q, want /Docs/New/child.txt", child.PathDisplay, child.PathLower)
	}
	// Lookups ignore case and answer with the stored casing.
	for _, p := range []string{"/docs/report.txt", "/DOCS/REPORT.TXT", "/dOcS/rEpOrT.tXt"} {
		m, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg(p))
		if err != nil {
			t.Fatalf("get_metadata %s: %v", p, err)
		}
		f, ok := m.(*files.FileMetadata)
		if !ok || f.PathDisplay != "/Docs/Report.TXT" || f.Id != first.Id {
			t.Errorf("get_metadata %s = %+v", p, m)
		}
	}
	// An overwrite through another casing keeps the stored casing and the id.
	arg := files.NewUploadArg("/docs/REPORT.txt")
	arg.Mode = &files.WriteMode{Tagged: dropbox.Tagged{Tag: files.WriteModeOverwrite}}
	over, err := fc.UploadContext(t.Context(), arg, strings.NewReader("v2"))
	if err != nil {
		t.Fatal(err)
	}
	if over.PathDisplay != "/Docs/Report.TXT" || over.Id != first.Id || over.Rev == first.Rev {
		t.Errorf("overwrite = %q id %s rev %s, want stored casing, same id, new rev", over.PathDisplay, over.Id, over.Rev)
	}
	// A case-only variant is the same file for add: identical content is no conflict.
	same, err := fc.UploadContext(t.Context(), files.NewUploadArg("/DOCS/report.TXT"), strings.NewReader("v2"))
	if err != nil || same.Rev != over.Rev {
		t.Errorf("add of identical content under another casing = %v, %v; want the existing file", same, err)
	}
	entries, _ := coreList(t, fc, files.NewListFolderArg("/DOCS"))
	want := []string{"folder /Docs/New", "file /Docs/Report.TXT"}
	if diff := cmp.Diff(want, coreSummaries(entries)); diff != "" {
		t.Errorf("list /DOCS (-want +got):\n%s", diff)
	}
}

func TestFilesIDPaths(t *testing.T) {
	t.Parallel()
	_, acct, fc := coreSetup(t)
	acctNS := acct.RootNS
	folder := coreMkdir(t, fc, "/Projects")
	file := corePut(t, fc, "/Projects/Plan.md", []byte("plan"))

	check := func(path, wantDisplay string) {
		t.Helper()
		m, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg(path))
		if err != nil {
			t.Fatalf("get_metadata %s: %v", path, err)
		}
		if got := coreSummary(m); !strings.HasSuffix(got, " "+wantDisplay) {
			t.Errorf("get_metadata %s = %s, want %s", path, got, wantDisplay)
		}
	}
	check(folder.Id, "/Projects")
	check(file.Id, "/Projects/Plan.md")
	check(folder.Id+"/plan.MD", "/Projects/Plan.md")

	// Writes below an id land in that folder.
	up := corePut(t, fc, folder.Id+"/Sub/new.txt", []byte("n"))
	if up.PathDisplay != "/Projects/Sub/new.txt" {
		t.Errorf("upload below id = %s", up.PathDisplay)
	}
	// Downloads by id.
	_, rc, err := fc.DownloadContext(t.Context(), files.NewDownloadArg(file.Id))
	if err != nil {
		t.Fatalf("download by id: %v", err)
	}
	rc.Close()

	lookup := func(path string) string {
		t.Helper()
		_, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg(path))
		e := coreAPIErr[files.GetMetadataAPIError](t, err)
		return e.EndpointError.Path.Tag
	}
	if got := lookup(file.Id + "/x"); got != files.LookupErrorNotFolder {
		t.Errorf("id of a file used as a folder: %s, want not_folder", got)
	}
	if got := lookup("id:doesnotexist"); got != files.LookupErrorNotFound {
		t.Errorf("unknown id: %s, want not_found", got)
	}
	if got := lookup("id:"); got != files.LookupErrorMalformedPath {
		t.Errorf("empty id: %s, want malformed_path", got)
	}
	if got := lookup(folder.Id + "/"); got != files.LookupErrorMalformedPath {
		t.Errorf("id with a trailing slash: %s, want malformed_path", got)
	}
	// ns:<namespace id> paths name the account's root namespace.
	ns := "ns:" + acctNS
	check(ns+"/projects/plan.md", "/Projects/Plan.md")
	entries, _ := coreList(t, fc, files.NewListFolderArg(ns))
	if diff := cmp.Diff([]string{"folder /Projects"}, coreSummaries(entries)); diff != "" {
		t.Errorf("list_folder %s (-want +got):\n%s", ns, diff)
	}
	if up := corePut(t, fc, ns+"/projects/ns.txt", []byte("n")); up.PathDisplay != "/Projects/ns.txt" {
		t.Errorf("upload to %s/projects/ns.txt = %s", ns, up.PathDisplay)
	}
	if got := lookup("ns:999999/x"); got != files.LookupErrorNotFound {
		t.Errorf("unknown namespace: %s, want not_found", got)
	}
	// An id stays with the file: after delete it no longer resolves.
	if _, err := fc.DeleteV2Context(t.Context(), files.NewDeleteArg(file.Id)); err != nil {
		t.Fatalf("delete by id: %v", err)
	}
	if got := lookup(file.Id); got != files.LookupErrorNotFound {
		t.Errorf("deleted id: %s, want not_found", got)
	}
}

func TestFilesMalformedPaths(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	corePut(t, fc, "/a/file.txt", []byte("x"))
	type tc struct {
		route, style, path string
		status             int
		text               string // 400: part of the message
		err                string // 409: the error, as JSON
	}
	const malformed = `{".tag": "malformed_path"}`
	cases := []tc{
		{route: "files/get_metadata", path: "", status: 400, text: `path: The root folder is unsupported.`},
		{route: "files/get_metadata", path: "/", status: 400, text: `Specify the root folder as an empty string rather than as "/".`},
		{route: "files/list_folder", path: "/", status: 400, text: `Specify the root folder as an empty string rather than as "/".`},
		{route: "files/get_metadata", path: "relative/path", status: 400, text: `did not match pattern`},
		{route: "files/get_metadata", path: "rev:12ab", status: 400, text: `did not match pattern`},
		{route: "files/get_metadata", path: "/a//file.txt", status: 409, err: `{".tag":"path","path":` + malformed + `}`},
		{route: "files/get_metadata", path: "/a/file.txt/", status: 409, err: `{".tag":"path","path":` + malformed + `}`},
		{route: "files/get_metadata", path: "/a/../file.txt", status: 409, err: `{".tag":"path","path":` + malformed + `}`},
		{route: "files/list_folder", path: "/a//", status: 409, err: `{".tag":"path","path":` + malformed + `}`},
		{route: "files/create_folder_v2", path: "", status: 400, text: `The root folder is unsupported.`},
		{route: "files/create_folder_v2", path: "/x/", status: 409, err: `{".tag":"path","path":` + malformed + `}`},
		{route: "files/delete_v2", path: "/a//file.txt", status: 409, err: `{".tag":"path_lookup","path_lookup":` + malformed + `}`},
		{route: "files/download", style: "download", path: "/a//file.txt", status: 409, err: `{".tag":"path","path":` + malformed + `}`},
		{route: "files/download", style: "download", path: "nope", status: 400, text: `HTTP header "Dropbox-API-Arg": path: 'nope' did not match pattern`},
		{route: "files/upload", style: "upload", path: "", status: 400, text: `HTTP header "Dropbox-API-Arg": path: The root folder is unsupported.`},
	}
	for _, c := range cases {
		r := do(t, emu, rawCall{Route: c.route, Token: acct.AccessToken, Style: c.style, Arg: map[string]any{"path": c.path}})
		if r.Status != c.status {
			t.Errorf("%s %q: status %d, want %d: %s", c.route, c.path, r.Status, c.status, r.Body)
			continue
		}
		if c.status == 400 {
			if !strings.Contains(string(r.Body), c.text) || !strings.HasPrefix(string(r.Body), `Error in call to API function "`+c.route+`"`) {
				t.Errorf("%s %q: 400 text %q, want it to contain %q", c.route, c.path, r.Body, c.text)
			}
			continue
		}
		// Dropbox leaves the optional malformed_path string out.
		got := coreErrorBody(t, r, c.status)
		if diff := cmp.Diff(coreJSON(t, c.err), got); diff != "" {
			t.Errorf("%s %q error (-want +got):\n%s", c.route, c.path, diff)
		}
	}
	// An upload to a malformed path reads the body, then fails with
	// UploadWriteFailed, whose session keeps the bytes.
	r := do(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload",
		Arg: map[string]any{"path": "/a//b.txt"}, Body: []byte("bytes")})
	got := coreErrorBody(t, r, http.StatusConflict)
	if got[".tag"] != "path" || got["reason"].(map[string]any)[".tag"] != "malformed_path" ||
		!strings.HasPrefix(got["upload_session_id"].(string), "pid_upload_session:") {
		t.Errorf("upload to a malformed path: %s", r.Body)
	}
	// Nothing was written anywhere.
	entries, _ := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true, IncludeDeleted: true})
	if diff := cmp.Diff([]string{"folder /a", "file /a/file.txt"}, coreSummaries(entries)); diff != "" {
		t.Errorf("tree after bad input (-want +got):\n%s", diff)
	}
}

func TestFilesCreateFolderAndDelete(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	// Raw shape: CreateFolderResult.metadata is a FolderMetadata struct, no ".tag".
	r := do(t, emu, rawCall{Route: "files/create_folder_v2", Token: acct.AccessToken, Arg: map[string]any{"path": "/Work/Q1"}})
	if r.Status != http.StatusOK {
		t.Fatalf("create_folder_v2: %d %s", r.Status, r.Body)
	}
	var created struct {
		Metadata map[string]any `json:"metadata"`
	}
	json.Unmarshal(r.Body, &created)
	if _, tagged := created.Metadata[".tag"]; tagged || created.Metadata["path_display"] != "/Work/Q1" ||
		created.Metadata["name"] != "Q1" || !strings.HasPrefix(created.Metadata["id"].(string), "id:") {
		t.Errorf("create_folder_v2 = %s", r.Body)
	}
	// The parent was created on the way.
	if m, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/work")); err != nil {
		t.Errorf("implicit parent: %v", err)
	} else if _, ok := m.(*files.FolderMetadata); !ok {
		t.Errorf("implicit parent = %T", m)
	}

	// Conflicts, and autorename.
	_, err := fc.CreateFolderV2Context(t.Context(), files.NewCreateFolderArg("/work/q1"))
	if e := coreAPIErr[files.CreateFolderV2APIError](t, err); e.EndpointError.Path.Tag != files.WriteErrorConflict ||
		e.EndpointError.Path.Conflict.Tag != files.WriteConflictErrorFolder {
		t.Errorf("existing folder: %v", err)
	}
	corePut(t, fc, "/Work/notes.txt", []byte("n"))
	_, err = fc.CreateFolderV2Context(t.Context(), files.NewCreateFolderArg("/Work/notes.txt"))
	if e := coreAPIErr[files.CreateFolderV2APIError](t, err); e.EndpointError.Path.Conflict.Tag != files.WriteConflictErrorFile {
		t.Errorf("existing file: %v", err)
	}
	_, err = fc.CreateFolderV2Context(t.Context(), files.NewCreateFolderArg("/Work/notes.txt/sub"))
	if e := coreAPIErr[files.CreateFolderV2APIError](t, err); e.EndpointError.Path.Conflict.Tag != files.WriteConflictErrorFileAncestor {
		t.Errorf("file ancestor: %v", err)
	}
	arg := files.NewCreateFolderArg("/Work/Q1")
	arg.Autorename = true
	renamed, err := fc.CreateFolderV2Context(t.Context(), arg)
	if err != nil || renamed.Metadata.PathDisplay != "/Work/Q1 (1)" {
		t.Errorf("autorename = %v, %v; want /Work/Q1 (1)", renamed, err)
	}

	// delete_v2: DeleteResult.metadata is the Metadata union (with ".tag").
	r = do(t, emu, rawCall{Route: "files/delete_v2", Token: acct.AccessToken, Arg: map[string]any{"path": "/work"}})
	if r.Status != http.StatusOK {
		t.Fatalf("delete_v2: %d %s", r.Status, r.Body)
	}
	var deleted struct {
		Metadata map[string]any `json:"metadata"`
	}
	json.Unmarshal(r.Body, &deleted)
	if deleted.Metadata[".tag"] != "folder" || deleted.Metadata["path_display"] != "/Work" {
		t.Errorf("delete_v2 = %s", r.Body)
	}
	for _, p := range []string{"/Work", "/Work/Q1", "/Work/notes.txt"} {
		_, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg(p))
		if e := coreAPIErr[files.GetMetadataAPIError](t, err); e.EndpointError.Path.Tag != files.LookupErrorNotFound {
			t.Errorf("%s after delete: %v", p, err)
		}
		ga := files.NewGetMetadataArg(p)
		ga.IncludeDeleted = true
		m, err := fc.GetMetadataContext(t.Context(), ga)
		if d, ok := m.(*files.DeletedMetadata); err != nil || !ok || d.PathDisplay != p {
			t.Errorf("%s with include_deleted = %v, %v", p, m, err)
		}
	}
	_, err = fc.DeleteV2Context(t.Context(), files.NewDeleteArg("/work"))
	if e := coreAPIErr[files.DeleteV2APIError](t, err); e.EndpointError.Tag != files.DeleteErrorPathLookup ||
		e.EndpointError.PathLookup.Tag != files.LookupErrorNotFound {
		t.Errorf("delete of a missing path: %v", err)
	}

	// parent_rev: a conditional delete.
	f := corePut(t, fc, "/c.txt", []byte("1"))
	da := files.NewDeleteArg("/c.txt")
	da.ParentRev = "0123456789abcdef"
	_, err = fc.DeleteV2Context(t.Context(), da)
	if e := coreAPIErr[files.DeleteV2APIError](t, err); e.EndpointError.Tag != files.DeleteErrorPathWrite ||
		e.EndpointError.PathWrite.Conflict.Tag != files.WriteConflictErrorFile {
		t.Errorf("delete with a stale parent_rev: %v", err)
	}
	da.ParentRev = f.Rev
	if _, err := fc.DeleteV2Context(t.Context(), da); err != nil {
		t.Errorf("delete with the current parent_rev: %v", err)
	}
	da.ParentRev = "xyz"
	_, err = fc.DeleteV2Context(t.Context(), da)
	coreBadRequest(t, err, "parent_rev")
}

func TestFilesGetMetadataRevAndFlags(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	v1 := corePut(t, fc, "/r.txt", []byte("one"))
	arg := files.NewUploadArg("/r.txt")
	arg.Mode = &files.WriteMode{Tagged: dropbox.Tagged{Tag: files.WriteModeOverwrite}}
	v2, err := fc.UploadContext(t.Context(), arg, strings.NewReader("two"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg("rev:"+v1.Rev))
	if f, ok := m.(*files.FileMetadata); err != nil || !ok || f.Rev != v1.Rev || f.Size != 3 || f.ContentHash != v1.ContentHash {
		t.Errorf("get_metadata rev:%s = %+v, %v", v1.Rev, m, err)
	}
	_, err = fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg("rev:0000000000000"))
	if e := coreAPIErr[files.GetMetadataAPIError](t, err); e.EndpointError.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("unknown rev: %v", err)
	}
	// include_has_explicit_shared_members adds the flag to files only.
	r := do(t, emu, rawCall{Route: "files/get_metadata", Token: acct.AccessToken,
		Arg: map[string]any{"path": "/r.txt", "include_has_explicit_shared_members": true}})
	got := r.json(t)
	if got[".tag"] != "file" || got["has_explicit_shared_members"] != false || got["rev"] != v2.Rev {
		t.Errorf("get_metadata with include_has_explicit_shared_members = %s", r.Body)
	}
	r = do(t, emu, rawCall{Route: "files/get_metadata", Token: acct.AccessToken, Arg: map[string]any{"path": "/r.txt"}})
	if _, ok := r.json(t)["has_explicit_shared_members"]; ok {
		t.Errorf("has_explicit_shared_members present without the flag: %s", r.Body)
	}
	// Unknown arguments are refused: the arg structs declare only the spec's fields.
	r = do(t, emu, rawCall{Route: "files/get_metadata", Token: acct.AccessToken, Arg: map[string]any{"path": "/r.txt", "bogus": 1}})
	if r.Status != 400 || !strings.Contains(string(r.Body), "unknown field") {
		t.Errorf("unknown field: %d %s", r.Status, r.Body)
	}
}
