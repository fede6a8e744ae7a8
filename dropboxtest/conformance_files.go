package dropboxtest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropbox/contenthash"
)

// testUpload: files/upload with its write modes, upload sessions (start,
// append, append_v2, finish), batch sessions (start_batch, append_batch,
// finish_batch and its check, finish_batch_v2), temporary upload links,
// and the client's Upload and UploadBatch on top of them.
func testUpload(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx

	// files/upload: add, add again with other bytes (autorename), update
	// with a stale rev (conflict).
	first := []byte("first version")
	md := must(c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/Docs/Note.txt"}, bytes.NewReader(first)))(t, "upload")
	diff(t, "upload", fileWant("/Docs/Note.txt", first), fileItem(md))
	if md.Name != "Note.txt" || md.ID == "" || md.Rev == "" {
		t.Errorf("upload: name %q, id %q, rev %q", md.Name, md.ID, md.Rev)
	}
	other := []byte("other bytes")
	renamed := must(c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/Docs/Note.txt", Autorename: true}, bytes.NewReader(other)))(t, "upload autorename")
	diff(t, "upload autorename", fileWant("/Docs/Note (1).txt", other), fileItem(renamed))
	same := must(c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/Docs/Note.txt", Autorename: true}, bytes.NewReader(first)))(t, "upload the same bytes again")
	diff(t, "upload the same bytes in mode add", fileWant("/Docs/Note.txt", first), fileItem(same))
	if same.Rev != md.Rev {
		t.Errorf("upload of the same bytes made rev %s, want the file's %s unchanged", same.Rev, md.Rev)
	}
	second := []byte("second version")
	upd := must(c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/Docs/Note.txt", Mode: dropbox.WriteMode{Tag: dropbox.WriteModeUpdate, Update: md.Rev}}, bytes.NewReader(second)))(t, "upload update")
	diff(t, "upload update", fileWant("/Docs/Note.txt", second), fileItem(upd))
	_, err := c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/Docs/Note.txt", Mode: dropbox.WriteMode{Tag: dropbox.WriteModeUpdate, Update: md.Rev}}, strings.NewReader("stale"))
	var ue *dropbox.UploadError
	if !errors.Is(err, dropbox.ErrConflict) || !errors.As(err, &ue) || ue.Tag != dropbox.UploadErrorPath || ue.Path == nil || ue.Path.Reason.Tag != dropbox.WriteErrorConflict {
		t.Errorf("upload with a stale rev: %v (%+v), want path/conflict", err, ue)
	}
	_, err = c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/Docs/Bad.txt", ContentHash: dropbox.Ptr(contenthash.Of([]byte("x")))}, strings.NewReader("y"))
	if !errors.Is(err, dropbox.ErrContentHashMismatch) {
		t.Errorf("upload with a wrong content_hash: %v, want content_hash_mismatch", err)
	}

	// An upload session: start with a part, append_v2, append (v1), and a
	// wrong offset, then finish.
	data := randomBytes(1, 3000)
	p1, p2, p3 := data[:1000], data[1000:2000], data[2000:]
	start := must(c.Files.UploadSessionStart(ctx, &dropbox.UploadSessionStartArg{}, bytes.NewReader(p1)))(t, "upload_session/start")
	check(t, "upload_session/append_v2", c.Files.UploadSessionAppendV2(ctx, &dropbox.UploadSessionAppendArg{
		Cursor: dropbox.UploadSessionCursor{SessionID: start.SessionID, Offset: 1000}}, bytes.NewReader(p2)))
	err = c.Files.UploadSessionAppendV2(ctx, &dropbox.UploadSessionAppendArg{
		Cursor: dropbox.UploadSessionCursor{SessionID: start.SessionID, Offset: 1500}}, bytes.NewReader(p3))
	var ae *dropbox.UploadSessionAppendError
	if !errors.Is(err, dropbox.ErrIncorrectOffset) || !errors.As(err, &ae) || ae.IncorrectOffset == nil || ae.IncorrectOffset.CorrectOffset != 2000 {
		t.Errorf("append_v2 at a wrong offset: %v (%+v), want incorrect_offset with correct_offset 2000", err, ae)
	}
	check(t, "upload_session/append", c.Files.UploadSessionAppend(ctx, &dropbox.UploadSessionCursor{SessionID: start.SessionID, Offset: 2000}, bytes.NewReader(p3)))
	fin := must(c.Files.UploadSessionFinish(ctx, &dropbox.UploadSessionFinishArg{
		Cursor: dropbox.UploadSessionCursor{SessionID: start.SessionID, Offset: 3000},
		Commit: dropbox.CommitInfo{Path: "/Sessions/Whole.bin"}}, nil))(t, "upload_session/finish")
	diff(t, "upload_session/finish", fileWant("/Sessions/Whole.bin", data), fileItem(fin))

	// Batch sessions: start_batch, one append_batch for all, finish_batch_v2.
	batch := must(c.Files.UploadSessionStartBatch(ctx, &dropbox.UploadSessionStartBatchArg{NumSessions: 2}))(t, "upload_session/start_batch")
	if len(batch.SessionIDs) != 2 {
		t.Fatalf("start_batch gave %d sessions, want 2", len(batch.SessionIDs))
	}
	a, b := []byte("alpha"), []byte("bravo!")
	appended := must(c.Files.UploadSessionAppendBatch(ctx, &dropbox.UploadSessionAppendBatchArg{Entries: []dropbox.UploadSessionAppendBatchArgEntry{
		{Cursor: dropbox.UploadSessionCursor{SessionID: batch.SessionIDs[0]}, Length: uint64(len(a)), Close: true},
		{Cursor: dropbox.UploadSessionCursor{SessionID: batch.SessionIDs[1]}, Length: uint64(len(b)), Close: true},
	}}, bytes.NewReader(slices.Concat(a, b))))(t, "upload_session/append_batch")
	var tags []string
	for _, en := range appended.Entries {
		tags = append(tags, en.Tag)
	}
	diff(t, "append_batch entries", []string{"success", "success"}, tags)
	done := must(c.Files.UploadSessionFinishBatchV2(ctx, &dropbox.UploadSessionFinishBatchArg{Entries: []dropbox.UploadSessionFinishArg{
		{Cursor: dropbox.UploadSessionCursor{SessionID: batch.SessionIDs[0], Offset: uint64(len(a))}, Commit: dropbox.CommitInfo{Path: "/Batch/a.txt"}},
		{Cursor: dropbox.UploadSessionCursor{SessionID: batch.SessionIDs[1], Offset: uint64(len(b))}, Commit: dropbox.CommitInfo{Path: "/Batch/b.txt"}},
	}}))(t, "upload_session/finish_batch_v2")
	diff(t, "finish_batch_v2", []item{fileWant("/Batch/a.txt", a), fileWant("/Batch/b.txt", b)}, finishItems(done))

	// finish_batch (v1), polled through finish_batch/check.
	cc := []byte("charlie")
	closed := must(c.Files.UploadSessionStart(ctx, &dropbox.UploadSessionStartArg{Close: true}, bytes.NewReader(cc)))(t, "upload_session/start close")
	launch := must(c.Files.UploadSessionFinishBatch(ctx, &dropbox.UploadSessionFinishBatchArg{Entries: []dropbox.UploadSessionFinishArg{
		{Cursor: dropbox.UploadSessionCursor{SessionID: closed.SessionID, Offset: uint64(len(cc))}, Commit: dropbox.CommitInfo{Path: "/Batch/c.txt"}},
	}}))(t, "upload_session/finish_batch")
	result := launch.Complete
	if launch.Tag == dropbox.UploadSessionFinishBatchLaunchAsyncJobID {
		st := poll(ctx, t, "upload_session/finish_batch/check", func() (*dropbox.UploadSessionFinishBatchJobStatus, error) {
			return c.Files.UploadSessionFinishBatchCheck(ctx, &dropbox.PollArg{AsyncJobID: launch.AsyncJobID})
		}, func(s *dropbox.UploadSessionFinishBatchJobStatus) bool {
			return s.Tag != dropbox.UploadSessionFinishBatchJobStatusInProgress
		})
		result = st.Complete
	}
	diff(t, "finish_batch", []item{fileWant("/Batch/c.txt", cc)}, finishItems(result))

	// A temporary upload link takes one upload without a token.
	link := must(c.Files.GetTemporaryUploadLink(ctx, &dropbox.GetTemporaryUploadLinkArg{CommitInfo: dropbox.CommitInfo{Path: "/Linked/up.txt"}}))(t, "get_temporary_upload_link")
	linked := []byte("through a temporary upload link")
	resp := must(http.Post(link.Link, "application/octet-stream", bytes.NewReader(linked)))(t, "post to the temporary upload link")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("post to the temporary upload link: %s", resp.Status)
	}
	got := must(c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: "/Linked/up.txt"}))(t, "get_metadata of the linked upload")
	diff(t, "file of the temporary upload link", fileWant("/Linked/up.txt", linked), itemOf(*got))

	// Client.Upload: a session of concurrent parts from an io.ReaderAt, a
	// sequential one from a stream of unknown size.
	big := randomBytes(2, 4<<20+17) // two parts of a session
	opts := &dropbox.UploadOptions{Threshold: 1 << 20, PartSize: 4 << 20}
	up := must(c.Upload(ctx, "/Big/concurrent.bin", bytes.NewReader(big), int64(len(big)), opts))(t, "Upload concurrent")
	diff(t, "Upload concurrent", fileWant("/Big/concurrent.bin", big), fileItem(up))
	up = must(c.Upload(ctx, "/Big/stream.bin", io.MultiReader(bytes.NewReader(big)), -1, opts))(t, "Upload stream")
	diff(t, "Upload stream", fileWant("/Big/stream.bin", big), fileItem(up))
	up = must(c.Upload(ctx, "/Big/small.txt", strings.NewReader("small"), 5, nil))(t, "Upload small")
	diff(t, "Upload small", fileWant("/Big/small.txt", []byte("small")), fileItem(up))

	// Client.UploadBatch commits many files together.
	var files []dropbox.BatchFile
	var want []item
	for i := range 5 {
		body := fmt.Appendf(nil, "file %d of the batch", i)
		path := fmt.Sprintf("/Many/f%d.txt", i)
		files = append(files, dropbox.BatchFile{Path: path, Content: bytes.NewReader(body), Size: int64(len(body))})
		want = append(want, fileWant(path, body))
	}
	results := must(c.UploadBatch(ctx, files, nil))(t, "UploadBatch")
	var gotItems []item
	for i, r := range results {
		if r.Err != nil {
			t.Errorf("UploadBatch file %d: %v", i, r.Err)
			continue
		}
		gotItems = append(gotItems, fileItem(r.Metadata))
	}
	diff(t, "UploadBatch", want, gotItems)

	// Nothing else was written: the whole tree.
	wantTree := []item{
		folderWant("/Batch"), fileWant("/Batch/a.txt", a), fileWant("/Batch/b.txt", b), fileWant("/Batch/c.txt", cc),
		folderWant("/Big"), fileWant("/Big/concurrent.bin", big), fileWant("/Big/small.txt", []byte("small")), fileWant("/Big/stream.bin", big),
		folderWant("/Docs"), fileWant("/Docs/Note (1).txt", other), fileWant("/Docs/Note.txt", second),
		folderWant("/Linked"), fileWant("/Linked/up.txt", linked),
		folderWant("/Many"),
	}
	wantTree = append(wantTree, want...)
	wantTree = append(wantTree, folderWant("/Sessions"), fileWant("/Sessions/Whole.bin", data))
	diff(t, "the account's files", sortItems(wantTree), tree(t, e, c, ""))
}

// finishItems returns the items of a finish_batch result, "failure:<tags>"
// for a failed entry.
func finishItems(r *dropbox.UploadSessionFinishBatchResult) []item {
	if r == nil {
		return nil
	}
	var out []item
	for _, en := range r.Entries {
		if en.Tag == dropbox.UploadSessionFinishBatchResultEntrySuccess {
			out = append(out, fileItem(en.Success))
		} else {
			out = append(out, item{Tag: en.Tag, Path: fmt.Sprintf("%+v", en.Failure)})
		}
	}
	return out
}

// testDownload: files/download (whole, ranged through the client's
// Download and OpenDownload, an old revision), get_temporary_link,
// download_zip and get_thumbnail_v2.
func testDownload(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx
	data := randomBytes(3, 4<<20+99) // over one 4 MiB hash block
	old := put(t, e, c, "/Files/Data.bin", []byte("the old bytes"))
	put(t, e, c, "/Files/Data.bin", data)

	md, got := fetch(t, e, c, "/files/data.BIN")
	diff(t, "download metadata", fileWant("/Files/Data.bin", data), fileItem(md))
	if !bytes.Equal(got, data) {
		t.Errorf("download: %d bytes that differ from the %d uploaded", len(got), len(data))
	}
	oldMD, body := must2(c.Files.Download(ctx, &dropbox.DownloadArg{Path: "rev:" + old.Rev}))(t, "download rev:")
	oldBytes := must(io.ReadAll(body))(t, "read old revision")
	body.Close()
	if string(oldBytes) != "the old bytes" || oldMD.Rev != old.Rev {
		t.Errorf("download of rev %s: %q at rev %s", old.Rev, oldBytes, oldMD.Rev)
	}
	_, _, err := c.Files.Download(ctx, &dropbox.DownloadArg{Path: "/Files/Missing.bin"})
	var de *dropbox.DownloadError
	if !errors.Is(err, dropbox.ErrNotFound) || !errors.As(err, &de) || de.Tag != dropbox.DownloadErrorPath || de.Path == nil || de.Path.Tag != dropbox.LookupErrorNotFound {
		t.Errorf("download of a missing file: %v (%+v), want path/not_found", err, de)
	}

	var buf bytes.Buffer
	whole := must(c.Download(ctx, "/Files/Data.bin", &buf, nil))(t, "Download")
	if !bytes.Equal(buf.Bytes(), data) || whole.Rev != md.Rev {
		t.Errorf("Download: %d bytes at rev %s, want the %d uploaded at %s", buf.Len(), whole.Rev, len(data), md.Rev)
	}
	_, rc := must2(c.OpenDownload(ctx, "/Files/Data.bin", &dropbox.DownloadOptions{Offset: 4<<20 - 10, Length: 20}))(t, "OpenDownload range")
	part := must(io.ReadAll(rc))(t, "read range")
	rc.Close()
	if !bytes.Equal(part, data[4<<20-10:4<<20+10]) {
		t.Errorf("ranged download: %x, want %x", part, data[4<<20-10:4<<20+10])
	}

	// A temporary link serves the bytes without a token.
	tl := must(c.Files.GetTemporaryLink(ctx, &dropbox.GetTemporaryLinkArg{Path: "/Files/Data.bin"}))(t, "get_temporary_link")
	diff(t, "get_temporary_link metadata", fileWant("/Files/Data.bin", data), fileItem(&tl.Metadata))
	resp := must(http.Get(tl.Link))(t, "GET the temporary link")
	linked := must(io.ReadAll(resp.Body))(t, "read the temporary link")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(linked, data) {
		t.Errorf("temporary link: %s with %d bytes, want the %d uploaded", resp.Status, len(linked), len(data))
	}

	// download_zip of a folder holds its files.
	put(t, e, c, "/Zip/one.txt", []byte("one"))
	put(t, e, c, "/Zip/Sub/two.txt", []byte("two two"))
	zr, zbody := must2(c.Files.DownloadZip(ctx, &dropbox.DownloadZipArg{Path: "/zip"}))(t, "download_zip")
	zipped := must(io.ReadAll(zbody))(t, "read zip")
	zbody.Close()
	diff(t, "download_zip metadata", folderWant("/Zip"), folderItem(&zr.Metadata))
	zf := must(zip.NewReader(bytes.NewReader(zipped), int64(len(zipped))))(t, "open zip")
	files := map[string]string{}
	for _, f := range zf.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		r := must(f.Open())(t, "open "+f.Name)
		files[f.Name] = string(must(io.ReadAll(r))(t, "read "+f.Name))
		r.Close()
	}
	diff(t, "download_zip files", map[string]string{"Zip/one.txt": "one", "Zip/Sub/two.txt": "two two"}, files)

	// get_thumbnail_v2 of a PNG image, 64x32: fits 32x16 in w32h32.
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for x := range 64 {
		for y := range 32 {
			img.Set(x, y, color.RGBA{R: uint8(4 * x), G: uint8(8 * y), B: 128, A: 255})
		}
	}
	var pngBytes bytes.Buffer
	check(t, "encode png", png.Encode(&pngBytes, img))
	put(t, e, c, "/Pics/wide.png", pngBytes.Bytes())
	pr, tbody := must2(c.Files.GetThumbnailV2(ctx, &dropbox.ThumbnailV2Arg{
		Resource: dropbox.PathOrLink{Tag: dropbox.PathOrLinkPath, Path: "/Pics/wide.png"},
		Format:   dropbox.ThumbnailFormat{Tag: dropbox.ThumbnailFormatPng},
		Size:     dropbox.ThumbnailSize{Tag: dropbox.ThumbnailSizeW32h32},
	}))(t, "get_thumbnail_v2")
	thumb, err := png.Decode(tbody)
	tbody.Close()
	check(t, "decode the thumbnail", err)
	diff(t, "thumbnail", []any{fileWant("/Pics/wide.png", pngBytes.Bytes()), image.Pt(32, 16)},
		[]any{fileItem(pr.FileMetadata), thumb.Bounds().Size()})
	_, _, err = c.Files.GetThumbnailV2(ctx, &dropbox.ThumbnailV2Arg{Resource: dropbox.PathOrLink{Tag: dropbox.PathOrLinkPath, Path: "/Files/Data.bin"}})
	var te *dropbox.ThumbnailV2Error
	if !errors.As(err, &te) || te.Tag != dropbox.ThumbnailV2ErrorUnsupportedExtension {
		t.Errorf("thumbnail of a .bin: %v (%+v), want unsupported_extension", err, te)
	}
}

// testListing: list_folder with paging and continue, get_latest_cursor,
// changes through continue, longpoll, and get_metadata.
func testListing(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx
	mkdir(t, e, c, "/List")
	var want []item
	for i := range 5 {
		body := fmt.Appendf(nil, "entry %d", i)
		path := fmt.Sprintf("/List/e%d.txt", i)
		put(t, e, c, path, body)
		want = append(want, fileWant(path, body))
	}
	mkdir(t, e, c, "/List/Sub")
	want = append(want, folderWant("/List/Sub"))

	// Pages of two, then continue to the end.
	res := must(c.Files.ListFolder(ctx, &dropbox.ListFolderArg{Path: "/list", Limit: dropbox.Ptr[uint32](2)}))(t, "list_folder")
	if !res.HasMore || len(res.Entries) > 2 || res.Cursor == "" {
		t.Errorf("list_folder with limit 2: %d entries, has_more %v, cursor %q", len(res.Entries), res.HasMore, res.Cursor)
	}
	var got []item
	for {
		for _, m := range res.Entries {
			got = append(got, itemOf(m))
		}
		if !res.HasMore {
			break
		}
		res = must(c.Files.ListFolderContinue(ctx, &dropbox.ListFolderContinueArg{Cursor: res.Cursor}))(t, "list_folder/continue")
	}
	diff(t, "list_folder pages", sortItems(slices.Clone(want)), sortItems(got))
	// The iterator sees the same.
	var iterated []item
	for m, err := range c.Files.ListFolderAll(ctx, &dropbox.ListFolderArg{Path: "/List", Limit: dropbox.Ptr[uint32](2)}) {
		check(t, "ListFolderAll", err)
		iterated = append(iterated, itemOf(m))
	}
	diff(t, "ListFolderAll", sortItems(slices.Clone(want)), sortItems(iterated))

	// Changes after get_latest_cursor come through continue; longpoll
	// sees them.
	latest := must(c.Files.ListFolderGetLatestCursor(ctx, &dropbox.ListFolderArg{Path: "/List", Recursive: true}))(t, "get_latest_cursor")
	quiet := must(c.Files.ListFolderContinue(ctx, &dropbox.ListFolderContinueArg{Cursor: latest.Cursor}))(t, "continue with no changes")
	if len(quiet.Entries) != 0 || quiet.HasMore {
		t.Errorf("continue from the latest cursor with no changes: %d entries, has_more %v", len(quiet.Entries), quiet.HasMore)
	}
	type polled struct {
		res *dropbox.ListFolderLongpollResult
		err error
	}
	ch := make(chan polled, 1)
	go func() {
		r, err := c.Files.ListFolderLongpoll(ctx, &dropbox.ListFolderLongpollArg{Cursor: latest.Cursor, Timeout: dropbox.Ptr[uint64](30)})
		ch <- polled{r, err}
	}()
	added := []byte("added later")
	put(t, e, c, "/List/Sub/new.txt", added)
	check(t, "delete_v2", deleteOne(e, c, "/List/e0.txt"))
	lp := <-ch
	check(t, "list_folder/longpoll", lp.err)
	if !lp.res.Changes {
		t.Errorf("longpoll after a change: %+v, want changes", lp.res)
	}
	changes := must(c.Files.ListFolderContinue(ctx, &dropbox.ListFolderContinueArg{Cursor: latest.Cursor}))(t, "continue after changes")
	var changed []item
	for _, m := range changes.Entries {
		changed = append(changed, itemOf(m))
	}
	diff(t, "changes", sortItems([]item{fileWant("/List/Sub/new.txt", added), deletedWant("/List/e0.txt")}), sortItems(changed))
	_, err := c.Files.ListFolderContinue(ctx, &dropbox.ListFolderContinueArg{Cursor: "not-a-cursor"})
	if err == nil {
		t.Error("continue with a made-up cursor succeeded")
	}
	_, err = c.Files.ListFolder(ctx, &dropbox.ListFolderArg{Path: "/Nowhere"})
	var le *dropbox.ListFolderError
	if !errors.Is(err, dropbox.ErrNotFound) || !errors.As(err, &le) || le.Tag != dropbox.ListFolderErrorPath {
		t.Errorf("list_folder of a missing folder: %v (%+v), want path/not_found", err, le)
	}

	// get_metadata: a file by path and by id, a folder, a deleted file,
	// a missing one.
	f := must(c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: "/LIST/e1.txt"}))(t, "get_metadata file")
	diff(t, "get_metadata file", want[1], itemOf(*f))
	byID := must(c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: f.File.ID}))(t, "get_metadata by id")
	diff(t, "get_metadata by id", want[1], itemOf(*byID))
	d := must(c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: "/list/sub"}))(t, "get_metadata folder")
	diff(t, "get_metadata folder", folderWant("/List/Sub"), itemOf(*d))
	gone := must(c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: "/List/e0.txt", IncludeDeleted: true}))(t, "get_metadata deleted")
	diff(t, "get_metadata deleted", deletedWant("/List/e0.txt"), itemOf(*gone))
	_, err = c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: "/List/e0.txt"})
	var ge *dropbox.GetMetadataError
	if !errors.Is(err, dropbox.ErrNotFound) || !errors.As(err, &ge) || ge.Path == nil || ge.Path.Tag != dropbox.LookupErrorNotFound {
		t.Errorf("get_metadata of a deleted file: %v (%+v), want path/not_found", err, ge)
	}
}

// deleteOne deletes path with files/delete_v2.
func deleteOne(e *env, c *dropbox.Client, path string) error {
	_, err := c.Files.DeleteV2(e.ctx, &dropbox.DeleteArg{Path: path})
	return err
}
