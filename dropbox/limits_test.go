package dropbox

import (
	"context"
	"testing"
	"time"
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
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := ln.begin(ctx, true); err == nil {
		t.Fatal("a second write started while the first was in flight")
	}
	release()
	r, err := ln.begin(t.Context(), true)
	if err != nil {
		t.Fatalf("write after release: %v", err)
	}
	r()
}
