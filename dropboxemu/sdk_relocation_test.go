package dropboxemu_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// relUpload uploads data to path (mode add) and returns its metadata.
func relUpload(t *testing.T, fc files.Client, path, data string) *files.FileMetadata {
	t.Helper()
	m, err := fc.Upload(files.NewUploadArg(path), strings.NewReader(data))
	if err != nil {
		t.Fatalf("upload %s: %v", path, err)
	}
	return m
}

// relFolder creates a folder and returns its metadata.
func relFolder(t *testing.T, fc files.Client, path string) *files.FolderMetadata {
	t.Helper()
	res, err := fc.CreateFolderV2(files.NewCreateFolderArg(path))
	if err != nil {
		t.Fatalf("create_folder %s: %v", path, err)
	}
	return res.Metadata
}

// relDownload returns the content of path.
func relDownload(t *testing.T, fc files.Client, path string) string {
	t.Helper()
	_, rc, err := fc.Download(files.NewDownloadArg(path))
	if err != nil {
		t.Fatalf("download %s: %v", path, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("download %s: %v", path, err)
	}
	return string(b)
}

// relEntry is a listing entry reduced to what the tests compare.
type relEntry struct {
	Tag, Path, ID string
}

func relEntries(ms []files.IsMetadata) []relEntry {
	out := []relEntry{}
	for _, m := range ms {
		switch m := m.(type) {
		case *files.FileMetadata:
			out = append(out, relEntry{"file", m.PathDisplay, m.Id})
		case *files.FolderMetadata:
			out = append(out, relEntry{"folder", m.PathDisplay, m.Id})
		case *files.DeletedMetadata:
			out = append(out, relEntry{"deleted", m.PathLower, ""})
		}
	}
	return out
}

// relCursor returns a recursive cursor for the whole Dropbox as of now.
func relCursor(t *testing.T, fc files.Client) string {
	t.Helper()
	arg := files.NewListFolderArg("")
	arg.Recursive = true
	res, err := fc.ListFolderGetLatestCursor(arg)
	if err != nil {
		t.Fatalf("get_latest_cursor: %v", err)
	}
	return res.Cursor
}

// relContinue returns every change since cursor.
func relContinue(t *testing.T, fc files.Client, cursor string) []relEntry {
	t.Helper()
	var all []files.IsMetadata
	for {
		res, err := fc.ListFolderContinue(files.NewListFolderContinueArg(cursor))
		if err != nil {
			t.Fatalf("list_folder/continue: %v", err)
		}
		all = append(all, res.Entries...)
		cursor = res.Cursor
		if !res.HasMore {
			return relEntries(all)
		}
	}
}

// relList lists path recursively.
func relList(t *testing.T, fc files.Client, path string, deleted bool) []relEntry {
	t.Helper()
	arg := files.NewListFolderArg(path)
	arg.Recursive = true
	arg.IncludeDeleted = deleted
	res, err := fc.ListFolder(arg)
	if err != nil {
		t.Fatalf("list_folder %q: %v", path, err)
	}
	all := res.Entries
	for res.HasMore {
		if res, err = fc.ListFolderContinue(files.NewListFolderContinueArg(res.Cursor)); err != nil {
			t.Fatalf("list_folder/continue: %v", err)
		}
		all = append(all, res.Entries...)
	}
	return relEntries(all)
}

// relErr extracts the RelocationError of a copy or move call.
func relErr(t *testing.T, err error) *files.RelocationError {
	t.Helper()
	var c2 files.CopyV2APIError
	var m2 files.MoveV2APIError
	var c1 files.CopyAPIError
	var m1 files.MoveAPIError
	switch {
	case err == nil:
		t.Fatal("call succeeded, want a RelocationError")
	case errors.As(err, &c2):
		return c2.EndpointError
	case errors.As(err, &m2):
		return m2.EndpointError
	case errors.As(err, &c1):
		return c1.EndpointError
	case errors.As(err, &m1):
		return m1.EndpointError
	}
	t.Fatalf("error %T %v is not a RelocationError", err, err)
	return nil
}

// relTags is the tag path of a RelocationError, read from its structure.
func relTags(e *files.RelocationError) string {
	if e == nil {
		return "<nil>"
	}
	tags := []string{e.Tag}
	switch {
	case e.FromLookup != nil:
		tags = append(tags, e.FromLookup.Tag)
	case e.FromWrite != nil:
		tags = append(tags, writeTags(e.FromWrite)...)
	case e.To != nil:
		tags = append(tags, writeTags(e.To)...)
	}
	return strings.Join(tags, "/")
}

func writeTags(w *files.WriteError) []string {
	tags := []string{w.Tag}
	if w.Conflict != nil {
		tags = append(tags, w.Conflict.Tag)
	}
	return tags
}

func relArg(from, to string) *files.RelocationArg { return files.NewRelocationArg(from, to) }

func TestRelocationCopyFile(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	src := relUpload(t, fc, "/Docs/Report.txt", "quarterly numbers")

	res, err := fc.CopyV2(relArg("/docs/report.txt", "/Archive/2024/Copy.txt"))
	if err != nil {
		t.Fatalf("copy_v2: %v", err)
	}
	got, ok := res.Metadata.(*files.FileMetadata)
	if !ok {
		t.Fatalf("copy_v2 metadata is %T", res.Metadata)
	}
	if got.PathDisplay != "/Archive/2024/Copy.txt" || got.PathLower != "/archive/2024/copy.txt" || got.Name != "Copy.txt" {
		t.Errorf("copy path = %q %q %q", got.PathDisplay, got.PathLower, got.Name)
	}
	if got.Id == src.Id || got.Rev == src.Rev {
		t.Errorf("copy kept id %s / rev %s of the source", got.Id, got.Rev)
	}
	if got.ContentHash != src.ContentHash || got.Size != src.Size {
		t.Errorf("copy content %s/%d, source %s/%d", got.ContentHash, got.Size, src.ContentHash, src.Size)
	}
	if !time.Time(got.ClientModified).Equal(time.Time(src.ClientModified)) {
		t.Errorf("client_modified %v, source %v", got.ClientModified, src.ClientModified)
	}
	if b := relDownload(t, fc, "/archive/2024/copy.txt"); b != "quarterly numbers" {
		t.Errorf("copied content = %q", b)
	}
	// The source is untouched and the missing parents were created.
	if b := relDownload(t, fc, "/Docs/Report.txt"); b != "quarterly numbers" {
		t.Errorf("source content = %q", b)
	}
	if m, err := fc.GetMetadata(files.NewGetMetadataArg("/archive/2024")); err != nil {
		t.Errorf("parent folder: %v", err)
	} else if f, ok := m.(*files.FolderMetadata); !ok || f.PathDisplay != "/Archive/2024" {
		t.Errorf("parent folder = %#v", m)
	}

	// The deprecated v1 route answers the bare Metadata.
	m1, err := fc.Copy(relArg("/Docs/Report.txt", "/Docs/Report v1.txt"))
	if err != nil {
		t.Fatalf("copy (v1): %v", err)
	}
	if f, ok := m1.(*files.FileMetadata); !ok || f.PathDisplay != "/Docs/Report v1.txt" || f.Id == src.Id {
		t.Errorf("copy (v1) = %#v", m1)
	}
}

func TestRelocationMoveFileSeenByContinue(t *testing.T) {
	t.Parallel()
	emu, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	src := relUpload(t, fc, "/Inbox/Photo.jpg", "jpeg bytes")
	cursor := relCursor(t, fc)
	emu.Advance(t, time.Hour)

	res, err := fc.MoveV2(relArg("/Inbox/Photo.jpg", "/Pictures/Beach.jpg"))
	if err != nil {
		t.Fatalf("move_v2: %v", err)
	}
	got := res.Metadata.(*files.FileMetadata)
	if got.Id != src.Id {
		t.Errorf("move changed the id: %s -> %s", src.Id, got.Id)
	}
	if got.Rev == src.Rev {
		t.Errorf("move kept rev %s; Dropbox gives the moved file a new rev", got.Rev)
	}
	if got.ContentHash != src.ContentHash || got.Size != src.Size || got.PathDisplay != "/Pictures/Beach.jpg" {
		t.Errorf("moved file = %+v", got)
	}
	// As on Dropbox, a move is a new server-side write; client_modified stays.
	if !time.Time(got.ServerModified).After(time.Time(src.ServerModified)) || !time.Time(got.ClientModified).Equal(time.Time(src.ClientModified)) {
		t.Errorf("moved file times: server %v (was %v), client %v (was %v)", got.ServerModified, src.ServerModified, got.ClientModified, src.ClientModified)
	}
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("/Inbox/Photo.jpg")); err == nil {
		t.Error("the old path still exists")
	}
	if b := relDownload(t, fc, src.Id); b != "jpeg bytes" {
		t.Errorf("content by id = %q", b)
	}
	folder, err := fc.GetMetadata(files.NewGetMetadataArg("/Pictures"))
	if err != nil {
		t.Fatalf("new parent: %v", err)
	}
	want := []relEntry{
		{"deleted", "/inbox/photo.jpg", ""},
		{"folder", "/Pictures", folder.(*files.FolderMetadata).Id},
		{"file", "/Pictures/Beach.jpg", src.Id},
	}
	if diff := cmp.Diff(want, relContinue(t, fc, cursor)); diff != "" {
		t.Errorf("list_folder/continue after a move (-want +got):\n%s", diff)
	}
	// The old revision is still known: a move keeps the file's history.
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("rev:" + src.Rev)); err != nil {
		t.Errorf("old revision after the move: %v", err)
	}

	m1, err := fc.Move(relArg("/Pictures/Beach.jpg", "/Beach.jpg"))
	if err != nil {
		t.Fatalf("move (v1): %v", err)
	}
	if f, ok := m1.(*files.FileMetadata); !ok || f.Id != src.Id || f.PathDisplay != "/Beach.jpg" {
		t.Errorf("move (v1) = %#v", m1)
	}
}

func TestRelocationMoveFolderWithDescendants(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	a := relUpload(t, fc, "/Src/a.txt", "a")
	b := relUpload(t, fc, "/Src/Sub/b.txt", "b")
	empty := relFolder(t, fc, "/Src/Sub/Empty")
	before := relList(t, fc, "/Src", false)
	ids := map[string]string{} // path below /Src -> id
	for _, e := range before {
		ids[strings.TrimPrefix(e.Path, "/Src")] = e.ID
	}
	cursor := relCursor(t, fc)

	res, err := fc.MoveV2(relArg("/src", "/Dest"))
	if err != nil {
		t.Fatalf("move_v2: %v", err)
	}
	if f, ok := res.Metadata.(*files.FolderMetadata); !ok || f.PathDisplay != "/Dest" || f.Id != ids[""] {
		t.Errorf("moved folder = %#v", res.Metadata)
	}
	want := []relEntry{
		{"deleted", "/src", ""},
		{"folder", "/Dest", ids[""]},
		{"file", "/Dest/a.txt", a.Id},
		{"folder", "/Dest/Sub", ids["/Sub"]},
		{"file", "/Dest/Sub/b.txt", b.Id},
		{"folder", "/Dest/Sub/Empty", empty.Id},
	}
	if diff := cmp.Diff(want, relContinue(t, fc, cursor)); diff != "" {
		t.Errorf("list_folder/continue after a folder move (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[1:], relList(t, fc, "/dest", false)); diff != "" {
		t.Errorf("listing of the moved folder (-want +got):\n%s", diff)
	}
	if b := relDownload(t, fc, "/Dest/Sub/b.txt"); b != "b" {
		t.Errorf("moved content = %q", b)
	}
	// The old paths are deleted paths now.
	var gme files.GetMetadataAPIError
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("/Src/Sub/b.txt")); !errors.As(err, &gme) || gme.EndpointError.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("get_metadata of an old path: %v", err)
	}
	arg := files.NewGetMetadataArg("/Src/Sub/b.txt")
	arg.IncludeDeleted = true
	if m, err := fc.GetMetadata(arg); err != nil {
		t.Errorf("get_metadata include_deleted: %v", err)
	} else if _, ok := m.(*files.DeletedMetadata); !ok {
		t.Errorf("old path with include_deleted = %T", m)
	}
}

func TestRelocationCopyFolderGivesNewIDs(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	relUpload(t, fc, "/Proj/main.go", "package main")
	relUpload(t, fc, "/Proj/lib/util.go", "package lib")
	before := relList(t, fc, "/Proj", false)
	cursor := relCursor(t, fc)

	res, err := fc.CopyV2(relArg("/Proj", "/Proj Copy"))
	if err != nil {
		t.Fatalf("copy_v2: %v", err)
	}
	if f, ok := res.Metadata.(*files.FolderMetadata); !ok || f.PathDisplay != "/Proj Copy" {
		t.Fatalf("copied folder = %#v", res.Metadata)
	}
	after := relList(t, fc, "/Proj Copy", false)
	if len(after) != len(before) {
		t.Fatalf("copy has %d entries, source %d", len(after), len(before))
	}
	seen := map[string]bool{}
	for _, e := range before {
		seen[e.ID] = true
	}
	for i, e := range after {
		if seen[e.ID] {
			t.Errorf("copy entry %s reuses id %s", e.Path, e.ID)
		}
		if want := "/Proj Copy" + strings.TrimPrefix(before[i].Path, "/Proj"); e.Path != want || e.Tag != before[i].Tag {
			t.Errorf("copy entry %d = %+v, want %s %s", i, e, before[i].Tag, want)
		}
	}
	if diff := cmp.Diff(before, relList(t, fc, "/Proj", false)); diff != "" {
		t.Errorf("the source changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(after, relContinue(t, fc, cursor)); diff != "" {
		t.Errorf("list_folder/continue after a copy (-want +got):\n%s", diff)
	}
	if b := relDownload(t, fc, "/Proj Copy/lib/util.go"); b != "package lib" {
		t.Errorf("copied content = %q", b)
	}
}

func TestRelocationConflictsAndAutorename(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	a := relUpload(t, fc, "/a.txt", "A")
	relUpload(t, fc, "/b.txt", "B")
	relFolder(t, fc, "/Folder")

	_, err := fc.MoveV2(relArg("/a.txt", "/B.TXT"))
	if got := relTags(relErr(t, err)); got != "to/conflict/file" {
		t.Errorf("move onto a file: %s", got)
	}
	_, err = fc.CopyV2(relArg("/a.txt", "/folder"))
	if got := relTags(relErr(t, err)); got != "to/conflict/folder" {
		t.Errorf("copy onto a folder: %s", got)
	}
	if b := relDownload(t, fc, "/b.txt"); b != "B" {
		t.Errorf("a failed move changed the target: %q", b)
	}

	arg := relArg("/a.txt", "/b.txt")
	arg.Autorename = true
	res, err := fc.MoveV2(arg)
	if err != nil {
		t.Fatalf("move autorename: %v", err)
	}
	if f := res.Metadata.(*files.FileMetadata); f.PathDisplay != "/b (1).txt" || f.Id != a.Id {
		t.Errorf("autorenamed move = %s %s", f.PathDisplay, f.Id)
	}
	arg = relArg("/b (1).txt", "/b.txt")
	arg.Autorename = true
	res, err = fc.CopyV2(arg)
	if err != nil {
		t.Fatalf("copy autorename: %v", err)
	}
	if f := res.Metadata.(*files.FileMetadata); f.PathDisplay != "/b (2).txt" {
		t.Errorf("autorenamed copy = %s", f.PathDisplay)
	}
	arg = relArg("/Folder", "/b.txt")
	arg.Autorename = true
	res, err = fc.CopyV2(arg)
	if err != nil {
		t.Fatalf("copy folder autorename: %v", err)
	}
	if f, ok := res.Metadata.(*files.FolderMetadata); !ok || f.PathDisplay != "/b (3).txt" {
		t.Errorf("autorenamed folder copy = %#v", res.Metadata)
	}
}

func TestRelocationErrors(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	relUpload(t, fc, "/Dir/Sub/f.txt", "f")
	relUpload(t, fc, "/file.txt", "x")
	before := relList(t, fc, "", false)

	cases := []struct {
		name     string
		move     bool
		from, to string
		want     string
	}{
		{"missing source", true, "/nope.txt", "/x.txt", "from_lookup/not_found"},
		{"source below a file", false, "/file.txt/x", "/x.txt", "from_lookup/not_folder"},
		{"unknown id", true, "id:AAAAAAAAAAAAAAAAAAAAAA", "/x.txt", "from_lookup/not_found"},
		{"malformed source", true, "/Dir//Sub", "/x", "from_lookup/malformed_path"},
		{"malformed destination", false, "/file.txt", "/a/../b", "to/malformed_path"},
		{"destination below a file", true, "/Dir", "/file.txt/Dir", "to/conflict/file_ancestor"},
		{"disallowed name", false, "/file.txt", "/Dir/desktop.ini", "to/disallowed_name"},
		{"move into itself", true, "/Dir", "/dir/sub/Dir", "cant_move_folder_into_itself"},
		{"copy into itself", false, "/Dir", "/Dir/Sub/Copy", "duplicated_or_nested_paths"},
		{"move onto itself", true, "/file.txt", "/file.txt", "duplicated_or_nested_paths"},
		{"folder onto itself", true, "/Dir", "/Dir", "duplicated_or_nested_paths"},
		{"copy onto itself in other case", false, "/file.txt", "/FILE.txt", "duplicated_or_nested_paths"},
		{"parent folder onto child", true, "/Dir/Sub", "/Dir", "to/conflict/folder"},
	}
	for _, tc := range cases {
		var err error
		if tc.move {
			_, err = fc.MoveV2(relArg(tc.from, tc.to))
		} else {
			_, err = fc.CopyV2(relArg(tc.from, tc.to))
		}
		if got := relTags(relErr(t, err)); got != tc.want {
			t.Errorf("%s: error %s, want %s", tc.name, got, tc.want)
		}
	}
	if diff := cmp.Diff(before, relList(t, fc, "", false)); diff != "" {
		t.Errorf("failed relocations changed the tree (-before +after):\n%s", diff)
	}

	// Paths that do not match the spec pattern, and unknown fields, are 400s.
	for _, arg := range []map[string]any{
		{"from_path": "file.txt", "to_path": "/x"},
		{"from_path": "/file.txt", "to_path": ""},
		{"from_path": "/file.txt"},
		{"from_path": "/file.txt", "to_path": "/y", "recursive": true},
	} {
		r := do(t, emu, rawCall{Route: "files/move_v2", Token: acct.AccessToken, Arg: arg})
		if r.Status != 400 || !strings.Contains(string(r.Body), `"files/move_v2"`) {
			t.Errorf("move_v2 %v: %d %s", arg, r.Status, r.Body)
		}
	}
	// The wire form of an error: nested unions and a derived summary.
	r := do(t, emu, rawCall{Route: "files/copy_v2", Token: acct.AccessToken,
		Arg: map[string]any{"from_path": "/file.txt", "to_path": "/Dir"}})
	if r.Status != 409 {
		t.Fatalf("copy_v2 conflict: %d %s", r.Status, r.Body)
	}
	wantErr := map[string]any{".tag": "to", "to": map[string]any{".tag": "conflict", "conflict": map[string]any{".tag": "folder"}}}
	if diff := cmp.Diff(wantErr, r.json(t)["error"]); diff != "" {
		t.Errorf("copy_v2 conflict error (-want +got):\n%s", diff)
	}
}

func TestRelocationByID(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	f := relUpload(t, fc, "/x/Notes.md", "# notes")
	dir := relFolder(t, fc, "/Target")

	res, err := fc.MoveV2(relArg(f.Id, dir.Id+"/Renamed.md"))
	if err != nil {
		t.Fatalf("move by id: %v", err)
	}
	if m := res.Metadata.(*files.FileMetadata); m.PathDisplay != "/Target/Renamed.md" || m.Id != f.Id {
		t.Errorf("moved by id = %s %s", m.PathDisplay, m.Id)
	}
	_, err = fc.MoveV2(relArg(f.Id, f.Id))
	if got := relTags(relErr(t, err)); got != "duplicated_or_nested_paths" {
		t.Errorf("move an id onto itself: %s", got)
	}
}

func TestRelocationCaseOnlyRename(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	f := relUpload(t, fc, "/readme.txt", "hello")
	relUpload(t, fc, "/Photos/2024/pic.jpg", "jpg")
	cursor := relCursor(t, fc)

	res, err := fc.MoveV2(relArg("/readme.txt", "/README.txt"))
	if err != nil {
		t.Fatalf("case-only rename: %v", err)
	}
	got := res.Metadata.(*files.FileMetadata)
	if got.PathDisplay != "/README.txt" || got.PathLower != "/readme.txt" || got.Name != "README.txt" || got.Id != f.Id || got.Rev != f.Rev {
		t.Errorf("renamed file = %s %s %s %s %s", got.PathDisplay, got.PathLower, got.Name, got.Id, got.Rev)
	}
	if m, err := fc.GetMetadata(files.NewGetMetadataArg("/readme.TXT")); err != nil || m.(*files.FileMetadata).PathDisplay != "/README.txt" {
		t.Errorf("get_metadata after the rename: %v %#v", err, m)
	}

	res, err = fc.MoveV2(relArg("/photos", "/PHOTOS"))
	if err != nil {
		t.Fatalf("case-only folder rename: %v", err)
	}
	if m := res.Metadata.(*files.FolderMetadata); m.PathDisplay != "/PHOTOS" {
		t.Errorf("renamed folder = %s", m.PathDisplay)
	}
	listed := relList(t, fc, "", false)
	if len(listed) != 4 {
		t.Fatalf("listing after case renames = %+v", listed)
	}
	want := []relEntry{
		{"folder", "/PHOTOS", res.Metadata.(*files.FolderMetadata).Id},
		{"folder", "/PHOTOS/2024", listed[1].ID},
		{"file", "/PHOTOS/2024/pic.jpg", listed[2].ID},
		{"file", "/README.txt", f.Id},
	}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("listing after case renames (-want +got):\n%s", diff)
	}
	// Dropbox does not report case-only renames to list_folder/continue.
	if got := relContinue(t, fc, cursor); len(got) != 0 {
		t.Errorf("list_folder/continue reported case-only renames: %+v", got)
	}
}

func TestRelocationSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emu, stop := startDiskEmulator(t, dir, dropboxemu.Options{})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "disk@example.com", AccountType: "business"})
	fc := files.New(sdkConfig(emu, acct.AccessToken))
	relUpload(t, fc, "/src/a.txt", "a")
	relUpload(t, fc, "/src/sub/b.txt", "b")
	relUpload(t, fc, "/gone.txt", "g")
	cursor := relCursor(t, fc)
	if _, err := fc.MoveV2(relArg("/src", "/Dst")); err != nil {
		t.Fatalf("move: %v", err)
	}
	if _, err := fc.CopyV2(relArg("/Dst/sub", "/Copy")); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if _, err := fc.MoveV2(relArg("/dst/a.txt", "/dst/A.TXT")); err != nil {
		t.Fatalf("case rename: %v", err)
	}
	if err := fc.PermanentlyDelete(files.NewDeleteArg("/gone.txt")); err != nil {
		t.Fatalf("permanently_delete: %v", err)
	}
	tree := relList(t, fc, "", true)
	changes := relContinue(t, fc, cursor)
	stop()

	emu, _ = startDiskEmulator(t, dir, dropboxemu.Options{})
	fc = files.New(sdkConfig(emu, acct.AccessToken))
	if diff := cmp.Diff(tree, relList(t, fc, "", true)); diff != "" {
		t.Errorf("tree after a restart (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(changes, relContinue(t, fc, cursor)); diff != "" {
		t.Errorf("changes after a restart (-before +after):\n%s", diff)
	}
	if b := relDownload(t, fc, "/Dst/A.TXT"); b != "a" {
		t.Errorf("content after a restart = %q", b)
	}
}
