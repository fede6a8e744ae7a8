package dropboxemu_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// coreTree uploads a small tree: /A/b.txt, /A/C/d.txt, /A/C/E/, /z.txt.
func coreTree(t *testing.T, fc files.ContextClient) {
	t.Helper()
	corePut(t, fc, "/A/b.txt", []byte("b"))
	corePut(t, fc, "/A/C/d.txt", []byte("d"))
	coreMkdir(t, fc, "/A/C/E")
	corePut(t, fc, "/z.txt", []byte("z"))
}

func TestListFolderShapes(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	coreTree(t, fc)
	a, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/a"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path      string
		recursive bool
		want      []string
	}{
		{"", false, []string{"folder /A", "file /z.txt"}},
		{"", true, []string{"folder /A", "file /A/b.txt", "folder /A/C", "file /A/C/d.txt", "folder /A/C/E", "file /z.txt"}},
		{"/a", false, []string{"file /A/b.txt", "folder /A/C"}},
		// Dropbox puts the listed folder itself first in a recursive
		// listing of a folder other than the root.
		{"/a", true, []string{"folder /A", "file /A/b.txt", "folder /A/C", "file /A/C/d.txt", "folder /A/C/E"}},
		{a.(*files.FolderMetadata).Id, true, []string{"folder /A", "file /A/b.txt", "folder /A/C", "file /A/C/d.txt", "folder /A/C/E"}},
		{"/A/C/E", false, []string{}},
		{"/A/C/E", true, []string{"folder /A/C/E"}},
	}
	for _, c := range cases {
		arg := files.NewListFolderArg(c.path)
		arg.Recursive = c.recursive
		entries, _ := coreList(t, fc, arg)
		if diff := cmp.Diff(c.want, coreSummaries(entries)); diff != "" {
			t.Errorf("list_folder %q recursive=%v (-want +got):\n%s", c.path, c.recursive, diff)
		}
	}
	for path, want := range map[string]string{"/z.txt": files.LookupErrorNotFolder, "/nope": files.LookupErrorNotFound,
		"/z.txt/x": files.LookupErrorNotFolder, "id:nope": files.LookupErrorNotFound} {
		_, err := fc.ListFolderContext(t.Context(), files.NewListFolderArg(path))
		if e := coreAPIErr[files.ListFolderAPIError](t, err); e.EndpointError.Path == nil || e.EndpointError.Path.Tag != want {
			t.Errorf("list_folder %s: %v, want path/%s", path, err, want)
		}
	}
}

func TestListFolderLimitPaging(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	for i := range 12 {
		corePut(t, fc, fmt.Sprintf("/p/%02d/f.txt", i), []byte{byte(i)})
	}
	full, _ := coreList(t, fc, &files.ListFolderArg{Path: "/p", Recursive: true})
	if len(full) != 25 {
		t.Fatalf("full listing has %d entries, want 25", len(full))
	}
	arg := &files.ListFolderArg{Path: "/p", Recursive: true, Limit: 7}
	res, err := fc.ListFolderContext(t.Context(), arg)
	if err != nil {
		t.Fatal(err)
	}
	var paged []files.IsMetadata
	pages := 0
	for {
		pages++
		if len(res.Entries) > 7 {
			t.Errorf("page %d has %d entries, limit 7", pages, len(res.Entries))
		}
		paged = append(paged, res.Entries...)
		if !res.HasMore {
			break
		}
		if res.Cursor == "" || pages > 10 {
			t.Fatalf("page %d: cursor %q", pages, res.Cursor)
		}
		res, err = fc.ListFolderContinueContext(t.Context(), files.NewListFolderContinueArg(res.Cursor))
		if err != nil {
			t.Fatal(err)
		}
	}
	if pages != 4 {
		t.Errorf("%d pages, want 4 for 25 entries at 7 a page", pages)
	}
	if diff := cmp.Diff(coreSummaries(full), coreSummaries(paged)); diff != "" {
		t.Errorf("paged listing differs from the full one (-full +paged):\n%s", diff)
	}
	for _, lim := range []uint32{0, 2001} {
		_, err := fc.ListFolderContext(t.Context(), &files.ListFolderArg{Path: "", Limit: lim})
		if lim == 0 {
			// The SDK omits a zero limit: no limit, no error.
			if err != nil {
				t.Errorf("limit omitted: %v", err)
			}
			continue
		}
		coreBadRequest(t, err, "limit")
	}
}

func TestListFolderContinueChanges(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	coreTree(t, fc)
	_, rootCur := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true})
	_, aCur := coreList(t, fc, files.NewListFolderArg("/a"))
	_, cCur := coreList(t, fc, files.NewListFolderArg("/A/C"))
	_, eCur := coreList(t, fc, &files.ListFolderArg{Path: "/A/C/E", Recursive: true})

	corePut(t, fc, "/n1.txt", []byte("n"))
	coreOverwrite(t, fc, "/A/b.txt", []byte("b2"))
	corePut(t, fc, "/A/C/E/deep.txt", []byte("deep"))
	if _, err := fc.DeleteV2Context(t.Context(), files.NewDeleteArg("/a/c")); err != nil {
		t.Fatal(err)
	}
	coreMkdir(t, fc, "/F")
	corePut(t, fc, "/F/g.txt", []byte("g"))

	got, next := coreContinue(t, fc, rootCur)
	want := []string{"file /n1.txt", "file /A/b.txt", "folder /A/C/E", "file /A/C/E/deep.txt", "deleted /A/C", "folder /F", "file /F/g.txt"}
	// The folder made on the way for deep.txt already existed: only the file.
	want = slices.DeleteFunc(want, func(s string) bool { return s == "folder /A/C/E" })
	if diff := cmp.Diff(want, coreSummaries(got)); diff != "" {
		t.Errorf("recursive root continue (-want +got):\n%s", diff)
	}
	// A non-recursive cursor sees its direct children only.
	got, _ = coreContinue(t, fc, aCur)
	if diff := cmp.Diff([]string{"file /A/b.txt", "deleted /A/C"}, coreSummaries(got)); diff != "" {
		t.Errorf("/A continue (-want +got):\n%s", diff)
	}
	// The listed folder, or one above it, going away reads as its deletion.
	for name, cur := range map[string]string{"/A/C": cCur, "/A/C/E": eCur} {
		got, _ = coreContinue(t, fc, cur)
		summaries := coreSummaries(got)
		if len(summaries) == 0 || summaries[len(summaries)-1] != "deleted "+name {
			t.Errorf("%s continue = %v, want it to end with its deletion", name, summaries)
		}
	}
	// Nothing new: an empty page with a cursor that still works.
	got, next2 := coreContinue(t, fc, next)
	if len(got) != 0 || next2 == "" {
		t.Errorf("continue without changes = %v, %q", coreSummaries(got), next2)
	}
	corePut(t, fc, "/late.txt", nil)
	got, _ = coreContinue(t, fc, next2)
	if diff := cmp.Diff([]string{"file /late.txt"}, coreSummaries(got)); diff != "" {
		t.Errorf("continue after one more change (-want +got):\n%s", diff)
	}
}

func TestListFolderIncludeDeleted(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	coreTree(t, fc)
	_, before := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true, IncludeDeleted: true})
	if _, err := fc.DeleteV2Context(t.Context(), files.NewDeleteArg("/A/C")); err != nil {
		t.Fatal(err)
	}
	entries, _ := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true, IncludeDeleted: true})
	want := []string{"folder /A", "file /A/b.txt", "file /z.txt", "deleted /A/C", "deleted /A/C/d.txt", "deleted /A/C/E"}
	if diff := cmp.Diff(want, coreSummaries(entries)); diff != "" {
		t.Errorf("recursive with include_deleted (-want +got):\n%s", diff)
	}
	entries, _ = coreList(t, fc, &files.ListFolderArg{Path: "/A", IncludeDeleted: true})
	if diff := cmp.Diff([]string{"file /A/b.txt", "deleted /A/C"}, coreSummaries(entries)); diff != "" {
		t.Errorf("/A with include_deleted (-want +got):\n%s", diff)
	}
	entries, _ = coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true})
	if diff := cmp.Diff([]string{"folder /A", "file /A/b.txt", "file /z.txt"}, coreSummaries(entries)); diff != "" {
		t.Errorf("without include_deleted (-want +got):\n%s", diff)
	}
	// The deletion reaches a cursor as one deleted entry for the folder.
	got, _ := coreContinue(t, fc, before)
	if diff := cmp.Diff([]string{"deleted /A/C"}, coreSummaries(got)); diff != "" {
		t.Errorf("continue after delete (-want +got):\n%s", diff)
	}
	// A path written again is no longer deleted.
	corePut(t, fc, "/A/C/d.txt", []byte("back"))
	entries, _ = coreList(t, fc, &files.ListFolderArg{Path: "/A/C", IncludeDeleted: true})
	if diff := cmp.Diff([]string{"file /A/C/d.txt", "deleted /A/C/E"}, coreSummaries(entries)); diff != "" {
		t.Errorf("after restoring a file (-want +got):\n%s", diff)
	}
}

func TestListFolderGetLatestCursor(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	coreTree(t, fc)
	latest, err := fc.ListFolderGetLatestCursorContext(t.Context(), &files.ListFolderArg{Path: "/A", Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	got, cur := coreContinue(t, fc, latest.Cursor)
	if len(got) != 0 {
		t.Errorf("latest cursor lists existing entries: %v", coreSummaries(got))
	}
	corePut(t, fc, "/A/new.txt", []byte("n"))
	corePut(t, fc, "/outside.txt", []byte("o"))
	got, _ = coreContinue(t, fc, cur)
	if diff := cmp.Diff([]string{"file /A/new.txt"}, coreSummaries(got)); diff != "" {
		t.Errorf("continue from the latest cursor (-want +got):\n%s", diff)
	}
	_, err = fc.ListFolderGetLatestCursorContext(t.Context(), files.NewListFolderArg("/missing"))
	if e := coreAPIErr[files.ListFolderGetLatestCursorAPIError](t, err); e.EndpointError.Path == nil || e.EndpointError.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("latest cursor of a missing folder: %v", err)
	}
}

// TestListFolderMove checks that a move reads as a deletion of the old path
// plus the entries at the new path, every descendant included, ids kept.
func TestListFolderMove(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	coreTree(t, fc)
	before, cur := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true})
	ids := map[string]string{} // name -> id
	for _, m := range before {
		switch m := m.(type) {
		case *files.FileMetadata:
			ids[m.Name] = m.Id
		case *files.FolderMetadata:
			ids[m.Name] = m.Id
		}
	}
	if _, err := fc.MoveV2Context(t.Context(), files.NewRelocationArg("/A/C", "/M/C2")); err != nil {
		t.Fatalf("move_v2: %v", err)
	}
	got, _ := coreContinue(t, fc, cur)
	summaries := coreSummaries(got)
	if len(summaries) == 0 {
		t.Fatal("no changes after a move")
	}
	del := slices.Index(summaries, "deleted /A/C")
	if del < 0 {
		t.Fatalf("no deletion of the old path in %v", summaries)
	}
	for _, want := range []string{"folder /M", "folder /M/C2", "file /M/C2/d.txt", "folder /M/C2/E"} {
		i := slices.Index(summaries, want)
		if i < 0 {
			t.Errorf("%s missing from %v", want, summaries)
		}
	}
	for _, m := range got {
		switch m := m.(type) {
		case *files.FileMetadata:
			if m.Name == "d.txt" && m.Id != ids["d.txt"] {
				t.Errorf("moved file has a new id")
			}
		case *files.FolderMetadata:
			if (m.Name == "C2" && m.Id != ids["C"]) || (m.Name == "E" && m.Id != ids["E"]) {
				t.Errorf("moved folder %s has a new id", m.PathDisplay)
			}
		}
	}
	// Applying the changes in order to the first listing gives the new tree.
	state := coreApply(nil, before)
	coreApply(state, got)
	now, _ := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true})
	if diff := cmp.Diff(coreApply(nil, now), state); diff != "" {
		t.Errorf("replayed state differs from a fresh listing (-fresh +replayed):\n%s", diff)
	}
}

// coreApply applies listing entries in order to state (lower path -> kind),
// as Dropbox tells clients to: a deletion removes the path and all below it.
func coreApply(state map[string]string, entries []files.IsMetadata) map[string]string {
	if state == nil {
		state = map[string]string{}
	}
	for _, s := range coreSummaries(entries) {
		kind, p, _ := strings.Cut(s, " ")
		lp := strings.ToLower(p)
		if kind == "deleted" {
			for k := range state {
				if k == lp || strings.HasPrefix(k, lp+"/") {
					delete(state, k)
				}
			}
			continue
		}
		state[lp] = kind
	}
	return state
}

// TestListFolderPagingWhileChanging changes the tree between the pages of a
// listing: the pages plus the changes that follow them must add up to the
// tree as it is at the end.
func TestListFolderPagingWhileChanging(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t)
	for _, d := range []string{"b", "d", "f", "h"} {
		corePut(t, fc, "/t/"+d+"/1.txt", []byte(d))
		corePut(t, fc, "/t/"+d+"/2.txt", []byte(d))
	}
	res, err := fc.ListFolderContext(t.Context(), &files.ListFolderArg{Path: "/t", Recursive: true, Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	state := coreApply(nil, res.Entries)
	step := 0
	for res.HasMore {
		switch step {
		case 0: // behind, inside and ahead of the walk
			corePut(t, fc, "/t/a/new.txt", []byte("a"))
			coreOverwrite(t, fc, "/t/b/2.txt", []byte("b2"))
			corePut(t, fc, "/t/g/new.txt", []byte("g"))
			if _, err := fc.DeleteV2Context(t.Context(), files.NewDeleteArg("/t/f")); err != nil {
				t.Fatal(err)
			}
		case 1:
			if _, err := fc.DeleteV2Context(t.Context(), files.NewDeleteArg("/t/d")); err != nil {
				t.Fatal(err)
			}
			corePut(t, fc, "/t/d", []byte("now a file"))
		}
		step++
		res, err = fc.ListFolderContinueContext(t.Context(), files.NewListFolderContinueArg(res.Cursor))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Entries) > 4 {
			t.Errorf("page of %d entries, limit 4", len(res.Entries))
		}
		coreApply(state, res.Entries)
	}
	now, _ := coreList(t, fc, &files.ListFolderArg{Path: "/t", Recursive: true})
	if diff := cmp.Diff(coreApply(nil, now), state); diff != "" {
		t.Errorf("pages + changes differ from a fresh listing (-fresh +replayed):\n%s", diff)
	}
}

func TestListFolderReset(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	coreTree(t, fc)
	_, cur := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true})
	corePut(t, fc, "/after.txt", []byte("a"))
	emu.Admin(t, http.MethodPost, "/_emulator/cursors/reset", map[string]string{"account_id": acct.AccountID}, nil)
	_, err := fc.ListFolderContinueContext(t.Context(), files.NewListFolderContinueArg(cur))
	if e := coreAPIErr[files.ListFolderContinueAPIError](t, err); e.EndpointError.Tag != files.ListFolderContinueErrorReset {
		t.Errorf("continue after reset: %v", err)
	}
	_, err = fc.ListFolderLongpollContext(t.Context(), files.NewListFolderLongpollArg(cur))
	if e := coreAPIErr[files.ListFolderLongpollAPIError](t, err); e.EndpointError.Tag != files.ListFolderLongpollErrorReset {
		t.Errorf("longpoll after reset: %v", err)
	}
	// Listing again gives a cursor that works.
	entries, fresh := coreList(t, fc, &files.ListFolderArg{Path: "", Recursive: true})
	if len(entries) != 7 {
		t.Errorf("fresh listing has %d entries, want 7", len(entries))
	}
	corePut(t, fc, "/later.txt", []byte("l"))
	got, _ := coreContinue(t, fc, fresh)
	if diff := cmp.Diff([]string{"file /later.txt"}, coreSummaries(got)); diff != "" {
		t.Errorf("continue after a fresh listing (-want +got):\n%s", diff)
	}
	// A cursor that is not one is a 400.
	_, err = fc.ListFolderContinueContext(t.Context(), files.NewListFolderContinueArg("AAEbogus"))
	coreBadRequest(t, err, "cursor")
}

// TestListFolderResetAfterLogLimit checks that a cursor older than the
// change history a namespace keeps (Options.ChangeLogLimit) is reset, and one
// within it is not.
func TestListFolderResetAfterLogLimit(t *testing.T) {
	t.Parallel()
	_, _, fc := coreSetup(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.ChangeLogLimit = 3 }))
	_, old := coreList(t, fc, files.NewListFolderArg(""))
	corePut(t, fc, "/1", nil)
	corePut(t, fc, "/2", nil)
	_, recent := coreList(t, fc, files.NewListFolderArg(""))
	corePut(t, fc, "/3", nil)
	corePut(t, fc, "/4", nil)
	_, err := fc.ListFolderContinueContext(t.Context(), files.NewListFolderContinueArg(old))
	if e := coreAPIErr[files.ListFolderContinueAPIError](t, err); e.EndpointError.Tag != files.ListFolderContinueErrorReset {
		t.Errorf("continue with a cursor beyond the history: %v", err)
	}
	got, _ := coreContinue(t, fc, recent)
	if diff := cmp.Diff([]string{"file /3", "file /4"}, coreSummaries(got)); diff != "" {
		t.Errorf("continue within the history (-want +got):\n%s", diff)
	}
}

func TestListFolderNonDownloadableAndFlags(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	corePut(t, fc, "/notes.paper", []byte("# doc"))
	corePut(t, fc, "/plain.txt", []byte("p"))
	all, _ := coreList(t, fc, files.NewListFolderArg(""))
	if diff := cmp.Diff([]string{"file /notes.paper", "file /plain.txt"}, coreSummaries(all)); diff != "" {
		t.Errorf("default listing (-want +got):\n%s", diff)
	}
	if f := all[0].(*files.FileMetadata); f.IsDownloadable || f.ExportInfo == nil {
		t.Errorf("paper entry: is_downloadable %v export_info %v", f.IsDownloadable, f.ExportInfo)
	}
	arg := files.NewListFolderArg("")
	arg.IncludeNonDownloadableFiles = false
	some, cur := coreList(t, fc, arg)
	if diff := cmp.Diff([]string{"file /plain.txt"}, coreSummaries(some)); diff != "" {
		t.Errorf("include_non_downloadable_files=false (-want +got):\n%s", diff)
	}
	corePut(t, fc, "/more.paper", []byte("x"))
	corePut(t, fc, "/more.txt", []byte("x"))
	got, _ := coreContinue(t, fc, cur)
	if diff := cmp.Diff([]string{"file /more.txt"}, coreSummaries(got)); diff != "" {
		t.Errorf("continue without non-downloadable files (-want +got):\n%s", diff)
	}

	// include_has_explicit_shared_members puts the flag on files.
	r := do(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken,
		Arg: map[string]any{"path": "", "include_has_explicit_shared_members": true}})
	for _, e := range r.json(t)["entries"].([]any) {
		if v, ok := e.(map[string]any)["has_explicit_shared_members"]; !ok || v != false {
			t.Errorf("entry without has_explicit_shared_members=false: %v", e)
		}
	}
	// Every ListFolderArg field of the spec is accepted.
	r = do(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken, Arg: map[string]any{
		"path": "", "recursive": false, "include_media_info": false, "include_deleted": false,
		"include_has_explicit_shared_members": false, "include_mounted_folders": true, "limit": 10,
		"include_non_downloadable_files": true, "include_restorable_info": false}})
	if r.Status != http.StatusOK {
		t.Errorf("list_folder with every field: %d %s", r.Status, r.Body)
	}
}

// TestListFolderAppAuth checks that list_folder under app authentication
// (which the route allows, for shared links) answers instead of failing.
func TestListFolderAppAuth(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "k1", AppSecret: "s1"})
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("k1:s1"))
	r := do(t, emu, rawCall{Route: "files/list_folder", Header: map[string]string{"Authorization": basic}, Arg: map[string]any{"path": ""}})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "shared_link") {
		t.Errorf("list_folder with app auth and no shared link: %d %s", r.Status, r.Body)
	}
}

// restorableOf maps the deleted entries of ms to their is_restorable.
func restorableOf(ms []files.IsMetadata) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		if d, ok := m.(*files.DeletedMetadata); ok {
			out[d.PathLower] = d.IsRestorable
		}
	}
	return out
}

// include_restorable_info puts is_restorable on deleted entries, in the
// listing and in the changes of its cursor: true where a file revision
// can be restored, false for a folder.
func TestListFolderRestorableInfo(t *testing.T) {
	t.Parallel()
	emu, acct, fc := coreSetup(t)
	corePut(t, fc, "/a.txt", []byte("a"))
	coreMkdir(t, fc, "/Dir")
	corePut(t, fc, "/keep.txt", []byte("k"))
	arg := files.NewListFolderArg("")
	arg.IncludeDeleted = true
	arg.IncludeRestorableInfo = true
	latest, err := fc.ListFolderGetLatestCursorContext(t.Context(), arg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/a.txt", "/Dir"} {
		if _, err := fc.DeleteV2Context(t.Context(), files.NewDeleteArg(p)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{"/a.txt": true, "/dir": false}
	changes, _ := coreContinue(t, fc, latest.Cursor)
	if diff := cmp.Diff(want, restorableOf(changes)); diff != "" {
		t.Errorf("list_folder/continue is_restorable (-want +got):\n%s", diff)
	}
	listed, _ := coreList(t, fc, arg)
	if diff := cmp.Diff(want, restorableOf(listed)); diff != "" {
		t.Errorf("list_folder is_restorable (-want +got):\n%s", diff)
	}
	// Without the flag, is_restorable is absent (the SDK cannot tell).
	r := ok(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken, Arg: map[string]any{"path": "", "include_deleted": true}})
	if strings.Contains(string(r.Body), "is_restorable") {
		t.Errorf("list_folder without include_restorable_info: %s", r.Body)
	}
	r = ok(t, emu, rawCall{Route: "files/list_folder", Token: acct.AccessToken,
		Arg: map[string]any{"path": "", "include_deleted": true, "include_restorable_info": true}})
	if !strings.Contains(string(r.Body), `{".tag":"deleted","name":"a.txt","path_lower":"/a.txt","path_display":"/a.txt","is_restorable":true}`) {
		t.Errorf("list_folder with include_restorable_info: %s", r.Body)
	}
}
