package dropboxemu_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/async"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// batchOutcome is one entry of a batch result reduced to what tests compare:
// the path of a success, or the tag path of a failure.
type batchOutcome struct {
	OK     bool
	Path   string
	ID     string
	Reason string
}

func batchRelocation(es []*files.RelocationBatchResultEntry) []batchOutcome {
	out := []batchOutcome{}
	for _, e := range es {
		switch e.Tag {
		case files.RelocationBatchResultEntrySuccess:
			r := relEntries([]files.IsMetadata{e.Success})
			out = append(out, batchOutcome{OK: true, Path: r[0].Path, ID: r[0].ID})
		case files.RelocationBatchResultEntryFailure:
			reason := e.Failure.Tag
			if e.Failure.RelocationError != nil {
				reason += "/" + relTags(e.Failure.RelocationError)
			}
			out = append(out, batchOutcome{Reason: reason})
		default:
			out = append(out, batchOutcome{Reason: "unexpected tag " + e.Tag})
		}
	}
	return out
}

// pollCopyMove polls a copy or move batch v2 job until it completes and
// returns its entries and how many in_progress answers came first.
func pollCopyMove(t *testing.T, fc files.Client, move bool, launch *files.RelocationBatchV2Launch) ([]*files.RelocationBatchResultEntry, int) {
	t.Helper()
	if launch.Tag == files.RelocationBatchV2LaunchComplete {
		return launch.Complete.Entries, 0
	}
	if launch.Tag != files.RelocationBatchV2LaunchAsyncJobId || launch.AsyncJobId == "" {
		t.Fatalf("launch = %+v", launch)
	}
	for waits := 0; waits < 100; waits++ {
		var st *files.RelocationBatchV2JobStatus
		var err error
		if move {
			st, err = fc.MoveBatchCheckV2(async.NewPollArg(launch.AsyncJobId))
		} else {
			st, err = fc.CopyBatchCheckV2(async.NewPollArg(launch.AsyncJobId))
		}
		if err != nil {
			t.Fatalf("batch check: %v", err)
		}
		switch st.Tag {
		case files.RelocationBatchV2JobStatusInProgress:
			continue
		case files.RelocationBatchV2JobStatusComplete:
			return st.Complete.Entries, waits
		default:
			t.Fatalf("batch check status %q", st.Tag)
		}
	}
	t.Fatal("the job never completed")
	return nil, 0
}

func relPaths(pairs ...string) []*files.RelocationPath {
	var out []*files.RelocationPath
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, files.NewRelocationPath(pairs[i], pairs[i+1]))
	}
	return out
}

func TestBatchCopyV2(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	a := relUpload(t, fc, "/a.txt", "A")
	relUpload(t, fc, "/Dir/b.txt", "B")
	relUpload(t, fc, "/taken.txt", "T")

	launch, err := fc.CopyBatchV2(files.NewRelocationBatchArgBase(relPaths(
		"/a.txt", "/Copies/a.txt",
		"/missing.txt", "/Copies/missing.txt",
		"/Dir", "/Copies/Dir",
		"/a.txt", "/taken.txt",
	)))
	if err != nil {
		t.Fatalf("copy_batch_v2: %v", err)
	}
	entries, _ := pollCopyMove(t, fc, false, launch)
	got := batchRelocation(entries)
	want := []batchOutcome{
		{OK: true, Path: "/Copies/a.txt"},
		{Reason: "relocation_error/from_lookup/not_found"},
		{OK: true, Path: "/Copies/Dir"},
		{Reason: "relocation_error/to/conflict/file"},
	}
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ID" }, cmp.Ignore())); diff != "" {
		t.Errorf("copy_batch_v2 entries (-want +got):\n%s", diff)
	}
	if len(got) == 4 && (got[0].ID == a.Id || got[0].ID == "") {
		t.Errorf("copied file id %q, source %q", got[0].ID, a.Id)
	}
	if b := relDownload(t, fc, "/Copies/Dir/b.txt"); b != "B" {
		t.Errorf("copied folder content = %q", b)
	}
	if b := relDownload(t, fc, "/taken.txt"); b != "T" {
		t.Errorf("a failed entry changed its target: %q", b)
	}

	// autorename applies to every entry.
	arg := files.NewRelocationBatchArgBase(relPaths("/a.txt", "/taken.txt"))
	arg.Autorename = true
	launch, err = fc.CopyBatchV2(arg)
	if err != nil {
		t.Fatalf("copy_batch_v2 autorename: %v", err)
	}
	entries, _ = pollCopyMove(t, fc, false, launch)
	if got := batchRelocation(entries); len(got) != 1 || got[0].Path != "/taken (1).txt" {
		t.Errorf("autorenamed copy = %+v", got)
	}
}

func TestBatchMoveV2WithJobPolls(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 2 }))
	fc := files.New(cfg)
	f := relUpload(t, fc, "/In/f.txt", "f")
	sub := relFolder(t, fc, "/In/Sub")
	g := relUpload(t, fc, "/In/Sub/g.txt", "g")
	cursor := relCursor(t, fc)

	launch, err := fc.MoveBatchV2(files.NewMoveBatchArg(relPaths(
		"/In/f.txt", "/Out/f.txt",
		"/In/Sub", "/Out/Sub",
	)))
	if err != nil {
		t.Fatalf("move_batch_v2: %v", err)
	}
	entries, waits := pollCopyMove(t, fc, true, launch)
	if waits != 2 {
		t.Errorf("the job answered in_progress %d times, want 2 (Options.JobPolls)", waits)
	}
	want := []batchOutcome{{OK: true, Path: "/Out/f.txt", ID: f.Id}, {OK: true, Path: "/Out/Sub", ID: sub.Id}}
	if diff := cmp.Diff(want, batchRelocation(entries)); diff != "" {
		t.Errorf("move_batch_v2 entries (-want +got):\n%s", diff)
	}
	// A finished job keeps answering complete.
	st, err := fc.MoveBatchCheckV2(async.NewPollArg(launch.AsyncJobId))
	if err != nil || st.Tag != files.RelocationBatchV2JobStatusComplete || len(st.Complete.Entries) != 2 {
		t.Errorf("second check of a finished job: %v %+v", err, st)
	}
	out, err := fc.GetMetadata(files.NewGetMetadataArg("/Out"))
	if err != nil {
		t.Fatalf("get_metadata /Out: %v", err)
	}
	wantLog := []relEntry{
		{"deleted", "/in/f.txt", ""},
		{"folder", "/Out", out.(*files.FolderMetadata).Id},
		{"file", "/Out/f.txt", f.Id},
		{"deleted", "/in/sub", ""},
		{"folder", "/Out/Sub", sub.Id},
		{"file", "/Out/Sub/g.txt", g.Id},
	}
	if diff := cmp.Diff(wantLog, relContinue(t, fc, cursor)); diff != "" {
		t.Errorf("list_folder/continue after move_batch_v2 (-want +got):\n%s", diff)
	}
}

func TestBatchMoveV2NestedAndFailures(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	relUpload(t, fc, "/A/x.txt", "x")
	relUpload(t, fc, "/B/f.txt", "f")
	relUpload(t, fc, "/C/y.txt", "y")
	relUpload(t, fc, "/D/z.txt", "z")
	relUpload(t, fc, "/E.txt", "e")
	before := relList(t, fc, "", false)

	launch, err := fc.MoveBatchV2(files.NewMoveBatchArg(relPaths(
		"/A", "/Moved/A", // nested with the next entry's destination
		"/B/f.txt", "/A/f.txt",
		"/C/y.txt", "/D/y.txt", // unrelated: succeeds
		"/E.txt", "/E.txt", // onto itself
	)))
	if err != nil {
		t.Fatalf("move_batch_v2: %v", err)
	}
	entries, _ := pollCopyMove(t, fc, true, launch)
	want := []batchOutcome{
		{Reason: "relocation_error/duplicated_or_nested_paths"},
		{Reason: "relocation_error/duplicated_or_nested_paths"},
		{OK: true, Path: "/D/y.txt"},
		{Reason: "relocation_error/duplicated_or_nested_paths"},
	}
	got := batchRelocation(entries)
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ID" }, cmp.Ignore())); diff != "" {
		t.Errorf("move_batch_v2 entries (-want +got):\n%s", diff)
	}
	// Only the third entry moved.
	after := relList(t, fc, "", false)
	var moved []relEntry
	for _, e := range before {
		if !strings.HasPrefix(e.Path, "/C/") {
			moved = append(moved, e)
		}
	}
	for _, e := range after {
		if e.Path == "/D/y.txt" {
			continue
		}
		if !slicesContains(moved, e) {
			t.Errorf("unexpected entry after the batch: %+v", e)
		}
	}

	// A folder moved into itself, alone in its batch.
	launch, err = fc.MoveBatchV2(files.NewMoveBatchArg(relPaths("/D", "/D/inner")))
	if err != nil {
		t.Fatalf("move_batch_v2: %v", err)
	}
	entries, _ = pollCopyMove(t, fc, true, launch)
	if got := batchRelocation(entries); len(got) != 1 || got[0].Reason != "relocation_error/cant_move_folder_into_itself" {
		t.Errorf("folder into itself = %+v", got)
	}
}

func slicesContains(es []relEntry, e relEntry) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

func TestBatchRelocationV1(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	a := relUpload(t, fc, "/a.txt", "A")
	relUpload(t, fc, "/b.txt", "B")

	launch, err := fc.CopyBatch(files.NewRelocationBatchArg(relPaths("/a.txt", "/c.txt", "/b.txt", "/d.txt")))
	if err != nil {
		t.Fatalf("copy_batch: %v", err)
	}
	if launch.Tag != files.RelocationBatchLaunchAsyncJobId {
		t.Fatalf("copy_batch launch = %+v", launch)
	}
	st, err := fc.CopyBatchCheck(async.NewPollArg(launch.AsyncJobId))
	if err != nil || st.Tag != files.RelocationBatchJobStatusComplete {
		t.Fatalf("copy_batch/check: %v %+v", err, st)
	}
	var paths []string
	for _, e := range st.Complete.Entries {
		paths = append(paths, relEntries([]files.IsMetadata{e.Metadata})[0].Path)
	}
	if diff := cmp.Diff([]string{"/c.txt", "/d.txt"}, paths); diff != "" {
		t.Errorf("copy_batch/check entries (-want +got):\n%s", diff)
	}

	// move_batch fails as a whole with the failing entry's RelocationError;
	// entries before it are done.
	launch, err = fc.MoveBatch(files.NewRelocationBatchArg(relPaths("/a.txt", "/Moved/a.txt", "/nope.txt", "/Moved/nope.txt", "/b.txt", "/Moved/b.txt")))
	if err != nil {
		t.Fatalf("move_batch: %v", err)
	}
	st, err = fc.MoveBatchCheck(async.NewPollArg(launch.AsyncJobId))
	if err != nil {
		t.Fatalf("move_batch/check: %v", err)
	}
	if st.Tag != files.RelocationBatchJobStatusFailed || st.Failed == nil || st.Failed.Tag != "from_lookup" ||
		st.Failed.FromLookup == nil || st.Failed.FromLookup.Tag != files.LookupErrorNotFound {
		t.Errorf("move_batch/check = %+v (failed %+v)", st, st.Failed)
	}
	if m, err := fc.GetMetadata(files.NewGetMetadataArg("/Moved/a.txt")); err != nil || m.(*files.FileMetadata).Id != a.Id {
		t.Errorf("first entry of the failed batch: %v", err)
	}
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("/b.txt")); err != nil {
		t.Errorf("the entry after the failure moved: %v", err)
	}

	// Nested paths fail the whole batch before anything moves.
	launch, err = fc.MoveBatch(files.NewRelocationBatchArg(relPaths("/b.txt", "/x.txt", "/b.txt", "/y.txt")))
	if err != nil {
		t.Fatalf("move_batch: %v", err)
	}
	st, err = fc.MoveBatchCheck(async.NewPollArg(launch.AsyncJobId))
	if err != nil || st.Tag != files.RelocationBatchJobStatusFailed || st.Failed.Tag != "duplicated_or_nested_paths" {
		t.Errorf("move_batch/check with duplicates: %v %+v", err, st)
	}
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("/b.txt")); err != nil {
		t.Errorf("a batch with duplicates moved something: %v", err)
	}
}

func TestBatchCheckErrors(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	relUpload(t, fc, "/a.txt", "A")

	var pe files.CopyBatchCheckV2APIError
	_, err := fc.CopyBatchCheckV2(async.NewPollArg("dbjid:nope"))
	if !errors.As(err, &pe) || pe.EndpointError.Tag != async.PollErrorInvalidAsyncJobId {
		t.Errorf("check of an unknown job: %v", err)
	}
	// A job is known only to the check route of the route that launched it.
	launch, err := fc.DeleteBatch(files.NewDeleteBatchArg([]*files.DeleteArg{files.NewDeleteArg("/a.txt")}))
	if err != nil {
		t.Fatalf("delete_batch: %v", err)
	}
	if _, err := fc.CopyBatchCheckV2(async.NewPollArg(launch.AsyncJobId)); !errors.As(err, &pe) || pe.EndpointError.Tag != async.PollErrorInvalidAsyncJobId {
		t.Errorf("copy_batch/check_v2 of a delete_batch job: %v", err)
	}
	// Another account does not see the job.
	other := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "other@example.com"})
	r := do(t, emu, rawCall{Route: "files/delete_batch/check", Token: other.AccessToken, Arg: map[string]any{"async_job_id": launch.AsyncJobId}})
	if r.Status != http.StatusConflict || r.json(t)["error"].(map[string]any)[".tag"] != "invalid_async_job_id" {
		t.Errorf("delete_batch/check by another account: %d %s", r.Status, r.Body)
	}
	r = do(t, emu, rawCall{Route: "files/delete_batch/check", Token: acct.AccessToken, Arg: map[string]any{"async_job_id": ""}})
	if r.Status != http.StatusBadRequest {
		t.Errorf("empty async_job_id: %d %s", r.Status, r.Body)
	}
}

func TestBatchBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	relUpload(t, fc, "/a.txt", "A")
	before := relList(t, fc, "", false)

	many := make([]map[string]any, 1001)
	for i := range many {
		many[i] = map[string]any{"from_path": "/a.txt", "to_path": fmt.Sprintf("/c%d.txt", i)}
	}
	manyDeletes := make([]map[string]any, 1001)
	for i := range manyDeletes {
		manyDeletes[i] = map[string]any{"path": "/a.txt"}
	}
	cases := []rawCall{
		{Route: "files/copy_batch_v2", Arg: map[string]any{"entries": []any{}}},
		{Route: "files/copy_batch_v2", Arg: map[string]any{"entries": many}},
		{Route: "files/move_batch_v2", Arg: map[string]any{"entries": []any{
			map[string]any{"from_path": "/a.txt", "to_path": "/b.txt"},
			map[string]any{"from_path": "/a.txt", "to_path": "no-slash"},
		}}},
		{Route: "files/move_batch_v2", Arg: map[string]any{"entries": []any{map[string]any{"from_path": "/a.txt"}}}},
		{Route: "files/copy_batch_v2", Arg: map[string]any{"entries": []any{map[string]any{"from_path": "/a.txt", "to_path": "/b.txt"}}, "allow_ownership_transfer": true}},
		{Route: "files/move_batch", Arg: map[string]any{"entries": []any{map[string]any{"from_path": "/a.txt", "to_path": "/b.txt"}}, "force_async": true}},
		{Route: "files/delete_batch", Arg: map[string]any{"entries": []any{map[string]any{"path": "/a.txt"}, map[string]any{"path": "a.txt"}}}},
		{Route: "files/delete_batch", Arg: map[string]any{"entries": []any{map[string]any{"path": "/a.txt", "parent_rev": "xyz"}}}},
		{Route: "files/delete_batch", Arg: map[string]any{"entries": manyDeletes}},
		{Route: "files/create_folder_batch", Arg: map[string]any{"paths": []any{"/ok", "bad"}}},
		{Route: "files/create_folder_batch", Arg: map[string]any{}},
	}
	for _, c := range cases {
		c.Token = acct.AccessToken
		r := do(t, emu, c)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), fmt.Sprintf("%q", c.Route)) {
			t.Errorf("%s %.120v: %d %s", c.Route, c.Arg, r.Status, r.Body)
		}
	}
	if diff := cmp.Diff(before, relList(t, fc, "", false)); diff != "" {
		t.Errorf("rejected batches changed the tree (-before +after):\n%s", diff)
	}
}

func TestBatchCreateFolder(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	relUpload(t, fc, "/file.txt", "x")
	relFolder(t, fc, "/Existing")

	launch, err := fc.CreateFolderBatch(files.NewCreateFolderBatchArg([]string{
		"/New/Deep", "/Existing", "/file.txt/sub", "/new/deep", "/Bad//Path", "/Other",
	}))
	if err != nil {
		t.Fatalf("create_folder_batch: %v", err)
	}
	if launch.Tag != files.CreateFolderBatchLaunchComplete || launch.Complete == nil {
		t.Fatalf("a small create_folder_batch launched %+v, want complete", launch)
	}
	type outcome struct{ Path, Reason string }
	var got []outcome
	for _, e := range launch.Complete.Entries {
		switch e.Tag {
		case files.CreateFolderBatchResultEntrySuccess:
			got = append(got, outcome{Path: e.Success.Metadata.PathDisplay})
		case files.CreateFolderBatchResultEntryFailure:
			got = append(got, outcome{Reason: strings.Join(append([]string{e.Failure.Tag}, writeTags(e.Failure.Path)...), "/")})
		}
	}
	want := []outcome{
		{Path: "/New/Deep"},
		{Reason: "path/conflict/folder"},
		{Reason: "path/conflict/file_ancestor"},
		{Path: "/New/Deep"}, // a duplicate is created once and shares the result
		{Reason: "path/malformed_path"},
		{Path: "/Other"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create_folder_batch entries (-want +got):\n%s", diff)
	}
	first, dup := launch.Complete.Entries[0].Success.Metadata, launch.Complete.Entries[3].Success.Metadata
	if first.Id != dup.Id {
		t.Errorf("duplicate path got id %s, first %s", dup.Id, first.Id)
	}

	// force_async launches a job; autorename resolves conflicts.
	arg := files.NewCreateFolderBatchArg([]string{"/Existing", "/Fresh"})
	arg.ForceAsync = true
	arg.Autorename = true
	launch, err = fc.CreateFolderBatch(arg)
	if err != nil {
		t.Fatalf("create_folder_batch force_async: %v", err)
	}
	if launch.Tag != files.CreateFolderBatchLaunchAsyncJobId {
		t.Fatalf("force_async answered %+v", launch)
	}
	st, err := fc.CreateFolderBatchCheck(async.NewPollArg(launch.AsyncJobId))
	if err != nil || st.Tag != files.CreateFolderBatchJobStatusComplete {
		t.Fatalf("create_folder_batch/check: %v %+v", err, st)
	}
	var paths []string
	for _, e := range st.Complete.Entries {
		if e.Success == nil {
			t.Fatalf("entry failed: %+v", e.Failure)
		}
		paths = append(paths, e.Success.Metadata.PathDisplay)
	}
	if diff := cmp.Diff([]string{"/Existing (1)", "/Fresh"}, paths); diff != "" {
		t.Errorf("create_folder_batch/check entries (-want +got):\n%s", diff)
	}

	// A large batch runs as a job even without force_async.
	var big []string
	for i := range 150 {
		big = append(big, fmt.Sprintf("/Many/%03d", i))
	}
	launch, err = fc.CreateFolderBatch(files.NewCreateFolderBatchArg(big))
	if err != nil || launch.Tag != files.CreateFolderBatchLaunchAsyncJobId {
		t.Fatalf("large create_folder_batch: %v %+v", err, launch)
	}
	st, err = fc.CreateFolderBatchCheck(async.NewPollArg(launch.AsyncJobId))
	if err != nil || st.Tag != files.CreateFolderBatchJobStatusComplete || len(st.Complete.Entries) != 150 {
		t.Fatalf("large create_folder_batch/check: %v %+v", err, st)
	}
	if n := len(relList(t, fc, "/Many", false)); n != 151 {
		t.Errorf("/Many holds %d entries, want 151", n)
	}
}

func TestBatchDelete(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 1 }))
	fc := files.New(cfg)
	a := relUpload(t, fc, "/a.txt", "A")
	b := relUpload(t, fc, "/b.txt", "B")
	relUpload(t, fc, "/Dir/c.txt", "C")
	cursor := relCursor(t, fc)

	wrongRev := files.NewDeleteArg("/b.txt")
	wrongRev.ParentRev = strings.Repeat("0", 9)
	rightRev := files.NewDeleteArg("/a.txt")
	rightRev.ParentRev = a.Rev
	launch, err := fc.DeleteBatch(files.NewDeleteBatchArg([]*files.DeleteArg{
		rightRev, files.NewDeleteArg("/missing"), wrongRev, files.NewDeleteArg("/dir"), files.NewDeleteArg("/Dir/c.txt"),
	}))
	if err != nil {
		t.Fatalf("delete_batch: %v", err)
	}
	if launch.Tag != files.DeleteBatchLaunchAsyncJobId {
		t.Fatalf("delete_batch answered %+v; the spec says it always launches a job", launch)
	}
	st, err := fc.DeleteBatchCheck(async.NewPollArg(launch.AsyncJobId))
	if err != nil || st.Tag != files.DeleteBatchJobStatusInProgress {
		t.Fatalf("first delete_batch/check: %v %+v", err, st)
	}
	st, err = fc.DeleteBatchCheck(async.NewPollArg(launch.AsyncJobId))
	if err != nil || st.Tag != files.DeleteBatchJobStatusComplete {
		t.Fatalf("second delete_batch/check: %v %+v", err, st)
	}
	var got []string
	for _, e := range st.Complete.Entries {
		switch e.Tag {
		case files.DeleteBatchResultEntrySuccess:
			got = append(got, "ok "+relEntries([]files.IsMetadata{e.Success.Metadata})[0].Path)
		case files.DeleteBatchResultEntryFailure:
			reason := e.Failure.Tag
			switch {
			case e.Failure.PathLookup != nil:
				reason += "/" + e.Failure.PathLookup.Tag
			case e.Failure.PathWrite != nil:
				reason += "/" + strings.Join(writeTags(e.Failure.PathWrite), "/")
			}
			got = append(got, reason)
		}
	}
	want := []string{"ok /a.txt", "path_lookup/not_found", "path_write/conflict/file", "ok /Dir", "path_lookup/not_found"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delete_batch entries (-want +got):\n%s", diff)
	}
	wantLog := []relEntry{{"deleted", "/a.txt", ""}, {"deleted", "/dir", ""}}
	if diff := cmp.Diff(wantLog, relContinue(t, fc, cursor)); diff != "" {
		t.Errorf("list_folder/continue after delete_batch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]relEntry{{"file", "/b.txt", b.Id}}, relList(t, fc, "", false)); diff != "" {
		t.Errorf("tree after delete_batch (-want +got):\n%s", diff)
	}
}

// businessAccount makes a Dropbox Business account on emu and its client.
func businessAccount(t *testing.T, emu *dropboxtest.Emulator) (dropboxtest.Account, files.Client) {
	t.Helper()
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "boss@example.com", DisplayName: "Boss", AccountType: "business"})
	return acct, files.New(sdkConfig(emu, acct.AccessToken))
}

// wantMissingPermanentDelete checks that err is 401 missing_scope naming
// files.permanent_delete.
func wantMissingPermanentDelete(t *testing.T, what string, err error) {
	t.Helper()
	var ae auth.AuthAPIError
	if !errors.As(err, &ae) || ae.AuthError == nil || ae.AuthError.Tag != auth.AuthErrorMissingScope ||
		ae.AuthError.MissingScope == nil || ae.AuthError.MissingScope.RequiredScope != "files.permanent_delete" {
		t.Errorf("%s: %v, want 401 missing_scope files.permanent_delete", what, err)
	}
}

// Outside Dropbox Business, tokens never carry files.permanent_delete, so
// the route answers 401 missing_scope, whoever made the token.
func TestPermanentlyDeleteNeedsBusiness(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	relUpload(t, fc, "/a.txt", "A")
	wantMissingPermanentDelete(t, "permanently_delete with the admin token of a Pro account", fc.PermanentlyDelete(files.NewDeleteArg("/a.txt")))

	var tok struct {
		AccessToken string   `json:"access_token"`
		Scopes      []string `json:"scopes"`
	}
	emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": acct.AccountID,
		"scopes": []string{"files.permanent_delete", "files.metadata.read"}}, &tok)
	if diff := cmp.Diff([]string{"files.metadata.read"}, tok.Scopes); diff != "" {
		t.Errorf("scopes of an admin token asked with files.permanent_delete on a Pro account (-want +got):\n%s", diff)
	}
	wantMissingPermanentDelete(t, "permanently_delete with a token asked with the scope", files.New(sdkConfig(emu, tok.AccessToken)).PermanentlyDelete(files.NewDeleteArg("/a.txt")))

	boss, _ := businessAccount(t, emu)
	emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": boss.AccountID,
		"scopes": []string{"files.permanent_delete"}}, &tok)
	if diff := cmp.Diff([]string{"files.permanent_delete"}, tok.Scopes); diff != "" {
		t.Errorf("scopes of a Business admin token (-want +got):\n%s", diff)
	}
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("/a.txt")); err != nil {
		t.Errorf("the refused calls deleted the file: %v", err)
	}
}

// An OAuth grant on an account outside Dropbox Business leaves out
// files.permanent_delete even when the app has it.
func TestPermanentlyDeleteScopeOAuth(t *testing.T) {
	t.Parallel()
	env := newOAuthEnv(t)
	env.emu.CreateApp(t, dropboxtest.AppArg{AppKey: "pdkey", AppSecret: oauthSecret,
		RedirectURIs: []string{oauthRedirect}, Scopes: []string{"files.permanent_delete", "files.metadata.read"}})
	conf := *env.conf
	conf.ClientID = "pdkey"
	tok, err := conf.Exchange(t.Context(), env.code(t, &conf, "s"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Extra("scope"); got != "account_info.read files.metadata.read" {
		t.Errorf("scope of a grant on a Basic account = %v, want no files.permanent_delete", got)
	}
	wantMissingPermanentDelete(t, "permanently_delete with an OAuth token of a Basic account",
		files.New(sdkConfig(env.emu, tok.AccessToken)).PermanentlyDelete(files.NewDeleteArg("/a.txt")))

	boss, _ := businessAccount(t, env.emu)
	env.acct = boss
	tok, err = conf.Exchange(t.Context(), env.code(t, &conf, "b"))
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Extra("scope"); got != "account_info.read files.metadata.read files.permanent_delete" {
		t.Errorf("scope of a grant on a Business account = %v, want files.permanent_delete", got)
	}
}

// A token of a Pro account that has the scope anyway (a state from before
// the rule) gets path_write/access_restricted, a DeleteError member.
func TestPermanentlyDeleteAccessRestricted(t *testing.T) {
	t.Parallel()
	b := dropboxemu.NewMemoryBackend()
	withBackend := dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.Backend = b })
	emu := dropboxtest.NewEmulator(t, withBackend)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "pro@example.com", AccountType: "pro"})
	ok(t, emu, rawCall{Route: "files/upload", Token: acct.AccessToken, Style: "upload", Arg: map[string]any{"path": "/a.txt"}, Body: []byte("A")})
	var row []byte
	if err := b.Load(func(table, key string, value []byte) error {
		if table == "token" && key == acct.AccessToken {
			row = value
		}
		return nil
	}); err != nil || row == nil {
		t.Fatalf("token row: %v", err)
	}
	var tok map[string]any
	if err := json.Unmarshal(row, &tok); err != nil {
		t.Fatal(err)
	}
	tok["scopes"] = append(tok["scopes"].([]any), "files.permanent_delete")
	if row, err := json.Marshal(tok); err != nil || b.Commit([]dropboxemu.Op{{Table: "token", Key: acct.AccessToken, Value: row}}) != nil {
		t.Fatalf("rewrite the token row: %v", err)
	}
	emu = dropboxtest.NewEmulator(t, withBackend)
	r := do(t, emu, rawCall{Route: "files/permanently_delete", Token: acct.AccessToken, Arg: map[string]any{"path": "/a.txt"}})
	want := `{"error_summary":"path_write/access_restricted/..","error":{".tag":"path_write","path_write":{".tag":"access_restricted"}}}`
	if r.Status != http.StatusConflict || string(r.Body) != want {
		t.Errorf("permanently_delete on a Pro account with the scope: %d %s, want 409 %s", r.Status, r.Body, want)
	}
	ok(t, emu, rawCall{Route: "files/get_metadata", Token: acct.AccessToken, Arg: map[string]any{"path": "/a.txt"}})
}

func TestPermanentlyDeleteNeedsScope(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct, _ := businessAccount(t, emu)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": acct.AccountID,
		"scopes": []string{"files.content.write", "files.content.read", "files.metadata.read"}}, &tok)
	err := files.New(sdkConfig(emu, tok.AccessToken)).PermanentlyDelete(files.NewDeleteArg("/a.txt"))
	var ae auth.AuthAPIError
	if !errors.As(err, &ae) || ae.AuthError == nil || ae.AuthError.Tag != auth.AuthErrorMissingScope ||
		ae.AuthError.MissingScope == nil || ae.AuthError.MissingScope.RequiredScope != "files.permanent_delete" {
		t.Errorf("permanently_delete without files.permanent_delete: %v", err)
	}
}

func TestPermanentlyDelete(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct, fc := businessAccount(t, emu)
	gone := relUpload(t, fc, "/Old/x.txt", "old")
	relUpload(t, fc, "/Old/Sub/y.txt", "y")
	live := relUpload(t, fc, "/Live/f.txt", "live")
	keep := relUpload(t, fc, "/Keep.txt", "keep")
	if _, err := fc.DeleteV2(files.NewDeleteArg("/Old")); err != nil {
		t.Fatalf("delete_v2: %v", err)
	}
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("rev:" + gone.Rev)); err != nil {
		t.Fatalf("revision of a deleted file before permanently_delete: %v", err)
	}
	wantDeleted := []relEntry{{"deleted", "/old", ""}, {"deleted", "/old/sub", ""}, {"deleted", "/old/sub/y.txt", ""}, {"deleted", "/old/x.txt", ""}}
	if diff := cmp.Diff(wantDeleted, deletedOnly(relList(t, fc, "", true))); diff != "" {
		t.Fatalf("deleted paths before (-want +got):\n%s", diff)
	}

	// An already deleted folder: its deleted paths and revisions go.
	if err := fc.PermanentlyDelete(files.NewDeleteArg("/old")); err != nil {
		t.Fatalf("permanently_delete of a deleted folder: %v", err)
	}
	if got := deletedOnly(relList(t, fc, "", true)); len(got) != 0 {
		t.Errorf("include_deleted still lists %+v", got)
	}
	arg := files.NewGetMetadataArg("/Old/x.txt")
	arg.IncludeDeleted = true
	if _, err := fc.GetMetadata(arg); err == nil {
		t.Error("get_metadata include_deleted still finds the permanently deleted file")
	}
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("rev:" + gone.Rev)); err == nil {
		t.Error("the permanently deleted file's revision is still there")
	}

	// A live file: deleted first (continue reports it), then for good.
	cursor := relCursor(t, fc)
	if err := fc.PermanentlyDelete(files.NewDeleteArg(live.Id)); err != nil {
		t.Fatalf("permanently_delete of a live file by id: %v", err)
	}
	if diff := cmp.Diff([]relEntry{{"deleted", "/live/f.txt", ""}}, relContinue(t, fc, cursor)); diff != "" {
		t.Errorf("list_folder/continue after permanently_delete (-want +got):\n%s", diff)
	}
	if got := deletedOnly(relList(t, fc, "", true)); len(got) != 0 {
		t.Errorf("include_deleted lists %+v", got)
	}
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("rev:" + live.Rev)); err == nil {
		t.Error("the live file's revision survived permanently_delete")
	}
	if _, err := fc.GetMetadata(files.NewGetMetadataArg("rev:" + keep.Rev)); err != nil {
		t.Errorf("an unrelated revision went: %v", err)
	}

	// Errors: nothing there, parent_rev mismatch, malformed.
	var pe files.PermanentlyDeleteAPIError
	err := fc.PermanentlyDelete(files.NewDeleteArg("/Live/f.txt"))
	if !errors.As(err, &pe) || pe.EndpointError.Tag != files.DeleteErrorPathLookup || pe.EndpointError.PathLookup.Tag != files.LookupErrorNotFound {
		t.Errorf("second permanently_delete: %v", err)
	}
	wrong := files.NewDeleteArg("/Keep.txt")
	wrong.ParentRev = strings.Repeat("1", 9)
	err = fc.PermanentlyDelete(wrong)
	if !errors.As(err, &pe) || pe.EndpointError.Tag != files.DeleteErrorPathWrite {
		t.Errorf("permanently_delete with a wrong parent_rev: %v", err)
	}
	r := do(t, emu, rawCall{Route: "files/permanently_delete", Token: acct.AccessToken, Arg: map[string]any{"path": "Keep.txt"}})
	if r.Status != http.StatusBadRequest {
		t.Errorf("permanently_delete of a path without a slash: %d %s", r.Status, r.Body)
	}
	r = do(t, emu, rawCall{Route: "files/permanently_delete", Token: acct.AccessToken, Arg: map[string]any{"path": "/Keep.txt"}})
	if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != "null" {
		t.Errorf("permanently_delete answer: %d %s", r.Status, r.Body)
	}
}

func deletedOnly(es []relEntry) []relEntry {
	out := []relEntry{}
	for _, e := range es {
		if e.Tag == "deleted" {
			out = append(out, e)
		}
	}
	return out
}
