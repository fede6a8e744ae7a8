package dropbox_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// benchTransport is the HTTP transport of the client and of the plain
// baselines: keep-alive connections for parallel parts, no compression.
func benchTransport(b *testing.B) *http.Transport {
	tr := &http.Transport{MaxIdleConnsPerHost: 16, DisableCompression: true}
	b.Cleanup(tr.CloseIdleConnections)
	return tr
}

// statusCounter counts the answers that passed through it by status.
type statusCounter struct {
	next   http.RoundTripper
	mu     sync.Mutex
	counts map[int]int
}

func (s *statusCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(req)
	if err == nil {
		s.mu.Lock()
		if s.counts == nil {
			s.counts = map[int]int{}
		}
		s.counts[resp.StatusCode]++
		s.mu.Unlock()
	}
	return resp, err
}

func (s *statusCounter) count(status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[status]
}

// rawPost sends one upload-style request with plain net/http and returns
// the answer's body.
func rawPost(b *testing.B, hc *http.Client, base, token, route, arg string, body []byte) []byte {
	req, err := http.NewRequest(http.MethodPost, base+"/2/"+route, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Dropbox-API-Arg", arg)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d %s %v", route, resp.StatusCode, out, err)
	}
	return out
}

// rawSession uploads data to path with plain net/http requests, as one
// sequential session of part-size pieces: start with the first, appends,
// finish with the last.
func rawSession(b *testing.B, hc *http.Client, base, token, path string, data []byte, part int) {
	post := func(route, arg string, body []byte) []byte { return rawPost(b, hc, base, token, route, arg, body) }
	var start struct {
		SessionID string `json:"session_id"`
	}
	if err := json.Unmarshal(post("files/upload_session/start", `{}`, data[:part]), &start); err != nil {
		b.Fatal(err)
	}
	off := part
	for ; off+part < len(data); off += part {
		post("files/upload_session/append_v2", fmt.Sprintf(`{"cursor":{"session_id":%q,"offset":%d}}`, start.SessionID, off), data[off:off+part])
	}
	post("files/upload_session/finish", fmt.Sprintf(`{"cursor":{"session_id":%q,"offset":%d},"commit":{"path":%q}}`, start.SessionID, off, path), data[off:])
}

// BenchmarkUpload1GiBConcurrent uploads 1 GiB from an io.ReaderAt with
// Client.Upload and its defaults (a concurrent session, 16 MiB parts, 4 at
// a time, each hashed for content_hash) into the memory backend. The
// baseline, in the same run, sends the same bytes with plain net/http
// requests as one sequential session of 16 MiB parts, without hashing.
// Each upload goes to a fresh emulator, collected after it, so that every
// upload reuses the heap pages of the one before instead of faulting in
// new ones; they go in the order baseline, client, client, baseline after
// one unmeasured upload, to cancel drift. ratio = client throughput /
// baseline throughput (target >= 0.70).
func BenchmarkUpload1GiBConcurrent(b *testing.B) {
	const total = 1 << 30
	const part = 16 << 20
	data := make([]byte, total)
	rand.NewChaCha8([32]byte{1}).Read(data)
	tr := benchTransport(b)
	hc := &http.Client{Transport: tr}
	// upload runs one upload into a fresh emulator and returns its time.
	upload := func(client bool) time.Duration {
		b.StopTimer()
		defer b.StartTimer()
		srv, err := dropboxemu.New(dropboxemu.Options{})
		if err != nil {
			b.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		emu := &dropboxtest.Emulator{Server: srv, URL: hs.URL, HTTP: hs}
		acct := emu.CreateAccount(b, dropboxtest.AccountArg{Email: "bench@example.com", Quota: 1 << 40})
		c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithHTTPClient(hc))
		b.StartTimer()
		start := time.Now()
		if client {
			if _, err := c.Upload(b.Context(), "/client.bin", bytes.NewReader(data), total, nil); err != nil {
				b.Fatal(err)
			}
		} else {
			rawSession(b, hc, emu.URL, acct.AccessToken, "/raw.bin", data, part)
		}
		d := time.Since(start)
		b.StopTimer()
		tr.CloseIdleConnections()
		srv.Drain()
		hs.Close()
		srv.Close()
		runtime.GC()
		return d
	}
	upload(false)
	var rawDur, cliDur time.Duration
	b.SetBytes(total)
	b.ResetTimer()
	for range b.N {
		rawDur += upload(false)
		cliDur += upload(true)
		cliDur += upload(true)
		rawDur += upload(false)
	}
	b.ReportMetric(rawDur.Seconds()/cliDur.Seconds(), "ratio")
	b.ReportMetric(2*float64(total)*float64(b.N)/cliDur.Seconds()/1e6, "client-MB/s")
	b.ReportMetric(2*float64(total)*float64(b.N)/rawDur.Seconds()/1e6, "raw-MB/s")
}

// BenchmarkBatchUpload1000x4KiB uploads 1000 files of 4 KiB to an emulator
// that delays every call by 20 ms and allows one write at a time per
// namespace: with Client.UploadBatch, and, as the baseline of the same run,
// with 1000 sequential Client.Upload calls. It reports speedup = baseline
// time / batch time (target >= 10), the 429 answers of both (must be 0),
// and start-each-speedup: the same files sent by 16 workers with one
// upload_session/start (close, data) each and committed by finish_batch_v2,
// the alternative to append_batch.
func BenchmarkBatchUpload1000x4KiB(b *testing.B) {
	const n, size = 1000, 4 << 10
	files := make([][]byte, n)
	for i := range files {
		files[i] = make([]byte, size)
		rand.NewChaCha8([32]byte{byte(i), byte(i >> 8)}).Read(files[i])
	}
	var seqDur, batchDur, eachDur time.Duration
	tooMany := 0
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		emu := dropboxtest.NewEmulator(b, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.NamespaceWriteLimit = 1 }))
		acct := emu.CreateAccount(b, dropboxtest.AccountArg{Email: "bench@example.com", Quota: 1 << 40})
		emu.AddFault(b, dropboxtest.Fault{Route: "*", DelayMS: 20})
		counter := &statusCounter{next: benchTransport(b)}
		c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithHTTPClient(&http.Client{Transport: counter}))
		ctx := b.Context()
		b.StartTimer()

		start := time.Now()
		for k, f := range files {
			if _, err := c.Upload(ctx, fmt.Sprintf("/seq-%d/%04d", i, k), bytes.NewReader(f), size, nil); err != nil {
				b.Fatal(err)
			}
		}
		seqDur += time.Since(start)

		start = time.Now()
		batch := make([]dropbox.BatchFile, n)
		for k, f := range files {
			batch[k] = dropbox.BatchFile{Path: fmt.Sprintf("/batch-%d/%04d", i, k), Content: bytes.NewReader(f), Size: size}
		}
		results, err := c.UploadBatch(ctx, batch, nil)
		if err != nil {
			b.Fatal(err)
		}
		batchDur += time.Since(start)
		for _, r := range results {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}

		start = time.Now()
		startEach(b, c, fmt.Sprintf("/each-%d", i), files)
		eachDur += time.Since(start)
		tooMany += counter.count(http.StatusTooManyRequests)
	}
	b.ReportMetric(seqDur.Seconds()/batchDur.Seconds(), "speedup")
	b.ReportMetric(seqDur.Seconds()/eachDur.Seconds(), "start-each-speedup")
	b.ReportMetric(float64(tooMany), "429s")
	b.ReportMetric(batchDur.Seconds()/float64(b.N), "batch-s")
	b.ReportMetric(seqDur.Seconds()/float64(b.N), "sequential-s")
}

// startEach sends each file with its own upload_session/start (close=true,
// the data in the same request) from 16 workers, and commits them with
// finish_batch_v2.
func startEach(b *testing.B, c *dropbox.Client, folder string, files [][]byte) {
	ids := make([]string, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 16 {
		wg.Go(func() {
			for k := range next {
				res, err := c.Files.UploadSessionStart(b.Context(), &dropbox.UploadSessionStartArg{Close: true}, bytes.NewReader(files[k]))
				if err != nil {
					failed.Store(err)
					continue
				}
				ids[k] = res.SessionID
			}
		})
	}
	for k := range files {
		next <- k
	}
	close(next)
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	arg := &dropbox.UploadSessionFinishBatchArg{}
	for k, id := range ids {
		arg.Entries = append(arg.Entries, dropbox.UploadSessionFinishArg{
			Cursor: dropbox.UploadSessionCursor{SessionID: id, Offset: uint64(len(files[k]))},
			Commit: dropbox.CommitInfo{Path: fmt.Sprintf("%s/%04d", folder, k)}})
	}
	res, err := c.Files.UploadSessionFinishBatchV2(b.Context(), arg)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range res.Entries {
		if e.Tag != dropbox.UploadSessionFinishBatchResultEntrySuccess {
			b.Fatalf("start-each commit: %+v", e.Failure)
		}
	}
}

// genStream yields size generated bytes and nothing else: no Seek, no
// ReadAt, no WriteTo.
type genStream struct {
	left  int64
	block []byte
	pos   int
	n     uint64
}

func newGenStream(size int64) *genStream {
	g := &genStream{left: size, block: make([]byte, 1<<20)}
	rand.NewChaCha8([32]byte{5}).Read(g.block)
	return g
}

func (g *genStream) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.left)]
	n := 0
	for n < len(p) {
		if g.pos == len(g.block) {
			// Each MiB differs from the one before.
			g.n++
			for i := range 8 {
				g.block[i] = byte(g.n >> (8 * i))
			}
			g.pos = 0
		}
		k := copy(p[n:], g.block[g.pos:])
		g.pos += k
		n += k
	}
	g.left -= int64(n)
	return n, nil
}

// heapPeak samples the heap in use (the bytes of spans holding objects,
// as MemStats.HeapInuse) every 5 ms until stop, and returns the peak.
func heapPeak() (stop func() uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	done := make(chan struct{})
	result := make(chan uint64)
	go func() {
		var peak uint64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			peak = max(peak, samples[0].Value.Uint64()+samples[1].Value.Uint64())
			select {
			case <-done:
				result <- peak
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		return <-result
	}
}

// BenchmarkUploadStream5GiB uploads 5 GiB from a generated, non-seekable
// stream with Client.Upload (size known; a sequential session of 16 MiB
// parts, the next read while one is sent) and reports the peak heap in
// use of the benchmark process while it runs (target < 200 MiB). The
// emulator runs in a child process (this test binary, see
// TestBenchEmulatorProcess) with its disk backend in a temporary folder,
// so that neither its memory nor the file's bytes count. The baseline of
// the same run sends the same stream with plain net/http requests as a
// sequential session of 16 MiB parts read into one buffer; ratio = client
// throughput / baseline throughput. It is skipped with -short.
func BenchmarkUploadStream5GiB(b *testing.B) {
	if testing.Short() {
		b.Skip("5 GiB through a disk-backed emulator: skipped with -short")
	}
	const total = 5 << 30
	const part = 16 << 20
	base, token := startEmulatorProcess(b)
	hc := &http.Client{Transport: benchTransport(b)}
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token), dropbox.WithHTTPClient(hc))
	var rawDur, cliDur time.Duration
	var cliPeak, rawPeak uint64
	b.SetBytes(total)
	b.ResetTimer()
	for i := range b.N {
		// Each phase starts from a collected heap: its peak is its own.
		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		stop := heapPeak()
		start := time.Now()
		if _, err := c.Upload(b.Context(), fmt.Sprintf("/stream-%d.bin", i), newGenStream(total), total, nil); err != nil {
			b.Fatal(err)
		}
		cliDur += time.Since(start)
		cliPeak = max(cliPeak, stop())

		b.StopTimer()
		runtime.GC()
		b.StartTimer()
		stop = heapPeak()
		start = time.Now()
		rawStream(b, hc, base, token, fmt.Sprintf("/raw-%d.bin", i), newGenStream(total), part)
		rawDur += time.Since(start)
		rawPeak = max(rawPeak, stop())
	}
	b.ReportMetric(float64(cliPeak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rawPeak)/(1<<20), "raw-peak-heap-MiB")
	b.ReportMetric(rawDur.Seconds()/cliDur.Seconds(), "ratio")
	b.ReportMetric(float64(total)*float64(b.N)/cliDur.Seconds()/1e6, "client-MB/s")
}

// rawStream uploads r with plain requests, one part buffer, no hashing.
func rawStream(b *testing.B, hc *http.Client, base, token, path string, r io.Reader, part int) {
	buf := make([]byte, part)
	post := func(route, arg string, body []byte) []byte { return rawPost(b, hc, base, token, route, arg, body) }
	var start struct {
		SessionID string `json:"session_id"`
	}
	if err := json.Unmarshal(post("files/upload_session/start", `{}`, nil), &start); err != nil {
		b.Fatal(err)
	}
	off := 0
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			post("files/upload_session/append_v2", fmt.Sprintf(`{"cursor":{"session_id":%q,"offset":%d}}`, start.SessionID, off), buf[:n])
			off += n
		}
		if err != nil {
			break
		}
	}
	post("files/upload_session/finish", fmt.Sprintf(`{"cursor":{"session_id":%q,"offset":%d},"commit":{"path":%q}}`, start.SessionID, off, path), nil)
}

// startEmulatorProcess runs an emulator with a disk backend in a child
// process and returns its URL and an account's token.
func startEmulatorProcess(b *testing.B) (base, token string) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchEmulatorProcess$")
	cmd.Env = append(os.Environ(), "DROPBOX_BENCH_EMULATOR_DIR="+b.TempDir())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close() // the child stops when its stdin ends
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "EMULATOR" {
			go io.Copy(io.Discard, stdout)
			return f[1], f[2]
		}
	}
	b.Fatalf("the emulator process did not start: %v", sc.Err())
	return "", ""
}

// TestBenchEmulatorProcess is the child process of BenchmarkUploadStream5GiB:
// it runs only with DROPBOX_BENCH_EMULATOR_DIR set, serving an emulator
// with its disk backend there until its stdin ends.
func TestBenchEmulatorProcess(t *testing.T) {
	dir := os.Getenv("DROPBOX_BENCH_EMULATOR_DIR")
	if dir == "" {
		t.Skip("the emulator process of BenchmarkUploadStream5GiB")
	}
	backend, err := dropboxemu.OpenDiskBackend(dir)
	if err != nil {
		t.Fatal(err)
	}
	emu, err := dropboxemu.New(dropboxemu.Options{Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: emu}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	base := "http://" + ln.Addr().String()
	e := &dropboxtest.Emulator{Server: emu, URL: base}
	acct := e.CreateAccount(t, dropboxtest.AccountArg{Email: "bench@example.com", Quota: 1 << 40})
	fmt.Printf("EMULATOR %s %s\n", base, acct.AccessToken)
	io.Copy(io.Discard, os.Stdin)
	emu.Drain()
}
