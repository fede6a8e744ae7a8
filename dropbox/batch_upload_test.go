package dropbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// countFiles is how many files are below folder.
func (e *upEnv) countFiles(t *testing.T, folder string) int {
	t.Helper()
	res, err := e.c.Files.ListFolder(t.Context(), &dropbox.ListFolderArg{Path: folder, Recursive: true, Limit: dropbox.Ptr[uint32](2000)})
	n := 0
	for {
		if err != nil {
			t.Fatalf("list %s: %v", folder, err)
		}
		for _, m := range res.Entries {
			if m.Tag == dropbox.MetadataFile {
				n++
			}
		}
		if !res.HasMore {
			return n
		}
		res, err = e.c.Files.ListFolderContinue(t.Context(), &dropbox.ListFolderContinueArg{Cursor: res.Cursor})
	}
}

// TestUploadBatch: small files, one of unknown size, large ones from an
// io.ReaderAt and a stream, and three bad files in the middle: each bad
// one gets its own error, the others are committed in one call.
func TestUploadBatch(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	if _, err := e.c.Files.CreateFolderV2(t.Context(), &dropbox.CreateFolderArg{Path: "/batch/taken"}); err != nil {
		t.Fatal(err)
	}
	large := &dropbox.UploadOptions{Threshold: 4 * mib, PartSize: 4 * mib}
	type file struct {
		path    string
		data    []byte
		content string // readerAt, stream, unknown
		opts    *dropbox.UploadOptions
		bad     string // how it fails: its error must match this
	}
	files := []file{
		{path: "/batch/empty.txt", data: nil, content: "readerAt"},
		{path: "/batch/one.txt", data: []byte("1"), content: "stream"},
		{path: "/batch/unknown.bin", data: upData(1, 3000), content: "unknown"},
		{path: "no-slash.txt", data: []byte("x"), content: "readerAt", bad: "not a Dropbox path"},
		{path: "/batch/desktop.ini", data: []byte("[x]"), content: "readerAt", bad: "disallowed_name"},
		{path: "/batch/taken", data: []byte("a folder is here"), content: "stream", bad: "conflict"},
		{path: "/batch/large.bin", data: upData(2, 9*mib+5), content: "readerAt", opts: large},
		{path: "/batch/large-stream.bin", data: upData(3, 5*mib), content: "stream", opts: large},
		{path: "/batch/large-unknown.bin", data: upData(4, 4*mib), content: "unknown", opts: large},
	}
	for i := range 20 {
		files = append(files, file{path: fmt.Sprintf("/batch/small/%02d.txt", i), data: upData(uint64(100+i), i*100), content: "readerAt"})
	}
	batch := make([]dropbox.BatchFile, len(files))
	for i, f := range files {
		var r io.Reader = bytes.NewReader(f.data)
		size := int64(len(f.data))
		switch f.content {
		case "stream":
			r = upStream{r}
		case "unknown":
			r, size = upStream{r}, -1
		}
		batch[i] = dropbox.BatchFile{Path: f.path, Content: r, Size: size, Options: f.opts}
	}
	results, err := e.c.UploadBatch(t.Context(), batch, &dropbox.BatchOptions{Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(files) {
		t.Fatalf("%d results for %d files", len(results), len(files))
	}
	for i, f := range files {
		r := results[i]
		if r.Path != f.path {
			t.Errorf("result %d is for %s, want %s", i, r.Path, f.path)
		}
		if f.bad != "" {
			if r.Err == nil || !strings.Contains(r.Err.Error(), f.bad) {
				t.Errorf("%s: error %v, want one about %s", f.path, r.Err, f.bad)
			}
			continue
		}
		if r.Err != nil {
			t.Errorf("%s: %v", f.path, r.Err)
			continue
		}
		e.check(t, r.Metadata, f.data)
	}
	// The conflict is typed as for a single upload.
	var fe *dropbox.UploadSessionFinishError
	if err := results[5].Err; !errors.Is(err, dropbox.ErrConflict) || !errors.As(err, &fe) || fe.Tag != dropbox.UploadSessionFinishErrorPath {
		t.Errorf("conflict: %v", err)
	}
	got := map[string]int{}
	for _, route := range []string{"files/upload", "files/upload_session/start_batch", "files/upload_session/append_batch",
		"files/upload_session/finish", "files/upload_session/finish_batch_v2"} {
		got[route] = e.tr.count(route, 200)
	}
	want := map[string]int{"files/upload": 0, "files/upload_session/start_batch": 1, "files/upload_session/append_batch": 1,
		"files/upload_session/finish": 0, "files/upload_session/finish_batch_v2": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestUploadBatchManyFiles: 1500 small files go up in two append_batch
// requests (at most 1000 entries each) and are committed in two calls.
func TestUploadBatchManyFiles(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	const n = 1500
	batch := make([]dropbox.BatchFile, n)
	for i := range batch {
		data := []byte(fmt.Sprintf("file %d", i))
		batch[i] = dropbox.BatchFile{Path: fmt.Sprintf("/many/%04d.txt", i), Content: bytes.NewReader(data), Size: int64(len(data))}
	}
	results, err := e.c.UploadBatch(t.Context(), batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil || r.Metadata == nil || *r.Metadata.PathDisplay != r.Path {
			t.Fatalf("%s: %+v", r.Path, r)
		}
	}
	if got := e.countFiles(t, "/many"); got != n {
		t.Errorf("%d files in /many, want %d", got, n)
	}
	if a, f := e.tr.count("files/upload_session/append_batch", 200), e.tr.count("files/upload_session/finish_batch_v2", 200); a != 2 || f != 2 {
		t.Errorf("%d append_batch and %d finish_batch_v2 calls, want 2 and 2", a, f)
	}
}

// TestUploadBatchWriteLimit: with one write at a time allowed per
// namespace, a batch with small and large files, alongside single
// uploads from the same client, meets no 429 too_many_write_operations:
// the client serialises its own writes.
func TestUploadBatchWriteLimit(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.NamespaceWriteLimit = 1 }))
	large := &dropbox.UploadOptions{Threshold: 4 * mib, PartSize: 4 * mib}
	var batch []dropbox.BatchFile
	for i := range 300 {
		data := upData(uint64(i), 1000+i)
		batch = append(batch, dropbox.BatchFile{Path: fmt.Sprintf("/limit/small-%03d", i), Content: bytes.NewReader(data), Size: int64(len(data))})
	}
	for i := range 4 {
		data := upData(uint64(1000+i), 8*mib+i)
		batch = append(batch, dropbox.BatchFile{Path: fmt.Sprintf("/limit/large-%d", i), Content: bytes.NewReader(data), Size: int64(len(data)), Options: large})
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			data := upData(uint64(2000+i), 2000)
			if _, err := e.c.Upload(t.Context(), fmt.Sprintf("/limit/single-%d", i), bytes.NewReader(data), int64(len(data)), nil); err != nil {
				t.Errorf("single upload %d: %v", i, err)
			}
		})
	}
	results, err := e.c.UploadBatch(t.Context(), batch, nil)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Path, r.Err)
		}
	}
	if n := e.tr.total(429); n != 0 {
		t.Errorf("%d answers were 429", n)
	}
	var stats struct {
		Routes map[string]map[string]int `json:"routes"`
	}
	e.emu.Admin(t, "GET", "/_emulator/stats", nil, &stats)
	for route, byStatus := range stats.Routes {
		if byStatus["429"] > 0 {
			t.Errorf("the emulator answered %s with 429 %d times", route, byStatus["429"])
		}
	}
	if got := e.countFiles(t, "/limit"); got != len(batch)+8 {
		t.Errorf("%d files in /limit, want %d", got, len(batch)+8)
	}
}

// TestUploadBatchFaults: lost answers, 503s and 429s on the batch routes
// leave every file committed once.
func TestUploadBatchFaults(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	for _, route := range []string{"files/upload_session/start_batch", "files/upload_session/append_batch", "files/upload_session/finish_batch_v2"} {
		e.emu.AddFault(t, dropboxtest.Fault{Route: route, Status: 503, Times: 1})
		e.emu.AddFault(t, dropboxtest.Fault{Route: route, Reset: true, Times: 1})
	}
	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/upload_session/finish_batch_v2", Status: 429, Reason: "too_many_write_operations", Times: 1})
	e.tr.loseAnswers("files/upload_session/append_batch", 1)
	e.tr.loseAnswers("files/upload_session/finish_batch_v2", 1)
	var batch []dropbox.BatchFile
	var data [][]byte
	for i := range 30 {
		d := upData(uint64(i), 100*i)
		data = append(data, d)
		batch = append(batch, dropbox.BatchFile{Path: fmt.Sprintf("/faults/%02d", i), Content: bytes.NewReader(d), Size: int64(len(d))})
	}
	results, err := e.c.UploadBatch(t.Context(), batch, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Path, r.Err)
		}
		e.check(t, r.Metadata, data[i])
		if n := e.revisions(t, r.Path); n != 1 {
			t.Errorf("%s: %d revisions, want 1", r.Path, n)
		}
	}
}

// TestBatchUploader: files added one by one are committed at Flush; Add
// after Close fails; a Close whose context is over fails what is left.
func TestBatchUploader(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	u, err := e.c.NewBatchUploader(&dropbox.BatchOptions{GroupSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var items []*dropbox.BatchItem
	var want [][]byte
	for i := range 10 {
		data := upData(uint64(i), 1000) // four files fill a group
		it, err := u.Add(ctx, fmt.Sprintf("/u/%d", i), bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			t.Fatal(err)
		}
		items, want = append(items, it), append(want, data)
	}
	if err := u.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		select {
		case <-it.Done():
		default:
			t.Fatalf("%s not done after Flush", it.Path())
		}
		md, err := it.Wait(ctx)
		if err != nil {
			t.Fatalf("%s: %v", it.Path(), err)
		}
		e.check(t, md, want[i])
	}
	if n := e.tr.count("files/upload_session/append_batch", 200); n != 3 {
		t.Errorf("%d append_batch calls for 10 files of 1000 bytes in groups of 4096, want 3", n)
	}

	// Left over at a Close whose context is over.
	late, err := u.Add(ctx, "/u/late", strings.NewReader("late"), 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := u.Close(done); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with a cancelled context: %v", err)
	}
	if _, err := late.Wait(ctx); err == nil {
		t.Error("a file left at Close has no error")
	}
	e.absent(t, "/u/late")
	if _, err := u.Add(ctx, "/u/after", strings.NewReader("x"), 1, nil); err == nil {
		t.Error("Add after Close worked")
	}

	if _, err := e.c.NewBatchUploader(&dropbox.BatchOptions{GroupSize: 151 * mib}); err == nil {
		t.Error("a group size over 150 MiB was accepted")
	}
}
