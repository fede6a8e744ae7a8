package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/jobs"
)

// untilDue is how far the clocks move for a fresh token to fall due with
// the default RefreshAhead.
const untilDue = tokenLifetime - jobs.DefaultRefreshAhead + 5*time.Minute

func TestRefreshDueConnection(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backend)
			conn := f.connect("user-1")
			reg := prometheus.NewRegistry()
			r, reports := f.runner(jobs.Config{Metrics: jobs.NewMetrics(reg)})

			// A fresh token is not due.
			if n, err := r.EnqueueDueRefreshes(t.Context()); err != nil || n != 0 {
				t.Fatalf("EnqueueDueRefreshes of a fresh token = %d, %v; want 0", n, err)
			}

			f.advance(untilDue)
			calls := f.tokenCalls.Load()
			if err := r.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			got := next(t, reports)
			if diff := cmp.Diff(refresh{connectionID: conn.ID, outcome: connect.Refreshed}, got,
				cmp.AllowUnexported(refresh{}), cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
				t.Fatalf("refresh (-want +got):\n%s", diff)
			}
			if n := f.tokenCalls.Load() - calls; n != 1 {
				t.Errorf("%d calls of the token endpoint, want 1", n)
			}
			if diff := cmp.Diff(map[string]float64{"refreshed": 1, "not_due": 0, "inactive": 0, "unrefreshable": 0,
				"superseded": 0, "needs_reauth": 0, "error": 0}, refreshCounts(t, reg)); diff != "" {
				t.Errorf("dropbridge_token_refreshes_total (-want +got):\n%s", diff)
			}
			after := f.find(conn.ID)
			if after.TokenVersion != conn.TokenVersion+1 || after.Token.AccessToken == conn.Token.AccessToken ||
				after.Token.RefreshToken != conn.Token.RefreshToken || after.Status != dropbridge.ConnectionActive {
				t.Errorf("after the refresh: version %d (was %d), access token changed %v, refresh token kept %v, status %s",
					after.TokenVersion, conn.TokenVersion, after.Token.AccessToken != conn.Token.AccessToken,
					after.Token.RefreshToken == conn.Token.RefreshToken, after.Status)
			}
			if want := f.clock.Now().Add(tokenLifetime); !after.Token.Expiry.Equal(want.UTC().Truncate(time.Microsecond)) &&
				after.Token.Expiry.Sub(want).Abs() > time.Second {
				t.Errorf("new expiry %v, want %v (4 hours from the service's clock)", after.Token.Expiry, want)
			}

			// Refreshed, it is not due again.
			if n, err := r.EnqueueDueRefreshes(t.Context()); err != nil || n != 0 {
				t.Fatalf("EnqueueDueRefreshes after the refresh = %d, %v; want 0", n, err)
			}
			// Past the first token's life, the new one works at Dropbox.
			f.advance(time.Hour)
			err := f.svc.Do(t.Context(), f.env.ID, conn.ID, func(ctx context.Context, c *dropbox.Client) error {
				_, err := c.Users.GetCurrentAccount(ctx)
				return err
			})
			if err != nil {
				t.Fatalf("call with the refreshed token: %v", err)
			}
		})
	}
}

func TestRefreshRevokedNeedsReauth(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backend)
			conn := f.connect("user-1")
			// The user disconnects the app at Dropbox: revoking the access
			// token revokes its refresh token.
			c := dropbox.New(dropbox.WithBaseURL(f.emu.URL), dropbox.WithToken(string(conn.Token.AccessToken)))
			if err := c.Auth.TokenRevoke(t.Context()); err != nil {
				t.Fatal(err)
			}
			f.advance(untilDue)
			r, reports := f.runner(jobs.Config{})
			if err := r.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := next(t, reports); got.outcome != connect.RefreshNeedsReauth || got.err != nil {
				t.Fatalf("refresh of a revoked token: %q, %v; want needs_reauth", got.outcome, got.err)
			}
			if got := f.find(conn.ID); got.Status != dropbridge.ConnectionNeedsReauth || got.TokenVersion != conn.TokenVersion {
				t.Errorf("status %s, token version %d; want needs_reauth, %d", got.Status, got.TokenVersion, conn.TokenVersion)
			}
			// A connection that needs reauth is no longer due.
			if n, err := r.EnqueueDueRefreshes(t.Context()); err != nil || n != 0 {
				t.Fatalf("EnqueueDueRefreshes = %d, %v; want 0", n, err)
			}
		})
	}
}

// TestRefreshOneAtATime runs two runners, as two processes on one
// database would, and enqueues the same due connection from both, many
// times at once: it is refreshed once.
func TestRefreshOneAtATime(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backend)
			conn := f.connect("user-1")
			other := f.connect("user-2") // the same account for another user: a second connection
			f.advance(untilDue)
			calls := f.tokenCalls.Load()

			a, reportsA := f.runner(jobs.Config{MaxWorkers: 4})
			b, reportsB := f.runner(jobs.Config{MaxWorkers: 4})
			// Enqueued from both before either works: one job per connection.
			var wg sync.WaitGroup
			var mu sync.Mutex
			enqueued := 0
			for _, r := range []*jobs.Runner{a, b, a, b, a, b} {
				wg.Go(func() {
					n, err := r.EnqueueDueRefreshes(t.Context())
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					enqueued += n
					mu.Unlock()
				})
			}
			wg.Wait()
			if enqueued != 2 {
				t.Fatalf("%d jobs enqueued for 2 due connections, want 2", enqueued)
			}
			for _, r := range []*jobs.Runner{a, b} {
				if err := r.Start(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			// Both leaders' periodic checks and more enqueues race the jobs.
			for _, r := range []*jobs.Runner{a, b} {
				wg.Go(func() {
					for range 5 {
						if _, err := r.EnqueueDueRefreshes(t.Context()); err != nil {
							t.Error(err)
						}
					}
				})
			}
			refreshed := map[string]int{}
			merged := make(chan refresh, 200)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var forwarders sync.WaitGroup
			for _, ch := range []<-chan refresh{reportsA, reportsB} {
				forwarders.Go(func() {
					for {
						select {
						case r := <-ch:
							merged <- r
						case <-ctx.Done():
							return
						}
					}
				})
			}
			for refreshed[conn.ID] == 0 || refreshed[other.ID] == 0 {
				r := next(t, merged)
				if r.err != nil {
					t.Fatalf("refresh of %s: %v", r.connectionID, r.err)
				}
				if r.outcome == connect.Refreshed {
					refreshed[r.connectionID]++
				}
			}
			wg.Wait()
			stopCtx, stop := context.WithTimeout(t.Context(), 30*time.Second)
			defer stop()
			for _, r := range []*jobs.Runner{a, b} {
				if err := r.Stop(stopCtx); err != nil {
					t.Fatal(err)
				}
			}
			cancel()
			forwarders.Wait()
			// Stopped, the runners report nothing more: count what is left.
			for _, ch := range []<-chan refresh{merged, reportsA, reportsB} {
				for len(ch) > 0 {
					if r := <-ch; r.outcome == connect.Refreshed {
						refreshed[r.connectionID]++
					}
				}
			}
			if diff := cmp.Diff(map[string]int{conn.ID: 1, other.ID: 1}, refreshed); diff != "" {
				t.Errorf("refreshes per connection (-want +got):\n%s", diff)
			}
			if n := f.tokenCalls.Load() - calls; n != 2 {
				t.Errorf("%d calls of the token endpoint, want 2", n)
			}
			for _, c := range []*dropbridge.Connection{conn, other} {
				if got := f.find(c.ID); got.TokenVersion != c.TokenVersion+1 {
					t.Errorf("connection %s: token version %d, want %d", c.ID, got.TokenVersion, c.TokenVersion+1)
				}
			}
		})
	}
}

// refreshCounts returns the counts of dropbridge_token_refreshes_total by
// outcome.
func refreshCounts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "dropbridge_token_refreshes_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					counts[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return counts
}
