package httpapi_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropbox/contenthash"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/httpapi"
)

// randomBytes returns n bytes from a seeded generator.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

// contentPath is the download and upload URL of path on conn.
func contentPath(conn, path string, query ...string) string {
	q := url.Values{"path": {path}}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	return "/v1/connections/" + conn + "/files/content?" + q.Encode()
}

func TestUploadAndDownloadLargeFile(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	content := randomBytes(20<<20, 1)
	hash := contenthash.Of(content)

	// Chunked: no Content-Length, the body is read to its end.
	r := s.send(http.MethodPut, contentPath(conn, "/big.bin"), io.MultiReader(bytes.NewReader(content)), -1)
	if r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var file httpapi.Entry
	r.decode(t, &file)
	if file.ContentHash != hash || file.Size == nil || *file.Size != uint64(len(content)) {
		t.Fatalf("uploaded %+v, want %d bytes with content hash %s", file, len(content), hash)
	}

	r = s.send(http.MethodGet, contentPath(conn, "/big.bin"), nil, 0)
	if r.status != http.StatusOK || !bytes.Equal(r.body, content) {
		t.Fatalf("download: %d, %d bytes (equal: %v)", r.status, len(r.body), bytes.Equal(r.body, content))
	}
	for k, want := range map[string]string{
		"ETag":                    `"` + file.Rev + `"`,
		httpapi.ContentHashHeader: hash,
		"Content-Length":          strconv.Itoa(len(content)),
		"Content-Type":            "application/octet-stream",
		"Content-Disposition":     `attachment; filename=big.bin`,
		"Accept-Ranges":           "bytes",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("download %s = %q, want %q", k, got, want)
		}
	}
	if got := contenthash.Of(r.body); got != hash {
		t.Errorf("downloaded bytes hash to %s, want %s", got, hash)
	}

	// With Content-Length, through the upload session from 8 MiB on.
	other := s.put(conn, "/big2.bin", content, "mode", "add")
	if other.ContentHash != hash {
		t.Errorf("second upload: content hash %s, want %s", other.ContentHash, hash)
	}
}

func TestDownloadRanges(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	content := randomBytes(1<<20+17, 2)
	file := s.put(conn, "/Docs/data.bin", content)
	size := len(content)
	etag := `"` + file.Rev + `"`

	tests := []struct {
		name       string
		header     []string
		status     int
		from, to   int // the bytes expected: content[from:to]
		contentRng string
	}{
		{"first bytes", []string{"Range", "bytes=0-9"}, 206, 0, 10, "bytes 0-9/" + strconv.Itoa(size)},
		{"middle", []string{"Range", "bytes=1000-500999"}, 206, 1000, 501000, "bytes 1000-500999/" + strconv.Itoa(size)},
		{"to the end", []string{"Range", "bytes=1048576-"}, 206, 1 << 20, size, "bytes 1048576-1048592/" + strconv.Itoa(size)},
		{"past the end is cut", []string{"Range", "bytes=1048580-9999999"}, 206, 1<<20 + 4, size, "bytes 1048580-1048592/" + strconv.Itoa(size)},
		{"suffix", []string{"Range", "bytes=-7"}, 206, size - 7, size, "bytes 1048586-1048592/" + strconv.Itoa(size)},
		{"suffix longer than the file", []string{"Range", "bytes=-99999999"}, 206, 0, size, "bytes 0-1048592/" + strconv.Itoa(size)},
		{"several ranges: the whole file", []string{"Range", "bytes=0-1,5-6"}, 200, 0, size, ""},
		{"other unit: the whole file", []string{"Range", "items=0-1"}, 200, 0, size, ""},
		{"if-range matches", []string{"Range", "bytes=0-9", "If-Range", etag}, 206, 0, 10, "bytes 0-9/" + strconv.Itoa(size)},
		{"if-range differs: the whole file", []string{"Range", "bytes=0-9", "If-Range", `"0123456789abc"`}, 200, 0, size, ""},
		{"by id", nil, 200, 0, size, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := "/docs/DATA.bin"
			if tc.name == "by id" {
				path = file.ID
			}
			r := s.send(http.MethodGet, contentPath(conn, path), nil, 0, tc.header...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.200s", r.status, tc.status, r.body)
			}
			if !bytes.Equal(r.body, content[tc.from:tc.to]) {
				t.Errorf("got %d bytes, want bytes %d-%d", len(r.body), tc.from, tc.to)
			}
			if got := r.header.Get("Content-Range"); got != tc.contentRng {
				t.Errorf("Content-Range %q, want %q", got, tc.contentRng)
			}
			if got, want := r.header.Get("Content-Length"), strconv.Itoa(tc.to-tc.from); got != want {
				t.Errorf("Content-Length %s, want %s", got, want)
			}
			if r.header.Get("ETag") != etag || r.header.Get(httpapi.ContentHashHeader) != file.ContentHash {
				t.Errorf("ETag %s, content hash %s, want %s and %s", r.header.Get("ETag"), r.header.Get(httpapi.ContentHashHeader), etag, file.ContentHash)
			}
		})
	}

	r := s.send(http.MethodGet, contentPath(conn, "/Docs/data.bin"), nil, 0, "Range", "bytes=2000000-")
	wantProblem(t, "range past the end", r, http.StatusRequestedRangeNotSatisfiable, "")
	if got, want := r.header.Get("Content-Range"), "bytes */"+strconv.Itoa(size); got != want {
		t.Errorf("416 Content-Range %q, want %q", got, want)
	}
	r = s.send(http.MethodGet, contentPath(conn, "/Docs/data.bin"), nil, 0, "Range", "bytes=-0")
	wantProblem(t, "empty suffix", r, http.StatusRequestedRangeNotSatisfiable, "")
	r = s.send(http.MethodHead, contentPath(conn, "/Docs/data.bin"), nil, 0)
	if r.status != http.StatusOK || len(r.body) != 0 || r.header.Get("Content-Length") != strconv.Itoa(size) || r.header.Get("ETag") != etag {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %s, ETag %s", r.status, len(r.body), r.header.Get("Content-Length"), r.header.Get("ETag"))
	}
	r = s.send(http.MethodGet, contentPath(conn, "/Docs/data.bin"), nil, 0, "If-None-Match", `"other", `+etag)
	if r.status != http.StatusNotModified || len(r.body) != 0 || r.header.Get("ETag") != etag {
		t.Errorf("If-None-Match with the rev: %d, %d bytes, ETag %q; want 304 without a body", r.status, len(r.body), r.header.Get("ETag"))
	}
	wantProblem(t, "download nothing", s.send(http.MethodGet, contentPath(conn, "/nope.bin"), nil, 0), http.StatusNotFound, "path/not_found")
	wantProblem(t, "download a folder", s.send(http.MethodGet, contentPath(conn, "/Docs"), nil, 0), http.StatusConflict, "path/not_file")

	empty := s.put(conn, "/empty.txt", nil)
	for _, rng := range []string{"", "bytes=0-", "bytes=-5"} {
		r := s.send(http.MethodGet, contentPath(conn, "/empty.txt"), nil, 0, "Range", rng)
		if r.status != http.StatusOK || len(r.body) != 0 || r.header.Get("ETag") != `"`+empty.Rev+`"` {
			t.Errorf("empty file with Range %q: %d %q", rng, r.status, r.body)
		}
	}
}

func TestUploadModes(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	first := s.put(conn, "/notes.txt", []byte("one"))
	download := func() string {
		t.Helper()
		r := s.send(http.MethodGet, contentPath(conn, "/notes.txt"), nil, 0)
		if r.status != http.StatusOK {
			t.Fatalf("download: %d %s", r.status, r.body)
		}
		return string(r.body)
	}
	upload := func(content string, query ...string) *response {
		t.Helper()
		return s.send(http.MethodPut, contentPath(conn, "/notes.txt", query...), bytes.NewReader([]byte(content)), int64(len(content)))
	}

	wantProblem(t, "add over a file", upload("two"), http.StatusConflict, "path/conflict")
	renamed := s.put(conn, "/notes.txt", []byte("two"), "autorename", "true")
	if renamed.PathDisplay == "/notes.txt" || renamed.Name == "" {
		t.Errorf("autorename wrote %+v", renamed)
	}
	second := s.put(conn, "/notes.txt", []byte("three"), "mode", "overwrite", "client_modified", "2026-01-02T15:04:05Z")
	if second.Rev == first.Rev || second.ClientModified == nil || second.ClientModified.Format("2006-01-02T15:04:05Z07:00") != "2026-01-02T15:04:05Z" {
		t.Errorf("overwrite = %+v", second)
	}
	wantProblem(t, "update at a stale rev", upload("four", "mode", "update", "rev", first.Rev), http.StatusConflict, "path/conflict")
	if got := download(); got != "three" {
		t.Errorf("after a refused update the file holds %q, want three", got)
	}
	third := s.put(conn, "/notes.txt", []byte("four"), "mode", "update", "rev", second.Rev)
	if got := download(); got != "four" || third.Rev == second.Rev {
		t.Errorf("after an update at the rev the file holds %q (rev %s)", got, third.Rev)
	}

	for _, tc := range []struct {
		name  string
		query []string
	}{
		{"update without rev", []string{"mode", "update"}},
		{"rev without update", []string{"mode", "overwrite", "rev", third.Rev}},
		{"unknown mode", []string{"mode", "replace"}},
		{"bad client_modified", []string{"mode", "overwrite", "client_modified", "yesterday"}},
	} {
		wantProblem(t, tc.name, upload("five", tc.query...), http.StatusUnprocessableEntity, "")
	}
	for _, path := range []string{"/", "notes.txt", "id:", "ns:x/a"} {
		r := s.send(http.MethodPut, contentPath(conn, path), bytes.NewReader([]byte("x")), 1)
		wantProblem(t, "upload to "+path, r, http.StatusUnprocessableEntity, "")
	}
	if got := download(); got != "four" {
		t.Errorf("after refused uploads the file holds %q, want four", got)
	}
}

func TestFailedUploadLeavesNoFile(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, acct := s.connected("ada@example.com")
	content := randomBytes(12<<20, 3)

	// The client announces 12 MiB, sends 10 (past the first part of an
	// upload session) and gives up.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(content[:10<<20])
		pw.Close()
	}()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPut, s.srv.URL+contentPath(conn, "/cut.bin"), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(content))
	req.Header.Set("Authorization", "Bearer "+s.key)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("cut upload: %d %s, want 400 or a broken request", resp.StatusCode, b)
		}
	}
	// Close waits for the upload's handler to end.
	s.srv.Close()
	if line := "method=PUT path=/v1/connections/" + conn + "/files/content status=400"; !strings.Contains(s.logs.String(), line) {
		t.Errorf("the log has no %q:\n%s", line, s.logs)
	}

	c := dropbox.New(dropbox.WithBaseURL(s.emu.URL), dropbox.WithToken(acct.AccessToken))
	if _, err := c.Files.GetMetadata(t.Context(), &dropbox.GetMetadataArg{Path: "/cut.bin"}); !errors.Is(err, dropbox.ErrNotFound) {
		t.Errorf("after a cut upload, get_metadata: %v, want not_found", err)
	}
}

func TestDownloadResumesCutAnswer(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	content := randomBytes(3<<20, 4)
	file := s.put(conn, "/cut.bin", content)
	s.emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true, Times: 1})
	r := s.send(http.MethodGet, contentPath(conn, "/cut.bin"), nil, 0)
	if r.status != http.StatusOK || !bytes.Equal(r.body, content) || r.header.Get(httpapi.ContentHashHeader) != file.ContentHash {
		t.Errorf("download cut once by Dropbox: %d, %d bytes (equal %v), want the whole file", r.status, len(r.body), bytes.Equal(r.body, content))
	}
}
