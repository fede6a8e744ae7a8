package changes_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/dropbridge/dropbridge/secrets"
	"github.com/dropbridge/dropbridge/sqlite"
)

// benchEnv is what the benchmarks share: an emulator, a SQLite store with
// an environment and the default app, and a connect service whose
// Dropbox calls are counted.
type benchEnv struct {
	b     *testing.B
	emu   *dropboxtest.Emulator
	store *sqlite.Store
	svc   *connect.Service
	env   *dropbridge.Environment
	app   *dropbridge.App
	// calls counts the HTTP requests that svc's clients send to Dropbox.
	calls atomic.Int64
}

// countingTransport counts the requests it sends.
type countingTransport struct {
	n    *atomic.Int64
	base http.RoundTripper
}

// RoundTrip counts r and sends it with the base transport.
func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.base.RoundTrip(r)
}

// newBenchEnv starts an emulator with opts (no write limit per namespace,
// so that seeding runs many uploads at once) and a store. With
// webhookURI, the app sends webhook notifications there, and webhookURI
// is called first to start what serves it.
func newBenchEnv(b *testing.B, opts dropboxemu.Options, webhookURI func(*benchEnv) string) *benchEnv {
	b.Helper()
	kr, err := secrets.GenerateKey("k1")
	if err != nil {
		b.Fatal(err)
	}
	keys, err := secrets.ParseKeyring(kr)
	if err != nil {
		b.Fatal(err)
	}
	opts.NamespaceWriteLimit = -1
	e := &benchEnv{b: b, emu: dropboxtest.NewEmulator(b, dropboxtest.WithOptions(func(o *dropboxemu.Options) { *o = opts }))}
	e.store, err = sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "dropbridge.db"), keys)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.store.Close() })
	e.svc = connect.New(e.store, "http://dropbridge.test")
	e.svc.Dropbox = connect.SingleHost(e.emu.URL)
	e.svc.HTTPClient = &http.Client{Transport: countingTransport{n: &e.calls, base: http.DefaultTransport}}
	e.svc.WriteLog = e.store
	e.svc.Events = e.store
	e.env = &dropbridge.Environment{Name: "bench"}
	if err := e.store.CreateEnvironment(b.Context(), e.env); err != nil {
		b.Fatal(err)
	}
	e.app = &dropbridge.App{EnvironmentID: e.env.ID, Name: "Bench app", AppKey: testAppKey, AppSecret: testAppSecret, IsDefault: true}
	if err := e.store.CreateApp(b.Context(), e.app); err != nil {
		b.Fatal(err)
	}
	arg := dropboxtest.AppArg{AppKey: testAppKey, AppSecret: testAppSecret, RedirectURIs: []string{e.svc.RedirectURI()}}
	if webhookURI != nil {
		arg.WebhookURI = webhookURI(e)
	}
	e.emu.CreateApp(b, arg)
	return e
}

// benchAccount is an emulator account connected to dropbridge.
type benchAccount struct {
	acct dropboxtest.Account
	conn *dropbridge.Connection
	// user is the account's owner, changing their Dropbox outside
	// dropbridge.
	user *dropbox.Client
}

// account creates an account and its connection.
func (e *benchEnv) account(email string) *benchAccount {
	e.b.Helper()
	a := &benchAccount{acct: e.emu.CreateAccount(e.b, dropboxtest.AccountArg{Email: email, AccountType: "pro", AppKey: testAppKey})}
	a.conn = &dropbridge.Connection{EnvironmentID: e.env.ID, AppID: e.app.ID, ExternalUserID: email, AccountID: a.acct.AccountID,
		Email: email, AccountType: "pro", Status: dropbridge.ConnectionActive,
		Token: dropbridge.Token{AccessToken: dropbridge.Secret(a.acct.AccessToken)}}
	if err := e.store.UpsertConnection(e.b.Context(), a.conn); err != nil {
		e.b.Fatal(err)
	}
	a.user = dropbox.New(dropbox.WithBaseURL(e.emu.URL), dropbox.WithToken(a.acct.AccessToken),
		dropbox.WithHTTPClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}))
	return a
}

// seedClient sends the seeding uploads, with enough idle connections for
// them.
var seedClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}

// seed fills a's Dropbox with n entries the way dropboxemu's listing
// benchmark does: n/1000 folders of 999 empty files each, uploaded 16 at
// once through /2/files/upload (the emulator's fastest path; n must be a
// multiple of 1000).
func (e *benchEnv) seed(a *benchAccount, n int) {
	e.b.Helper()
	if n%1000 != 0 {
		e.b.Fatalf("seed %d entries: not a multiple of 1000", n)
	}
	ctx := e.b.Context()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, 16)
	for d := range n / 1000 {
		for f := range 999 {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				if err := seedUpload(ctx, e.emu.URL, a.acct.AccessToken, fmt.Sprintf("/folder %03d/file %04d.txt", d, f)); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	if first != nil {
		e.b.Fatalf("seed: %v", first)
	}
}

// cmpOr returns a unless it is nil, else b.
func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// seedUpload uploads an empty file at path.
func seedUpload(ctx context.Context, base, token, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/2/files/upload", bytes.NewReader(nil))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Dropbox-API-Arg", fmt.Sprintf(`{"path":%q}`, path))
	resp, err := seedClient.Do(req)
	if err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("upload %s: %d %s", path, resp.StatusCode, body)
	}
	return nil
}

// service returns a change tracking service of e with cfg.
func (e *benchEnv) service(cfg changes.Config) *changes.Service {
	e.b.Helper()
	cfg.Store, cfg.Connect = e.store, e.svc
	s, err := changes.New(cfg)
	if err != nil {
		e.b.Fatal(err)
	}
	return s
}

// listed reports whether a's first listing is complete.
func (e *benchEnv) listed(a *benchAccount) bool {
	cur, err := e.store.FindMirrorCursor(e.b.Context(), e.env.ID, a.conn.ID, dropbridge.MirrorFiles)
	if err != nil {
		e.b.Fatal(err)
	}
	return cur.Cursor != "" && !strings.HasPrefix(cur.Cursor, "initial:")
}

// listAll lists a's whole Dropbox through the client, recursively, with
// list_folder and list_folder/continue as change tracking does, storing
// nothing, and returns the number of entries.
func listAll(ctx context.Context, c *dropbox.Client) (int, error) {
	page, err := c.Files.ListFolder(ctx, &dropbox.ListFolderArg{Path: "", Recursive: true})
	n := 0
	for {
		if err != nil {
			return n, fmt.Errorf("list: %w", err)
		}
		n += len(page.Entries)
		if !page.HasMore {
			return n, nil
		}
		page, err = c.Files.ListFolderContinue(ctx, &dropbox.ListFolderContinueArg{Cursor: page.Cursor})
	}
}

// heapPeak samples the live heap (as of the last garbage collection)
// while it runs, and returns the highest sample above the live heap at
// its start.
type heapPeak struct {
	base uint64
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

// liveHeap returns the heap marked live by the last garbage collection.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// startHeapPeak collects garbage, notes the live heap, and samples it
// every millisecond until end.
func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{base: liveHeap(), stop: make(chan struct{}), done: make(chan struct{})}
	h.peak.Store(h.base)
	go func() {
		defer close(h.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := liveHeap(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// end stops sampling and returns the peak above the start, in bytes.
func (h *heapPeak) end() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load() - h.base
}

// percentile returns the p-th percentile (0 to 100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
