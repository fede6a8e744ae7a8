package dropboxtest

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
)

// testFolders: create_folder and create_folder_v2 (conflict, autorename),
// create_folder_batch synchronous and asynchronous with its check.
func testFolders(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx
	v1 := must(c.Files.CreateFolder(ctx, &dropbox.CreateFolderArg{Path: "/Old Style"}))(t, "create_folder")
	diff(t, "create_folder", folderWant("/Old Style"), folderItem(v1))
	mkdir(t, e, c, "/Projects")
	_, err := c.Files.CreateFolderV2(ctx, &dropbox.CreateFolderArg{Path: "/projects"})
	var ce *dropbox.CreateFolderError
	if !errors.Is(err, dropbox.ErrConflict) || !errors.As(err, &ce) || ce.Tag != dropbox.CreateFolderErrorPath || ce.Path == nil ||
		ce.Path.Conflict == nil || ce.Path.Conflict.Tag != dropbox.WriteConflictErrorFolder {
		t.Errorf("create_folder_v2 of an existing folder: %v (%+v), want path/conflict/folder", err, ce)
	}
	renamed := must(c.Files.CreateFolderV2(ctx, &dropbox.CreateFolderArg{Path: "/Projects", Autorename: true}))(t, "create_folder_v2 autorename")
	diff(t, "create_folder_v2 autorename", folderWant("/Projects (1)"), folderItem(&renamed.Metadata))

	sync := must(c.Files.CreateFolderBatch(ctx, &dropbox.CreateFolderBatchArg{Paths: []string{"/Batch/A", "/Batch/B"}}))(t, "create_folder_batch")
	async := must(c.Files.CreateFolderBatch(ctx, &dropbox.CreateFolderBatchArg{Paths: []string{"/Batch/C", "/Batch/A"}, ForceAsync: true}))(t, "create_folder_batch force_async")
	if async.Tag != dropbox.CreateFolderBatchLaunchAsyncJobID {
		t.Fatalf("create_folder_batch with force_async: %s, want async_job_id", async.Tag)
	}
	st := poll(ctx, t, "create_folder_batch/check", func() (*dropbox.CreateFolderBatchJobStatus, error) {
		return c.Files.CreateFolderBatchCheck(ctx, &dropbox.PollArg{AsyncJobID: async.AsyncJobID})
	}, func(s *dropbox.CreateFolderBatchJobStatus) bool {
		return s.Tag != dropbox.CreateFolderBatchJobStatusInProgress
	})
	if st.Tag != dropbox.CreateFolderBatchJobStatusComplete {
		t.Fatalf("create_folder_batch/check: %s (%+v), want complete", st.Tag, st.Failed)
	}
	var got []item
	for _, r := range []*dropbox.CreateFolderBatchResult{sync.Complete, st.Complete} {
		if r == nil {
			continue
		}
		for _, en := range r.Entries {
			switch {
			case en.Success != nil:
				got = append(got, folderItem(&en.Success.Metadata))
			case en.Failure != nil && en.Failure.Path != nil:
				got = append(got, item{Tag: "failure", Path: en.Failure.Path.Tag})
			default:
				got = append(got, item{Tag: en.Tag})
			}
		}
	}
	diff(t, "create_folder_batch entries", []item{folderWant("/Batch/A"), folderWant("/Batch/B"), folderWant("/Batch/C"), {Tag: "failure", Path: dropbox.WriteErrorConflict}}, got)
	diff(t, "folders", sortItems([]item{folderWant("/Batch"), folderWant("/Batch/A"), folderWant("/Batch/B"), folderWant("/Batch/C"),
		folderWant("/Old Style"), folderWant("/Projects"), folderWant("/Projects (1)")}), tree(t, e, c, ""))
}

// testRelocation: copy, copy_v2, move, move_v2, delete, delete_v2 and
// their batches (copy_batch, copy_batch_v2, move_batch, move_batch_v2,
// delete_batch) with their checks.
func testRelocation(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx
	x, y := []byte("x marks"), []byte("y not")
	put(t, e, c, "/Src/x.txt", x)
	put(t, e, c, "/Src/y.txt", y)

	cp1 := must(c.Files.Copy(ctx, &dropbox.RelocationArg{FromPath: "/Src/x.txt", ToPath: "/A/x1.txt"}))(t, "copy")
	diff(t, "copy", fileWant("/A/x1.txt", x), itemOf(*cp1))
	cp2 := must(c.Files.CopyV2(ctx, &dropbox.RelocationArg{FromPath: "/Src", ToPath: "/SrcCopy"}))(t, "copy_v2")
	diff(t, "copy_v2", folderWant("/SrcCopy"), itemOf(cp2.Metadata))
	mv1 := must(c.Files.Move(ctx, &dropbox.RelocationArg{FromPath: "/A/x1.txt", ToPath: "/A/x2.txt"}))(t, "move")
	diff(t, "move", fileWant("/A/x2.txt", x), itemOf(*mv1))
	mv2 := must(c.Files.MoveV2(ctx, &dropbox.RelocationArg{FromPath: "/A/x2.txt", ToPath: "/B/x3.txt"}))(t, "move_v2")
	diff(t, "move_v2", fileWant("/B/x3.txt", x), itemOf(mv2.Metadata))
	_, err := c.Files.MoveV2(ctx, &dropbox.RelocationArg{FromPath: "/A/x2.txt", ToPath: "/B/x4.txt"})
	var re *dropbox.RelocationError
	if !errors.Is(err, dropbox.ErrNotFound) || !errors.As(err, &re) || re.Tag != dropbox.RelocationErrorFromLookup {
		t.Errorf("move_v2 of a moved file: %v (%+v), want from_lookup/not_found", err, re)
	}
	_, err = c.Files.CopyV2(ctx, &dropbox.RelocationArg{FromPath: "/Src/y.txt", ToPath: "/B/x3.txt"})
	if !errors.Is(err, dropbox.ErrConflict) || !errors.As(err, &re) || re.Tag != dropbox.RelocationErrorTo {
		t.Errorf("copy_v2 onto a file: %v (%+v), want to/conflict", err, re)
	}

	// Batches: copy_batch (v1) and copy_batch_v2, move_batch and
	// move_batch_v2, each launched and checked.
	l1 := must(c.Files.CopyBatch(ctx, &dropbox.RelocationBatchArg{Entries: []dropbox.RelocationPath{{FromPath: "/Src/y.txt", ToPath: "/C/y1.txt"}}}))(t, "copy_batch")
	diff(t, "copy_batch", []item{fileWant("/C/y1.txt", y)}, batchV1Items(t, e, "copy_batch/check", l1, c.Files.CopyBatchCheck))
	l2 := must(c.Files.CopyBatchV2(ctx, &dropbox.RelocationBatchArgBase{Entries: []dropbox.RelocationPath{
		{FromPath: "/Src/y.txt", ToPath: "/C/y2.txt"}, {FromPath: "/Src/missing.txt", ToPath: "/C/m.txt"}}}))(t, "copy_batch_v2")
	diff(t, "copy_batch_v2", []item{fileWant("/C/y2.txt", y), {Tag: "failure", Path: "relocation_error/from_lookup"}},
		batchV2Items(t, e, "copy_batch/check_v2", l2, c.Files.CopyBatchCheckV2))
	l3 := must(c.Files.MoveBatch(ctx, &dropbox.RelocationBatchArg{Entries: []dropbox.RelocationPath{{FromPath: "/C/y1.txt", ToPath: "/D/y1.txt"}}}))(t, "move_batch")
	diff(t, "move_batch", []item{fileWant("/D/y1.txt", y)}, batchV1Items(t, e, "move_batch/check", l3, c.Files.MoveBatchCheck))
	l4 := must(c.Files.MoveBatchV2(ctx, &dropbox.MoveBatchArg{Entries: []dropbox.RelocationPath{{FromPath: "/C/y2.txt", ToPath: "/D/y1.txt"}}, Autorename: true}))(t, "move_batch_v2")
	diff(t, "move_batch_v2", []item{fileWant("/D/y1 (1).txt", y)}, batchV2Items(t, e, "move_batch/check_v2", l4, c.Files.MoveBatchCheckV2))

	// Deletes: delete (v1), delete_v2, delete_batch with its check.
	d1 := must(c.Files.Delete(ctx, &dropbox.DeleteArg{Path: "/SrcCopy/x.txt"}))(t, "delete")
	diff(t, "delete", fileWant("/SrcCopy/x.txt", x), itemOf(*d1))
	d2 := must(c.Files.DeleteV2(ctx, &dropbox.DeleteArg{Path: "/A"}))(t, "delete_v2")
	diff(t, "delete_v2", folderWant("/A"), itemOf(d2.Metadata))
	_, err = c.Files.DeleteV2(ctx, &dropbox.DeleteArg{Path: "/A"})
	var dle *dropbox.DeleteError
	if !errors.Is(err, dropbox.ErrNotFound) || !errors.As(err, &dle) || dle.Tag != dropbox.DeleteErrorPathLookup {
		t.Errorf("delete_v2 of a deleted folder: %v (%+v), want path_lookup/not_found", err, dle)
	}
	dl := must(c.Files.DeleteBatch(ctx, &dropbox.DeleteBatchArg{Entries: []dropbox.DeleteArg{{Path: "/C"}, {Path: "/SrcCopy/y.txt"}}}))(t, "delete_batch")
	res := dl.Complete
	if dl.Tag == dropbox.DeleteBatchLaunchAsyncJobID {
		st := poll(ctx, t, "delete_batch/check", func() (*dropbox.DeleteBatchJobStatus, error) {
			return c.Files.DeleteBatchCheck(ctx, &dropbox.PollArg{AsyncJobID: dl.AsyncJobID})
		}, func(s *dropbox.DeleteBatchJobStatus) bool { return s.Tag != dropbox.DeleteBatchJobStatusInProgress })
		if st.Tag != dropbox.DeleteBatchJobStatusComplete {
			t.Fatalf("delete_batch/check: %s (%+v)", st.Tag, st.Failed)
		}
		res = st.Complete
	}
	var deleted []item
	for _, en := range res.Entries {
		if en.Success == nil {
			t.Errorf("delete_batch entry: %s %+v", en.Tag, en.Failure)
			continue
		}
		deleted = append(deleted, itemOf(en.Success.Metadata))
	}
	diff(t, "delete_batch", []item{folderWant("/C"), fileWant("/SrcCopy/y.txt", y)}, deleted)

	diff(t, "the tree after relocations", sortItems([]item{
		folderWant("/B"), fileWant("/B/x3.txt", x),
		folderWant("/D"), fileWant("/D/y1 (1).txt", y), fileWant("/D/y1.txt", y),
		folderWant("/Src"), fileWant("/Src/x.txt", x), fileWant("/Src/y.txt", y),
		folderWant("/SrcCopy"),
	}), tree(t, e, c, ""))
}

// batchV1Items polls a v1 relocation batch to its end and returns its
// entries.
func batchV1Items(t *testing.T, e *env, what string, l *dropbox.RelocationBatchLaunch, check func(ctx context.Context, arg *dropbox.PollArg) (*dropbox.RelocationBatchJobStatus, error)) []item {
	t.Helper()
	res := l.Complete
	if l.Tag == dropbox.RelocationBatchLaunchAsyncJobID {
		st := poll(e.ctx, t, what, func() (*dropbox.RelocationBatchJobStatus, error) {
			return check(e.ctx, &dropbox.PollArg{AsyncJobID: l.AsyncJobID})
		}, func(s *dropbox.RelocationBatchJobStatus) bool {
			return s.Tag != dropbox.RelocationBatchJobStatusInProgress
		})
		if st.Tag != dropbox.RelocationBatchJobStatusComplete {
			t.Fatalf("%s: %s (%+v)", what, st.Tag, st.Failed)
		}
		res = st.Complete
	}
	if res == nil {
		t.Fatalf("%s: launch %s with no result", what, l.Tag)
	}
	var out []item
	for _, en := range res.Entries {
		out = append(out, itemOf(en.Metadata))
	}
	return out
}

// batchV2Items polls a v2 relocation batch to its end and returns its
// entries, failures as "failure" items with their tag path.
func batchV2Items(t *testing.T, e *env, what string, l *dropbox.RelocationBatchV2Launch, check func(ctx context.Context, arg *dropbox.PollArg) (*dropbox.RelocationBatchV2JobStatus, error)) []item {
	t.Helper()
	res := l.Complete
	if l.Tag == dropbox.RelocationBatchV2LaunchAsyncJobID {
		st := poll(e.ctx, t, what, func() (*dropbox.RelocationBatchV2JobStatus, error) {
			return check(e.ctx, &dropbox.PollArg{AsyncJobID: l.AsyncJobID})
		}, func(s *dropbox.RelocationBatchV2JobStatus) bool {
			return s.Tag != dropbox.RelocationBatchV2JobStatusInProgress
		})
		res = st.Complete
	}
	if res == nil {
		t.Fatalf("%s: launch %s with no result", what, l.Tag)
	}
	var out []item
	for _, en := range res.Entries {
		switch {
		case en.Success != nil:
			out = append(out, itemOf(*en.Success))
		case en.Failure != nil:
			tags := en.Failure.Tag
			if en.Failure.RelocationError != nil {
				tags += "/" + en.Failure.RelocationError.Tag
			}
			out = append(out, item{Tag: "failure", Path: tags})
		default:
			out = append(out, item{Tag: en.Tag})
		}
	}
	return out
}

// testRevisions: list_revisions and restore, and downloads of old
// revisions.
func testRevisions(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx
	versions := [][]byte{[]byte("v1"), []byte("version two"), []byte("the third")}
	var revs []string
	for _, v := range versions {
		revs = append(revs, put(t, e, c, "/Rev/doc.txt", v).Rev)
	}
	lr := must(c.Files.ListRevisions(ctx, &dropbox.ListRevisionsArg{Path: "/Rev/doc.txt", Limit: dropbox.Ptr[uint64](10)}))(t, "list_revisions")
	var got []item
	var gotRevs []string
	for _, f := range lr.Entries {
		got = append(got, fileItem(&f))
		gotRevs = append(gotRevs, f.Rev)
	}
	diff(t, "list_revisions, newest first", []item{
		fileWant("/Rev/doc.txt", versions[2]), fileWant("/Rev/doc.txt", versions[1]), fileWant("/Rev/doc.txt", versions[0]),
	}, got)
	diff(t, "list_revisions revs", []string{revs[2], revs[1], revs[0]}, gotRevs)
	if lr.IsDeleted || lr.HasMore {
		t.Errorf("list_revisions: is_deleted %v, has_more %v", lr.IsDeleted, lr.HasMore)
	}
	var all []string
	for f, err := range c.Files.ListRevisionsAll(ctx, &dropbox.ListRevisionsArg{Path: "/Rev/doc.txt", Limit: dropbox.Ptr[uint64](1)}) {
		check(t, "ListRevisionsAll", err)
		all = append(all, f.Rev)
	}
	diff(t, "ListRevisionsAll with pages of one", []string{revs[2], revs[1], revs[0]}, all)

	restored := must(c.Files.Restore(ctx, &dropbox.RestoreArg{Path: "/Rev/doc.txt", Rev: revs[0]}))(t, "restore")
	diff(t, "restore", fileWant("/Rev/doc.txt", versions[0]), fileItem(restored))
	_, now := fetch(t, e, c, "/Rev/doc.txt")
	if string(now) != "v1" {
		t.Errorf("after restore the file holds %q, want %q", now, "v1")
	}
	_, err := c.Files.Restore(ctx, &dropbox.RestoreArg{Path: "/Rev/doc.txt", Rev: "0123456789abcdef"})
	var rse *dropbox.RestoreError
	if !errors.As(err, &rse) || rse.Tag != dropbox.RestoreErrorInvalidRevision {
		t.Errorf("restore of a revision that does not exist: %v (%+v), want invalid_revision", err, rse)
	}
	lr = must(c.Files.ListRevisions(ctx, &dropbox.ListRevisionsArg{Path: "/Rev/doc.txt"}))(t, "list_revisions after restore")
	if len(lr.Entries) != 4 {
		t.Errorf("list_revisions after restore: %d revisions, want 4", len(lr.Entries))
	}
}

// testSearch: search_v2 with paging through search/continue_v2, and the
// iterator.
func testSearch(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx
	put(t, e, c, "/Reports/alpha report.txt", []byte("a"))
	put(t, e, c, "/Reports/Alpha notes.md", []byte("b"))
	put(t, e, c, "/Reports/beta.txt", []byte("c"))
	mkdir(t, e, c, "/Alpha folder")
	res := must(c.Files.SearchV2(ctx, &dropbox.SearchV2Arg{Query: "alpha", Options: &dropbox.SearchOptions{MaxResults: dropbox.Ptr[uint64](2)}}))(t, "search_v2")
	var got []item
	pages := 1
	for {
		for _, m := range res.Matches {
			if m.Metadata.Metadata == nil {
				t.Errorf("search match with no metadata: %+v", m)
				continue
			}
			got = append(got, itemOf(*m.Metadata.Metadata))
		}
		if !res.HasMore {
			break
		}
		if res.Cursor == nil {
			t.Fatal("search_v2: has_more with no cursor")
		}
		res = must(c.Files.SearchContinueV2(ctx, &dropbox.SearchV2ContinueArg{Cursor: *res.Cursor}))(t, "search/continue_v2")
		pages++
	}
	want := sortItems([]item{folderWant("/Alpha folder"), fileWant("/Reports/Alpha notes.md", []byte("b")), fileWant("/Reports/alpha report.txt", []byte("a"))})
	diff(t, "search_v2 matches", want, sortItems(got))
	if pages < 2 {
		t.Errorf("search_v2 with max_results 2 gave %d pages for 3 matches", pages)
	}
	var iterated []item
	for m, err := range c.Files.SearchV2All(ctx, &dropbox.SearchV2Arg{Query: "alpha", Options: &dropbox.SearchOptions{Path: dropbox.Ptr("/Reports"), FileExtensions: []string{"md"}}}) {
		check(t, "SearchV2All", err)
		iterated = append(iterated, itemOf(*m.Metadata.Metadata))
	}
	diff(t, "SearchV2All in /Reports, .md only", []item{fileWant("/Reports/Alpha notes.md", []byte("b"))}, iterated)
}

// testTags: tags/add, tags/get, tags/remove.
func testTags(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx
	put(t, e, c, "/Tagged/a.txt", []byte("a"))
	mkdir(t, e, c, "/Tagged/Sub")
	check(t, "tags/add", c.Files.TagsAdd(ctx, &dropbox.AddTagArg{Path: "/Tagged/a.txt", TagText: "urgent"}))
	check(t, "tags/add", c.Files.TagsAdd(ctx, &dropbox.AddTagArg{Path: "/Tagged/a.txt", TagText: "review"}))
	check(t, "tags/add folder", c.Files.TagsAdd(ctx, &dropbox.AddTagArg{Path: "/Tagged/Sub", TagText: "archive"}))
	got := must(c.Files.TagsGet(ctx, &dropbox.GetTagsArg{Paths: []string{"/Tagged/a.txt", "/Tagged/Sub"}}))(t, "tags/get")
	diff(t, "tags/get", map[string][]string{"/Tagged/a.txt": {"review", "urgent"}, "/Tagged/Sub": {"archive"}}, tagMap(got))
	check(t, "tags/remove", c.Files.TagsRemove(ctx, &dropbox.RemoveTagArg{Path: "/Tagged/a.txt", TagText: "urgent"}))
	err := c.Files.TagsRemove(ctx, &dropbox.RemoveTagArg{Path: "/Tagged/a.txt", TagText: "urgent"})
	var rte *dropbox.RemoveTagError
	if !errors.As(err, &rte) || rte.Tag != dropbox.RemoveTagErrorTagNotPresent {
		t.Errorf("tags/remove of an absent tag: %v (%+v), want tag_not_present", err, rte)
	}
	got = must(c.Files.TagsGet(ctx, &dropbox.GetTagsArg{Paths: []string{"/Tagged/a.txt"}}))(t, "tags/get after remove")
	diff(t, "tags/get after remove", map[string][]string{"/Tagged/a.txt": {"review"}}, tagMap(got))
}

// tagMap is a tags/get result as sorted tag texts by path.
func tagMap(r *dropbox.GetTagsResult) map[string][]string {
	out := map[string][]string{}
	for _, p := range r.PathsToTags {
		tags := []string{}
		for _, tg := range p.Tags {
			if tg.UserGeneratedTag != nil {
				tags = append(tags, tg.UserGeneratedTag.TagText)
			} else {
				tags = append(tags, "?"+tg.Tag)
			}
		}
		slices.Sort(tags)
		out[p.Path] = tags
	}
	return out
}

// testPaper: paper/create, paper/update and export of the document.
func testPaper(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx
	md := dropbox.ImportFormat{Tag: dropbox.ImportFormatMarkdown}
	created := must(c.Paper.Create(ctx, &dropbox.PaperCreateArg{Path: "/Paper/Plan.paper", ImportFormat: md}, strings.NewReader("# Plan\n\nFirst draft.\n")))(t, "paper/create")
	if created.ResultPath != "/Paper/Plan.paper" || created.FileID == "" || created.URL == "" || created.PaperRevision <= 0 {
		t.Errorf("paper/create = %+v", created)
	}
	updated := must(c.Paper.Update(ctx, &dropbox.PaperUpdateArg{Path: "/Paper/Plan.paper", ImportFormat: md,
		DocUpdatePolicy: dropbox.PaperDocUpdatePolicy{Tag: dropbox.PaperDocUpdatePolicyAppend}, PaperRevision: &created.PaperRevision},
		strings.NewReader("Second thoughts.\n")))(t, "paper/update")
	if updated.PaperRevision <= created.PaperRevision {
		t.Errorf("paper/update: revision %d after %d", updated.PaperRevision, created.PaperRevision)
	}
	_, err := c.Paper.Update(ctx, &dropbox.PaperUpdateArg{Path: "/Paper/Plan.paper", ImportFormat: md,
		DocUpdatePolicy: dropbox.PaperDocUpdatePolicy{Tag: dropbox.PaperDocUpdatePolicyUpdate}, PaperRevision: &created.PaperRevision},
		strings.NewReader("Lost update"))
	var pe *dropbox.PaperUpdateError
	if !errors.As(err, &pe) || pe.Tag != dropbox.PaperUpdateErrorRevisionMismatch {
		t.Errorf("paper/update at a stale revision: %v (%+v), want revision_mismatch", err, pe)
	}
	res, body := must2(c.Files.Export(ctx, &dropbox.ExportArg{Path: "/Paper/Plan.paper", ExportFormat: dropbox.Ptr("markdown")}))(t, "export")
	text := string(must(io.ReadAll(body))(t, "read export"))
	body.Close()
	if !strings.Contains(text, "First draft.") || !strings.Contains(text, "Second thoughts.") {
		t.Errorf("export as markdown: %q, want both paragraphs", text)
	}
	if res.ExportMetadata.Size != uint64(len(text)) || deref(res.FileMetadata.PathDisplay) != "/Paper/Plan.paper" || res.FileMetadata.ID != created.FileID ||
		deref(res.ExportMetadata.PaperRevision) != updated.PaperRevision {
		t.Errorf("export metadata: %+v, file %s %s; want %d bytes, /Paper/Plan.paper %s, paper revision %d",
			res.ExportMetadata, deref(res.FileMetadata.PathDisplay), res.FileMetadata.ID, len(text), created.FileID, updated.PaperRevision)
	}
	// A second create at the same path numbers the name.
	again := must(c.Paper.Create(ctx, &dropbox.PaperCreateArg{Path: "/Paper/Plan.paper", ImportFormat: md}, strings.NewReader("# Other\n")))(t, "paper/create again")
	if again.ResultPath == created.ResultPath {
		t.Errorf("paper/create at a taken path: %s, want a new name", again.ResultPath)
	}
}

// testPermanentlyDelete: permanently_delete on a Business account, and the
// missing scope on a Basic one.
func testPermanentlyDelete(t *testing.T, e *env) {
	c, _ := e.user(PlanBusiness)
	ctx := e.ctx
	put(t, e, c, "/Gone/secret.txt", []byte("forget me"))
	put(t, e, c, "/Gone/keep.txt", []byte("keep me"))
	check(t, "delete_v2", deleteOne(e, c, "/Gone/secret.txt"))
	check(t, "permanently_delete", c.Files.PermanentlyDelete(ctx, &dropbox.DeleteArg{Path: "/Gone/secret.txt"}))
	res := must(c.Files.ListFolder(ctx, &dropbox.ListFolderArg{Path: "/Gone", IncludeDeleted: true}))(t, "list_folder include_deleted")
	var got []item
	for _, m := range res.Entries {
		got = append(got, itemOf(m))
	}
	diff(t, "after permanently_delete", []item{fileWant("/Gone/keep.txt", []byte("keep me"))}, got)
	if _, err := c.Files.ListRevisions(ctx, &dropbox.ListRevisionsArg{Path: "/Gone/secret.txt"}); !errors.Is(err, dropbox.ErrNotFound) {
		t.Errorf("list_revisions of a permanently deleted file: %v, want not_found", err)
	}

	basic, _ := e.user(PlanBasic)
	put(t, e, basic, "/x.txt", []byte("x"))
	err := basic.Files.PermanentlyDelete(ctx, &dropbox.DeleteArg{Path: "/x.txt"})
	var au *dropbox.AuthError
	if !errors.As(err, &au) || au.Tag != "missing_scope" || au.RequiredScope != "files.permanent_delete" {
		t.Errorf("permanently_delete on a Basic account: %v, want missing_scope files.permanent_delete", err)
	}
}
