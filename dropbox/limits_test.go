package dropbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPace(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	// burst starts n calls evenly over one second from t.
	burst := func(p pace, from time.Time, n int) pace {
		for i := range n {
			p = p.started(from.Add(time.Duration(i) * time.Second / time.Duration(n)))
		}
		return p
	}

	type step struct {
		name  string
		do    func(pace) pace
		limit float64
		pause time.Time
	}
	steps := []step{
		{"no limit at first", func(p pace) pace { return burst(p, t0, 40) }, 0, time.Time{}},
		{"a success changes nothing", func(p pace) pace { return p.succeeded(at(time.Second)) }, 0, time.Time{}},
		{"the first 429 halves the rate seen and pauses for Retry-After",
			func(p pace) pace { return p.limited(at(time.Second), 2*time.Second) }, 20, at(3 * time.Second)},
		{"429s of the same burst cut once",
			func(p pace) pace { return p.limited(at(1500*time.Millisecond), time.Second) }, 20, at(3 * time.Second)},
		{"a later 429 halves the limit again",
			func(p pace) pace { return p.limited(at(4*time.Second), time.Second) }, 10, at(5 * time.Second)},
		{"successes soon after a 429 do not raise",
			func(p pace) pace { return p.succeeded(at(9 * time.Second)) }, 10, at(5 * time.Second)},
		{"after a quiet while the limit rises",
			func(p pace) pace { return p.succeeded(at(14 * time.Second)) }, 15, at(5 * time.Second)},
		{"one raise per step",
			func(p pace) pace { return p.succeeded(at(15 * time.Second)) }, 15, at(5 * time.Second)},
		{"raises go on", func(p pace) pace { return p.succeeded(at(16 * time.Second)) }, 22.5, at(5 * time.Second)},
		{"and more", func(p pace) pace {
			for s := 18; s <= 30; s += 2 {
				p = p.succeeded(at(time.Duration(s) * time.Second))
			}
			return p
		}, 0, at(5 * time.Second)},
	}
	var p pace
	for _, s := range steps {
		p = s.do(p)
		if p.limit != s.limit || !p.pausedTo.Equal(s.pause) {
			t.Fatalf("%s: limit %v paused to %v, want %v and %v", s.name, p.limit, p.pausedTo, s.limit, s.pause)
		}
	}
}

func TestPaceTrickle(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var p pace
	p = p.started(t0).started(t0.Add(300 * time.Millisecond))
	p = p.limited(t0.Add(time.Second), 3*time.Second)
	if p.limit != 0 || !p.pausedTo.Equal(t0.Add(4*time.Second)) {
		t.Errorf("after a 429 met by two calls: limit %v, paused to %v; want no limit, a pause to %v", p.limit, p.pausedTo, t0.Add(4*time.Second))
	}
}

func TestPaceFloor(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var p pace
	for range 100 {
		p = p.started(t0)
	}
	for i := range 10 {
		p = p.limited(t0.Add(time.Duration(i)*2*time.Second), 0)
	}
	if p.limit != minPace {
		t.Errorf("limit after many 429s = %v, want the floor %v", p.limit, minPace)
	}
}

// TestLaneWrites: one write at a time per account; reads are not held up.
func TestLaneWrites(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := NewLimits()
		ln := l.account("|")
		if l.account("|") != ln || l.account("dbmid:x|") == ln {
			t.Fatal("lanes are per account")
		}
		release, err := ln.begin(t.Context(), true)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := ln.begin(t.Context(), false); err != nil {
			t.Fatalf("a read waits for a write: %v", err)
		} else {
			r()
		}
		second := make(chan error, 1)
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			r, err := ln.begin(ctx, true)
			if err == nil {
				r()
			}
			second <- err
		}()
		synctest.Wait()
		select {
		case err := <-second:
			t.Fatalf("a second write started while the first was in flight (err %v)", err)
		default:
		}
		cancel()
		if err := <-second; !errors.Is(err, context.Canceled) {
			t.Fatalf("a cancelled wait for the write = %v, want context.Canceled", err)
		}
		release()
		r, err := ln.begin(t.Context(), true)
		if err != nil {
			t.Fatalf("write after release: %v", err)
		}
		r()
	})
}

func TestBackgroundContext(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	if IsBackground(ctx) || classOf(ctx) != interactive {
		t.Error("an unmarked context is background")
	}
	bg := WithBackground(ctx)
	if !IsBackground(bg) || classOf(bg) != background {
		t.Error("WithBackground does not mark the context")
	}
	if !IsBackground(context.WithoutCancel(bg)) {
		t.Error("the mark is lost by a derived context")
	}
}

func TestTurns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		passedOver int
		waiting    [classes]int
		want       class
		after      int
	}{
		{"only interactive", 0, [classes]int{3, 0}, interactive, 0},
		{"only interactive resets the count", 2, [classes]int{1, 0}, interactive, 0},
		{"only background", 0, [classes]int{0, 2}, background, 0},
		{"interactive first", 0, [classes]int{1, 1}, interactive, 1},
		{"interactive again", 1, [classes]int{5, 1}, interactive, 2},
		{"background's share", backgroundShare - 1, [classes]int{5, 1}, background, 0},
		{"background when no interactive waits", 1, [classes]int{0, 4}, background, 0},
	}
	for _, tc := range tests {
		got, after := turns{passedOver: tc.passedOver}.next(tc.waiting)
		if got != tc.want || after.passedOver != tc.after {
			t.Errorf("%s: next = %v with %d passed over, want %v with %d", tc.name, got, after.passedOver, tc.want, tc.after)
		}
	}
}

// queue starts one goroutine per name, in order, each waiting for ts in
// the class its name starts with ("i" or "b"); each one that gets it
// appends its name to the order and releases it. Each goroutine is
// waiting before the next starts (the caller runs in a synctest bubble).
func queue(t *testing.T, ts *turnstile, names ...string) (order func() []string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for _, name := range names {
		c := interactive
		if strings.HasPrefix(name, "b") {
			c = background
		}
		wg.Go(func() {
			if err := ts.acquire(t.Context(), c); err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			mu.Lock()
			got = append(got, name)
			mu.Unlock()
			ts.release()
		})
		synctest.Wait()
	}
	return func() []string {
		wg.Wait()
		return got
	}
}

// TestTurnstileOrder: interactive calls go first; background work gets its
// share of turns when interactive calls keep coming.
func TestTurnstileOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		waiting []string
		want    []string
	}{
		{"interactive first", []string{"b1", "b2", "i1", "i2"}, []string{"i1", "i2", "b1", "b2"}},
		{"first come first served in a class", []string{"i1", "b1", "i2", "b2", "i3"}, []string{"i1", "i2", "i3", "b1", "b2"}},
		{"background gets one turn in four", []string{"b1", "b2", "i1", "i2", "i3", "i4", "i5", "i6", "i7"},
			[]string{"i1", "i2", "i3", "b1", "i4", "i5", "i6", "b2", "i7"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var ts turnstile
				if err := ts.acquire(t.Context(), background); err != nil {
					t.Fatal(err)
				}
				order := queue(t, &ts, tc.waiting...)
				ts.release()
				if diff := cmp.Diff(tc.want, order()); diff != "" {
					t.Errorf("order (-want +got):\n%s", diff)
				}
				if ts.held {
					t.Error("the turnstile is still held after every call released it")
				}
			})
		})
	}
}

// TestTurnstileCancel: a call that stops waiting leaves its place.
func TestTurnstileCancel(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var ts turnstile
		if err := ts.acquire(t.Context(), interactive); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		gaveUp := make(chan error)
		go func() { gaveUp <- ts.acquire(ctx, interactive) }()
		synctest.Wait()
		order := queue(t, &ts, "b1")
		cancel()
		if err := <-gaveUp; !errors.Is(err, context.Canceled) {
			t.Fatalf("acquire after cancel = %v", err)
		}
		ts.release()
		if diff := cmp.Diff([]string{"b1"}, order()); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		if len(ts.waiting[interactive]) != 0 || ts.held {
			t.Errorf("after all: waiting %v, held %v", ts.waiting, ts.held)
		}
	})
}

// TestLanePriority: after a 429, the calls waiting for the pace start
// interactive ones first, and so do writes waiting for the write in
// flight.
func TestLanePriority(t *testing.T) {
	t.Parallel()
	bg := func(ctx context.Context, name string) context.Context {
		if strings.HasPrefix(name, "b") {
			return WithBackground(ctx)
		}
		return ctx
	}
	// run starts the calls in order, each waiting before the next starts,
	// and returns a function that gives the order in which they started
	// (writes: the order in which they held the write).
	run := func(t *testing.T, ln *lane, write bool, names ...string) func() []string {
		var mu sync.Mutex
		var got []string
		var wg sync.WaitGroup
		for _, name := range names {
			wg.Go(func() {
				release, err := ln.begin(bg(t.Context(), name), write)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				mu.Lock()
				got = append(got, name)
				mu.Unlock()
				release()
			})
			synctest.Wait()
		}
		return func() []string {
			wg.Wait()
			return got
		}
	}

	t.Run("pace", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			ln := NewLimits().account("|")
			for range 40 {
				ln.pace = ln.pace.started(ln.now())
			}
			ln.observe(&RateLimitError{Reason: "too_many_requests", RetryAfter: 2 * time.Second})
			if ln.pace.limit == 0 {
				t.Fatal("no pace set after a 429")
			}
			start := time.Now()
			// b1 waits out the pause holding the start; the others queue.
			order := run(t, ln, false, "b1", "b2", "b3", "i1", "i2")
			if diff := cmp.Diff([]string{"b1", "i1", "i2", "b2", "b3"}, order()); diff != "" {
				t.Errorf("start order (-want +got):\n%s", diff)
			}
			if d := time.Since(start); d < 2*time.Second {
				t.Errorf("the calls were done %s after the 429 with Retry-After 2s", d)
			}
		})
	})
	t.Run("writes", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			ln := NewLimits().account("|")
			release, err := ln.begin(WithBackground(t.Context()), true)
			if err != nil {
				t.Fatal(err)
			}
			order := run(t, ln, true, "b1", "i1", "b2", "i2")
			release()
			if diff := cmp.Diff([]string{"i1", "i2", "b1", "b2"}, order()); diff != "" {
				t.Errorf("write order (-want +got):\n%s", diff)
			}
		})
	})
}
