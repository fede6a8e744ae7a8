package changes_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/httpapi"
)

// running is a service under Run, with the syncs it reports.
type running struct {
	f      *fixture
	s      *changes.Service
	synced chan error
}

// run starts s.Run with cfg until the test ends.
func (f *fixture) run(cfg changes.Config) *running {
	f.t.Helper()
	r := &running{f: f, synced: make(chan error, 100)}
	cfg.ReconcileInterval = -1
	cfg.OnSync = func(_, _ string, err error) {
		select {
		case r.synced <- err:
		default:
		}
	}
	r.s = f.service(cfg)
	r.start()
	return r
}

// start runs r.s until the test ends.
func (r *running) start() {
	r.f.t.Cleanup(r.s.Start(context.Background()))
}

// await waits for syncs until cond holds, for at most 30 seconds.
func (r *running) await(what string, cond func() bool) {
	t := r.f.t
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for !cond() {
		select {
		case err := <-r.synced:
			if err != nil {
				t.Logf("sync: %v", err)
			}
		case <-ctx.Done():
			t.Fatalf("no %s within 30s", what)
		}
	}
}

// listed reports whether the connection's first listing is complete.
func (f *fixture) listed() bool {
	cur, err := f.store.FindMirrorCursor(f.t.Context(), f.env.ID, f.conn.ID, dropbridge.MirrorFiles)
	if err != nil {
		f.t.Fatal(err)
	}
	return cur.Cursor != "" && !strings.HasPrefix(cur.Cursor, "initial:")
}

// awaitEvents waits until the events since the last call hold n events,
// and returns them.
func (r *running) awaitEvents(n int) []seenEvent {
	var got []seenEvent
	r.await("events", func() bool {
		got = append(got, r.f.newEvents()...)
		return len(got) >= n
	})
	return got
}

func TestLongPoll(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backend, nil)
			f.upload("/before.txt", "b")
			r := f.run(changes.Config{LongPoll: true, LongpollTimeout: 30 * time.Second})
			r.await("first listing", f.listed)

			// No webhook, no reconciliation: the watcher sees it.
			f.upload("/after.txt", "a")
			f.mkdir("/Folder")
			got := r.awaitEvents(2)
			want := []seenEvent{
				{dropbridge.EventFileCreated, "/after.txt", dropbridge.OriginDropbox},
				{dropbridge.EventFolderCreated, "/Folder", dropbridge.OriginDropbox},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWebhookSync(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			var r *running
			f := newFixture(t, backend, func(f *fixture) string {
				// The intake must answer the emulator's challenge when the
				// app is registered.
				r = &running{f: f, synced: make(chan error, 100)}
				s, err := changes.New(changes.Config{Store: f.store, Connect: f.svc, PollGap: -1, ReconcileInterval: -1,
					OnSync: func(_, _ string, err error) {
						select {
						case r.synced <- err:
						default:
						}
					}})
				if err != nil {
					t.Fatal(err)
				}
				r.s = s
				srv := httptest.NewServer(httpapi.New(httpapi.Config{Store: f.store, Connect: f.svc, DropboxNotifier: s}))
				t.Cleanup(srv.Close)
				return srv.URL + httpapi.DropboxWebhookPath
			})
			r.start()
			r.await("first listing", f.listed)

			f.upload("/notified.txt", "n")
			got := r.awaitEvents(1)
			if diff := cmp.Diff([]seenEvent{{dropbridge.EventFileCreated, "/notified.txt", dropbridge.OriginDropbox}}, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			var hooks struct {
				Deliveries []struct {
					Accounts  []string `json:"accounts"`
					Delivered bool     `json:"delivered"`
				} `json:"deliveries"`
			}
			f.emu.Admin(t, "GET", "/_emulator/webhooks", nil, &hooks)
			delivered := false
			for _, d := range hooks.Deliveries {
				delivered = delivered || d.Delivered && len(d.Accounts) == 1 && d.Accounts[0] == f.acct.AccountID
			}
			if !delivered {
				t.Errorf("the emulator delivered no notification for the account: %+v", hooks.Deliveries)
			}
		})
	}
}
