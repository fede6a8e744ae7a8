package dropboxemu

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// pathEscape escapes a file name for a Content-Disposition filename*.
func pathEscape(name string) string { return url.PathEscape(name) }

// download is the answer of a download-style route: a result for the
// Dropbox-API-Result header and the bytes of the body.
type download struct {
	Result      any
	Content     []Segment // the body, or
	Body        []byte    // a body made on the fly (exports, zips, thumbnails)
	Size        int64
	ETag        string // for If-None-Match; "" for none
	ContentType string // "" means application/octet-stream
	NoRange     bool   // the route does not support Range requests (download_zip)
}

// contentReader reads the concatenation of segments from the backend.
type contentReader struct {
	s    *Server
	segs []Segment
	size int64
}

// ReadAt implements io.ReaderAt over the segments.
func (cr *contentReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= cr.size {
		return 0, io.EOF
	}
	n := 0
	var start int64
	for _, seg := range cr.segs {
		end := start + seg.Size
		if off+int64(n) < end && n < len(p) {
			b, err := cr.s.backend.OpenBlob(seg.Blob)
			if err != nil {
				return n, fmt.Errorf("open content: %w", err)
			}
			within := off + int64(n) - start
			want := min(int64(len(p)-n), seg.Size-within)
			k, err := b.ReadAt(p[n:n+int(want)], within)
			b.Close()
			n += k
			if err != nil && !(errors.Is(err, io.EOF) && int64(k) == want) {
				return n, fmt.Errorf("read content: %w", err)
			}
		}
		start = end
		if n == len(p) {
			return n, nil
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// copyContent writes bytes [off, off+n) of the segments to w, opening each
// blob once.
func (s *Server) copyContent(w io.Writer, segs []Segment, off, n int64) error {
	var start int64
	for _, seg := range segs {
		end := start + seg.Size
		if n <= 0 {
			return nil
		}
		if off < end {
			b, err := s.backend.OpenBlob(seg.Blob)
			if err != nil {
				return fmt.Errorf("open content: %w", err)
			}
			within := off - start
			k := min(n, seg.Size-within)
			_, err = io.Copy(w, io.NewSectionReader(b, within, k))
			b.Close()
			if err != nil {
				return err
			}
			off += k
			n -= k
		}
		start = end
	}
	return nil
}

// readContent returns the whole content of segs.
func (s *Server) readContent(segs []Segment, size int64) ([]byte, error) {
	buf := make([]byte, size)
	if size == 0 {
		return buf, nil
	}
	_, err := (&contentReader{s: s, segs: segs, size: size}).ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf, nil
}

// writeDownload answers a download route: the result header, Range,
// If-None-Match, and the truncate fault.
func (s *Server) writeDownload(c *call, d *download) {
	w := c.w
	res, err := headerJSON(d.Result)
	if err != nil {
		writeError(w, &apiError{Status: http.StatusInternalServerError, Text: "Internal Server Error"})
		return
	}
	w.Header().Set("Dropbox-API-Result", res)
	s.writeBody(c, d)
}

// writeBody writes the bytes of d with Range and If-None-Match support.
func (s *Server) writeBody(c *call, d *download) {
	w := c.w
	h := w.Header()
	ct := d.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Accept-Ranges", "bytes")
	if d.ETag != "" {
		h.Set("ETag", d.ETag)
		if inm := c.r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, d.ETag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	size := d.Size
	off, n := int64(0), size
	status := http.StatusOK
	if rh := c.r.Header.Get("Range"); rh != "" && !d.NoRange {
		start, length, ok := parseRange(rh, size)
		if !ok {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			h.Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			io.WriteString(w, "Requested range not satisfiable")
			return
		}
		off, n, status = start, length, http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, size))
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	w.WriteHeader(status)
	if c.r.Method == http.MethodHead {
		return
	}
	cut := n
	if c.fault != nil && c.fault.Truncate {
		cut = n / 2
	}
	if d.Body != nil {
		w.Write(d.Body[off : off+cut])
	} else if err := s.copyContent(w, d.Content, off, cut); err != nil {
		s.log.Warn("dropboxemu: download failed", "route", c.route, "err", err)
		panic(http.ErrAbortHandler)
	}
	if cut < n {
		// The ResponseController reaches the connection through wrappers
		// (the status recorder), so the headers and the first half go out.
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // drop the connection mid-body
	}
}

func etagMatches(header, etag string) bool {
	bare := strings.TrimPrefix(etag, "W/")
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		if v == "*" || strings.TrimPrefix(v, "W/") == bare {
			return true
		}
	}
	return false
}

// parseRange parses one "bytes=a-b", "bytes=a-" or "bytes=-n" range.
func parseRange(h string, size int64) (start, n int64, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false
	}
	switch {
	case a == "":
		k, err := strconv.ParseInt(b, 10, 64)
		if err != nil || k <= 0 {
			return 0, 0, false
		}
		k = min(k, size)
		return size - k, k, size > 0
	default:
		s, err := strconv.ParseInt(a, 10, 64)
		if err != nil || s < 0 || s >= size {
			return 0, 0, false
		}
		e := size - 1
		if b != "" {
			e, err = strconv.ParseInt(b, 10, 64)
			if err != nil || e < s {
				return 0, 0, false
			}
			e = min(e, size-1)
		}
		return s, e - s + 1, true
	}
}
