package dropbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dropbridge/dropbridge/dropbox/contenthash"
)

// Batch limits: upload_session/append_batch and finish_batch_v2 take at
// most 1000 entries.
const (
	maxBatchEntries  = 1000
	defaultGroupSize = 32 << 20
	groupsInFlight   = 2
)

// BatchOptions tune a BatchUploader. The zero value (or nil) is good for
// most uses.
type BatchOptions struct {
	// Concurrency is how many files UploadBatch reads and sends at once;
	// 0 means 4. The parts of one large file go up as its UploadOptions
	// say.
	Concurrency int
	// GroupSize is the most bytes of small files sent together in one
	// upload_session/append_batch request: 0 means 32 MiB, and it may not
	// exceed 150 MiB. A file is small when it is below its upload
	// threshold (UploadOptions.Threshold) and at most GroupSize.
	GroupSize int64
}

// BatchUploader uploads many files fast and commits them together. The
// bytes of small files are gathered into groups that go up in one request
// each (upload_session/start_batch and append_batch, two groups at a time
// in the background); a large file goes through its own upload session,
// as Client.Upload sends it. The closed sessions are committed by
// upload_session/finish_batch_v2, up to 1000 files a call, one call at a
// time (the client serialises writes per account, so that its own writes
// never cause 429 too_many_write_operations). Each file gets its own
// result: a failing file does not fail the others.
//
// Files are committed when 1000 are ready and at Flush and Close. A
// BatchUploader is safe for concurrent use; Close it when done.
type BatchUploader struct {
	c    *Client
	opts BatchOptions
	bg   context.Context // the background sends; ends at Close
	stop context.CancelFunc

	mu      sync.Mutex
	closed  bool
	group   *fileGroup    // small files gathering
	ready   []*commitItem // closed sessions waiting to be committed
	active  int           // background jobs (group sends, commits)
	changed chan struct{} // closed and replaced when active drops
	slots   chan struct{} // groups in flight

	commitMu sync.Mutex // one finish_batch_v2 at a time
}

// NewBatchUploader returns a BatchUploader that uploads with c. opts may be
// nil; invalid options are an error.
func (c *Client) NewBatchUploader(opts *BatchOptions) (*BatchUploader, error) {
	var o BatchOptions
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Concurrency < 0:
		return nil, fmt.Errorf("dropbox: batch upload: concurrency %d: want 0 (4) or more", o.Concurrency)
	case o.GroupSize < 0 || o.GroupSize > maxRequestBytes:
		return nil, fmt.Errorf("dropbox: batch upload: group size %d: want 0 (32 MiB) up to 150 MiB", o.GroupSize)
	}
	if o.Concurrency == 0 {
		o.Concurrency = defaultConcurrency
	}
	if o.GroupSize == 0 {
		o.GroupSize = defaultGroupSize
	}
	u := &BatchUploader{c: c, opts: o, changed: make(chan struct{}), slots: make(chan struct{}, groupsInFlight)}
	u.bg, u.stop = context.WithCancel(context.Background())
	return u, nil
}

// BatchItem is a file handed to a BatchUploader. Its result is known once
// the file is committed or has failed.
type BatchItem struct {
	path string
	once sync.Once
	done chan struct{}
	md   *FileMetadata
	err  error
}

func newBatchItem(path string) *BatchItem { return &BatchItem{path: path, done: make(chan struct{})} }

// Path is the path the file was added for.
func (it *BatchItem) Path() string { return it.path }

// Done is closed when the file's result is known.
func (it *BatchItem) Done() <-chan struct{} { return it.done }

// Wait waits for the file's result: the committed file's metadata, or
// why it was not committed. Errors of the commit wrap an *APIError whose
// Err is the entry's *UploadSessionFinishError, so that the sentinels
// (ErrConflict, ...) and errors.As work as for Client.Upload.
func (it *BatchItem) Wait(ctx context.Context) (*FileMetadata, error) {
	select {
	case <-it.done:
		return it.md, it.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// finish sets the result, once.
func (it *BatchItem) finish(md *FileMetadata, err error) {
	it.once.Do(func() {
		it.md, it.err = md, err
		close(it.done)
	})
}

// fileGroup is small files whose bytes go up in one append_batch request.
type fileGroup struct {
	data  []byte
	files []groupFile
}

type groupFile struct {
	item   *BatchItem
	commit CommitInfo
	off, n int64
	hash   string
}

// commitItem is a closed session waiting to be committed.
type commitItem struct {
	item *BatchItem
	arg  UploadSessionFinishArg
	hash string // the file's content hash; "" when unknown
}

// errBatchClosed is the error of Add after Close.
var errBatchClosed = errors.New("dropbox: batch upload: the uploader is closed")

// Add hands the file at path, size bytes of r (-1: unknown, read to its
// end), to the uploader; opts as for Client.Upload (nil for the
// defaults). It returns once r has been read and may be used no more: for
// a small file when its bytes are gathered (it waits while two groups
// are being sent), for a large one when its session holds every byte. The
// error is the file's own (bad arguments, a read or send failure); the
// commit comes later, see BatchItem.Wait. Call Add from several goroutines
// to send several large files at once.
func (u *BatchUploader) Add(ctx context.Context, path string, r io.Reader, size int64, opts *UploadOptions) (*BatchItem, error) {
	p, err := newUploadPlan(path, size, opts)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("dropbox: upload %s: no content reader", path)
	}
	if u.isClosed() {
		return nil, errBatchClosed
	}
	item := newBatchItem(path)
	if p.resume == nil {
		small := min(p.threshold, u.opts.GroupSize+1) // small files are below this
		switch {
		case size >= 0 && size < small:
			data, err := readAll(r, size)
			if err != nil {
				return nil, fmt.Errorf("dropbox: upload %s: read content: %w", path, err)
			}
			return u.addSmall(ctx, item, p, data)
		case size < 0:
			head, whole, err := readHead(r, small)
			if err != nil {
				return nil, fmt.Errorf("dropbox: upload %s: read content: %w", path, err)
			}
			if whole {
				return u.addSmall(ctx, item, p, head)
			}
			r = io.MultiReader(bytes.NewReader(head), r)
		}
	}
	s, err := u.c.sendSession(ctx, p, r, size)
	if err != nil {
		return nil, err
	}
	u.enqueue(&commitItem{item: item, hash: s.hash,
		arg: UploadSessionFinishArg{Cursor: UploadSessionCursor{SessionID: s.id, Offset: uint64(s.size)}, Commit: p.commit}})
	return item, nil
}

func (u *BatchUploader) isClosed() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.closed
}

// readAll reads the size bytes of r, from its start when it is an
// io.ReaderAt.
func readAll(r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, size)
	var n int
	var err error
	if ra, ok := r.(io.ReaderAt); ok {
		n, err = io.ReadFull(io.NewSectionReader(ra, 0, size), buf)
	} else {
		n, err = io.ReadFull(r, buf)
	}
	if err != nil {
		return nil, shortRead(int64(n), size, err)
	}
	return buf, nil
}

// addSmall adds a small file's bytes to the gathering group, sending the
// group first when the file does not fit.
func (u *BatchUploader) addSmall(ctx context.Context, item *BatchItem, p *uploadPlan, data []byte) (*BatchItem, error) {
	sum := contenthash.Of(data)
	u.mu.Lock()
	for u.group != nil && (int64(len(u.group.data)+len(data)) > u.opts.GroupSize || len(u.group.files) == maxBatchEntries) {
		g := u.group
		u.group = nil
		u.mu.Unlock()
		if err := u.launch(ctx, g); err != nil {
			return nil, err
		}
		u.mu.Lock()
	}
	defer u.mu.Unlock()
	if u.closed {
		return nil, errBatchClosed
	}
	if u.group == nil {
		u.group = &fileGroup{}
	}
	g := u.group
	g.files = append(g.files, groupFile{item: item, commit: p.commit, off: int64(len(g.data)), n: int64(len(data)), hash: sum})
	g.data = append(g.data, data...)
	return item, nil
}

// launch sends g in the background once fewer than groupsInFlight groups
// are being sent. If ctx ends first, g's files fail.
func (u *BatchUploader) launch(ctx context.Context, g *fileGroup) error {
	select {
	case u.slots <- struct{}{}:
	case <-ctx.Done():
		for _, f := range g.files {
			f.item.finish(nil, fmt.Errorf("upload %s: %w", f.item.path, ctx.Err()))
		}
		return ctx.Err()
	}
	u.begin()
	go func() {
		defer u.end()
		defer func() { <-u.slots }()
		u.sendGroup(u.bg, g)
	}()
	return nil
}

// begin and end count a background job.
func (u *BatchUploader) begin() {
	u.mu.Lock()
	u.active++
	u.mu.Unlock()
}

func (u *BatchUploader) end() {
	u.mu.Lock()
	u.active--
	close(u.changed)
	u.changed = make(chan struct{})
	u.mu.Unlock()
}

// sendGroup opens a session per file of g and sends all their bytes in one
// append_batch request, closing the sessions.
func (u *BatchUploader) sendGroup(ctx context.Context, g *fileGroup) {
	fail := func(err error) {
		for _, f := range g.files {
			f.item.finish(nil, fmt.Errorf("upload %s: %w", f.item.path, err))
		}
	}
	started, err := u.c.Files.UploadSessionStartBatch(ctx, &UploadSessionStartBatchArg{NumSessions: uint64(len(g.files))})
	if err != nil {
		fail(fmt.Errorf("start sessions: %w", err))
		return
	}
	if len(started.SessionIDs) != len(g.files) {
		fail(fmt.Errorf("dropbox: start sessions: %d session ids for %d sessions", len(started.SessionIDs), len(g.files)))
		return
	}
	sum := contenthash.Of(g.data)
	arg := &UploadSessionAppendBatchArg{ContentHash: &sum, Entries: make([]UploadSessionAppendBatchArgEntry, len(g.files))}
	for i, f := range g.files {
		arg.Entries[i] = UploadSessionAppendBatchArgEntry{Cursor: UploadSessionCursor{SessionID: started.SessionIDs[i]}, Length: uint64(f.n), Close: true}
	}
	var res *UploadSessionAppendBatchResult
	// A repeat after a lost answer finds the sessions closed: that is
	// success, and the commit checks every session's size.
	_, err = u.c.retryUnanswered(ctx, func() (err error) {
		res, err = u.c.Files.UploadSessionAppendBatch(ctx, arg, bytes.NewReader(g.data))
		return err
	})
	if err == nil && len(res.Entries) != len(g.files) {
		err = fmt.Errorf("dropbox: append batch: %d results for %d entries", len(res.Entries), len(g.files))
	}
	if err != nil {
		fail(fmt.Errorf("append batch: %w", err))
		return
	}
	for i, f := range g.files {
		e := res.Entries[i]
		if fe := e.Failure; e.Tag != UploadSessionAppendBatchResultEntrySuccess && !(fe != nil && (fe.Tag == UploadSessionAppendBatchEntryErrorClosed ||
			fe.Tag == UploadSessionAppendBatchEntryErrorIncorrectOffset && fe.IncorrectOffset != nil && int64(fe.IncorrectOffset.CorrectOffset) == f.n)) {
			var err error = fmt.Errorf("dropbox: files/upload_session/append_batch: the entry failed without a reason")
			if fe != nil {
				err = entryError("files/upload_session/append_batch", fe, nil)
			}
			f.item.finish(nil, fmt.Errorf("upload %s: %w", f.item.path, err))
			continue
		}
		u.enqueue(&commitItem{item: f.item, hash: f.hash,
			arg: UploadSessionFinishArg{Cursor: UploadSessionCursor{SessionID: started.SessionIDs[i], Offset: uint64(f.n)}, Commit: f.commit}})
	}
}

// entryError is the error of one entry of a batch route's answer, the
// failure union: an *APIError with its tags and, when it is a route error,
// itself as Err.
func entryError(route string, failure any, union error) error {
	raw, err := json.Marshal(failure)
	if err != nil {
		return fmt.Errorf("dropbox: %s: encode the entry's failure: %w", route, err)
	}
	tags := tagPath(raw)
	return &APIError{Route: route, Summary: strings.Join(tags, "/"), Tags: tags, Body: raw, Err: union}
}

// enqueue puts a closed session up for commit; 1000 of them are committed
// in the background.
func (u *BatchUploader) enqueue(ci *commitItem) {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		ci.item.finish(nil, fmt.Errorf("upload %s: not committed: %w", ci.item.path, errBatchClosed))
		return
	}
	u.ready = append(u.ready, ci)
	var full []*commitItem
	if len(u.ready) >= maxBatchEntries {
		full = u.ready[:maxBatchEntries:maxBatchEntries]
		u.ready = append([]*commitItem(nil), u.ready[maxBatchEntries:]...)
		u.active++
	}
	u.mu.Unlock()
	if full != nil {
		go func() {
			defer u.end()
			u.commit(u.bg, full)
		}()
	}
}

// Flush sends the small files gathered so far, waits for the files being
// sent, and commits every file whose Add has returned; files added
// meanwhile may be committed too. It returns when they all have their
// result, or with ctx's error. A file's failure is in its BatchItem, not
// here.
func (u *BatchUploader) Flush(ctx context.Context) error {
	u.mu.Lock()
	g := u.group
	u.group = nil
	u.mu.Unlock()
	if g != nil {
		if err := u.launch(ctx, g); err != nil {
			return err
		}
	}
	if err := u.idle(ctx); err != nil {
		return err
	}
	u.mu.Lock()
	ready := u.ready
	u.ready = nil
	u.mu.Unlock()
	for len(ready) > 0 {
		n := min(len(ready), maxBatchEntries)
		u.commit(ctx, ready[:n])
		ready = ready[n:]
	}
	return ctx.Err()
}

// idle waits until no background job runs.
func (u *BatchUploader) idle(ctx context.Context) error {
	for {
		u.mu.Lock()
		n, ch := u.active, u.changed
		u.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close flushes the uploader (see Flush) and stops it: when it returns,
// every file added has its result. If ctx ends first, the files not yet
// committed fail with its error. Add fails after Close.
func (u *BatchUploader) Close(ctx context.Context) error {
	err := u.Flush(ctx)
	u.mu.Lock()
	u.closed = true
	g := u.group
	u.group = nil
	u.mu.Unlock()
	u.stop()
	u.idle(context.Background()) // the jobs end soon: their context is over
	u.mu.Lock()
	ready := u.ready
	u.ready = nil
	u.mu.Unlock()
	cause := err
	if cause == nil {
		cause = errBatchClosed
	}
	if g != nil {
		for _, f := range g.files {
			f.item.finish(nil, fmt.Errorf("upload %s: not sent: %w", f.item.path, cause))
		}
	}
	for _, ci := range ready {
		ci.item.finish(nil, fmt.Errorf("upload %s: not committed: %w", ci.item.path, cause))
	}
	return err
}

// commit commits items with upload_session/finish_batch_v2, one call at a
// time per uploader; the client's write serialisation keeps the calls of
// one account apart. Entries that meet too_many_write_operations go again
// after a pause. A call that got no answer is repeated; entries whose
// session is then gone were committed if the file at their path has
// their content.
func (u *BatchUploader) commit(ctx context.Context, items []*commitItem) {
	u.commitMu.Lock()
	defer u.commitMu.Unlock()
	start := u.c.now()
	for attempt := 1; len(items) > 0; attempt++ {
		arg := &UploadSessionFinishBatchArg{Entries: make([]UploadSessionFinishArg, len(items))}
		for i, ci := range items {
			arg.Entries[i] = ci.arg
		}
		var res *UploadSessionFinishBatchResult
		unanswered, err := u.c.retryUnanswered(ctx, func() (err error) {
			res, err = u.c.Files.UploadSessionFinishBatchV2(ctx, arg)
			return err
		})
		if err == nil && len(res.Entries) != len(items) {
			err = fmt.Errorf("dropbox: finish batch: %d results for %d entries", len(res.Entries), len(items))
		}
		if err != nil {
			for _, ci := range items {
				ci.item.finish(nil, fmt.Errorf("upload %s: commit: %w", ci.item.path, err))
			}
			return
		}
		var again []*commitItem
		for i, ci := range items {
			e := res.Entries[i]
			switch fe := e.Failure; {
			case e.Tag == UploadSessionFinishBatchResultEntrySuccess && e.Success != nil:
				ci.item.finish(checkCommitted(ci.item.path, e.Success, ci.hash))
			case fe != nil && fe.Tag == UploadSessionFinishErrorTooManyWriteOperations:
				again = append(again, ci)
			default:
				if unanswered && finishSessionGone(fe) {
					if md, ok := u.c.committedFile(ctx, ci.arg.Commit.Path, ci.hash); ok {
						ci.item.finish(md, nil)
						continue
					}
				}
				var err error = fmt.Errorf("dropbox: files/upload_session/finish_batch_v2: the entry failed without a reason")
				if fe != nil {
					err = entryError("files/upload_session/finish_batch_v2", fe, fe)
				}
				ci.item.finish(nil, fmt.Errorf("upload %s: %w", ci.item.path, err))
			}
		}
		items = again
		if len(items) == 0 {
			return
		}
		busy := &RateLimitError{Reason: "too_many_write_operations", RetryAfter: time.Second}
		wait, ok := u.c.retry.next(attempt, busy, true, u.c.now().Sub(start), u.c.jitter())
		if ok {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				ok = false
			case <-t.C:
			}
		}
		if !ok {
			for _, ci := range items {
				ci.item.finish(nil, fmt.Errorf("upload %s: commit: %w", ci.item.path, errors.Join(busy, ctx.Err())))
			}
			return
		}
	}
}

// BatchFile is one file of UploadBatch: the arguments of
// BatchUploader.Add.
type BatchFile struct {
	// Path is where the file goes: a path or "id:...".
	Path string
	// Content holds the file's Size bytes (Size -1: unknown, read to its
	// end), read as Client.Upload reads it.
	Content io.Reader
	Size    int64
	// Options are the file's upload options; nil for the defaults.
	Options *UploadOptions
}

// BatchResult is the outcome of one file of UploadBatch.
type BatchResult struct {
	// Path is the file's BatchFile.Path.
	Path string
	// Metadata is the committed file's, when Err is nil.
	Metadata *FileMetadata
	// Err says why the file was not committed (see BatchItem.Wait).
	Err error
}

// UploadBatch uploads files with a BatchUploader, opts.Concurrency of them
// read at once, and returns one result per file, in order. The error is
// for the batch as a whole (bad options, ctx ended), when some files may
// have been committed and the others have ctx's error; a file's own
// failure is in its result.
func (c *Client) UploadBatch(ctx context.Context, files []BatchFile, opts *BatchOptions) ([]BatchResult, error) {
	u, err := c.NewBatchUploader(opts)
	if err != nil {
		return nil, err
	}
	results := make([]BatchResult, len(files))
	items := make([]*BatchItem, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(u.opts.Concurrency, len(files)) {
		wg.Go(func() {
			for i := range next {
				f := files[i]
				items[i], results[i].Err = u.Add(ctx, f.Path, f.Content, f.Size, f.Options)
			}
		})
	}
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			for ; i < len(files); i++ {
				results[i].Err = fmt.Errorf("upload %s: %w", files[i].Path, ctx.Err())
			}
			break feed
		}
	}
	close(next)
	wg.Wait()
	err = u.Close(ctx)
	for i, it := range items {
		results[i].Path = files[i].Path
		if it == nil {
			continue
		}
		select {
		case <-it.done:
			results[i].Metadata, results[i].Err = it.md, it.err
		default: // Close finishes every item; this is a safeguard
			results[i].Err = fmt.Errorf("upload %s: not committed", it.path)
		}
	}
	return results, err
}
