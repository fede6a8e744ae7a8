package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
)

// ContentHashHeader is the response header of a download that holds the
// whole file's Dropbox content hash
// (https://www.dropbox.com/developers/reference/content-hash), also for a
// byte range of it.
const ContentHashHeader = "Dropbox-Content-Hash"

// copyBuffer is the size of the buffer a download is copied through.
const copyBuffer = 256 << 10

type downloadInput struct {
	ID          string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Path        string `query:"path" required:"true" minLength:"1" doc:"A path, an id:..., or a rev:... of a file." example:"/Reports/report.pdf"`
	Range       string `header:"Range" doc:"One byte range (bytes=first-last, bytes=first- or bytes=-suffix); the answer is then 206 with those bytes. Other forms, several ranges among them, get the whole file." example:"bytes=0-1023"`
	IfRange     string `header:"If-Range" doc:"An ETag: send the range only if the file is still at that revision, else the whole file."`
	IfNoneMatch string `header:"If-None-Match" doc:"ETags: answer 304, without the bytes, if the file is at one of them."`
}

type downloadOutput struct {
	Body func(huma.Context)
}

type uploadInput struct {
	ID             string `path:"id" doc:"The connection's ID." example:"conn_5x6y7a8b9c0d1e2f3g4h5i6j7k"`
	Path           string `query:"path" required:"true" minLength:"1" doc:"Where to write: a path, or the id:... of the file to write over." example:"/Reports/report.pdf"`
	Mode           string `query:"mode" enum:"add,overwrite,update" default:"add" doc:"What happens when a file is already there. add: nothing, 409 (or a free name with autorename). overwrite: it is replaced. update: it is replaced only if it is still at rev (else 409, or a conflicted copy with autorename)."`
	Rev            string `query:"rev" doc:"With mode=update (only): the revision the file must still have." example:"a1c10ce0dd78"`
	Autorename     bool   `query:"autorename" doc:"On a conflict, write under a free name (\"report (1).pdf\") rather than answer 409."`
	Mute           bool   `query:"mute" doc:"Do not notify the user's desktop clients of the change."`
	StrictConflict bool   `query:"strict_conflict" doc:"Count a write of the same bytes over a file as a conflict too."`
	ClientModified string `query:"client_modified" format:"date-time" doc:"The file's modification time to keep (to the second); omitted: the time of the upload." example:"2026-01-02T15:04:05Z"`
	ContentLength  string `header:"Content-Length" doc:"The file's size; without it (a chunked body) the body is read to its end."`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the upload safe to repeat: a repeat with the same key, path and parameters (and Content-Length) within 24 hours returns the first answer without writing again; its body is read and thrown away. Only a successful upload is remembered: after a failure the key is free again."`

	body io.Reader // the request body, set by Resolve
}

// Resolve hands the upload the request body, which huma leaves unread:
// the operation declares no Body field.
func (in *uploadInput) Resolve(ctx huma.Context) []error {
	in.body = ctx.BodyReader()
	return nil
}

// binaryContent returns the OpenAPI description of a body of raw bytes,
// new for each operation: huma writes to the schemas it registers, and
// every Server registers its own.
func binaryContent() map[string]*huma.MediaType {
	return map[string]*huma.MediaType{
		"application/octet-stream": {Schema: &huma.Schema{Type: "string", Format: "binary"}},
	}
}

// contentHeaders returns the headers of a download, in the OpenAPI
// description (new each time, as binaryContent).
func contentHeaders() map[string]*huma.Param {
	return map[string]*huma.Param{
		"ETag":            {Description: "The file's revision (rev), quoted.", Schema: &huma.Schema{Type: "string"}},
		ContentHashHeader: {Description: "The whole file's Dropbox content hash, also when a range of it is sent.", Schema: &huma.Schema{Type: "string"}},
		"Content-Length":  {Description: "How many bytes follow.", Schema: &huma.Schema{Type: "integer"}},
		"Last-Modified":   {Description: "When the file last changed on Dropbox.", Schema: &huma.Schema{Type: "string"}},
	}
}

func (s *Server) registerFileContent() {
	huma.Register(s.api, huma.Operation{
		OperationID: "download-file",
		Method:      http.MethodGet,
		Path:        "/v1/connections/{id}/files/content",
		Summary:     "Download a file",
		Description: "Streams a file's bytes, or one byte range of them (Range). ETag is the file's revision: " +
			"a download is one revision throughout, resumed inside the service if Dropbox's answer breaks off, and a whole file is " +
			"checked against its content hash (a mismatch breaks the connection before the last byte, so a damaged file is never " +
			"received whole).",
		Tags:     []string{"Files"},
		Security: bearer,
		Errors:   append([]int{http.StatusRequestedRangeNotSatisfiable}, dropboxErrors...),
		Responses: map[string]*huma.Response{
			"200": {Description: "The file.", Content: binaryContent(), Headers: contentHeaders()},
			"206": {Description: "The range asked for; Content-Range says where it lies.", Content: binaryContent(), Headers: contentHeaders()},
			"304": {Description: "The file is at a revision of If-None-Match."},
		},
	}, s.downloadFile)
	huma.Register(s.api, huma.Operation{
		OperationID: "upload-file",
		Method:      http.MethodPut,
		Path:        "/v1/connections/{id}/files/content",
		Summary:     "Upload a file",
		Description: "Writes the request body, of any size, to path and answers with the new file. The body is streamed to Dropbox " +
			"(through an upload session from 8 MiB on) and committed only once every byte has arrived and matches its content hash: " +
			"a failed or cancelled upload leaves no file.\n\n" +
			"With an Idempotency-Key, a repeat with the same key, path, parameters and Content-Length gets the first answer (Idempotent-Replayed: true) " +
			"and writes nothing: its bytes are read and thrown away, not compared, so use a new key for new content. " +
			"A repeat while the first upload still runs, or with other parameters, is 409; a failed upload frees the key.",
		Tags:        []string{"Files"},
		Security:    bearer,
		RequestBody: &huma.RequestBody{Description: "The file's bytes.", Required: true, Content: binaryContent()},
		Errors:      append([]int{http.StatusBadRequest}, dropboxErrors...),
		Middlewares: huma.Middlewares{s.idempotentUpload},
	}, s.uploadFile)
}

// byteRange is the one range of a Range header: from offset, length bytes
// (0: to the end); with suffix, the last length bytes.
type byteRange struct {
	offset, length int64
	suffix         bool
}

// parseRange reads a Range header of one byte range. It reports false for
// anything else (no header, other units, several ranges, bad syntax): the
// whole file is then sent, as RFC 9110 section 14.2 allows.
func parseRange(h string) (byteRange, bool) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return byteRange{}, false
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return byteRange{}, false
	}
	num := func(s string) (int64, bool) {
		if s == "" || strings.TrimLeft(s, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	if first == "" {
		n, ok := num(last)
		if !ok {
			return byteRange{}, false
		}
		return byteRange{length: n, suffix: true}, true
	}
	off, ok := num(first)
	if !ok {
		return byteRange{}, false
	}
	if last == "" {
		return byteRange{offset: off}, true
	}
	end, ok := num(last)
	if !ok || end < off {
		return byteRange{}, false
	}
	return byteRange{offset: off, length: end - off + 1}, true
}

// etag is the ETag of a revision.
func etag(rev string) string { return `"` + rev + `"` }

// matchesETag reports whether a list of entity tags (If-None-Match)
// names tag, or is "*".
func matchesETag(list, tag string) bool {
	for t := range strings.SplitSeq(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// rangeNotSatisfiable is the problem of a range that starts past the end
// of a file of size bytes.
func rangeNotSatisfiable(size uint64) *Problem {
	p := newProblem(dropbridge.EINVALID, fmt.Sprintf("The range starts past the end of the file, which has %d bytes: ask for a range within it.", size))
	p.Status = http.StatusRequestedRangeNotSatisfiable
	p.GetHeaders().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
	return p
}

func (s *Server) downloadFile(ctx context.Context, in *downloadInput) (*downloadOutput, error) {
	rng, ranged := parseRange(in.Range)
	var (
		meta *dropbox.FileMetadata
		body io.ReadCloser
	)
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		path := in.Path
		if ranged && rng.suffix {
			// The last bytes: their offset needs the size, of the
			// revision then downloaded.
			m, err := c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: path})
			if err != nil {
				return err
			}
			if f := m.GetFile(); f != nil {
				if rng.length == 0 && f.Size > 0 {
					return rangeNotSatisfiable(f.Size)
				}
				path = "rev:" + f.Rev
				rng = byteRange{offset: max(0, int64(f.Size)-rng.length)}
			}
		}
		var opts *dropbox.DownloadOptions
		if ranged {
			opts = &dropbox.DownloadOptions{Offset: rng.offset, Length: rng.length}
		}
		var err error
		meta, body, err = c.OpenDownload(ctx, path, opts)
		if se := (*dropbox.ServerError)(nil); errors.As(err, &se) && se.Status == http.StatusRequestedRangeNotSatisfiable {
			m, merr := c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: path})
			if merr != nil {
				return merr
			}
			if f := m.GetFile(); f != nil {
				return rangeNotSatisfiable(f.Size)
			}
		}
		if err != nil {
			return err
		}
		if ranged && (meta.Size == 0 || in.IfRange != "" && in.IfRange != etag(meta.Rev)) {
			// No bytes to range over, or the file changed since the
			// client's copy: the whole file, at the revision found.
			body.Close()
			ranged = false
			meta, body, err = c.OpenDownload(ctx, "rev:"+meta.Rev, nil)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if in.IfNoneMatch != "" && matchesETag(in.IfNoneMatch, etag(meta.Rev)) {
		body.Close()
		return &downloadOutput{Body: func(hc huma.Context) {
			hc.SetHeader("ETag", etag(meta.Rev))
			hc.SetStatus(http.StatusNotModified)
		}}, nil
	}
	size := int64(meta.Size)
	start, end := int64(0), size
	if ranged {
		start, end = min(rng.offset, size), size
		if rng.length > 0 {
			end = min(rng.offset+rng.length, size)
		}
	}
	return &downloadOutput{Body: func(hc huma.Context) {
		defer body.Close()
		hc.SetHeader("Content-Type", "application/octet-stream")
		disposition := mime.FormatMediaType("attachment", map[string]string{"filename": meta.Name})
		if disposition == "" {
			disposition = "attachment" // a name that cannot be said in the header
		}
		hc.SetHeader("Content-Disposition", disposition)
		hc.SetHeader("X-Content-Type-Options", "nosniff")
		hc.SetHeader("ETag", etag(meta.Rev))
		hc.SetHeader("Last-Modified", meta.ServerModified.UTC().Format(http.TimeFormat))
		hc.SetHeader("Accept-Ranges", "bytes")
		if h := meta.GetContentHash(); h != "" {
			hc.SetHeader(ContentHashHeader, h)
		}
		hc.SetHeader("Content-Length", strconv.FormatInt(end-start, 10))
		status := http.StatusOK
		if ranged {
			status = http.StatusPartialContent
			hc.SetHeader("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end-1, size))
		}
		hc.SetStatus(status)
		if hc.Method() == http.MethodHead {
			return
		}
		if err := copyHoldingLast(hc.BodyWriter(), body, end-start); err != nil {
			// The status is sent: all that is left is to break the
			// connection, so that the client sees the answer cut short.
			if ctx.Err() == nil {
				s.logger.WarnContext(ctx, "download broke off", "connection", in.ID, "error", err)
			}
			panic(http.ErrAbortHandler)
		}
	}}, nil
}

// copyHoldingLast copies the n bytes of r to w, holding the last byte back
// until r has confirmed its end with io.EOF: a download reader reports a
// damaged file (content hash mismatch) there, and the client must then
// not have the file whole. Reading more than n bytes is an error.
func copyHoldingLast(w io.Writer, r io.Reader, n int64) error {
	buf := make([]byte, copyBuffer)
	var (
		sent int64
		last []byte // the held byte, once read
	)
	for {
		k, err := r.Read(buf)
		if k > 0 {
			if sent+int64(len(last))+int64(k) > n {
				return fmt.Errorf("download: more than the %d bytes announced", n)
			}
			chunk := buf[:k]
			if sent+int64(k) == n {
				last = []byte{chunk[k-1]}
				chunk = chunk[:k-1]
			}
			if _, werr := w.Write(chunk); werr != nil {
				return fmt.Errorf("download: write: %w", werr)
			}
			sent += int64(len(chunk))
		}
		switch {
		case err == io.EOF && sent+int64(len(last)) == n:
			if _, werr := w.Write(last); werr != nil {
				return fmt.Errorf("download: write: %w", werr)
			}
			return nil
		case err == io.EOF:
			return fmt.Errorf("download: %d of %d bytes: %w", sent+int64(len(last)), n, io.ErrUnexpectedEOF)
		case err != nil:
			return fmt.Errorf("download: read: %w", err)
		}
	}
}

// bodyReader reads the request body of an upload and remembers whether
// reading it failed (the client went away, or sent fewer bytes than it
// announced).
type bodyReader struct {
	r   io.Reader
	err error
}

// Read reads the body, noting its first error but io.EOF.
func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

func (s *Server) uploadFile(ctx context.Context, in *uploadInput) (*entryOutput, error) {
	opts := &dropbox.UploadOptions{Mode: dropbox.WriteMode{Tag: in.Mode}, Autorename: in.Autorename, Mute: in.Mute,
		StrictConflict: in.StrictConflict}
	switch {
	case in.Mode == dropbox.WriteModeUpdate && in.Rev == "":
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "mode=update needs rev, the revision the file must still have."))
	case in.Mode == dropbox.WriteModeUpdate:
		opts.Mode.Update = in.Rev
	case in.Rev != "":
		return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "rev goes with mode=update only: add mode=update, or leave rev out."))
	}
	if in.ClientModified != "" {
		t, err := time.Parse(time.RFC3339, in.ClientModified)
		if err != nil {
			return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "client_modified must be an RFC 3339 time such as 2026-01-02T15:04:05Z."))
		}
		opts.ClientModified = t
	}
	size := int64(-1)
	if in.ContentLength != "" {
		n, err := strconv.ParseInt(in.ContentLength, 10, 64)
		if err != nil || n < 0 {
			return nil, s.fail(ctx, dropbridge.Errorf(dropbridge.EINVALID, "Content-Length must be the body's size in bytes."))
		}
		size = n
	}
	if err := checkWritePath(in.Path); err != nil {
		return nil, s.fail(ctx, err)
	}
	body := &bodyReader{r: in.body}
	var meta *dropbox.FileMetadata
	err := s.call(ctx, in.ID, func(ctx context.Context, c *dropbox.Client) error {
		var err error
		meta, err = c.Upload(ctx, in.Path, body, size, opts)
		return err
	})
	if body.err != nil {
		p := newProblem(dropbridge.EINVALID, "The request body could not be read to its end (the client went away, or sent fewer bytes than Content-Length): nothing was written. Send the file again.")
		p.Status = http.StatusBadRequest
		return nil, p
	}
	if err != nil {
		return nil, err
	}
	return &entryOutput{Body: fileEntry(meta)}, nil
}
