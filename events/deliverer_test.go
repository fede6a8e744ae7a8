package events_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/events"
	"github.com/dropbridge/dropbridge/webhooks"
)

// newDeliverer returns a deliverer on the fixture's store and clock, with
// no jitter.
func newDeliverer(t *testing.T, f *fixture, retry webhooks.RetryPolicy) *events.Deliverer {
	t.Helper()
	d, err := events.NewDeliverer(events.DelivererConfig{Store: f.store, Now: f.clock.Now, Random: func() float64 { return 0.5 },
		Retry: retry, PollInterval: 5 * time.Millisecond, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// verified checks each request's signature against secret at the fake
// clock's time when it came, and returns the event IDs it carried (webhook-id), checking
// that each body is the event with that ID.
func verified(t *testing.T, secret dropbridge.Secret, rs []received) []string {
	t.Helper()
	var ids []string
	for _, r := range rs {
		if err := webhooks.Verify(r.header, r.body, []dropbridge.Secret{secret}, r.at, webhooks.DefaultTolerance); err != nil {
			t.Errorf("delivery does not verify: %v", err)
		}
		var e dropbridge.Event
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatalf("delivery body %s: %v", r.body, err)
		}
		if id := r.header.Get(webhooks.HeaderID); id != e.ID {
			t.Errorf("webhook-id %q, body's event %q", id, e.ID)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// byConnection returns the event IDs of the requests, per connection.
func byConnection(t *testing.T, rs []received) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range rs {
		var e dropbridge.Event
		if err := json.Unmarshal(r.body, &e); err != nil {
			t.Fatal(err)
		}
		out[e.ConnectionID] = append(out[e.ConnectionID], e.ID)
	}
	return out
}

func TestDelivererSendsSignedEventsInOrder(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		sub := newSubscriber(t, f.clock)
		w := f.endpoint(f.env, sub.srv.URL)
		alice, bob := f.connection(f.app, "alice"), f.connection(f.app, "bob")
		// Another environment's events never reach the endpoint.
		otherEnv, otherApp := f.environment("other")
		_ = otherEnv
		carol := f.connection(otherApp, "carol")

		d := newDeliverer(t, f, webhooks.RetryPolicy{})
		if err := d.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Stop(t.Context()) })

		want := map[string][]string{}
		for range 3 {
			want[alice.ID] = append(want[alice.ID], eventIDsOf(f.createFiles(alice, 3))...)
			want[bob.ID] = append(want[bob.ID], eventIDsOf(f.createFiles(bob, 2))...)
			f.createFiles(carol, 1)
			d.Notify()
		}
		sub.waitFor(t, "15 deliveries", func(rs []received) bool { return len(rs) >= 15 })
		if err := d.Stop(t.Context()); err != nil {
			t.Fatal(err)
		}
		rs := sub.requests()
		verified(t, w.Secret, rs)
		if diff := cmp.Diff(want, byConnection(t, rs)); diff != "" {
			t.Errorf("deliveries per connection (-want +got):\n%s", diff)
		}
		dead, err := f.store.ListDeliveries(t.Context(), f.env.ID, dropbridge.DeliveryFilter{Status: dropbridge.DeliveryPending})
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != 0 {
			t.Errorf("%d deliveries still pending", len(dead))
		}
	})
}
func TestDelivererSubscriberDownForAnHour(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		sub := newSubscriber(t, f.clock)
		sub.setAnswer(http.StatusServiceUnavailable)
		w := f.endpoint(f.env, sub.srv.URL)
		alice := f.connection(f.app, "alice")
		d := newDeliverer(t, f, webhooks.RetryPolicy{})

		var want []string
		// Changes keep coming during the hour the subscriber is down.
		for minute := range 60 {
			if minute%10 == 0 {
				want = append(want, eventIDsOf(f.createFiles(alice, 2))...)
			}
			if _, err := d.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Minute)
		}
		down := sub.requests()
		if len(down) < 5 {
			t.Fatalf("%d attempts while down, want retries", len(down))
		}
		for _, r := range down {
			// Only the first event is tried while it fails: the rest wait
			// behind it, and every retry carries the same webhook-id.
			if id := r.header.Get(webhooks.HeaderID); id != want[0] {
				t.Errorf("attempt while down carried %s, want %s", id, want[0])
			}
		}

		sub.setAnswer(http.StatusOK)
		for range 4 * 60 {
			if _, err := d.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			if len(sub.acknowledged()) == len(want) {
				break
			}
			f.clock.Advance(time.Minute)
		}
		got := verified(t, w.Secret, sub.acknowledged())
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("acknowledged deliveries (-want +got):\n%s", diff)
		}
		ds, err := f.store.ListDeliveries(t.Context(), f.env.ID, dropbridge.DeliveryFilter{EventID: want[0]})
		if err != nil || len(ds) != 1 {
			t.Fatalf("ListDeliveries: %v, %d", err, len(ds))
		}
		attempts, err := f.store.ListDeliveryAttempts(t.Context(), f.env.ID, ds[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(attempts) != len(down)+1 || attempts[0].StatusCode != http.StatusServiceUnavailable ||
			attempts[len(attempts)-1].StatusCode != http.StatusOK || attempts[0].Error == "" {
			t.Errorf("attempts of the first delivery: %+v", attempts)
		}
	})
}
func TestDelivererDeadLetterAndReplay(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		sub := newSubscriber(t, f.clock)
		sub.setAnswer(http.StatusInternalServerError)
		w := f.endpoint(f.env, sub.srv.URL)
		alice := f.connection(f.app, "alice")
		policy := webhooks.RetryPolicy{First: time.Minute, Factor: 2, Max: 10 * time.Minute, Window: time.Hour}
		d := newDeliverer(t, f, policy)

		first := f.createFiles(alice, 1)[0]
		for range 90 {
			if _, err := d.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(time.Minute)
		}
		dead, err := f.store.ListDeliveries(t.Context(), f.env.ID, dropbridge.DeliveryFilter{Status: dropbridge.DeliveryDead})
		if err != nil {
			t.Fatal(err)
		}
		if len(dead) != 1 || dead[0].EventID != first.ID {
			t.Fatalf("dead letters: %+v, want the delivery of %s", dead, first.ID)
		}
		// 1, 2, 4, 8, 10, 10, ... minutes apart: dead at the first failure an
		// hour or more after the first attempt.
		if n := len(sub.requests()); n != dead[0].Attempts || n < 8 || n > 12 {
			t.Errorf("%d requests, %d attempts recorded", n, dead[0].Attempts)
		}
		for _, r := range sub.requests() {
			if id := r.header.Get(webhooks.HeaderID); id != first.ID {
				t.Errorf("retry carried webhook-id %s, want %s", id, first.ID)
			}
		}

		// The next event of the connection is not held up by the dead one.
		sub.setAnswer(http.StatusOK)
		second := f.createFiles(alice, 1)[0]
		if _, err := d.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		// A replay sends the dead delivery again, with the same webhook-id.
		n, err := f.store.ReplayDeliveries(t.Context(), f.env.ID, dropbridge.DeliveryFilter{EventID: first.ID})
		if err != nil || n != 1 {
			t.Fatalf("ReplayDeliveries: %d, %v", n, err)
		}
		if _, err := d.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		got := verified(t, w.Secret, sub.acknowledged())
		if diff := cmp.Diff([]string{second.ID, first.ID}, got); diff != "" {
			t.Errorf("acknowledged (-want +got):\n%s", diff)
		}
	})
}
func TestDelivererRetriesUnreachableEndpoint(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		sub := newSubscriber(t, f.clock)
		url := sub.srv.URL
		sub.srv.Close() // nothing listens there now
		w := f.endpoint(f.env, url)
		alice := f.connection(f.app, "alice")
		e := f.createFiles(alice, 1)[0]
		var attempts []*dropbridge.Delivery
		d, err := events.NewDeliverer(events.DelivererConfig{Store: f.store, Now: f.clock.Now,
			OnAttempt: func(d *dropbridge.Delivery) { attempts = append(attempts, d) }})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := d.RunOnce(t.Context()); err != nil || n != 1 {
			t.Fatalf("RunOnce: %d, %v", n, err)
		}
		if len(attempts) != 1 || attempts[0].Status != dropbridge.DeliveryPending || attempts[0].Failures != 1 ||
			!attempts[0].NextAttemptAt.After(f.clock.Now()) {
			t.Fatalf("after a failed attempt: %+v", attempts)
		}
		logged, err := f.store.ListDeliveryAttempts(t.Context(), w.EnvironmentID, attempts[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(logged) != 1 || logged[0].StatusCode != 0 || logged[0].Error == "" {
			t.Errorf("attempt log: %+v", logged)
		}
		if attempts[0].EventID != e.ID {
			t.Errorf("delivery of %s, want %s", attempts[0].EventID, e.ID)
		}
	})
}

func TestDeliverersShareTheWorkInOrder(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		sub := newSubscriber(t, f.clock)
		w := f.endpoint(f.env, sub.srv.URL)
		conns := []*dropbridge.Connection{f.connection(f.app, "a"), f.connection(f.app, "b"), f.connection(f.app, "c")}
		want := map[string][]string{}
		for range 4 {
			for _, c := range conns {
				want[c.ID] = append(want[c.ID], eventIDsOf(f.createFiles(c, 2))...)
			}
		}
		// Three workers, as in three processes, with claims of one.
		for range 3 {
			d, err := events.NewDeliverer(events.DelivererConfig{Store: f.store, Now: f.clock.Now, BatchSize: 1,
				PollInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Stop(context.Background()) })
		}
		sub.waitFor(t, "24 deliveries", func(rs []received) bool { return len(rs) >= 24 })
		rs := sub.requests()
		verified(t, w.Secret, rs)
		// Each event once, in order per connection.
		if diff := cmp.Diff(want, byConnection(t, rs)); diff != "" {
			t.Errorf("deliveries per connection (-want +got):\n%s", diff)
		}
	})
}

func TestDelivererStoppedMidAttemptSendsAgainWithTheSameID(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		arrived := make(chan string, 4)
		var blocking atomic.Bool
		blocking.Store(true)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Reading the body lets the server see the client go away.
			_, _ = io.ReadAll(r.Body)
			arrived <- r.Header.Get(webhooks.HeaderID)
			if blocking.Load() {
				<-r.Context().Done() // hangs until the worker gives up
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		t.Cleanup(srv.Close)
		f.endpoint(f.env, srv.URL)
		e := f.createFiles(f.connection(f.app, "alice"), 1)[0]

		d := newDeliverer(t, f, webhooks.RetryPolicy{})
		if err := d.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		if id := <-arrived; id != e.ID {
			t.Fatalf("first attempt carried %s, want %s", id, e.ID)
		}
		// The process dies mid-attempt: nothing is recorded.
		stopped, cancel := context.WithCancel(t.Context())
		cancel()
		if err := d.Stop(stopped); err == nil {
			t.Error("Stop with an ended context reported nothing")
		}
		ds, err := f.store.ListDeliveries(t.Context(), f.env.ID, dropbridge.DeliveryFilter{})
		if err != nil || len(ds) != 1 || ds[0].Attempts != 0 || ds[0].Status != dropbridge.DeliveryPending {
			t.Fatalf("after the crash: %+v, %v", ds, err)
		}

		// Once the claim lapses, another worker sends it again, same ID.
		blocking.Store(false)
		f.clock.Advance(2*5*time.Second + 31*time.Second)
		d2 := newDeliverer(t, f, webhooks.RetryPolicy{})
		if n, err := d2.RunOnce(t.Context()); err != nil || n != 1 {
			t.Fatalf("RunOnce: %d, %v", n, err)
		}
		if id := <-arrived; id != e.ID {
			t.Errorf("second attempt carried %s, want %s", id, e.ID)
		}
		ds, err = f.store.ListDeliveries(t.Context(), f.env.ID, dropbridge.DeliveryFilter{})
		if err != nil || len(ds) != 1 || ds[0].Attempts != 1 || ds[0].Status != dropbridge.DeliverySucceeded {
			t.Errorf("after the second attempt: %+v, %v", ds, err)
		}
	})
}

func TestDelivererDefaultPolicyParksAfterADay(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, f *fixture) {
		sub := newSubscriber(t, f.clock)
		sub.setAnswer(http.StatusBadGateway)
		f.endpoint(f.env, sub.srv.URL)
		f.createFiles(f.connection(f.app, "alice"), 1)
		d := newDeliverer(t, f, webhooks.RetryPolicy{})
		start := f.clock.Now()
		var dead *dropbridge.Delivery
		for dead == nil && f.clock.Now().Sub(start) < 30*time.Hour {
			if _, err := d.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
			ds, err := f.store.ListDeliveries(t.Context(), f.env.ID, dropbridge.DeliveryFilter{Status: dropbridge.DeliveryDead})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) > 0 {
				dead = ds[0]
			}
			f.clock.Advance(5 * time.Minute)
		}
		if dead == nil {
			t.Fatal("not dead after 30 hours")
		}
		if span := dead.LastAttemptAt.Sub(dead.FirstAttemptAt); span < 24*time.Hour || span > 27*time.Hour {
			t.Errorf("retried for %v, want 24 to 27 hours", span)
		}
		if dead.Attempts < 13 || dead.Attempts > 16 || len(sub.requests()) != dead.Attempts {
			t.Errorf("%d attempts, %d requests; want 13 to 16", dead.Attempts, len(sub.requests()))
		}
	})
}
