package dropbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropbox/contenthash"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

const mib = 1 << 20

// upRetries keeps retry waits short in tests.
var upRetries = dropbox.RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Budget: 30 * time.Second}

// upData is n reproducible pseudo-random bytes.
func upData(seed uint64, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 1}).Read(b)
	return b
}

// upStream hides every method of r but Read: a plain, non-seekable stream.
type upStream struct{ r io.Reader }

func (s upStream) Read(p []byte) (int, error) { return s.r.Read(p) }

// upEnv is an emulator with one account and a client for it.
type upEnv struct {
	emu *dropboxtest.Emulator
	c   *dropbox.Client
	tr  *upTransport
}

func newUpEnv(t *testing.T, opts ...dropboxtest.Option) *upEnv {
	t.Helper()
	emu := dropboxtest.NewEmulator(t, opts...)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	tr := &upTransport{next: &http.Transport{MaxIdleConnsPerHost: 16}}
	t.Cleanup(tr.next.(*http.Transport).CloseIdleConnections)
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(upRetries), dropbox.WithHTTPClient(&http.Client{Transport: tr}))
	return &upEnv{emu: emu, c: c, tr: tr}
}

// upTransport passes requests on, counts them per route and status, and
// can lose the answer of a route's next successful calls after the
// emulator has handled them, as a network failure would.
type upTransport struct {
	next http.RoundTripper

	mu     sync.Mutex
	lose   map[string]int         // route -> 200 answers still to lose
	counts map[string]map[int]int // route -> status -> calls
	onSend func(route string)     // called as each request goes out
}

func (tr *upTransport) loseAnswers(route string, n int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.lose == nil {
		tr.lose = map[string]int{}
	}
	tr.lose[route] += n
}

func (tr *upTransport) count(route string, status int) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.counts[route][status]
}

func (tr *upTransport) total(status int) int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	n := 0
	for _, m := range tr.counts {
		n += m[status]
	}
	return n
}

func (tr *upTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	route := strings.TrimPrefix(req.URL.Path, "/2/")
	tr.mu.Lock()
	onSend := tr.onSend
	tr.mu.Unlock()
	if onSend != nil {
		onSend(route)
	}
	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.counts == nil {
		tr.counts = map[string]map[int]int{}
	}
	if tr.counts[route] == nil {
		tr.counts[route] = map[int]int{}
	}
	tr.counts[route][resp.StatusCode]++
	if tr.lose[route] > 0 && resp.StatusCode == http.StatusOK {
		tr.lose[route]--
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, fmt.Errorf("test: the answer of %s was lost", route)
	}
	return resp, nil
}

// download returns the content of path, failing the test if it has none.
func (e *upEnv) download(t *testing.T, path string) []byte {
	t.Helper()
	_, body, err := e.c.Files.Download(t.Context(), &dropbox.DownloadArg{Path: path})
	if err != nil {
		t.Fatalf("download %s: %v", path, err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("download %s: %v", path, err)
	}
	return b
}

// absent fails the test unless nothing is at path.
func (e *upEnv) absent(t *testing.T, path string) {
	t.Helper()
	if _, err := e.c.Files.GetMetadata(t.Context(), &dropbox.GetMetadataArg{Path: path}); !errors.Is(err, dropbox.ErrNotFound) {
		t.Errorf("%s: want nothing there, get_metadata says %v", path, err)
	}
}

// check fails the test unless md and the file at its path hold data.
func (e *upEnv) check(t *testing.T, md *dropbox.FileMetadata, data []byte) {
	t.Helper()
	want := contenthash.Of(data)
	if md == nil || md.Size != uint64(len(data)) || md.ContentHash == nil || *md.ContentHash != want {
		t.Fatalf("metadata = %+v, want size %d hash %s", md, len(data), want)
	}
	if got := e.download(t, *md.PathDisplay); !bytes.Equal(got, data) {
		t.Fatalf("%s holds %d bytes, not the %d uploaded", *md.PathDisplay, len(got), len(data))
	}
}

// revisions is how many revisions the file at path has.
func (e *upEnv) revisions(t *testing.T, path string) int {
	t.Helper()
	res, err := e.c.Files.ListRevisions(t.Context(), &dropbox.ListRevisionsArg{Path: path})
	if err != nil {
		t.Fatalf("list revisions of %s: %v", path, err)
	}
	return len(res.Entries)
}

func TestUploadSizes(t *testing.T) {
	t.Parallel()
	const T = 4 * mib // the threshold of most cases
	small := &dropbox.UploadOptions{Threshold: T, PartSize: 4 * mib}
	type want struct{ single, parts int }
	cases := []struct {
		name    string
		size    int
		opts    *dropbox.UploadOptions
		content string // readerAt, stream, unknown (a stream of unknown size)
		want    want
	}{
		{"empty", 0, small, "readerAt", want{single: 1}},
		{"empty stream", 0, small, "stream", want{single: 1}},
		{"empty unknown", 0, small, "unknown", want{single: 1}},
		{"1 byte", 1, small, "readerAt", want{single: 1}},
		{"1 byte unknown", 1, small, "unknown", want{single: 1}},
		{"threshold-1", T - 1, small, "readerAt", want{single: 1}},
		{"threshold-1 unknown", T - 1, small, "unknown", want{single: 1}},
		{"4 MiB = threshold", T, small, "readerAt", want{parts: 1}},
		{"4 MiB = threshold stream", T, small, "stream", want{parts: 1}},
		{"4 MiB = threshold unknown", T, small, "unknown", want{parts: 1}},
		{"4 MiB+1", T + 1, small, "readerAt", want{parts: 2}},
		{"4 MiB+1 stream", T + 1, small, "stream", want{parts: 2}},
		{"4 MiB+1 unknown", T + 1, small, "unknown", want{parts: 2}},
		{"3 parts and a byte", 3*T + 1, &dropbox.UploadOptions{Threshold: T, PartSize: 4 * mib, Concurrency: 2}, "readerAt", want{parts: 4}},
		{"default threshold-1", 8*mib - 1, nil, "readerAt", want{single: 1}},
		{"default threshold", 8 * mib, nil, "readerAt", want{parts: 1}},
		{"default threshold stream", 8 * mib, nil, "stream", want{parts: 1}},
		{"2 default parts+1", 32*mib + 1, nil, "stream", want{parts: 3}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newUpEnv(t)
			data := upData(uint64(i), tc.size)
			var r io.Reader = bytes.NewReader(data)
			size := int64(tc.size)
			switch tc.content {
			case "stream":
				r = upStream{r}
			case "unknown":
				r, size = upStream{r}, -1
			}
			path := fmt.Sprintf("/sizes/%s.bin", tc.name)
			md, err := e.c.Upload(t.Context(), path, r, size, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			e.check(t, md, data)
			got := want{single: e.tr.count("files/upload", 200), parts: e.tr.count("files/upload_session/append_v2", 200)}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if tc.want.parts > 0 && (e.tr.count("files/upload_session/start", 200) != 1 || e.tr.count("files/upload_session/finish", 200) != 1) {
				t.Errorf("session: %d starts, %d finishes; want 1 and 1",
					e.tr.count("files/upload_session/start", 200), e.tr.count("files/upload_session/finish", 200))
			}
		})
	}
}

// TestUploadConcurrentFaults: a concurrent upload through 503s, dropped
// connections and 429s on append_v2 and finish, and a finish whose answer
// is lost after Dropbox committed it, arrives once, with the right hash.
func TestUploadConcurrentFaults(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	for _, route := range []string{"files/upload_session/append_v2", "files/upload_session/finish"} {
		e.emu.AddFault(t, dropboxtest.Fault{Route: route, Status: 503, Times: 2})
		e.emu.AddFault(t, dropboxtest.Fault{Route: route, Reset: true, Times: 1})
		e.emu.AddFault(t, dropboxtest.Fault{Route: route, Status: 429, Reason: "too_many_write_operations", Times: 1})
	}
	e.tr.loseAnswers("files/upload_session/finish", 1)
	data := upData(7, 6*4*mib+123)
	var progress []int64
	opts := &dropbox.UploadOptions{PartSize: 4 * mib, Concurrency: 3, OnProgress: func(s dropbox.UploadSession) { progress = append(progress, s.Offset) }}
	md, err := e.c.Upload(t.Context(), "/faults/big.bin", bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatal(err)
	}
	e.check(t, md, data)
	if n := e.revisions(t, "/faults/big.bin"); n != 1 {
		t.Errorf("%d revisions, want 1", n)
	}
	// The repeat of the finish whose answer was lost found the session
	// gone, and the file committed.
	if n := e.tr.count("files/upload_session/finish", 409); n != 1 {
		t.Errorf("%d finishes answered 409, want 1 (lookup_failed/not_found)", n)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i] <= progress[i-1] {
			t.Fatalf("progress offsets not increasing: %v", progress)
		}
	}
	if progress[0] != 0 || progress[len(progress)-1] != int64(len(data)) {
		t.Errorf("progress = %v, want 0 first and %d last", progress, len(data))
	}
}

// TestUploadSingleFaults: a single request through a 503, a dropped
// connection and a lost answer arrives once.
func TestUploadSingleFaults(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/upload", Status: 503, Times: 1})
	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/upload", Reset: true, Times: 1})
	e.tr.loseAnswers("files/upload", 1)
	data := upData(8, 1000)
	md, err := e.c.Upload(t.Context(), "/single.bin", upStream{bytes.NewReader(data)}, int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.check(t, md, data)
	if n := e.revisions(t, "/single.bin"); n != 1 {
		t.Errorf("%d revisions, want 1", n)
	}
	if n := e.tr.count("files/upload", 200); n != 2 {
		t.Errorf("%d successful files/upload calls, want 2 (one answer lost)", n)
	}
}

// TestUploadStreamLostAnswers: a sequential upload whose appends' answers
// are lost (the retry meets incorrect_offset) sends no byte twice.
func TestUploadStreamLostAnswers(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	e.tr.loseAnswers("files/upload_session/append_v2", 2)
	e.emu.AddFault(t, dropboxtest.Fault{Route: "files/upload_session/append_v2", Status: 500, Times: 1})
	data := upData(9, 3*4*mib+5)
	md, err := e.c.Upload(t.Context(), "/stream.bin", upStream{bytes.NewReader(data)}, -1, &dropbox.UploadOptions{PartSize: 4 * mib})
	if err != nil {
		t.Fatal(err)
	}
	e.check(t, md, data)
	if n := e.tr.count("files/upload_session/append_v2", 409); n != 2 {
		t.Errorf("%d appends answered incorrect_offset, want 2", n)
	}
}

// interrupt returns options that make an upload stop (ctx cancelled) once
// Dropbox has confirmed at least stopAt bytes, and the last progress seen.
func interrupt(ctx context.Context, stopAt int64, o dropbox.UploadOptions) (context.Context, *dropbox.UploadOptions, func() dropbox.UploadSession) {
	ctx, cancel := context.WithCancel(ctx)
	var mu sync.Mutex
	var last dropbox.UploadSession
	o.OnProgress = func(s dropbox.UploadSession) {
		mu.Lock()
		defer mu.Unlock()
		last = s
		if s.Offset >= stopAt {
			cancel()
		}
	}
	return ctx, &o, func() dropbox.UploadSession {
		mu.Lock()
		defer mu.Unlock()
		cancel()
		return last
	}
}

func TestUploadResume(t *testing.T) {
	t.Parallel()
	data := upData(10, 5*4*mib+77)
	size := int64(len(data))
	seq := dropbox.UploadOptions{PartSize: 4 * mib}

	t.Run("stream", func(t *testing.T) {
		t.Parallel()
		e := newUpEnv(t)
		ctx, opts, last := interrupt(t.Context(), 8*mib, seq)
		if _, err := e.c.Upload(ctx, "/r.bin", upStream{bytes.NewReader(data)}, size, opts); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted upload: %v", err)
		}
		s := last()
		if s.Offset != 8*mib || s.HashState == nil || s.Concurrent {
			t.Fatalf("saved session = %+v", s)
		}
		e.absent(t, "/r.bin")
		// A reader positioned at the saved offset.
		md, err := e.c.Upload(t.Context(), "/r.bin", upStream{bytes.NewReader(data[s.Offset:])}, size, &dropbox.UploadOptions{PartSize: 4 * mib, Resume: &s})
		if err != nil {
			t.Fatal(err)
		}
		e.check(t, md, data)
	})

	t.Run("concurrent", func(t *testing.T) {
		t.Parallel()
		e := newUpEnv(t)
		ctx, opts, last := interrupt(t.Context(), 4*mib, dropbox.UploadOptions{PartSize: 4 * mib, Concurrency: 1})
		if _, err := e.c.Upload(ctx, "/c.bin", bytes.NewReader(data), size, opts); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted upload: %v", err)
		}
		s := last()
		if s.Offset < 4*mib || s.Offset == size || !s.Concurrent || s.PartSize != 4*mib {
			t.Fatalf("saved session = %+v", s)
		}
		e.absent(t, "/c.bin")
		s.HashState = nil // hashed again from the io.ReaderAt
		// Another part size: the session's stands.
		md, err := e.c.Upload(t.Context(), "/c.bin", bytes.NewReader(data), size, &dropbox.UploadOptions{PartSize: 8 * mib, Resume: &s})
		if err != nil {
			t.Fatal(err)
		}
		e.check(t, md, data)
	})

	t.Run("offset too low", func(t *testing.T) {
		t.Parallel()
		e := newUpEnv(t)
		var saved []dropbox.UploadSession
		ctx, cancel := context.WithCancel(t.Context())
		opts := seq
		opts.OnProgress = func(s dropbox.UploadSession) {
			saved = append(saved, s)
			if s.Offset >= 12*mib {
				cancel()
			}
		}
		if _, err := e.c.Upload(ctx, "/low.bin", upStream{bytes.NewReader(data)}, size, &opts); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted upload: %v", err)
		}
		// The caller saved an older state: Dropbox holds 12 MiB, not 4.
		var s dropbox.UploadSession
		for _, x := range saved {
			if x.Offset == 4*mib {
				s = x
			}
		}
		if s.ID == "" {
			t.Fatalf("no progress at 4 MiB in %+v", saved)
		}
		e.tr.mu.Lock()
		before := e.tr.counts["files/upload_session/append_v2"][200]
		e.tr.mu.Unlock()
		md, err := e.c.Upload(t.Context(), "/low.bin", upStream{bytes.NewReader(data[s.Offset:])}, size, &dropbox.UploadOptions{PartSize: 4 * mib, Resume: &s})
		if err != nil {
			t.Fatal(err)
		}
		e.check(t, md, data)
		if got := e.tr.count("files/upload_session/append_v2", 200) - before; got != 3 {
			t.Errorf("%d appends after resuming, want 3 (16, 20 and the closing rest)", got)
		}
		if e.tr.count("files/upload_session/append_v2", 409) != 1 {
			t.Errorf("%d incorrect_offset answers, want 1", e.tr.count("files/upload_session/append_v2", 409))
		}
	})

	t.Run("offset too high", func(t *testing.T) {
		t.Parallel()
		e := newUpEnv(t)
		ctx, opts, last := interrupt(t.Context(), 8*mib, seq)
		if _, err := e.c.Upload(ctx, "/high.bin", upStream{bytes.NewReader(data)}, size, opts); !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted upload: %v", err)
		}
		s := last()
		s.Offset, s.HashState = 16*mib, nil // Dropbox holds 8 MiB
		// A stream cannot go back.
		_, err := e.c.Upload(t.Context(), "/high.bin", upStream{bytes.NewReader(data[s.Offset:])}, size, &dropbox.UploadOptions{PartSize: 4 * mib, Resume: &s})
		if !errors.Is(err, dropbox.ErrIncorrectOffset) {
			t.Fatalf("resume of a stream past Dropbox's offset: %v, want incorrect_offset", err)
		}
		e.absent(t, "/high.bin")
		// An io.ReaderAt can.
		md, err := e.c.Upload(t.Context(), "/high.bin", bytes.NewReader(data), size, &dropbox.UploadOptions{PartSize: 4 * mib, Resume: &s})
		if err != nil {
			t.Fatal(err)
		}
		e.check(t, md, data)
	})
}

// TestUploadCancel: cancelling the context stops an upload whose appends
// are in flight, parallel ones too, and commits nothing.
func TestUploadCancel(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"readerAt", "stream"} {
		t.Run(content, func(t *testing.T) {
			t.Parallel()
			e := newUpEnv(t)
			// Every append waits 2 s before the emulator reads it (a server
			// that has not read the body misses the client's going away,
			// so the delay must end on its own for the test to end).
			e.emu.AddFault(t, dropboxtest.Fault{Route: "files/upload_session/append_v2", DelayMS: 2000})
			data := upData(11, 3*4*mib)
			var r io.Reader = bytes.NewReader(data)
			inFlight := 2 // the parallel appends of a concurrent session
			if content == "stream" {
				r, inFlight = upStream{r}, 1
			}
			sent := make(chan struct{}, 8)
			e.tr.mu.Lock()
			e.tr.onSend = func(route string) {
				if route == "files/upload_session/append_v2" {
					sent <- struct{}{}
				}
			}
			e.tr.mu.Unlock()
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				_, err := e.c.Upload(ctx, "/cancelled.bin", r, int64(len(data)), &dropbox.UploadOptions{PartSize: 4 * mib, Concurrency: 2})
				done <- err
			}()
			for range inFlight {
				<-sent
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled upload: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the upload did not stop when its context was cancelled")
			}
			e.emu.ClearFaults(t)
			e.absent(t, "/cancelled.bin")
		})
	}
}

func TestUploadErrors(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		path string
		size int64
		opts *dropbox.UploadOptions
	}{
		{"no slash", "file.txt", 1, nil},
		{"root", "/", 1, nil},
		{"size", "/a", -2, nil},
		{"part size", "/a", 1, &dropbox.UploadOptions{PartSize: 5 * mib}},
		{"part size too large", "/a", 1, &dropbox.UploadOptions{PartSize: 152 * mib}},
		{"threshold", "/a", 1, &dropbox.UploadOptions{Threshold: 151 * mib}},
		{"concurrency", "/a", 1, &dropbox.UploadOptions{Concurrency: -1}},
		{"update without rev", "/a", 1, &dropbox.UploadOptions{Mode: dropbox.WriteMode{Tag: dropbox.WriteModeUpdate}}},
		{"resume without id", "/a", 1, &dropbox.UploadOptions{Resume: &dropbox.UploadSession{}}},
		{"resume past the end", "/a", 1, &dropbox.UploadOptions{Resume: &dropbox.UploadSession{ID: "x", Offset: 2}}},
	} {
		if _, err := e.c.Upload(ctx, tc.path, strings.NewReader("x"), tc.size, tc.opts); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if n := e.tr.total(200) + e.tr.total(400) + e.tr.total(409); n != 0 {
		t.Errorf("bad arguments made %d requests", n)
	}

	// A conflict, in one request and through a session.
	if _, err := e.c.Upload(ctx, "/taken.txt", strings.NewReader("first"), 5, nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.Upload(ctx, "/taken.txt", strings.NewReader("second"), 6, nil)
	var ue *dropbox.UploadError
	if !errors.Is(err, dropbox.ErrConflict) || !errors.As(err, &ue) || ue.Tag != dropbox.UploadErrorPath {
		t.Errorf("single upload onto another file: %v", err)
	}
	big := upData(12, 4*mib)
	_, err = e.c.Upload(ctx, "/taken.txt", bytes.NewReader(big), int64(len(big)), &dropbox.UploadOptions{Threshold: 4 * mib})
	var fe *dropbox.UploadSessionFinishError
	if !errors.Is(err, dropbox.ErrConflict) || !errors.As(err, &fe) || fe.Tag != dropbox.UploadSessionFinishErrorPath {
		t.Errorf("session upload onto another file: %v", err)
	}
	// Overwrite replaces it; update needs the current rev.
	md, err := e.c.Upload(ctx, "/taken.txt", strings.NewReader("third"), 5, &dropbox.UploadOptions{Mode: dropbox.WriteMode{Tag: dropbox.WriteModeOverwrite}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Upload(ctx, "/taken.txt", strings.NewReader("fourth"), 6, &dropbox.UploadOptions{Mode: dropbox.WriteMode{Tag: dropbox.WriteModeUpdate, Update: md.Rev}}); err != nil {
		t.Errorf("update with the current rev: %v", err)
	}
	if _, err := e.c.Upload(ctx, "/taken.txt", strings.NewReader("fifth"), 5, &dropbox.UploadOptions{Mode: dropbox.WriteMode{Tag: dropbox.WriteModeUpdate, Update: md.Rev}}); !errors.Is(err, dropbox.ErrConflict) {
		t.Errorf("update with an old rev: %v", err)
	}

	// Content shorter than its size commits nothing.
	for _, r := range []io.Reader{strings.NewReader("short"), upStream{strings.NewReader("short")}} {
		if _, err := e.c.Upload(ctx, "/short.txt", r, 10, nil); err == nil || !strings.Contains(err.Error(), "ended after 5 of its 10 bytes") {
			t.Errorf("short content: %v", err)
		}
	}
	shortBig := upData(13, 5*mib)
	for _, r := range []io.Reader{bytes.NewReader(shortBig), upStream{bytes.NewReader(shortBig)}} {
		if _, err := e.c.Upload(ctx, "/short.txt", r, 9*mib, &dropbox.UploadOptions{PartSize: 4 * mib}); err == nil {
			t.Errorf("short session content (%T): no error", r)
		}
	}
	e.absent(t, "/short.txt")
}

func TestUploadClientModified(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	when := time.Date(2020, 2, 3, 4, 5, 6, 789, time.FixedZone("x", 3600))
	for _, size := range []int{3, 4 * mib} {
		data := upData(14, size)
		md, err := e.c.Upload(t.Context(), fmt.Sprintf("/when-%d", size), bytes.NewReader(data), int64(size),
			&dropbox.UploadOptions{ClientModified: when, Threshold: 4 * mib, Mute: true})
		if err != nil {
			t.Fatal(err)
		}
		if !md.ClientModified.Equal(when.Truncate(time.Second)) {
			t.Errorf("size %d: client_modified %v, want %v", size, md.ClientModified, when.Truncate(time.Second))
		}
	}
}

// TestUploadPaths: a path the spec's WritePathOrId pattern refuses (which
// Dropbox answers with a 400 for the whole request) fails before any
// request; the others reach Dropbox.
func TestUploadPaths(t *testing.T) {
	t.Parallel()
	e := newUpEnv(t)
	for path, ok := range map[string]bool{
		"/a": true, "/a/b c.txt": true, "/with\nnewline": true, "id:abc": true, "ns:123": true, "ns:123/x": true,
		"": false, "/": false, "a": false, "id:a\nb": false, "ns:": false, "ns:x/y": false, "ns:12x": false, "ns:1/a\nb": false,
	} {
		before := e.tr.total(200) + e.tr.total(409) + e.tr.total(400) + e.tr.total(422)
		_, err := e.c.Upload(t.Context(), path, strings.NewReader("x"), 1, nil)
		sent := e.tr.total(200)+e.tr.total(409)+e.tr.total(400)+e.tr.total(422) > before
		if sent != ok || !ok && err == nil {
			t.Errorf("upload to %q: sent %v, error %v; want sent %v", path, sent, err, ok)
		}
	}
}
