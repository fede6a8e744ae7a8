package dropbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropbox/contenthash"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/google/go-cmp/cmp"
)

// seededBytes returns n bytes of a seeded random stream.
func seededBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// zeroIfNil returns *p, or the zero value for nil.
func zeroIfNil[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}

// dlEnv is an emulator with one account and a client of it.
type dlEnv struct {
	emu  *dropboxtest.Emulator
	acct dropboxtest.Account
	c    *dropbox.Client
}

func newDLEnv(t *testing.T, accountType string, opts ...dropbox.Option) *dlEnv {
	t.Helper()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com", AccountType: accountType})
	opts = append([]dropbox.Option{dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(fastRetries)}, opts...)
	return &dlEnv{emu: emu, acct: acct, c: dropbox.New(opts...)}
}

// put uploads data to path, replacing what is there.
func (e *dlEnv) put(t *testing.T, path string, data []byte) *dropbox.FileMetadata {
	t.Helper()
	m, err := e.c.Files.Upload(t.Context(), &dropbox.UploadArg{Path: path, Mode: dropbox.WriteMode{Tag: dropbox.WriteModeOverwrite}}, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("upload %s: %v", path, err)
	}
	return m
}

// TestDownloadThroughCuts: a whole file comes byte for byte through
// truncated bodies, dropped connections and 503s, in one revision, with
// its content hash checked.
func TestDownloadThroughCuts(t *testing.T) {
	t.Parallel()
	e := newDLEnv(t, "")
	data := seededBytes(1, 5<<20+123) // over one 4 MiB hash block
	up := e.put(t, "/Big.bin", data)
	for _, f := range []dropboxtest.Fault{
		{Route: "files/download", Truncate: true, Times: 1},
		{Route: "files/download", Reset: true, Times: 1},
		{Route: "files/download", Truncate: true, Times: 2},
		{Route: "files/download", Status: 503, Times: 1},
		{Route: "files/download", Truncate: true, Times: 1},
	} {
		e.emu.AddFault(t, f)
	}
	var got bytes.Buffer
	meta, err := e.c.Download(t.Context(), "/big.BIN", &got, nil)
	if err != nil {
		t.Fatalf("download through faults: %v", err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Errorf("downloaded %d bytes, not the %d uploaded", got.Len(), len(data))
	}
	if meta.Rev != up.Rev || zeroIfNil(meta.ContentHash) != contenthash.Of(data) || zeroIfNil(meta.PathDisplay) != "/Big.bin" {
		t.Errorf("metadata = rev %s hash %s path %s, want rev %s", meta.Rev, zeroIfNil(meta.ContentHash), zeroIfNil(meta.PathDisplay), up.Rev)
	}
	if faults := e.faults(t); len(faults) != 0 {
		t.Errorf("faults left unused: %+v", faults)
	}

	// The reader resumes the same way.
	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true, Times: 3})
	m, r, err := e.c.OpenDownload(t.Context(), up.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(b, data) || m.Rev != up.Rev {
		t.Errorf("OpenDownload through 3 cuts: %d bytes, rev %s, %v", len(b), m.Rev, err)
	}
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read after the end: %v, want io.EOF", err)
	}
}

// faults lists the emulator's fault rules still armed.
func (e *dlEnv) faults(t *testing.T) []map[string]any {
	t.Helper()
	var out struct {
		Faults []map[string]any `json:"faults"`
	}
	e.emu.Admin(t, http.MethodGet, "/_emulator/faults", nil, &out)
	return out.Faults
}

// TestDownloadGivesUp: a body cut again and again with no byte arriving
// ends after the retry policy's attempts, having written only right bytes.
func TestDownloadGivesUp(t *testing.T) {
	t.Parallel()
	e := newDLEnv(t, "", dropbox.WithRetryPolicy(dropbox.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	data := seededBytes(2, 64)
	e.put(t, "/small.bin", data)
	// Every answer is cut in half: 32, 16, ... bytes arrive, then none.
	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true})
	var got bytes.Buffer
	_, err := e.c.Download(t.Context(), "/small.bin", &got, nil)
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "gave up after 3 cuts") {
		t.Errorf("download cut forever: %v", err)
	}
	if got.Len() == 0 || got.Len() >= len(data) || !bytes.Equal(got.Bytes(), data[:got.Len()]) {
		t.Errorf("wrote %d bytes before giving up: want a true prefix of %d", got.Len(), len(data))
	}
}

func TestDownloadRange(t *testing.T) {
	t.Parallel()
	e := newDLEnv(t, "")
	data := seededBytes(3, 10_000)
	e.put(t, "/r.bin", data)
	e.put(t, "/empty.bin", nil)
	for _, tc := range []struct {
		name        string
		path        string
		off, length int64
		want        []byte
		truncations int
		wantStatus  int // a *ServerError's
	}{
		{name: "middle", path: "/r.bin", off: 100, length: 1000, want: data[100:1100], truncations: 2},
		{name: "tail", path: "/r.bin", off: 9990, want: data[9990:]},
		{name: "head", path: "/r.bin", length: 50, want: data[:50], truncations: 1},
		{name: "past the end", path: "/r.bin", off: 9000, length: 5000, want: data[9000:], truncations: 1},
		{name: "last byte", path: "/r.bin", off: 9999, length: 1, want: data[9999:]},
		{name: "whole by length", path: "/r.bin", length: 10_000, want: data, truncations: 3},
		{name: "offset at the end", path: "/r.bin", off: 10_000, wantStatus: 416},
		{name: "head of an empty file", path: "/empty.bin", length: 10, want: []byte{}},
		{name: "empty file", path: "/empty.bin", want: []byte{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: the faults are the emulator's, for every caller.
			if tc.truncations > 0 {
				e.emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true, Times: tc.truncations})
			}
			var got bytes.Buffer
			_, err := e.c.Download(t.Context(), tc.path, &got, &dropbox.DownloadOptions{Offset: tc.off, Length: tc.length})
			var se *dropbox.ServerError
			switch {
			case tc.wantStatus != 0:
				if !errors.As(err, &se) || se.Status != tc.wantStatus {
					t.Errorf("err = %v, want status %d", err, tc.wantStatus)
				}
			case err != nil:
				t.Errorf("download: %v", err)
			case !bytes.Equal(got.Bytes(), tc.want):
				t.Errorf("got %d bytes, want %d: %s", got.Len(), len(tc.want), cmp.Diff(tc.want, got.Bytes()))
			}
			if faults := e.faults(t); len(faults) != 0 {
				t.Errorf("faults left unused: %+v", faults)
				e.emu.ClearFaults(t)
			}
		})
	}
	if _, _, err := e.c.OpenDownload(t.Context(), "/r.bin", &dropbox.DownloadOptions{Offset: -1}); err == nil {
		t.Error("a negative offset is accepted")
	}
}

// writerFunc is an io.Writer made of a function.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestDownloadReplacedMeanwhile: a file overwritten between two pieces of
// a download is read to the end at the revision the download began with,
// never stitched from two.
func TestDownloadReplacedMeanwhile(t *testing.T) {
	t.Parallel()
	e := newDLEnv(t, "")
	v1 := seededBytes(4, 300_000)
	v2 := seededBytes(5, 300_000)
	m1 := e.put(t, "/doc.bin", v1)

	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true, Times: 1})
	var got bytes.Buffer
	replaced := false
	w := writerFunc(func(p []byte) (int, error) {
		if !replaced {
			replaced = true
			e.put(t, "/doc.bin", v2) // while the first half is arriving
		}
		return got.Write(p)
	})
	meta, err := e.c.Download(t.Context(), "/doc.bin", w, nil)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	if !bytes.Equal(got.Bytes(), v1) || meta.Rev != m1.Rev {
		t.Errorf("got %d bytes of rev %s: want the first version, rev %s, whole", got.Len(), meta.Rev, m1.Rev)
	}

	// The reader, replaced between its reads.
	m2 := e.put(t, "/doc.bin", v2)
	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true, Times: 1})
	meta, r, err := e.c.OpenDownload(t.Context(), "/doc.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	half := make([]byte, len(v2)/2)
	if _, err := io.ReadFull(r, half); err != nil {
		t.Fatal(err)
	}
	e.put(t, "/doc.bin", v1)
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(append(half, rest...), v2) || meta.Rev != m2.Rev {
		t.Errorf("reader replaced between reads: %d+%d bytes, rev %s (want %s), %v", len(half), len(rest), meta.Rev, m2.Rev, err)
	}
}

// TestDownloadRevisionGone: when the revision being read is gone for good
// before the rest could be fetched, the download fails; nothing of
// another version is read.
func TestDownloadRevisionGone(t *testing.T) {
	t.Parallel()
	e := newDLEnv(t, "business")
	v1 := seededBytes(6, 100_000)
	e.put(t, "/gone.bin", v1)
	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true, Times: 1})
	_, r, err := e.c.OpenDownload(t.Context(), "/gone.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	half := make([]byte, len(v1)/2)
	if _, err := io.ReadFull(r, half); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Files.PermanentlyDelete(t.Context(), &dropbox.DeleteArg{Path: "/gone.bin"}); err != nil {
		t.Fatalf("permanently_delete: %v", err)
	}
	e.put(t, "/gone.bin", seededBytes(7, 100_000))
	n, err := r.Read(make([]byte, len(v1)))
	if n != 0 || !errors.Is(err, dropbox.ErrNotFound) || !strings.Contains(err.Error(), "resume at byte 50000") {
		t.Errorf("read after the revision went: %d bytes, %v", n, err)
	}
	if _, again := r.Read(make([]byte, 1)); again == nil || again.Error() != err.Error() {
		t.Errorf("the next read: %v, want the same error", again)
	}
}

// downloadProxy serves the emulator at base through a proxy that hands
// files/download answers to alter.
func downloadProxy(t *testing.T, base string, alter func(*http.Response)) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path == "/2/files/download" {
			alter(resp)
		}
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

// byteFlipper flips the bits of the byte at offset at of r.
type byteFlipper struct {
	r      io.ReadCloser
	at, of int64
}

func (f *byteFlipper) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.at >= f.of && f.at < f.of+int64(n) {
		p[f.at-f.of] ^= 0xff
	}
	f.of += int64(n)
	return n, err
}

func (f *byteFlipper) Close() error { return f.r.Close() }

// TestDownloadContentHashMismatch: bytes damaged on the way (by a proxy:
// the emulator is honest) fail the whole-file download, saying which hash
// was wanted and which came.
func TestDownloadContentHashMismatch(t *testing.T) {
	t.Parallel()
	e := newDLEnv(t, "")
	data := seededBytes(8, 70_000)
	up := e.put(t, "/x.bin", data)
	base := downloadProxy(t, e.emu.URL, func(resp *http.Response) {
		resp.Body = &byteFlipper{r: resp.Body, at: 1234}
	})
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(e.acct.AccessToken), dropbox.WithRetryPolicy(fastRetries))
	damaged := bytes.Clone(data)
	damaged[1234] ^= 0xff

	var got bytes.Buffer
	_, err := c.Download(t.Context(), "/x.bin", &got, nil)
	var he *dropbox.ContentHashError
	if !errors.As(err, &he) || !errors.Is(err, dropbox.ErrContentHashMismatch) {
		t.Fatalf("download of damaged bytes: %v", err)
	}
	want := &dropbox.ContentHashError{Path: "/x.bin", Rev: up.Rev, Want: zeroIfNil(up.ContentHash), Got: contenthash.Of(damaged)}
	if diff := cmp.Diff(want, he); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	// A range cannot be checked: its bytes come as they are.
	got.Reset()
	if _, err := c.Download(t.Context(), "/x.bin", &got, &dropbox.DownloadOptions{Offset: 1000, Length: 1000}); err != nil || !bytes.Equal(got.Bytes(), data[1000:2000]) {
		t.Errorf("range before the damaged byte: %v", err)
	}
	// The reader reports the mismatch at the end, instead of io.EOF.
	_, r, err := c.OpenDownload(t.Context(), "/x.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if !errors.As(err, &he) || !bytes.Equal(b, damaged) {
		t.Errorf("reader of damaged bytes: %d bytes, %v", len(b), err)
	}
}

// TestDownloadRangeIgnored: a server that answers a resumption with the
// whole file (ignoring Range) is caught, not stitched.
func TestDownloadRangeIgnored(t *testing.T) {
	t.Parallel()
	e := newDLEnv(t, "")
	data := seededBytes(9, 10_000)
	e.put(t, "/x.bin", data)
	u, _ := url.Parse(e.emu.URL)
	p := httputil.NewSingleHostReverseProxy(u)
	direct := p.Director
	p.Director = func(r *http.Request) {
		direct(r)
		r.Header.Del("Range")
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	c := dropbox.New(dropbox.WithBaseURL(srv.URL), dropbox.WithToken(e.acct.AccessToken), dropbox.WithRetryPolicy(fastRetries))
	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/download", Truncate: true, Times: 1})
	_, err := c.Download(t.Context(), "/x.bin", io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "starts elsewhere") {
		t.Errorf("resumed with a server that ignores Range: %v", err)
	}
}

func TestDownloadErrors(t *testing.T) {
	t.Parallel()
	e := newDLEnv(t, "")
	data := seededBytes(10, 100_000)
	e.put(t, "/x.bin", data)

	_, err := e.c.Download(t.Context(), "/missing.bin", io.Discard, nil)
	var de *dropbox.DownloadError
	if !errors.Is(err, dropbox.ErrNotFound) || !errors.As(err, &de) || de.Tag != dropbox.DownloadErrorPath {
		t.Errorf("missing file: %v", err)
	}

	full := errors.New("disk full")
	n := 0
	_, err = e.c.Download(t.Context(), "/x.bin", writerFunc(func(p []byte) (int, error) {
		if n > 0 {
			return 0, full
		}
		n += len(p)
		return len(p), nil
	}), nil)
	if !errors.Is(err, full) || !strings.Contains(err.Error(), "download /x.bin: write: disk full") {
		t.Errorf("write error: %v", err)
	}

	// Cancelled mid-way: the read ends with ctx's error.
	ctx, cancel := context.WithCancel(t.Context())
	_, r, err := e.c.OpenDownload(ctx, "/x.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(r); !errors.Is(err, context.Canceled) {
		t.Errorf("read after cancel: %v", err)
	}
	r.Close()
	if _, err := r.Read(make([]byte, 1)); err == nil {
		t.Error("read after close succeeds")
	}
}
