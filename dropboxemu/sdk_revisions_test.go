package dropboxemu_test

import (
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"
)

// featRevs lists the revisions of path and returns them as revs.
func featRevs(t *testing.T, fc files.ContextClient, arg *files.ListRevisionsArg) (*files.ListRevisionsResult, []string) {
	t.Helper()
	res, err := fc.ListRevisionsContext(t.Context(), arg)
	if err != nil {
		t.Fatalf("list_revisions %s: %v", arg.Path, err)
	}
	revs := make([]string, 0, len(res.Entries))
	for _, e := range res.Entries {
		revs = append(revs, e.Rev)
	}
	return res, revs
}

func TestRevisionsListAndRestore(t *testing.T) {
	t.Parallel()
	emu, fc := featSetup(t)
	v1 := coreOverwrite(t, fc, "/Doc.txt", []byte("one"))
	emu.Advance(t, time.Hour)
	v2 := coreOverwrite(t, fc, "/Doc.txt", []byte("two"))
	v3 := coreOverwrite(t, fc, "/Doc.txt", []byte("three"))

	res, revs := featRevs(t, fc, files.NewListRevisionsArg("/doc.TXT"))
	if diff := cmp.Diff([]string{v3.Rev, v2.Rev, v1.Rev}, revs); diff != "" {
		t.Errorf("revisions newest first (-want +got):\n%s", diff)
	}
	if res.IsDeleted || res.ServerDeleted != nil || res.HasMore {
		t.Errorf("result flags = %+v", res)
	}
	if e := res.Entries[2]; e.Size != 3 || e.ContentHash != v1.ContentHash || e.Id != v1.Id || e.PathDisplay != "/Doc.txt" {
		t.Errorf("oldest entry = %+v", e)
	}

	// Paging with limit and before_rev.
	arg := files.NewListRevisionsArg("/Doc.txt")
	arg.Limit = 2
	res, revs = featRevs(t, fc, arg)
	if !res.HasMore || len(revs) != 2 {
		t.Fatalf("limit 2: has_more %v, %v", res.HasMore, revs)
	}
	arg.BeforeRev = revs[1]
	arg.IncludeRestorableInfo = true
	res, revs = featRevs(t, fc, arg)
	if res.HasMore || !cmp.Equal(revs, []string{v1.Rev}) || !res.Entries[0].IsRestorable {
		t.Errorf("before_rev page: has_more %v, %v, restorable %v", res.HasMore, revs, res.Entries[0].IsRestorable)
	}

	// Restore makes the old content current as a new revision.
	restored, err := fc.RestoreContext(t.Context(), files.NewRestoreArg("/Doc.txt", v1.Rev))
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if restored.Rev == v1.Rev || restored.Rev == v3.Rev || restored.ContentHash != v1.ContentHash ||
		restored.Id != v1.Id || !time.Time(restored.ClientModified).Equal(time.Time(v1.ClientModified)) {
		t.Errorf("restored = %+v, v1 = %+v", restored, v1)
	}
	if got := string(coreRead(t, fc, "/Doc.txt")); got != "one" {
		t.Errorf("content after restore = %q", got)
	}
	_, revs = featRevs(t, fc, files.NewListRevisionsArg("/Doc.txt"))
	if diff := cmp.Diff([]string{restored.Rev, v3.Rev, v2.Rev, v1.Rev}, revs); diff != "" {
		t.Errorf("revisions after restore (-want +got):\n%s", diff)
	}
	// Restoring what is already current changes nothing.
	again, err := fc.RestoreContext(t.Context(), files.NewRestoreArg("/Doc.txt", v1.Rev))
	if err != nil || again.Rev != restored.Rev {
		t.Errorf("restore of the current content = %+v, %v", again, err)
	}
	// A revision may be restored to another path: a new file.
	copyMeta, err := fc.RestoreContext(t.Context(), files.NewRestoreArg("/Old/Doc v2.txt", v2.Rev))
	if err != nil {
		t.Fatalf("restore elsewhere: %v", err)
	}
	if copyMeta.Id == v1.Id || copyMeta.PathDisplay != "/Old/Doc v2.txt" || string(coreRead(t, fc, "/old/doc v2.txt")) != "two" {
		t.Errorf("restored elsewhere = %+v", copyMeta)
	}
}

func TestRevisionsDeletedFile(t *testing.T) {
	t.Parallel()
	emu, fc := featSetup(t)
	v1 := coreOverwrite(t, fc, "/gone.txt", []byte("first"))
	v2 := coreOverwrite(t, fc, "/gone.txt", []byte("second"))
	emu.Advance(t, 2*time.Hour)
	featDelete(t, fc, "/gone.txt")

	res, revs := featRevs(t, fc, files.NewListRevisionsArg("/gone.txt"))
	if !res.IsDeleted || res.ServerDeleted == nil || !cmp.Equal(revs, []string{v2.Rev, v1.Rev}) {
		t.Fatalf("deleted file: is_deleted %v, server_deleted %v, revs %v", res.IsDeleted, res.ServerDeleted, revs)
	}
	if !time.Time(*res.ServerDeleted).After(time.Time(v2.ServerModified)) {
		t.Errorf("server_deleted %v is not after the last write %v", res.ServerDeleted, v2.ServerModified)
	}
	// By id too, in id mode.
	arg := files.NewListRevisionsArg(v1.Id)
	arg.Mode = &files.ListRevisionsMode{Tagged: dropbox.Tagged{Tag: files.ListRevisionsModeId}}
	if res, revs := featRevs(t, fc, arg); !res.IsDeleted || len(revs) != 2 {
		t.Errorf("deleted file by id: is_deleted %v, revs %v", res.IsDeleted, revs)
	}

	// Restoring brings the file back with its id.
	back, err := fc.RestoreContext(t.Context(), files.NewRestoreArg("/gone.txt", v1.Rev))
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if back.Id != v1.Id || string(coreRead(t, fc, "/gone.txt")) != "first" {
		t.Errorf("restored = %+v", back)
	}
	res, _ = featRevs(t, fc, files.NewListRevisionsArg("/gone.txt"))
	if res.IsDeleted || res.ServerDeleted != nil || len(res.Entries) != 3 {
		t.Errorf("after restore: %+v", res)
	}
}

func TestRevisionsModesAcrossMove(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	a1 := coreOverwrite(t, fc, "/a.txt", []byte("a1"))
	a2 := coreOverwrite(t, fc, "/a.txt", []byte("a2"))
	mv, err := fc.MoveV2Context(t.Context(), files.NewRelocationArg("/a.txt", "/b.txt"))
	if err != nil {
		t.Fatalf("move: %v", err)
	}
	moved := mv.Metadata.(*files.FileMetadata)
	b1 := coreOverwrite(t, fc, "/b.txt", []byte("b1"))

	// Path mode: what was at /b.txt; id mode: the file wherever it was.
	_, revs := featRevs(t, fc, files.NewListRevisionsArg("/b.txt"))
	if diff := cmp.Diff([]string{b1.Rev, moved.Rev}, revs); diff != "" {
		t.Errorf("path mode (-want +got):\n%s", diff)
	}
	arg := files.NewListRevisionsArg("/b.txt")
	arg.Mode = &files.ListRevisionsMode{Tagged: dropbox.Tagged{Tag: files.ListRevisionsModeId}}
	res, revs := featRevs(t, fc, arg)
	if diff := cmp.Diff([]string{b1.Rev, moved.Rev, a2.Rev, a1.Rev}, revs); diff != "" {
		t.Errorf("id mode (-want +got):\n%s", diff)
	}
	if res.IsDeleted || res.Entries[0].PathDisplay != "/b.txt" || res.Entries[3].PathDisplay != "/a.txt" {
		t.Errorf("id mode entries: deleted %v, %s, %s", res.IsDeleted, res.Entries[0].PathDisplay, res.Entries[3].PathDisplay)
	}
	// The old path only has revisions of a file that moved away.
	res, revs = featRevs(t, fc, files.NewListRevisionsArg("/a.txt"))
	if !res.IsDeleted || !cmp.Equal(revs, []string{a2.Rev, a1.Rev}) {
		t.Errorf("old path: is_deleted %v, revs %v", res.IsDeleted, revs)
	}
}

func TestRevisionsErrors(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	f := coreOverwrite(t, fc, "/f.txt", []byte("x"))
	coreMkdir(t, fc, "/dir")

	listErr := func(arg *files.ListRevisionsArg) *files.ListRevisionsError {
		t.Helper()
		_, err := fc.ListRevisionsContext(t.Context(), arg)
		return coreAPIErr[files.ListRevisionsAPIError](t, err).EndpointError
	}
	if e := listErr(files.NewListRevisionsArg("/missing")); e.Tag != files.ListRevisionsErrorPath || e.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("missing: %+v", e)
	}
	if e := listErr(files.NewListRevisionsArg("/dir")); e.Tag != files.ListRevisionsErrorPath || e.Path.Tag != files.LookupErrorNotFile {
		t.Errorf("folder: %+v", e)
	}
	arg := files.NewListRevisionsArg("/f.txt")
	arg.BeforeRev = "0123456789abcdef"
	if e := listErr(arg); e.Tag != files.ListRevisionsErrorInvalidBeforeRev {
		t.Errorf("unknown before_rev: %+v", e)
	}
	arg.Mode = &files.ListRevisionsMode{Tagged: dropbox.Tagged{Tag: files.ListRevisionsModeId}}
	arg.BeforeRev = f.Rev
	if e := listErr(arg); e.Tag != files.ListRevisionsErrorBeforeRevNotSupported {
		t.Errorf("before_rev in id mode: %+v", e)
	}
	arg = files.NewListRevisionsArg("/f.txt")
	arg.Limit = 101
	_, err := fc.ListRevisionsContext(t.Context(), arg)
	featBadRequest(t, err)
	arg = files.NewListRevisionsArg("/f.txt")
	arg.BeforeRev = "xyz"
	_, err = fc.ListRevisionsContext(t.Context(), arg)
	featBadRequest(t, err)

	restoreErr := func(path, rev string) *files.RestoreError {
		t.Helper()
		_, err := fc.RestoreContext(t.Context(), files.NewRestoreArg(path, rev))
		return coreAPIErr[files.RestoreAPIError](t, err).EndpointError
	}
	if e := restoreErr("/f.txt", "0123456789abcdef"); e.Tag != files.RestoreErrorInvalidRevision {
		t.Errorf("unknown rev: %+v", e)
	}
	if e := restoreErr("/dir", f.Rev); e.Tag != files.RestoreErrorPathWrite || e.PathWrite.Tag != files.WriteErrorConflict {
		t.Errorf("restore onto a folder: %+v", e)
	}
	if e := restoreErr("/f.txt/sub.txt", f.Rev); e.Tag != files.RestoreErrorPathWrite || e.PathWrite.Tag != files.WriteErrorConflict {
		t.Errorf("restore below a file: %+v", e)
	}
	_, err = fc.RestoreContext(t.Context(), files.NewRestoreArg("/f.txt", "bad"))
	featBadRequest(t, err)
	_, err = fc.RestoreContext(t.Context(), files.NewRestoreArg("", f.Rev))
	featBadRequest(t, err)
	// Nothing changed.
	if _, revs := featRevs(t, fc, files.NewListRevisionsArg("/f.txt")); !cmp.Equal(revs, []string{f.Rev}) {
		t.Errorf("revisions after failed calls = %v", revs)
	}
}
