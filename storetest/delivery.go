package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

// claim claims due deliveries and returns them by event ID.
func (f *fixture) claim(limit int, lease time.Duration) map[string]*dropbridge.DeliveryClaim {
	f.t.Helper()
	cs, err := f.s.ClaimDeliveries(f.ctx, limit, lease)
	noErr(f.t, err, "ClaimDeliveries")
	out := map[string]*dropbridge.DeliveryClaim{}
	for _, c := range cs {
		if out[c.Delivery.EventID] != nil {
			f.t.Fatalf("event %s claimed twice for one endpoint", c.Delivery.EventID)
		}
		out[c.Delivery.EventID] = c
	}
	return out
}

// claimedEvents returns the event IDs of claims, sorted.
func claimedEvents(cs map[string]*dropbridge.DeliveryClaim) []string {
	var out []string
	for id := range cs {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

// record records an attempt of a claim, at the clock's time.
func (f *fixture) record(c *dropbridge.DeliveryClaim, status int, retryAt time.Time) *dropbridge.Delivery {
	f.t.Helper()
	o := &dropbridge.DeliveryOutcome{DeliveryID: c.Delivery.ID, Token: c.Token, At: f.clock.Now(), StatusCode: status,
		Duration: 25 * time.Millisecond, Succeeded: status/100 == 2, RetryAt: retryAt}
	if !o.Succeeded {
		o.Error = fmt.Sprintf("the endpoint answered %d", status)
	}
	d, err := f.s.RecordDeliveryAttempt(f.ctx, o)
	noErr(f.t, err, "RecordDeliveryAttempt")
	return d
}

// testDeliveries makes deliveries with events, for the endpoints that want
// them, and sends them in order per endpoint and connection: a later event
// waits while an earlier one is retried, and goes once that one succeeded
// or is dead. Attempts are logged; replay sends again.
func testDeliveries(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	c1 := f.connection(app, "user-1", "dbid:1")
	c2 := f.connection(app, "user-2", "dbid:2")
	all := f.endpoint(env, "https://all.example.com/", nil)
	created := f.endpoint(env, "https://created.example.com/", func(w *dropbridge.WebhookEndpoint) {
		w.EventTypes = []dropbridge.EventType{dropbridge.EventFileCreated}
	})
	onlyC2 := f.endpoint(env, "https://c2.example.com/", func(w *dropbridge.WebhookEndpoint) { w.ConnectionID = c2.ID })
	disabled := f.endpoint(env, "https://off.example.com/", func(w *dropbridge.WebhookEndpoint) { w.Enabled = false })

	e1 := f.event(c1, dropbridge.EventFileCreated, "id:1")
	e2 := f.event(c1, dropbridge.EventFileUpdated, "id:1")
	e3 := f.event(c1, dropbridge.EventFileCreated, "id:3")
	_, err := f.s.ApplyMirrorChange(f.ctx, &dropbridge.MirrorChange{EnvironmentID: env.ID, ConnectionID: c1.ID,
		Kind: dropbridge.MirrorFiles, Cursor: "c", Events: []dropbridge.Event{e1, e2, e3}})
	noErr(t, err, "ApplyMirrorChange")
	e4 := f.event(c2, dropbridge.EventFileUpdated, "id:4")
	noErr(t, f.s.AppendEvents(f.ctx, []dropbridge.Event{e4}), "AppendEvents")

	byEndpoint := func(w *dropbridge.WebhookEndpoint) []string {
		t.Helper()
		ds, err := f.s.ListDeliveries(f.ctx, env.ID, dropbridge.DeliveryFilter{EndpointID: w.ID})
		noErr(t, err, "ListDeliveries")
		var out []string
		for _, d := range ds {
			out = append(out, d.EventID)
		}
		return out
	}
	diff(t, "deliveries to all (newest first)", []string{e4.ID, e3.ID, e2.ID, e1.ID}, byEndpoint(all))
	diff(t, "deliveries to created", []string{e3.ID, e1.ID}, byEndpoint(created))
	diff(t, "deliveries to c2's endpoint", []string{e4.ID}, byEndpoint(onlyC2))
	diff(t, "deliveries to the disabled endpoint", []string(nil), byEndpoint(disabled))

	// The heads of the queues: e1 for all and for created (c1), e4 for all
	// and c2's endpoint (c2).
	cs, err := f.s.ClaimDeliveries(f.ctx, 10, time.Hour)
	noErr(t, err, "ClaimDeliveries")
	heads := map[string][]string{}
	for _, c := range cs {
		heads[c.Endpoint.URL] = append(heads[c.Endpoint.URL], c.Delivery.EventID)
		if c.Endpoint.Secret != webhookSecret {
			t.Fatalf("claim's endpoint has secret %q", c.Endpoint.Secret)
		}
		var body dropbridge.Event
		noErr(t, json.Unmarshal(c.Body, &body), "claim's body")
		if body.ID != c.Delivery.EventID {
			t.Fatalf("claim of %s carries event %s", c.Delivery.EventID, body.ID)
		}
	}
	for _, list := range heads {
		slices.Sort(list)
	}
	diff(t, "claimed heads", map[string][]string{
		all.URL: sorted(e1.ID, e4.ID), created.URL: {e1.ID}, onlyC2.URL: {e4.ID},
	}, heads)
	claimOf := func(url, eventID string) *dropbridge.DeliveryClaim {
		for _, c := range cs {
			if c.Endpoint.URL == url && c.Delivery.EventID == eventID {
				return c
			}
		}
		t.Fatalf("no claim of %s for %s", eventID, url)
		return nil
	}
	// While claimed, nothing more is due.
	diff(t, "claims while all are claimed", []string(nil), claimedEvents(f.claim(10, time.Hour)))

	// e1 to all fails: e2 waits until e1's retry.
	c := claimOf(all.URL, e1.ID)
	f.clock.Advance(time.Second)
	d := f.record(c, 500, f.clock.Now().Add(time.Minute))
	if d.Status != dropbridge.DeliveryPending || d.Attempts != 1 || d.Failures != 1 || d.FirstAttemptAt != f.clock.Now() ||
		d.NextAttemptAt != f.clock.Now().Add(time.Minute) {
		t.Fatalf("delivery after a failure: %+v", d)
	}
	// The claim ended with the attempt: a second outcome is refused.
	_, err = f.s.RecordDeliveryAttempt(f.ctx, &dropbridge.DeliveryOutcome{DeliveryID: c.Delivery.ID, Token: c.Token,
		At: f.clock.Now(), Succeeded: true})
	wantCode(t, err, dropbridge.ECONFLICT)
	diff(t, "claims while e1 waits for its retry", []string(nil), claimedEvents(f.claim(10, time.Hour)))
	f.clock.Advance(time.Minute)
	again := f.claim(10, time.Hour)
	diff(t, "claims at e1's retry", []string{e1.ID}, claimedEvents(again))
	f.record(again[e1.ID], 200, time.Time{})
	next := f.claim(10, time.Hour)
	diff(t, "claims after e1 succeeded", []string{e2.ID}, claimedEvents(next))
	// e2 dies: e3 goes next.
	dead := f.record(next[e2.ID], 410, time.Time{})
	if dead.Status != dropbridge.DeliveryDead {
		t.Fatalf("delivery without retry: %+v", dead)
	}
	next = f.claim(10, time.Hour)
	diff(t, "claims after e2 died", []string{e3.ID}, claimedEvents(next))
	f.record(next[e3.ID], 204, time.Time{})

	attempts, err := f.s.ListDeliveryAttempts(f.ctx, env.ID, c.Delivery.ID)
	noErr(t, err, "ListDeliveryAttempts")
	diff(t, "attempts of e1 to all", []*dropbridge.DeliveryAttempt{
		{DeliveryID: c.Delivery.ID, Number: 1, At: start.Add(time.Second), StatusCode: 500, Error: "the endpoint answered 500", Duration: 25 * time.Millisecond},
		{DeliveryID: c.Delivery.ID, Number: 2, At: start.Add(time.Second + time.Minute), StatusCode: 200, Duration: 25 * time.Millisecond},
	}, attempts)
	deadList, err := f.s.ListDeliveries(f.ctx, env.ID, dropbridge.DeliveryFilter{Status: dropbridge.DeliveryDead})
	noErr(t, err, "ListDeliveries dead")
	diff(t, "dead letters", []*dropbridge.Delivery{dead}, deadList)

	// Replay of the dead e2: it goes again, before nothing else of c1.
	n, err := f.s.ReplayDeliveries(f.ctx, env.ID, dropbridge.DeliveryFilter{EndpointID: all.ID, EventID: e2.ID})
	noErr(t, err, "ReplayDeliveries")
	if n != 1 {
		t.Fatalf("replayed %d deliveries, want 1", n)
	}
	replayed, err := f.s.FindDeliveryByID(f.ctx, env.ID, dead.ID)
	noErr(t, err, "FindDeliveryByID")
	if replayed.Status != dropbridge.DeliveryPending || replayed.Failures != 0 || !replayed.FirstAttemptAt.IsZero() ||
		replayed.Attempts != 1 || replayed.NextAttemptAt != f.clock.Now() {
		t.Fatalf("replayed delivery: %+v", replayed)
	}
	again = f.claim(10, time.Minute)
	if again[e2.ID] == nil || again[e2.ID].Endpoint.ID != all.ID {
		t.Fatalf("claims after the replay: %v", claimedEvents(again))
	}

	// A lapsed claim goes to the next worker; the first one's attempt is
	// refused.
	lapsed := again[e2.ID]
	f.clock.Advance(2 * time.Minute)
	retaken := f.claim(10, time.Hour)
	if retaken[e2.ID] == nil || retaken[e2.ID].Delivery.ID != lapsed.Delivery.ID || retaken[e2.ID].Token == lapsed.Token {
		t.Fatalf("claims after the lease lapsed: %v", claimedEvents(retaken))
	}
	_, err = f.s.RecordDeliveryAttempt(f.ctx, &dropbridge.DeliveryOutcome{DeliveryID: lapsed.Delivery.ID, Token: lapsed.Token,
		At: f.clock.Now(), StatusCode: 200, Succeeded: true})
	wantCode(t, err, dropbridge.ECONFLICT)
	f.record(retaken[e2.ID], 200, time.Time{})

	// Bad input.
	_, err = f.s.ClaimDeliveries(f.ctx, 0, time.Minute)
	wantCode(t, err, dropbridge.EINVALID)
	_, err = f.s.RecordDeliveryAttempt(f.ctx, &dropbridge.DeliveryOutcome{DeliveryID: "dlv_x", Token: "t", At: f.clock.Now(),
		Succeeded: true, RetryAt: f.clock.Now()})
	wantCode(t, err, dropbridge.EINVALID)
	_, err = f.s.RecordDeliveryAttempt(f.ctx, &dropbridge.DeliveryOutcome{DeliveryID: "dlv_x", Token: "t", At: f.clock.Now()})
	wantCode(t, err, dropbridge.ENOTFOUND)

	// Disabled endpoints' pending deliveries wait; enabled again, they go.
	_, err = f.s.UpdateWebhookEndpoint(f.ctx, env.ID, onlyC2.ID, dropbridge.WebhookEndpointUpdate{Enabled: ptr(false)})
	noErr(t, err, "UpdateWebhookEndpoint")
	f.clock.Advance(2 * time.Hour)
	pending, err := f.s.ClaimDeliveries(f.ctx, 10, time.Hour)
	noErr(t, err, "ClaimDeliveries")
	if len(pending) == 0 {
		t.Fatal("no lapsed claim came back")
	}
	for _, c := range pending {
		if c.Endpoint.ID == onlyC2.ID {
			t.Fatal("a disabled endpoint's delivery was claimed")
		}
	}
}

// testDeliveryReplayRange replays the deliveries of the events of a time
// range.
func testDeliveryReplayRange(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	conn := f.connection(app, "user-1", "dbid:1")
	w := f.endpoint(env, "https://app.example.com/", nil)
	var events []dropbridge.Event
	for i := range 5 {
		e := f.event(conn, dropbridge.EventFileCreated, fmt.Sprintf("id:%d", i))
		noErr(t, f.s.AppendEvents(f.ctx, []dropbridge.Event{e}), "AppendEvents")
		events = append(events, e)
		f.clock.Advance(time.Hour)
	}
	for range events {
		cs := f.claim(10, time.Minute)
		if len(cs) != 1 {
			t.Fatalf("claimed %d, want 1 (one queue)", len(cs))
		}
		for _, c := range cs {
			f.record(c, 200, time.Time{})
		}
	}
	n, err := f.s.ReplayDeliveries(f.ctx, env.ID, dropbridge.DeliveryFilter{EndpointID: w.ID,
		Since: events[1].Time, Until: events[3].Time})
	noErr(t, err, "ReplayDeliveries")
	if n != 2 {
		t.Fatalf("replayed %d, want 2", n)
	}
	pending, err := f.s.ListDeliveries(f.ctx, env.ID, dropbridge.DeliveryFilter{Status: dropbridge.DeliveryPending})
	noErr(t, err, "ListDeliveries")
	var ids []string
	for _, d := range pending {
		ids = append(ids, d.EventID)
	}
	diff(t, "replayed", []string{events[2].ID, events[1].ID}, ids)
	diff(t, "claims after the replay", []string{events[1].ID}, claimedEvents(f.claim(10, time.Minute)))
	_, err = f.s.ReplayDeliveries(f.ctx, env.ID, dropbridge.DeliveryFilter{Since: events[3].Time, Until: events[1].Time})
	wantCode(t, err, dropbridge.EINVALID)
}

// testDeliveryClaimRace has many workers claim and send the deliveries of
// several connections at once: no delivery is claimed twice, and none is
// claimed before the ones of its connection's earlier events are done.
func testDeliveryClaimRace(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	w := f.endpoint(env, "https://app.example.com/", nil)
	const conns, each = 4, 12
	order := map[string]int{} // event ID -> position in its connection
	for c := range conns {
		conn := f.connection(app, fmt.Sprintf("user-%d", c), "dbid:1")
		for i := range each {
			e := f.event(conn, dropbridge.EventFileCreated, fmt.Sprintf("id:%d-%d", c, i))
			noErr(t, f.s.AppendEvents(f.ctx, []dropbridge.Event{e}), "AppendEvents")
			order[e.ID] = i
		}
	}
	var mu sync.Mutex
	claims := map[string]int{}
	var problems []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				cs, err := f.s.ClaimDeliveries(f.ctx, 3, time.Hour)
				if err != nil {
					mu.Lock()
					problems = append(problems, err.Error())
					mu.Unlock()
					return
				}
				mu.Lock()
				done := len(claims) == conns*each
				mu.Unlock()
				if len(cs) == 0 && done {
					return
				}
				for _, c := range cs {
					// Every earlier delivery of the connection is done.
					ds, err := f.s.ListDeliveries(f.ctx, env.ID, dropbridge.DeliveryFilter{EndpointID: w.ID,
						ConnectionID: c.Delivery.ConnectionID, Limit: dropbridge.MaxPageSize})
					mu.Lock()
					if err != nil {
						problems = append(problems, err.Error())
					}
					for _, d := range ds {
						if order[d.EventID] < order[c.Delivery.EventID] && d.Status != dropbridge.DeliverySucceeded {
							problems = append(problems, fmt.Sprintf("%s claimed before %s was sent", c.Delivery.EventID, d.EventID))
						}
					}
					claims[c.Delivery.ID]++
					mu.Unlock()
					_, err = f.s.RecordDeliveryAttempt(f.ctx, &dropbridge.DeliveryOutcome{DeliveryID: c.Delivery.ID,
						Token: c.Token, At: f.clock.Now(), StatusCode: 200, Succeeded: true})
					if err != nil {
						mu.Lock()
						problems = append(problems, err.Error())
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	if len(problems) > 0 {
		t.Fatalf("problems:\n%v", problems)
	}
	if len(claims) != conns*each {
		t.Fatalf("%d deliveries claimed, want %d", len(claims), conns*each)
	}
	for id, n := range claims {
		if n != 1 {
			t.Fatalf("delivery %s claimed %d times", id, n)
		}
	}
}
