package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

// testEvents appends events and reads the feed: in order, after an ID, by
// connection and type, one environment at a time.
func testEvents(t *testing.T, f *fixture) {
	prod, dev := f.env("production"), f.env("development")
	app := f.app(prod, "appkey", true)
	c1 := f.connection(app, "user-1", "dbid:1")
	c2 := f.connection(app, "user-2", "dbid:2")
	devConn := f.connection(f.app(dev, "devkey", true), "user-1", "dbid:1")

	var all []dropbridge.Event
	for i := range 6 {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		typ := dropbridge.EventFileCreated
		if i%3 == 2 {
			typ = dropbridge.EventFileUpdated
		}
		e := f.event(c, typ, fmt.Sprintf("id:%d", i))
		noErr(t, f.s.AppendEvents(f.ctx, []dropbridge.Event{e}), "AppendEvents")
		all = append(all, e)
		f.clock.Advance(time.Second)
	}
	devEvent := f.event(devConn, dropbridge.EventConnectionCreated, devConn.ID)
	noErr(t, f.s.AppendEvents(f.ctx, []dropbridge.Event{devEvent}), "AppendEvents")

	diff(t, "feed", eventPtrs(all...), f.allEvents(prod.ID, dropbridge.EventFilter{}))
	diff(t, "feed in pages of 4", eventPtrs(all...), f.allEvents(prod.ID, dropbridge.EventFilter{Limit: 4}))
	diff(t, "feed after the second", eventPtrs(all[2:]...), f.allEvents(prod.ID, dropbridge.EventFilter{After: all[1].ID}))
	diff(t, "feed after the last", []*dropbridge.Event(nil), f.allEvents(prod.ID, dropbridge.EventFilter{After: all[5].ID}))
	diff(t, "c2's events", eventPtrs(all[1], all[3], all[5]), f.allEvents(prod.ID, dropbridge.EventFilter{ConnectionID: c2.ID}))
	diff(t, "updates", eventPtrs(all[2], all[5]), f.allEvents(prod.ID, dropbridge.EventFilter{Types: []dropbridge.EventType{dropbridge.EventFileUpdated}}))
	diff(t, "c1's creations after the first", eventPtrs(all[4]), f.allEvents(prod.ID, dropbridge.EventFilter{
		After: all[0].ID, ConnectionID: c1.ID, Types: []dropbridge.EventType{dropbridge.EventFileCreated}}))
	got, err := f.s.FindEventByID(f.ctx, prod.ID, all[3].ID)
	noErr(t, err, "FindEventByID")
	diff(t, "event", &all[3], got)

	// Environments do not see each other's events.
	diff(t, "dev's feed", eventPtrs(devEvent), f.allEvents(dev.ID, dropbridge.EventFilter{}))
	_, err = f.s.FindEventByID(f.ctx, dev.ID, all[0].ID)
	wantCode(t, err, dropbridge.ENOTFOUND)
	_, err = f.s.ListEvents(f.ctx, dev.ID, dropbridge.EventFilter{After: all[0].ID})
	wantCode(t, err, dropbridge.EINVALID)
	cross := f.event(c1, dropbridge.EventFileCreated, "id:x")
	cross.EnvironmentID = dev.ID
	wantCode(t, f.s.AppendEvents(f.ctx, []dropbridge.Event{cross}), dropbridge.ENOTFOUND)

	// Bad input changes nothing: the valid event before it is not stored.
	ok := f.event(c1, dropbridge.EventFileCreated, "id:ok")
	wantCode(t, f.s.AppendEvents(f.ctx, []dropbridge.Event{ok, all[0]}), dropbridge.ECONFLICT)
	invalid := f.event(c1, dropbridge.EventFileCreated, "id:bad")
	invalid.After = nil
	wantCode(t, f.s.AppendEvents(f.ctx, []dropbridge.Event{ok, invalid}), dropbridge.EINVALID)
	_, err = f.s.ListEvents(f.ctx, prod.ID, dropbridge.EventFilter{After: "evt_nope"})
	wantCode(t, err, dropbridge.EINVALID)
	_, err = f.s.ListEvents(f.ctx, prod.ID, dropbridge.EventFilter{Types: []dropbridge.EventType{"file.exploded"}})
	wantCode(t, err, dropbridge.EINVALID)
	diff(t, "feed after bad input", eventPtrs(all...), f.allEvents(prod.ID, dropbridge.EventFilter{}))
}

// testEventFeedConcurrent appends events from many goroutines while a
// reader follows the feed: it sees every event exactly once, and each
// connection's events in the order they were appended. (A feed ordered by
// anything but commit order could let the reader pass an event that
// commits late.)
func testEventFeedConcurrent(t *testing.T, f *fixture) {
	env := f.env("production")
	app := f.app(env, "appkey", true)
	const writers, each = 6, 15
	conns := make([]*dropbridge.Connection, writers)
	want := map[string][]string{}
	batches := make([][][]dropbridge.Event, writers)
	for w := range writers {
		conns[w] = f.connection(app, fmt.Sprintf("user-%d", w), "dbid:1")
		for i := range each {
			var batch []dropbridge.Event
			for j := range 1 + i%3 {
				e := f.event(conns[w], dropbridge.EventFileCreated, fmt.Sprintf("id:%d-%d-%d", w, i, j))
				batch = append(batch, e)
				want[conns[w].ID] = append(want[conns[w].ID], e.ID)
			}
			batches[w] = append(batches[w], batch)
		}
	}
	total := 0
	for _, ids := range want {
		total += len(ids)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for _, batch := range batches[w] {
				if err := f.s.AppendEvents(f.ctx, batch); err != nil {
					errs <- err
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]bool{}
	got := map[string][]string{}
	after := ""
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		page, err := f.s.ListEvents(f.ctx, env.ID, dropbridge.EventFilter{After: after, Limit: 7})
		noErr(t, err, "ListEvents")
		for _, e := range page {
			if seen[e.ID] {
				t.Fatalf("event %s seen twice", e.ID)
			}
			seen[e.ID] = true
			got[e.ConnectionID] = append(got[e.ConnectionID], e.ID)
			after = e.ID
		}
		if finished && len(page) == 0 {
			break
		}
	}
	close(errs)
	for err := range errs {
		t.Fatalf("AppendEvents: %v", err)
	}
	if len(seen) != total {
		t.Fatalf("the reader saw %d events, want %d", len(seen), total)
	}
	diff(t, "each connection's events in order", want, got)
}
