package dropbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/dropbridge/dropbridge/dropbox/contenthash"
)

// Upload sizes. One request carries at most 150 MiB; the parts of a
// concurrent session are whole 4 MiB blocks but for the last.
const (
	maxRequestBytes    = 150 << 20
	uploadBlock        = contenthash.BlockSize
	maxPartSize        = maxRequestBytes / uploadBlock * uploadBlock // 148 MiB
	defaultThreshold   = 8 << 20
	defaultPartSize    = 16 << 20
	defaultConcurrency = 4
	streamBuffers      = 3 // part buffers of a sequential upload: one sent, one read ahead, one being read
)

// UploadOptions tune Client.Upload and BatchUploader.Add. The zero value
// (or nil) writes in mode add without autorename, sends a file below
// 8 MiB in one request and a larger one through an upload session of
// 16 MiB parts, four at a time when the content is an io.ReaderAt.
type UploadOptions struct {
	// Mode says what happens when a file exists at the path; the zero
	// value is add. With update, the write happens only if the file still
	// has the given rev.
	Mode WriteMode
	// Autorename, Mute and StrictConflict are the CommitInfo fields of the
	// same names.
	Autorename     bool
	Mute           bool
	StrictConflict bool
	// ClientModified is stored as the file's client_modified time (to the
	// second); the zero value lets Dropbox use the time of the upload.
	ClientModified time.Time

	// Threshold is the size from which a file goes up through an upload
	// session rather than in one files/upload request: 0 means 8 MiB, and
	// it may not exceed 150 MiB, the most one request may carry.
	Threshold int64
	// PartSize is the size of the parts appended to an upload session, a
	// multiple of 4 MiB up to 148 MiB; 0 means 16 MiB. A sequential upload
	// holds three parts in memory.
	PartSize int64
	// Concurrency is how many parts of an io.ReaderAt go up at once; 0
	// means 4. A plain io.Reader goes up one part at a time.
	Concurrency int

	// Resume continues the upload session of an earlier attempt, as last
	// reported to OnProgress, instead of starting a new one. For a
	// sequential session the content is either an io.ReaderAt of the
	// whole file, read from Resume.Offset on, or a reader positioned at
	// Resume.Offset; a concurrent session needs the io.ReaderAt. When
	// Dropbox holds more or fewer bytes than Resume.Offset says
	// (incorrect_offset), the upload goes on from Dropbox's offset; going
	// back needs the io.ReaderAt.
	Resume *UploadSession
	// OnProgress, when set, is called after the upload session starts and
	// after each part Dropbox has confirmed, with what it takes to resume
	// the upload: save it to continue after a crash. Calls come one at a
	// time; parts wait while it runs.
	OnProgress func(UploadSession)
}

// UploadSession is an upload session in progress: what UploadOptions.Resume
// needs to go on where an earlier attempt stopped. It encodes to JSON for
// saving. Sessions live 7 days on Dropbox.
type UploadSession struct {
	// ID is the session_id.
	ID string `json:"session_id"`
	// Offset is how many bytes of the file Dropbox has confirmed: all
	// before it are in the session.
	Offset int64 `json:"offset"`
	// Concurrent is set for a concurrent session (session_type
	// concurrent), whose parts are PartSize bytes each; a resumed upload
	// keeps that size.
	Concurrent bool  `json:"concurrent,omitempty"`
	PartSize   int64 `json:"part_size,omitempty"`
	// HashState is the content hash of the bytes before Offset in a form
	// only this package reads, so that a resumed upload from a plain
	// reader can still check the whole file's hash; nil when unknown.
	HashState []byte `json:"hash_state,omitempty"`
}

// Upload writes the size bytes of r to path, a path or "id:..." (see
// UploadOptions for how, opts may be nil), and returns the new file's
// metadata. size -1 means unknown: r is read to its end.
//
// A file below the threshold goes in one files/upload request. A larger
// one goes through an upload session: a concurrent session whose parts go
// up in parallel when r is an io.ReaderAt and size is known (r is read
// with ReadAt only, and may be read again to repeat a failed part), else
// a sequential session streamed from r with at most three parts in memory,
// the next part read while one is sent. Parts travel with their content
// hash, which Dropbox checks, and the committed file's content_hash is
// checked against the bytes read; a mismatch is an error matching
// ErrContentHashMismatch.
//
// Nothing is committed unless every byte arrived: a failed or cancelled
// upload leaves no file, though its session stays open on Dropbox for 7
// days (see UploadOptions.Resume). Failed requests are retried by the
// client's RetryPolicy, the commit too when it got no answer (it is then
// looked up: a session already committed is not committed twice; a lost
// commit that Autorename put under another name is reported failed). Errors
// are those of errors.go; a 409 from an upload route wraps the route's
// error union (*UploadError, *UploadSessionAppendError,
// *UploadSessionFinishError). Upload returns only after its last Read of
// r has returned. It is safe for concurrent use.
func (c *Client) Upload(ctx context.Context, path string, r io.Reader, size int64, opts *UploadOptions) (*FileMetadata, error) {
	p, err := newUploadPlan(path, size, opts)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("dropbox: upload %s: no content reader", path)
	}
	if p.resume == nil {
		if size >= 0 && size < p.threshold {
			return c.uploadSmall(ctx, p, r, size)
		}
		if size < 0 {
			// A stream that ends below the threshold goes in one request.
			head, whole, err := readHead(r, p.threshold)
			if err != nil {
				return nil, fmt.Errorf("dropbox: upload %s: read content: %w", path, err)
			}
			if whole {
				return c.uploadBytes(ctx, p, head)
			}
			r = io.MultiReader(bytes.NewReader(head), r)
		}
	}
	s, err := c.sendSession(ctx, p, r, size)
	if err != nil {
		return nil, err
	}
	return c.finishSession(ctx, p, s)
}

// uploadPlan is an upload's arguments checked, with defaults filled in.
type uploadPlan struct {
	path        string
	commit      CommitInfo
	threshold   int64
	partSize    int64
	concurrency int
	resume      *UploadSession
	progress    func(UploadSession)
}

func newUploadPlan(path string, size int64, o *UploadOptions) (*uploadPlan, error) {
	if o == nil {
		o = &UploadOptions{}
	}
	bad := func(format string, args ...any) (*uploadPlan, error) {
		return nil, fmt.Errorf("dropbox: upload %s: %s", path, fmt.Sprintf(format, args...))
	}
	if err := checkWritePath(path); err != nil {
		return nil, fmt.Errorf("dropbox: upload %q: %w", path, err)
	}
	p := &uploadPlan{path: path, threshold: o.Threshold, partSize: o.PartSize, concurrency: o.Concurrency,
		resume: o.Resume, progress: o.OnProgress}
	switch {
	case size < -1:
		return bad("size %d: want the size in bytes, or -1 for unknown", size)
	case p.threshold < 0 || p.threshold > maxRequestBytes:
		return bad("threshold %d: want 0 (8 MiB) up to 150 MiB", p.threshold)
	case p.partSize < 0 || p.partSize%uploadBlock != 0 || p.partSize > maxPartSize:
		return bad("part size %d: want a multiple of 4 MiB (4194304 bytes) up to 148 MiB, or 0 (16 MiB)", p.partSize)
	case p.concurrency < 0:
		return bad("concurrency %d: want 0 (4) or more", p.concurrency)
	case o.Mode.Tag == WriteModeUpdate && o.Mode.Update == "":
		return bad("write mode update needs the rev the file must have")
	}
	if p.threshold == 0 {
		p.threshold = defaultThreshold
	}
	if p.partSize == 0 {
		p.partSize = defaultPartSize
	}
	if p.concurrency == 0 {
		p.concurrency = defaultConcurrency
	}
	if r := p.resume; r != nil {
		switch {
		case r.ID == "":
			return bad("resume: no session id")
		case r.Offset < 0 || size >= 0 && r.Offset > size:
			return bad("resume: offset %d is outside the file's %d bytes", r.Offset, size)
		case r.Concurrent && (r.PartSize <= 0 || r.PartSize%uploadBlock != 0 || r.PartSize > maxPartSize):
			return bad("resume: concurrent session with part size %d, not a multiple of 4 MiB up to 148 MiB", r.PartSize)
		case r.Concurrent && r.Offset%r.PartSize != 0 && r.Offset != size:
			return bad("resume: offset %d is not at a part boundary of the concurrent session", r.Offset)
		}
	}
	p.commit = CommitInfo{Path: path, Mode: o.Mode, Autorename: o.Autorename, Mute: o.Mute, StrictConflict: o.StrictConflict}
	if !o.ClientModified.IsZero() {
		t := o.ClientModified.UTC().Truncate(time.Second)
		p.commit.ClientModified = &t
	}
	return p, nil
}

// report tells the caller's OnProgress where the session stands.
func (p *uploadPlan) report(s UploadSession) {
	if p.progress != nil {
		p.progress(s)
	}
}

// checkWritePath checks path against the spec's WritePathOrId pattern:
// Dropbox refuses a request that breaks it as a whole (400), which in a
// batch would fail every file of it.
func checkWritePath(path string) error {
	noNewline := func(s string) bool { return !strings.Contains(s, "\n") }
	switch {
	case path == "" || path == "/":
		return errors.New(`the root cannot be written: want a path such as "/folder/file.txt"`)
	case strings.HasPrefix(path, "/"):
		return nil
	case strings.HasPrefix(path, "id:") && noNewline(path):
		return nil
	case strings.HasPrefix(path, "ns:"):
		rest := path[len("ns:"):]
		digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
		if digits > 0 && (digits == len(rest) || rest[digits] == '/' && noNewline(rest)) {
			return nil
		}
	}
	return errors.New(`not a Dropbox path: want "/folder/file.txt", "id:..." or "ns:<id>/..."`)
}

// readHead reads r up to limit bytes. whole reports that r ended before
// limit: head is all of it.
func readHead(r io.Reader, limit int64) (head []byte, whole bool, err error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, limit))
	if err != nil {
		return nil, false, err
	}
	return buf.Bytes(), n < limit, nil
}

// uploadSmall sends a file below the threshold in one request.
func (c *Client) uploadSmall(ctx context.Context, p *uploadPlan, r io.Reader, size int64) (*FileMetadata, error) {
	if ra, ok := r.(io.ReaderAt); ok {
		h := contenthash.New()
		if n, err := io.Copy(h, io.NewSectionReader(ra, 0, size)); err != nil || n != size {
			return nil, fmt.Errorf("dropbox: upload %s: read content: %w", p.path, shortRead(n, size, err))
		}
		return c.uploadOne(ctx, p, func() io.Reader { return io.NewSectionReader(ra, 0, size) }, h.Hex())
	}
	buf := make([]byte, size)
	if n, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("dropbox: upload %s: read content: %w", p.path, shortRead(int64(n), size, err))
	}
	return c.uploadBytes(ctx, p, buf)
}

// shortRead is the error of content that ended after n of size bytes.
func shortRead(n, size int64, err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the content ended after %d of its %d bytes", n, size)
	}
	return err
}

func (c *Client) uploadBytes(ctx context.Context, p *uploadPlan, data []byte) (*FileMetadata, error) {
	return c.uploadOne(ctx, p, func() io.Reader { return bytes.NewReader(data) }, contenthash.Of(data))
}

// uploadOne sends a whole file with files/upload; body returns its bytes
// afresh for each attempt. A request that got no answer is repeated:
// content identical to the file already there is never a conflict, so a
// repeat of a write that happened changes nothing, unless StrictConflict
// asks for that conflict (then the first error stands).
func (c *Client) uploadOne(ctx context.Context, p *uploadPlan, body func() io.Reader, sum string) (*FileMetadata, error) {
	ci := p.commit
	arg := &UploadArg{Path: ci.Path, Mode: ci.Mode, Autorename: ci.Autorename, ClientModified: ci.ClientModified,
		Mute: ci.Mute, StrictConflict: ci.StrictConflict, ContentHash: &sum}
	var md *FileMetadata
	call := func() (err error) {
		md, err = c.Files.Upload(ctx, arg, body())
		return err
	}
	var err error
	if ci.StrictConflict {
		err = call()
	} else {
		_, err = c.retryUnanswered(ctx, call)
	}
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", p.path, err)
	}
	return checkCommitted(p.path, md, sum)
}

// checkCommitted checks that the committed file md has the content hash
// sum of the bytes sent ("" when unknown).
func checkCommitted(path string, md *FileMetadata, sum string) (*FileMetadata, error) {
	if sum != "" && (md.ContentHash == nil || *md.ContentHash != sum) {
		got := "none"
		if md.ContentHash != nil {
			got = *md.ContentHash
		}
		return md, fmt.Errorf("dropbox: upload %s: the file was committed with content hash %s, not the uploaded bytes' %s: %w",
			path, got, sum, ErrContentHashMismatch)
	}
	return md, nil
}

// retryUnanswered calls do again, as the client's RetryPolicy says, while
// it fails without Dropbox's answer (a broken connection, a 5xx): the
// transport repeats such failures only for idempotent routes, and a write
// may have happened. Callers use it where a repeat is harmless or
// detected. A route error too_many_write_operations (Dropbox's "retry
// uploading this file") is repeated too. It reports whether some attempt
// failed without an answer.
func (c *Client) retryUnanswered(ctx context.Context, do func() error) (unanswered bool, err error) {
	start := c.now()
	for attempt := 1; ; attempt++ {
		err = do()
		why := err
		var ae *APIError
		switch {
		case err == nil:
			return unanswered, nil
		case isUnanswered(err):
			unanswered = true
		case errors.As(err, &ae) && errors.Is(ae, ErrTooManyWriteOps):
			why = &RateLimitError{Reason: "too_many_write_operations"}
		default:
			return unanswered, err
		}
		wait, again := c.retry.next(attempt, why, true, c.now().Sub(start), c.jitter())
		if !again {
			return unanswered, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return unanswered, errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// isUnanswered reports whether err leaves open whether the request took
// effect: the connection broke or the server failed (5xx).
func isUnanswered(err error) bool {
	var (
		se *ServerError
		rl *RateLimitError
	)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.As(err, &se):
		return se.Status >= 500
	case errors.As(err, &rl):
		return false
	}
	return !isDropboxAnswer(err)
}

// sentSession is an upload session that holds a whole file.
type sentSession struct {
	id   string
	size int64
	hash string // the file's content hash; "" when unknown
}

// finishSession commits s to the plan's path. A finish that got no answer
// is repeated; when the repeat finds the session gone, the first one
// committed it if the file at the path has the session's content.
func (c *Client) finishSession(ctx context.Context, p *uploadPlan, s *sentSession) (*FileMetadata, error) {
	arg := &UploadSessionFinishArg{Cursor: UploadSessionCursor{SessionID: s.id, Offset: uint64(s.size)}, Commit: p.commit}
	var md *FileMetadata
	unanswered, err := c.retryUnanswered(ctx, func() (err error) {
		md, err = c.Files.UploadSessionFinish(ctx, arg, nil)
		return err
	})
	var fe *UploadSessionFinishError
	if err != nil && unanswered && errors.As(err, &fe) && finishSessionGone(fe) {
		if m, ok := c.committedFile(ctx, p.commit.Path, s.hash); ok {
			md, err = m, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("upload %s: commit session: %w", p.path, err)
	}
	return checkCommitted(p.path, md, s.hash)
}

// finishSessionGone reports whether a finish failed because the session is
// no more: finished already, or expired.
func finishSessionGone(fe *UploadSessionFinishError) bool {
	return fe != nil && fe.Tag == UploadSessionFinishErrorLookupFailed && fe.LookupFailed != nil &&
		fe.LookupFailed.Tag == UploadSessionLookupErrorNotFound
}

// committedFile returns the file at path when its content hash is sum: the
// file a commit whose answer was lost wrote.
func (c *Client) committedFile(ctx context.Context, path, sum string) (*FileMetadata, bool) {
	if sum == "" {
		return nil, false
	}
	m, err := c.Files.GetMetadata(ctx, &GetMetadataArg{Path: path})
	if err != nil || m.Tag != MetadataFile || m.File == nil || m.File.ContentHash == nil || *m.File.ContentHash != sum {
		return nil, false
	}
	return m.File, true
}

// sendSession sends the bytes of r into an upload session, new or resumed,
// and closes it.
func (c *Client) sendSession(ctx context.Context, p *uploadPlan, r io.Reader, size int64) (*sentSession, error) {
	ra, isRA := r.(io.ReaderAt)
	if p.resume != nil && p.resume.Concurrent {
		if !isRA || size < 0 {
			return nil, fmt.Errorf("dropbox: upload %s: a concurrent session resumes from an io.ReaderAt of known size", p.path)
		}
		return c.sendConcurrent(ctx, p, ra, size)
	}
	if isRA && size >= 0 && p.resume == nil {
		return c.sendConcurrent(ctx, p, ra, size)
	}
	return c.sendSequential(ctx, p, r, size)
}

// sendConcurrent sends ra's size bytes into a concurrent session: its
// parts go up in parallel, each read twice from ra (to hash it, then as
// the body, which the transport may read again to repeat the request), and
// the last one, which closes the session, after all the others.
func (c *Client) sendConcurrent(ctx context.Context, p *uploadPlan, ra io.ReaderAt, size int64) (*sentSession, error) {
	ps := p.partSize
	var (
		id    string
		base  int64
		chain *hashChain
	)
	if res := p.resume; res != nil {
		id, base, ps = res.ID, res.Offset, res.PartSize
		if chain = restoreHashChain(res.HashState, base); chain == nil {
			var err error
			if chain, err = hashChainAt(ra, base); err != nil {
				return nil, fmt.Errorf("dropbox: upload %s: hash the bytes sent before: %w", p.path, err)
			}
		}
	} else {
		res, err := c.Files.UploadSessionStart(ctx, &UploadSessionStartArg{SessionType: &UploadSessionType{Tag: UploadSessionTypeConcurrent}}, nil)
		if err != nil {
			return nil, fmt.Errorf("upload %s: start session: %w", p.path, err)
		}
		id, chain = res.SessionID, newHashChain()
	}
	nparts := int((size - base + ps - 1) / ps)
	tr := &partTracker{plan: p, id: id, base: base, partSize: ps, size: size, chain: chain, digests: map[int][]digest{}}
	tr.report()
	if nparts == 0 {
		// Every part was confirmed before, the closing one included.
		return &sentSession{id: id, size: size, hash: chain.hex()}, nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	send := func(i int, buf []byte) error {
		off := base + int64(i)*ps
		n := min(ps, size-off)
		ds, err := digestsAt(ra, off, n, buf)
		if err != nil {
			return fmt.Errorf("dropbox: upload %s: read content at %d: %w", p.path, off, err)
		}
		sum := digestsHash(ds)
		last := i == nparts-1
		arg := &UploadSessionAppendArg{Cursor: UploadSessionCursor{SessionID: id, Offset: uint64(off)}, Close: last, ContentHash: &sum}
		err = c.Files.UploadSessionAppendV2(ctx, arg, io.NewSectionReader(ra, off, n))
		var ae *UploadSessionAppendError
		if errors.As(err, &ae) && ae.Tag == UploadSessionAppendErrorClosed {
			// An earlier attempt closed the session; finishing it checks
			// that no part is missing.
			err = nil
		}
		if err != nil {
			return fmt.Errorf("upload %s: append part at %d: %w", p.path, off, err)
		}
		tr.done(i, ds)
		return nil
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(p.concurrency, nparts-1) {
		wg.Go(func() {
			buf := make([]byte, uploadBlock)
			for i := range jobs {
				if err := send(i, buf); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
feed:
	for i := range nparts - 1 {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	// The closing part goes last: no part may follow it.
	if err := send(nparts-1, make([]byte, uploadBlock)); err != nil {
		return nil, err
	}
	return &sentSession{id: id, size: size, hash: tr.chain.hex()}, nil
}

// partTracker follows the parts of a concurrent session: it advances the
// confirmed offset over the parts done in a row from the start and feeds
// their block digests to the content hash in order.
type partTracker struct {
	plan                 *uploadPlan
	id                   string
	base, partSize, size int64

	mu      sync.Mutex
	next    int // the first part not yet confirmed
	digests map[int][]digest
	chain   *hashChain
}

func (t *partTracker) done(i int, ds []digest) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.digests[i] = ds
	advanced := false
	for {
		ds, ok := t.digests[t.next]
		if !ok {
			break
		}
		off := t.base + int64(t.next)*t.partSize
		t.chain.add(off, ds, min(t.partSize, t.size-off))
		delete(t.digests, t.next)
		t.next++
		advanced = true
	}
	if advanced {
		t.report()
	}
}

// report passes the confirmed offset on to OnProgress. The caller holds
// t.mu, or no other goroutine runs.
func (t *partTracker) report() {
	off := min(t.base+int64(t.next)*t.partSize, t.size)
	t.plan.report(UploadSession{ID: t.id, Offset: off, Concurrent: true, PartSize: t.partSize, HashState: t.chain.state(off)})
}

// seqUpload is a sequential session being sent.
type seqUpload struct {
	c     *Client
	p     *uploadPlan
	size  int64 // -1 when unknown
	id    string
	held  int64 // bytes Dropbox holds, as far as we know
	chain *hashChain
}

// sendSequential streams r into a sequential session: parts are read on
// their own goroutine into a few buffers, one ahead of the part being
// sent, and appended in order; the last one closes the session.
func (c *Client) sendSequential(ctx context.Context, p *uploadPlan, r io.Reader, size int64) (*sentSession, error) {
	ra, _ := r.(io.ReaderAt)
	if size < 0 {
		ra = nil
	}
	u := &seqUpload{c: c, p: p, size: size}
	if res := p.resume; res != nil {
		u.id, u.held = res.ID, res.Offset
		u.chain = restoreHashChain(res.HashState, res.Offset)
		if u.chain == nil && ra != nil {
			var err error
			if u.chain, err = hashChainAt(ra, res.Offset); err != nil {
				return nil, fmt.Errorf("dropbox: upload %s: hash the bytes sent before: %w", p.path, err)
			}
		}
		if u.chain == nil {
			u.chain = &hashChain{lost: true} // the bytes before are out of reach
		}
	} else {
		res, err := c.Files.UploadSessionStart(ctx, &UploadSessionStartArg{}, nil)
		if err != nil {
			return nil, fmt.Errorf("upload %s: start session: %w", p.path, err)
		}
		u.id, u.chain = res.SessionID, newHashChain()
	}
	u.report()
	from := u.held
	for {
		src := r
		if ra != nil {
			src = io.NewSectionReader(ra, from, size-from)
		}
		err := u.stream(ctx, src, from)
		var behind *behindError
		if errors.As(err, &behind) && ra != nil {
			// Dropbox holds fewer bytes than we thought: read again from there.
			from = behind.offset
			if u.chain, err = hashChainAt(ra, from); err != nil {
				return nil, fmt.Errorf("dropbox: upload %s: hash the bytes sent before: %w", p.path, err)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return &sentSession{id: u.id, size: u.held, hash: u.chain.hex()}, nil
	}
}

// behindError says that Dropbox holds fewer bytes than were read past.
type behindError struct {
	path   string
	offset int64
	err    error
}

func (e *behindError) Error() string {
	return fmt.Sprintf("dropbox: upload %s: the session holds %d bytes, fewer than were read from the stream, which cannot go back: %v",
		e.path, e.offset, e.err)
}

func (e *behindError) Unwrap() error { return e.err }

func (u *seqUpload) report() {
	u.p.report(UploadSession{ID: u.id, Offset: u.held, HashState: u.chain.state(u.held)})
}

// stream sends the parts of src, whose first byte is the file's byte at from.
func (u *seqUpload) stream(ctx context.Context, src io.Reader, from int64) error {
	limit := int64(-1)
	if u.size >= 0 {
		limit = u.size - from
	}
	pr := readParts(src, from, u.p.partSize, limit)
	defer pr.stop()
	var ds []digest
	for {
		var pt streamPart
		select {
		case pt = <-pr.parts:
		case <-ctx.Done():
			return ctx.Err()
		}
		if pt.err != nil {
			return fmt.Errorf("dropbox: upload %s: read content: %w", u.p.path, pt.err)
		}
		ds = blockDigests(ds[:0], pt.data)
		u.chain.add(pt.off, ds, int64(len(pt.data)))
		if err := u.sendPart(ctx, pt, ds); err != nil {
			return err
		}
		pr.release(pt.data)
		if pt.last {
			return nil
		}
	}
}

// sendPart appends what Dropbox lacks of part pt, whose block digests are
// ds, following Dropbox's correct_offset when it holds more or fewer bytes.
func (u *seqUpload) sendPart(ctx context.Context, pt streamPart, ds []digest) error {
	end := pt.off + int64(len(pt.data))
	for {
		switch {
		case u.held < pt.off:
			return &behindError{path: u.p.path, offset: u.held, err: errors.New("incorrect_offset")}
		case u.held > end && pt.last:
			return fmt.Errorf("dropbox: upload %s: the session holds %d bytes, more than the file's %d", u.p.path, u.held, end)
		case u.held > end || u.held == end && !pt.last:
			return nil // Dropbox has this part already
		}
		body := pt.data[u.held-pt.off:]
		sum := digestsHash(ds)
		if u.held != pt.off {
			sum = contenthash.Of(body)
		}
		arg := &UploadSessionAppendArg{Cursor: UploadSessionCursor{SessionID: u.id, Offset: uint64(u.held)}, Close: pt.last, ContentHash: &sum}
		err := u.c.Files.UploadSessionAppendV2(ctx, arg, bytes.NewReader(body))
		var ae *UploadSessionAppendError
		switch {
		case err == nil:
			u.held = end
			u.report()
			return nil
		case errors.As(err, &ae) && ae.Tag == UploadSessionAppendErrorIncorrectOffset && ae.IncorrectOffset != nil &&
			int64(ae.IncorrectOffset.CorrectOffset) != u.held:
			// A request whose answer was lost went through, or the resumed
			// offset was wrong: go on from where Dropbox is.
			u.held = int64(ae.IncorrectOffset.CorrectOffset)
			if u.held < pt.off {
				return &behindError{path: u.p.path, offset: u.held, err: err}
			}
			if u.held <= end {
				u.report()
			}
		case errors.As(err, &ae) && ae.Tag == UploadSessionAppendErrorClosed && pt.last:
			// An earlier attempt closed it; finishing checks the size.
			u.held = end
			return nil
		default:
			return fmt.Errorf("upload %s: append at %d: %w", u.p.path, u.held, err)
		}
	}
}

// streamPart is a part of a stream: data from file offset off.
type streamPart struct {
	off  int64
	data []byte
	last bool
	err  error
}

// partReader reads a stream into parts on its own goroutine, from at most
// streamBuffers buffers: it reads one part ahead to learn whether the part
// before is the last.
type partReader struct {
	parts chan streamPart
	free  chan []byte
	quit  chan struct{}
	done  chan struct{}
}

// readParts starts reading src, whose first byte is at file offset off,
// into parts of partSize bytes. limit, when not -1, is how many bytes src
// must yield.
func readParts(src io.Reader, off, partSize, limit int64) *partReader {
	pr := &partReader{parts: make(chan streamPart), free: make(chan []byte, streamBuffers),
		quit: make(chan struct{}), done: make(chan struct{})}
	go pr.run(src, off, partSize, limit)
	return pr
}

// release gives back the buffer of a part that has been sent.
func (pr *partReader) release(b []byte) { pr.free <- b[:cap(b)] }

// stop ends the reading and waits until the goroutine's last Read returned.
func (pr *partReader) stop() {
	close(pr.quit)
	<-pr.done
}

func (pr *partReader) run(src io.Reader, off, partSize, limit int64) {
	defer close(pr.done)
	if limit >= 0 {
		src = io.LimitReader(src, limit)
	}
	made := 0
	buffer := func() []byte {
		select {
		case b := <-pr.free:
			return b
		default:
		}
		if made < streamBuffers {
			made++
			return make([]byte, partSize)
		}
		select {
		case b := <-pr.free:
			return b
		case <-pr.quit:
			return nil
		}
	}
	emit := func(p streamPart) bool {
		select {
		case pr.parts <- p:
			return true
		case <-pr.quit:
			return false
		}
	}
	read := func(b []byte) (int, error) {
		n, err := io.ReadFull(src, b)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		return n, err
	}
	total := int64(0)
	end := func(p streamPart) {
		if limit >= 0 && total != limit {
			p = streamPart{err: fmt.Errorf("the content ended after %d of its %d bytes", total, limit)}
		}
		emit(p)
	}
	buf := buffer()
	if buf == nil {
		return
	}
	n, err := read(buf)
	for {
		total += int64(n)
		if err != nil && err != io.EOF {
			emit(streamPart{err: err})
			return
		}
		if err == io.EOF {
			end(streamPart{off: off, data: buf[:n], last: true})
			return
		}
		next := buffer()
		if next == nil {
			return
		}
		m, err2 := read(next)
		if m == 0 && err2 == io.EOF {
			pr.free <- next
			end(streamPart{off: off, data: buf[:n], last: true})
			return
		}
		if !emit(streamPart{off: off, data: buf[:n]}) {
			return
		}
		off += int64(n)
		buf, n, err = next, m, err2
	}
}

// digest is the SHA-256 of one 4 MiB block.
type digest = [sha256.Size]byte

// blockDigests appends the digest of each 4 MiB block of p (the last may
// be short) to ds.
func blockDigests(ds []digest, p []byte) []digest {
	for len(p) > 0 {
		k := min(len(p), uploadBlock)
		ds = append(ds, sha256.Sum256(p[:k]))
		p = p[k:]
	}
	return ds
}

// digestsAt returns the block digests of ra's n bytes from off, read
// through buf (one block long).
func digestsAt(ra io.ReaderAt, off, n int64, buf []byte) ([]digest, error) {
	var ds []digest
	for done := int64(0); done < n; {
		k := min(n-done, int64(len(buf)))
		got, err := ra.ReadAt(buf[:k], off+done)
		if int64(got) < k {
			if err == nil || errors.Is(err, io.EOF) {
				err = fmt.Errorf("the content ended at %d, before %d", off+done+int64(got), off+n)
			}
			return nil, err
		}
		ds = append(ds, sha256.Sum256(buf[:k]))
		done += k
	}
	return ds, nil
}

// digestsHash is the content hash of the bytes whose block digests are ds.
func digestsHash(ds []digest) string {
	h := sha256.New()
	for _, d := range ds {
		h.Write(d[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashChain is the content hash of a file, built from the block digests of
// its parts in file order. It is lost (unknown) once a part does not start
// on a block boundary where the one before ended.
type hashChain struct {
	sum  hash.Hash // SHA-256 over the block digests so far
	off  int64     // bytes covered
	lost bool
}

func newHashChain() *hashChain { return &hashChain{sum: sha256.New()} }

// add adds the part of n bytes at off whose block digests are ds.
func (h *hashChain) add(off int64, ds []digest, n int64) {
	if h.lost {
		return
	}
	if off != h.off || off%uploadBlock != 0 {
		h.lost = true
		return
	}
	for _, d := range ds {
		h.sum.Write(d[:])
	}
	h.off += n
}

// hex is the content hash in hex, "" when lost.
func (h *hashChain) hex() string {
	if h.lost {
		return ""
	}
	return hex.EncodeToString(h.sum.Sum(nil))
}

const hashStateMagic = "dbxup1"

// state saves the chain when it covers exactly the first off bytes, on a
// block boundary; else nil.
func (h *hashChain) state(off int64) []byte {
	if h.lost || h.off != off || off%uploadBlock != 0 {
		return nil
	}
	s, err := h.sum.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil
	}
	b := binary.BigEndian.AppendUint64([]byte(hashStateMagic), uint64(off))
	return append(b, s...)
}

// restoreHashChain restores a chain saved by state at off; nil when state
// does not hold one.
func restoreHashChain(state []byte, off int64) *hashChain {
	n := len(hashStateMagic) + 8
	if len(state) < n || string(state[:len(hashStateMagic)]) != hashStateMagic ||
		binary.BigEndian.Uint64(state[len(hashStateMagic):]) != uint64(off) {
		return nil
	}
	h := newHashChain()
	if err := h.sum.(encoding.BinaryUnmarshaler).UnmarshalBinary(state[n:]); err != nil {
		return nil
	}
	h.off = off
	return h
}

// hashChainAt hashes the first off bytes of ra; the chain is lost when off
// is not on a block boundary.
func hashChainAt(ra io.ReaderAt, off int64) (*hashChain, error) {
	if off%uploadBlock != 0 {
		return &hashChain{lost: true}, nil
	}
	h := newHashChain()
	ds, err := digestsAt(ra, 0, off, make([]byte, uploadBlock))
	if err != nil {
		return nil, err
	}
	h.add(0, ds, off)
	return h, nil
}
