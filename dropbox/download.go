package dropbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/dropbridge/dropbridge/dropbox/contenthash"
)

// DownloadOptions says which bytes of a file Download and OpenDownload
// fetch. The zero value, like nil, fetches the whole file.
type DownloadOptions struct {
	// Offset is the first byte to fetch. Beyond the end of a non-empty
	// file it gets a *ServerError with Status 416.
	Offset int64
	// Length is how many bytes to fetch from Offset, fewer where the file
	// ends sooner; 0 fetches to the end of the file.
	Length int64
}

// ContentHashError is the error of a whole-file download whose bytes do
// not hash to the content_hash of the revision's metadata: they were
// damaged on the way. errors.Is(err, ErrContentHashMismatch) matches it.
type ContentHashError struct {
	Path string // the path the download was asked for
	Rev  string // the revision downloaded
	Want string // content_hash in the metadata
	Got  string // content hash of the bytes received
}

// Error says which hashes differ.
func (e *ContentHashError) Error() string {
	return fmt.Sprintf("dropbox: download %s (rev %s): the bytes received hash to %s, the metadata says %s: the download was damaged, fetch it again",
		e.Path, e.Rev, e.Got, e.Want)
}

// Is makes errors.Is(err, ErrContentHashMismatch) true.
func (e *ContentHashError) Is(target error) bool { return target == ErrContentHashMismatch }

// Download writes a file's bytes to w as they arrive and returns the
// metadata of the revision written. path is a path, an "id:..." or a
// "rev:..." (see DownloadArg); opts (nil for the whole file) asks for a
// byte range. It calls files/download.
//
// A body cut short (a dropped connection, fewer bytes than announced) is
// resumed with a Range request from the first byte not yet written, pinned
// to the revision the download began with ("rev:<rev>"): a file replaced
// meanwhile is written whole at that revision, never stitched from two.
// Cuts are retried by the client's RetryPolicy, counted from the last one
// after which bytes arrived. A whole file is checked against its
// content_hash: a mismatch is a *ContentHashError.
//
// On error w may hold some of the bytes, or all of them damaged: write to
// a temporary file and rename it only on success. Errors of the first
// request are the route's (a *DownloadError through *APIError, ErrNotFound
// ...); later ones say where the download stopped.
func (c *Client) Download(ctx context.Context, path string, w io.Writer, opts *DownloadOptions) (*FileMetadata, error) {
	meta, body, err := c.OpenDownload(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	dst := &trackedWriter{w: w}
	if _, err := io.CopyBuffer(dst, body, make([]byte, 256<<10)); err != nil {
		if dst.err != nil {
			return nil, fmt.Errorf("dropbox: download %s: write: %w", path, err)
		}
		return nil, err
	}
	return meta, nil
}

// trackedWriter remembers the error of w, to tell write errors from read
// errors after io.Copy.
type trackedWriter struct {
	w   io.Writer
	err error
}

func (t *trackedWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil {
		t.err = err
	}
	return n, err
}

// OpenDownload starts downloading a file, or the byte range opts asks for,
// and returns the revision's metadata and a reader of the bytes, which the
// caller must close. It is Download for callers who read rather than give
// a writer: the reader resumes cut bodies the same way, pinned to the same
// revision. Reading a whole file, the Read that reaches its end returns a
// *ContentHashError instead of io.EOF when the bytes do not match the
// content_hash. ctx governs the whole read, resumptions included. The
// reader is not safe for concurrent use.
func (c *Client) OpenDownload(ctx context.Context, path string, opts *DownloadOptions) (*FileMetadata, io.ReadCloser, error) {
	var o DownloadOptions
	if opts != nil {
		o = *opts
	}
	if o.Offset < 0 || o.Length < 0 {
		return nil, nil, fmt.Errorf("dropbox: download %s: offset %d and length %d must not be negative", path, o.Offset, o.Length)
	}
	end := int64(-1) // not known before the metadata comes
	if o.Length > 0 {
		end = o.Offset + o.Length
	}
	meta, body, err := c.downloadBytes(ctx, path, o.Offset, end)
	var se *ServerError
	if errors.As(err, &se) && se.Status == 416 && o.Offset == 0 {
		// The first bytes of an empty file: none, as for a whole file.
		meta, body, err = c.downloadBytes(ctx, path, 0, -1)
	}
	if err != nil {
		return nil, nil, err
	}
	size := int64(meta.Size)
	if end < 0 || end > size {
		end = size
	}
	d := &downloadReader{
		c: c, ctx: ctx, path: path, rev: meta.Rev, size: size,
		body: body, pos: min(o.Offset, end), end: end,
	}
	if want := meta.GetContentHash(); o.Offset == 0 && end == size && want != "" {
		d.hash, d.want = contenthash.New(), want
	}
	return meta, d, nil
}

// downloadBytes calls files/download for bytes [off, end) of path; end -1
// means to the end of the file.
func (c *Client) downloadBytes(ctx context.Context, path string, off, end int64) (*FileMetadata, io.ReadCloser, error) {
	meta := new(FileMetadata)
	body, err := c.downloadRange(ctx, routeFilesDownload, &DownloadArg{Path: path}, meta, new(DownloadError), rangeHeader(off, end))
	if err != nil {
		return nil, nil, err
	}
	return meta, body, nil
}

// rangeHeader is the Range header for bytes [off, end), end -1 meaning to
// the end of the file; "" for the whole file.
func rangeHeader(off, end int64) string {
	switch {
	case end < 0 && off == 0:
		return ""
	case end < 0:
		return "bytes=" + strconv.FormatInt(off, 10) + "-"
	}
	return "bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(end-1, 10)
}

// errDownloadClosed is what Read returns after Close.
var errDownloadClosed = errors.New("dropbox: read of a closed download")

// downloadReader reads bytes [pos, end) of one revision of a file,
// resuming cut bodies.
type downloadReader struct {
	c    *Client
	ctx  context.Context
	path string // as the caller gave it, for errors
	rev  string // the revision being read
	size int64  // of the revision

	body io.ReadCloser // the current answer's body; nil after a cut
	pos  int64         // offset of the next byte to read
	end  int64         // offset after the last byte to read

	hash *contenthash.Hash // of the bytes read, when reading the whole file
	want string            // the content_hash the bytes must have

	cut      error     // why the last body ended early; nil if none since progress
	failures int       // cuts in a row with no byte read in between
	since    time.Time // when the first of those cuts happened
	err      error     // the error every later Read returns
}

// Read reads the next bytes, resuming the download when its body was cut.
func (d *downloadReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if d.ctx.Err() != nil {
			d.err = d.stopped()
			d.closeBody()
			return 0, d.err
		}
		if d.pos == d.end {
			d.err = d.finish()
			return 0, d.err
		}
		if d.body == nil {
			if err := d.resume(); err != nil {
				d.err = err
				return 0, err
			}
		}
		q := p[:min(int64(len(p)), d.end-d.pos)]
		n, err := d.body.Read(q)
		if n > 0 {
			d.pos += int64(n)
			if d.hash != nil {
				d.hash.Write(q[:n])
			}
			d.cut, d.failures = nil, 0
		}
		switch {
		case err == nil || err == io.EOF && d.pos == d.end:
			if n > 0 {
				return n, nil
			}
			if err == nil {
				continue
			}
		case d.ctx.Err() != nil:
			d.err = d.stopped()
			d.closeBody()
			return n, d.err
		default:
			// The body ended before its last byte, or broke off.
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			d.cut = err
			d.closeBody()
			if n > 0 {
				return n, nil
			}
		}
	}
}

// resume, after a cut (d.cut), waits as the retry policy says and asks
// for the rest of the revision.
func (d *downloadReader) resume() error {
	c := d.c
	now := c.now()
	if d.failures == 0 {
		d.since = now
	}
	d.failures++
	wait, again := c.retry.next(d.failures, d.cut, true, now.Sub(d.since), c.jitter())
	if !again {
		return fmt.Errorf("dropbox: download %s: gave up after %d cuts in a row at byte %d of %d: %w", d.path, d.failures, d.pos, d.end, d.cut)
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-d.ctx.Done():
			t.Stop()
			return d.stopped()
		case <-t.C:
		}
	}
	meta, body, err := c.downloadBytes(d.ctx, "rev:"+d.rev, d.pos, d.end)
	if err != nil {
		return fmt.Errorf("dropbox: download %s: resume at byte %d of rev %s: %w", d.path, d.pos, d.rev, err)
	}
	if meta.Rev != d.rev || int64(meta.Size) != d.size {
		body.Close()
		return fmt.Errorf("dropbox: download %s: resume at byte %d: asked for rev %s (%d bytes), got rev %s (%d bytes)",
			d.path, d.pos, d.rev, d.size, meta.Rev, meta.Size)
	}
	d.body = body
	return nil
}

// finish ends a read that has all its bytes: the body must end there too,
// and a whole file must match its content hash. It returns io.EOF or the
// error found.
func (d *downloadReader) finish() error {
	if d.body != nil {
		// A server that ignored Range sends more than was asked for.
		var one [1]byte
		n, _ := d.body.Read(one[:])
		d.closeBody()
		if n > 0 {
			return fmt.Errorf("dropbox: download %s: the answer goes on past byte %d, where the range asked for ends: was the Range header ignored?", d.path, d.end)
		}
	}
	if d.hash != nil {
		if got := d.hash.Hex(); got != d.want {
			return &ContentHashError{Path: d.path, Rev: d.rev, Want: d.want, Got: got}
		}
	}
	return io.EOF
}

// stopped is the error of a download whose ctx is done.
func (d *downloadReader) stopped() error {
	return fmt.Errorf("dropbox: download %s: stopped at byte %d of %d: %w", d.path, d.pos, d.end, context.Cause(d.ctx))
}

func (d *downloadReader) closeBody() {
	if d.body != nil {
		d.body.Close()
		d.body = nil
	}
}

// Close ends the download. Reads after Close fail.
func (d *downloadReader) Close() error {
	d.closeBody()
	if d.err == nil || d.err == io.EOF {
		d.err = errDownloadClosed
	}
	return nil
}
