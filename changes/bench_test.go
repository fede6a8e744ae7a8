package changes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/events"
	"github.com/dropbridge/dropbridge/httpapi"
	"github.com/dropbridge/dropbridge/webhooks"
)

// Parameters of BenchmarkChangeLatency.
const (
	latencyChanges = 1000
	latencyPace    = 25 * time.Millisecond
	webhookDelay   = 10 * time.Millisecond
	baselineRounds = 200
)

// subscriber is an application's webhook endpoint that records when the
// file.created event of each path arrives.
type subscriber struct {
	srv *httptest.Server

	mu      sync.Mutex
	arrived map[string]time.Time
	want    int
	all     chan struct{} // closed when want paths arrived
}

func newSubscriber(b *testing.B) *subscriber {
	s := &subscriber{arrived: map[string]time.Time{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		var ev struct {
			Type  dropbridge.EventType `json:"type"`
			After struct {
				PathDisplay string `json:"path_display"`
			} `json:"after"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		if ev.Type != dropbridge.EventFileCreated {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.arrived[ev.After.PathDisplay]; ok {
			return // a wire retry
		}
		s.arrived[ev.After.PathDisplay] = at
		if len(s.arrived) == s.want && s.all != nil {
			close(s.all)
			s.all = nil
		}
	}))
	b.Cleanup(s.srv.Close)
	return s
}

// expect starts a round of n events.
func (s *subscriber) expect(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.arrived)
	s.want = n
	s.all = make(chan struct{})
	return s.all
}

// BenchmarkChangeLatency measures the time from a change landing in the
// emulator to its event reaching a subscriber's webhook endpoint, over
// 1,000 file uploads made directly on the emulator (not through
// dropbridge), one every 25 ms; the time a change lands is when the
// emulator answers its upload. The events go through the whole path:
// the change tracking service syncs the connection and stores the events,
// and a Deliverer woken by OnSync POSTs them.
//
//   - webhook: the emulator's app notifies the service's
//     /webhooks/dropbox (WebhookDelay 10 ms batches the notifications);
//     no long-poll. Target: p99 < 250 ms.
//   - longpoll: no webhook; a long-poll watcher. Target: p99 < 1 s.
//
// The baseline, in the same run, is the floor of that path on this
// machine: the median round trip of a list_folder/continue that finds no
// change plus that of a plain POST to the subscriber, plus, in webhook
// mode, the WebhookDelay the emulator holds a notification. It reports
// p50 and p99 in ms, the baseline's parts, and p50 and p99 as multiples
// of the floor (p50/base, p99/base).
func BenchmarkChangeLatency(b *testing.B) {
	b.Run("webhook", func(b *testing.B) { benchLatency(b, false) })
	b.Run("longpoll", func(b *testing.B) { benchLatency(b, true) })
}

func benchLatency(b *testing.B, longPoll bool) {
	sub := newSubscriber(b)
	var (
		deliverer *events.Deliverer // made before svc starts
		svc       *changes.Service
		synced    = make(chan struct{}, 1)
	)
	onSync := func(string, string, error) {
		deliverer.Notify()
		select {
		case synced <- struct{}{}:
		default:
		}
	}
	opts := dropboxemu.Options{WebhookDelay: webhookDelay}
	var hook func(*benchEnv) string
	if !longPoll {
		hook = func(e *benchEnv) string {
			// The intake must answer the emulator's challenge when the app
			// is registered.
			svc = e.service(changes.Config{OnSync: onSync})
			intake := httptest.NewServer(httpapi.New(httpapi.Config{Store: e.store, Connect: e.svc, DropboxNotifier: svc}))
			b.Cleanup(intake.Close)
			return intake.URL + httpapi.DropboxWebhookPath
		}
	}
	e := newBenchEnv(b, opts, hook)
	if longPoll {
		svc = e.service(changes.Config{OnSync: onSync, LongPoll: true, LongpollTimeout: 30 * time.Second})
	}
	deliverer, err := events.NewDeliverer(events.DelivererConfig{Store: e.store})
	if err != nil {
		b.Fatal(err)
	}
	secret, err := webhooks.NewSecret()
	if err != nil {
		b.Fatal(err)
	}
	if err := e.store.CreateWebhookEndpoint(b.Context(), &dropbridge.WebhookEndpoint{EnvironmentID: e.env.ID, URL: sub.srv.URL,
		EventTypes: []dropbridge.EventType{dropbridge.EventFileCreated}, Secret: secret, Enabled: true}); err != nil {
		b.Fatal(err)
	}
	a := e.account("latency@example.com")
	if _, err := a.user.Files.CreateFolderV2(b.Context(), &dropbox.CreateFolderArg{Path: "/before"}); err != nil {
		b.Fatal(err)
	}
	if err := deliverer.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = deliverer.Stop(ctx)
	})
	b.Cleanup(svc.Start(context.Background()))
	for !e.listed(a) {
		select {
		case <-synced:
		case <-b.Context().Done():
			return
		}
	}

	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		all := sub.expect(latencyChanges)
		landed := make(map[string]time.Time, latencyChanges)
		tick := time.NewTicker(latencyPace)
		for j := range latencyChanges {
			path := fmt.Sprintf("/run %d/change %04d.txt", i, j)
			if j == 0 {
				path = fmt.Sprintf("/change %d.txt", i) // no folder.created first
			}
			if _, err := a.user.Files.Upload(b.Context(), &dropbox.UploadArg{Path: path}, bytes.NewReader([]byte("x"))); err != nil {
				b.Fatalf("upload %s: %v", path, err)
			}
			landed[path] = time.Now()
			<-tick.C
		}
		tick.Stop()
		select {
		case <-all:
		case <-time.After(time.Minute):
			b.Fatalf("not every event arrived within a minute of the last change")
		}
		sub.mu.Lock()
		for p, t := range landed {
			lat = append(lat, sub.arrived[p].Sub(t))
		}
		sub.mu.Unlock()
	}
	b.StopTimer()

	// The baseline: a list_folder/continue that finds nothing new, and a
	// plain POST to the subscriber, each alone.
	page, err := a.user.Files.ListFolder(b.Context(), &dropbox.ListFolderArg{Path: "", Recursive: true})
	for err == nil && page.HasMore {
		page, err = a.user.Files.ListFolderContinue(b.Context(), &dropbox.ListFolderContinueArg{Cursor: page.Cursor})
	}
	if err != nil {
		b.Fatal(err)
	}
	var cont, post []time.Duration
	body := []byte(`{"type":"bench.ping"}`)
	for range baselineRounds {
		start := time.Now()
		if _, err := a.user.Files.ListFolderContinue(b.Context(), &dropbox.ListFolderContinueArg{Cursor: page.Cursor}); err != nil {
			b.Fatal(err)
		}
		cont = append(cont, time.Since(start))
		start = time.Now()
		resp, err := http.Post(sub.srv.URL, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		post = append(post, time.Since(start))
	}
	floor := percentile(cont, 50) + percentile(post, 50)
	if !longPoll {
		floor += webhookDelay // the emulator holds each notification this long
	}
	p50, p99 := percentile(lat, 50), percentile(lat, 99)
	b.ReportMetric(ms(p50), "p50-ms")
	b.ReportMetric(ms(p99), "p99-ms")
	b.ReportMetric(ms(percentile(lat, 100)), "max-ms")
	b.ReportMetric(ms(percentile(cont, 50)), "base-continue-ms")
	b.ReportMetric(ms(percentile(post, 50)), "base-post-ms")
	b.ReportMetric(float64(p50)/float64(floor), "p50/base")
	b.ReportMetric(float64(p99)/float64(floor), "p99/base")
}

// BenchmarkInitialMirror mirrors an account of 25,000, 50,000 and
// 100,000 entries into SQLite (Service.SyncFiles from no cursor: the
// connection's first listing, all pages until has_more is false) and
// reports entries/s (target: >= 20,000), the peak live heap above the
// heap before the mirror in MB, sampled every millisecond while the
// mirror runs (peak-heap-MB), and the most live heap above the start
// after any page, with a garbage collection after each (page-heap-MB,
// from a second, untimed mirror): neither may grow with the account. And,
// as the baselines measured in the same run, the entries/s of listing
// the same account through the client storing nothing (ratio = mirror
// entries/s / listing entries/s) and of storing the mirrored entries
// alone (ratio-store, see storeOnly).
func BenchmarkInitialMirror(b *testing.B) {
	for _, n := range []int{25_000, 50_000, 100_000} {
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			e := newBenchEnv(b, dropboxemu.Options{}, nil)
			a := e.account("mirror@example.com")
			e.seed(a, n)
			var mirrorDur, listDur, storeDur time.Duration
			var peak, retained uint64
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				// A new connection of the same account each round: an empty
				// mirror.
				c := *a.conn
				c.ID, c.ExternalUserID = "", fmt.Sprintf("%s-%d", c.ExternalUserID, time.Now().UnixNano())
				if err := e.store.UpsertConnection(b.Context(), &c); err != nil {
					b.Fatal(err)
				}
				s := e.service(changes.Config{})
				b.StartTimer()

				start := time.Now()
				listed, err := listAll(b.Context(), a.user)
				if err != nil {
					b.Fatal(err)
				}
				listDur += time.Since(start)
				if listed != n {
					b.Fatalf("listed %d entries, want %d", listed, n)
				}

				h := startHeapPeak()
				start = time.Now()
				if _, err := s.SyncFiles(b.Context(), e.env.ID, c.ID); err != nil {
					b.Fatal(err)
				}
				mirrorDur += time.Since(start)
				peak = max(peak, h.end())

				b.StopTimer()
				var all []*dropbridge.Entry
				after := ""
				for {
					page, err := e.store.ListMirrorEntries(b.Context(), e.env.ID, c.ID, after, dropbridge.MaxMirrorPage)
					if err != nil {
						b.Fatal(err)
					}
					all = append(all, page...)
					if len(page) < dropbridge.MaxMirrorPage {
						break
					}
					after = page[len(page)-1].ID
				}
				if len(all) != n {
					b.Fatalf("mirrored %d entries, want %d", len(all), n)
				}
				storeDur += e.storeOnly(c, all)
				retained = max(retained, e.retainedByPage(c))
				b.StartTimer()
			}
			b.StopTimer()
			mirrorRate := float64(n*b.N) / mirrorDur.Seconds()
			listRate := float64(n*b.N) / listDur.Seconds()
			storeRate := float64(n*b.N) / storeDur.Seconds()
			b.ReportMetric(mirrorRate, "entries/s")
			b.ReportMetric(listRate, "list-entries/s")
			b.ReportMetric(storeRate, "store-entries/s")
			b.ReportMetric(mirrorRate/listRate, "ratio")
			b.ReportMetric(mirrorRate/storeRate, "ratio-store")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(retained)/(1<<20), "page-heap-MB")
		})
	}
}

// BenchmarkIncremental10Changes makes 10 changes (uploads of new files,
// directly on the emulator) in an account of 1,000 entries and in one of
// 100,000, both mirrored already, and times the sync that brings each
// mirror up to date (Service.SyncFiles: list_folder/continue, the page's
// working set, the diff, the events, one transaction). It reports the
// time and the Dropbox calls of each sync, and time-ratio = the 100,000
// account's time / the 1,000 account's: about 1 when the cost follows the
// changes, not the account.
func BenchmarkIncremental10Changes(b *testing.B) {
	e := newBenchEnv(b, dropboxemu.Options{}, nil)
	s := e.service(changes.Config{})
	small, large := e.account("small@example.com"), e.account("large@example.com")
	e.seed(small, 1_000)
	e.seed(large, 100_000)
	for _, a := range []*benchAccount{small, large} {
		if _, err := s.SyncFiles(b.Context(), e.env.ID, a.conn.ID); err != nil {
			b.Fatal(err)
		}
	}
	var durs [2]time.Duration
	var calls [2]int64
	b.ResetTimer()
	for i := range b.N {
		for k, a := range []*benchAccount{small, large} {
			b.StopTimer()
			for j := range 10 {
				path := fmt.Sprintf("/folder 000/new %d-%d.txt", i, j)
				if _, err := a.user.Files.Upload(b.Context(), &dropbox.UploadArg{Path: path}, bytes.NewReader([]byte("n"))); err != nil {
					b.Fatal(err)
				}
			}
			before := e.calls.Load()
			b.StartTimer()
			start := time.Now()
			n, err := s.SyncFiles(b.Context(), e.env.ID, a.conn.ID)
			durs[k] += time.Since(start)
			calls[k] += e.calls.Load() - before
			if err != nil {
				b.Fatal(err)
			}
			if n != 10 {
				b.Fatalf("%d events, want 10", n)
			}
		}
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return ms(d) / float64(b.N) }
	b.ReportMetric(per(durs[0]), "ms-1k")
	b.ReportMetric(per(durs[1]), "ms-100k")
	b.ReportMetric(float64(durs[1])/float64(durs[0]), "time-ratio")
	b.ReportMetric(float64(calls[0])/float64(b.N), "calls-1k")
	b.ReportMetric(float64(calls[1])/float64(b.N), "calls-100k")
}

// storeOnly writes entries, in a shuffled order (as list_folder's path
// order is to their random IDs), to the files mirror of a new connection
// like c, in changes of 2,000 entries (list_folder's page) through
// ApplyMirrorChange, and returns the time it took: what storing the
// mirror costs this store without listing, diffing or events.
func (e *benchEnv) storeOnly(c dropbridge.Connection, entries []*dropbridge.Entry) time.Duration {
	e.b.Helper()
	c.ID, c.ExternalUserID = "", c.ExternalUserID+"-store"
	if err := e.store.UpsertConnection(e.b.Context(), &c); err != nil {
		e.b.Fatal(err)
	}
	entries = slices.Clone(entries)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
	start := time.Now()
	var version int64
	for i, chunk := range slices.Collect(slices.Chunk(entries, 2000)) {
		ch := &dropbridge.MirrorChange{EnvironmentID: e.env.ID, ConnectionID: c.ID, Kind: dropbridge.MirrorFiles,
			IfVersion: version, Cursor: fmt.Sprintf("store-only-%d", i)}
		for _, en := range chunk {
			ch.Entries = append(ch.Entries, dropbridge.EntryUpdate{ID: en.ID, Entry: en})
		}
		v, err := e.store.ApplyMirrorChange(e.b.Context(), ch)
		if err != nil {
			e.b.Fatal(err)
		}
		version = v
	}
	return time.Since(start)
}

// retainedByPage mirrors the account of connection c again, as a new
// connection, one page at a time with a garbage collection after each,
// and returns the most live heap above the start after any page: what
// the mirror keeps between pages.
func (e *benchEnv) retainedByPage(c dropbridge.Connection) uint64 {
	e.b.Helper()
	c.ID, c.ExternalUserID = "", c.ExternalUserID+"-paged"
	if err := e.store.UpsertConnection(e.b.Context(), &c); err != nil {
		e.b.Fatal(err)
	}
	s := e.service(changes.Config{})
	runtime.GC()
	base, most := liveHeap(), uint64(0)
	for more := true; more; {
		var err error
		if more, err = s.SyncFilesPage(e.b.Context(), e.env.ID, c.ID); err != nil {
			e.b.Fatal(err)
		}
		runtime.GC()
		if v := liveHeap(); v > base {
			most = max(most, v-base)
		}
	}
	return most
}
