package dropboxemu_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// benchClient is a plain HTTP client for benchmarks, with enough idle
// connections for the parallel parts.
var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}

func benchPost(b *testing.B, url string, header map[string]string, body []byte) []byte {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d %s", url, resp.StatusCode, out)
	}
	return out
}

// BenchmarkSessionUpload1GiB uploads 1 GiB through an upload session (32 MiB
// appends) into the memory backend, and the same requests to a handler that
// only reads and discards the body: raw loopback HTTP throughput measured in
// the same run. It reports ratio = emulator throughput / raw throughput
// (target: >= 0.40).
func BenchmarkSessionUpload1GiB(b *testing.B) {
	const total, chunk = 1 << 30, 32 << 20
	data := make([]byte, chunk)
	rand.Read(data)

	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "null")
	}))
	defer raw.Close()

	var rawDur, emuDur time.Duration
	b.SetBytes(total)
	b.ResetTimer()
	for range b.N {
		// Baseline: the same bytes in the same requests, to a discarding handler.
		start := time.Now()
		for off := 0; off < total; off += chunk {
			benchPost(b, raw.URL+"/upload", map[string]string{"Content-Type": "application/octet-stream"}, data)
		}
		rawDur += time.Since(start)

		b.StopTimer()
		emu := dropboxtest.NewEmulator(b)
		acct := emu.CreateAccount(b, dropboxtest.AccountArg{Email: "bench@example.com"})
		auth := "Bearer " + acct.AccessToken
		b.StartTimer()

		start = time.Now()
		hdr := func(arg string) map[string]string {
			return map[string]string{"Authorization": auth, "Content-Type": "application/octet-stream", "Dropbox-API-Arg": arg}
		}
		var sess struct {
			SessionID string `json:"session_id"`
		}
		json.Unmarshal(benchPost(b, emu.URL+"/2/files/upload_session/start", hdr(`{}`), data), &sess)
		off := chunk
		for ; off < total-chunk; off += chunk {
			benchPost(b, emu.URL+"/2/files/upload_session/append_v2",
				hdr(fmt.Sprintf(`{"cursor":{"session_id":%q,"offset":%d}}`, sess.SessionID, off)), data)
		}
		benchPost(b, emu.URL+"/2/files/upload_session/finish",
			hdr(fmt.Sprintf(`{"cursor":{"session_id":%q,"offset":%d},"commit":{"path":"/big.bin"}}`, sess.SessionID, off)), data)
		emuDur += time.Since(start)
	}
	b.ReportMetric(rawDur.Seconds()/emuDur.Seconds(), "ratio")
	b.ReportMetric(float64(total)*float64(b.N)/emuDur.Seconds()/1e6, "emu-MB/s")
	b.ReportMetric(float64(total)*float64(b.N)/rawDur.Seconds()/1e6, "raw-MB/s")
}

// listTree is a 100,000-entry tree: 100 folders of 999 empty files each.
var listTree struct {
	once sync.Once
	emu  *dropboxemu.Server
	url  string
	tok  string
	stop func()
}

func buildListTree(b *testing.B) {
	b.Helper()
	srv, err := dropboxemu.New(dropboxemu.Options{NamespaceWriteLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	emu := &dropboxtest.Emulator{Server: srv, URL: hs.URL, HTTP: hs}
	var acct dropboxtest.Account
	if err := emu.AdminErr(http.MethodPost, "/_emulator/accounts", dropboxtest.AccountArg{Email: "tree@example.com", AccountType: "pro"}, &acct); err != nil {
		b.Fatal(err)
	}
	auth := "Bearer " + acct.AccessToken
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for d := range 100 {
		for f := range 999 {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				benchPost(b, hs.URL+"/2/files/upload", map[string]string{"Authorization": auth,
					"Content-Type":    "application/octet-stream",
					"Dropbox-API-Arg": fmt.Sprintf(`{"path":"/folder %03d/file %04d.txt"}`, d, f)}, nil)
			}()
		}
	}
	wg.Wait()
	listTree.emu, listTree.url, listTree.tok = srv, hs.URL, acct.AccessToken
}

type benchListResult struct {
	Entries []struct {
		Tag         string `json:".tag"`
		Name        string `json:"name"`
		ID          string `json:"id"`
		PathLower   string `json:"path_lower"`
		PathDisplay string `json:"path_display"`
		Rev         string `json:"rev"`
		Size        int64  `json:"size"`
		ContentHash string `json:"content_hash"`
	} `json:"entries"`
	Cursor  string `json:"cursor"`
	HasMore bool   `json:"has_more"`
}

// BenchmarkListFolderRecursive100k lists a 100,000-entry tree recursively
// (pages of 2000, decoded by the client) and reports entries/s (target:
// >= 50,000) and ratio = time to fetch and decode the same pages from a
// static loopback handler / time to list from the emulator.
func BenchmarkListFolderRecursive100k(b *testing.B) {
	listTree.once.Do(func() { buildListTree(b) })
	if listTree.emu == nil {
		b.Fatal("tree not built")
	}
	hdr := map[string]string{"Authorization": "Bearer " + listTree.tok, "Content-Type": "application/json"}
	listAll := func(collect *[][]byte) int {
		n := 0
		body := benchPost(b, listTree.url+"/2/files/list_folder", hdr, []byte(`{"path":"","recursive":true,"limit":2000}`))
		for {
			if collect != nil {
				*collect = append(*collect, body)
			}
			var res benchListResult
			if err := json.Unmarshal(body, &res); err != nil {
				b.Fatal(err)
			}
			n += len(res.Entries)
			if !res.HasMore {
				return n
			}
			body = benchPost(b, listTree.url+"/2/files/list_folder/continue", hdr, []byte(fmt.Sprintf(`{"cursor":%q}`, res.Cursor)))
		}
	}
	var pages [][]byte
	if n := listAll(&pages); n != 100_000 {
		b.Fatalf("listed %d entries, want 100000", n)
	}
	var mu sync.Mutex
	static := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		fmt.Sscan(r.URL.Query().Get("page"), &i)
		mu.Lock()
		p := pages[i]
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(p)
	}))
	defer static.Close()

	var emuDur, rawDur time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		for i := range pages {
			var res benchListResult
			if err := json.Unmarshal(benchPost(b, fmt.Sprintf("%s/?page=%d", static.URL, i), nil, []byte("{}")), &res); err != nil {
				b.Fatal(err)
			}
		}
		rawDur += time.Since(start)
		start = time.Now()
		listAll(nil)
		emuDur += time.Since(start)
	}
	b.ReportMetric(float64(100_000*b.N)/emuDur.Seconds(), "entries/s")
	b.ReportMetric(rawDur.Seconds()/emuDur.Seconds(), "ratio")
	_ = context.Background
}
