package dropbox

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits keeps a Client within Dropbox's limits for the accounts it acts
// for: it paces calls, slowing down when Dropbox answers 429
// too_many_requests and speeding up again after, and it lets one write at
// a time into each account's namespace, so that the client never causes
// 429 too_many_write_operations itself. When calls of an account wait (for
// the pace, or for the write in flight), interactive calls go ahead of
// background work (WithBackground), which still gets one turn in four. A
// Client and its copies (AsMember, WithRoot, ...) share one Limits; other
// Clients of the same token may share it too through WithLimits. It is
// safe for concurrent use.
type Limits struct {
	mu    sync.Mutex
	lanes map[string]*lane // by selected member
}

// NewLimits returns Limits with no pace set: calls go as fast as they come
// until Dropbox says otherwise.
func NewLimits() *Limits { return &Limits{lanes: map[string]*lane{}} }

// account returns the lane of one account (a selected member, or the
// token's own account for key "|").
func (l *Limits) account(key string) *lane {
	l.mu.Lock()
	defer l.mu.Unlock()
	ln := l.lanes[key]
	if ln == nil {
		ln = &lane{lim: rate.NewLimiter(rate.Inf, 1), now: time.Now}
		l.lanes[key] = ln
	}
	return ln
}

// lane paces the calls of one account and serialises its writes. Two
// turnstiles order the calls that wait, interactive ones first: write,
// held by the write in flight, and start, held by the call next to start
// while it waits for the pace (so that calls start in the turnstile's
// order).
type lane struct {
	lim   *rate.Limiter
	write turnstile
	start turnstile
	now   func() time.Time

	mu   sync.Mutex
	pace pace
}

// begin waits until a call may start, and for a write until no other write
// of the account is in flight; the class of the call comes from ctx
// (WithBackground). The caller calls release when the attempt is over.
func (ln *lane) begin(ctx context.Context, write bool) (release func(), err error) {
	c := classOf(ctx)
	release = func() {}
	if write {
		if err := ln.write.acquire(ctx, c); err != nil {
			return nil, err
		}
		release = ln.write.release
	}
	if err := ln.start.acquire(ctx, c); err != nil {
		release()
		return nil, err
	}
	err = ln.awaitPace(ctx)
	if err == nil {
		ln.mu.Lock()
		ln.pace = ln.pace.started(ln.now())
		ln.mu.Unlock()
	}
	ln.start.release()
	if err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// awaitPace waits until the pace lets the next call start: the pause after
// a 429 is over and the rate limit has a token for it. Only the holder of
// the start turnstile calls it.
func (ln *lane) awaitPace(ctx context.Context) error {
	if err := ln.awaitPause(ctx); err != nil {
		return err
	}
	if err := ln.lim.Wait(ctx); err != nil {
		return err
	}
	// A 429 may have come meanwhile.
	return ln.awaitPause(ctx)
}

// awaitPause waits until no pause after a 429 holds calls back.
func (ln *lane) awaitPause(ctx context.Context) error {
	for {
		ln.mu.Lock()
		wait := ln.pace.pausedTo.Sub(ln.now())
		ln.mu.Unlock()
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// observe adjusts the pace to how an attempt ended.
func (ln *lane) observe(err error) {
	var rl *RateLimitError
	ln.mu.Lock()
	defer ln.mu.Unlock()
	now := ln.now()
	switch {
	case err == nil:
		ln.pace = ln.pace.succeeded(now)
	case errors.As(err, &rl) && rl.Reason == "too_many_requests":
		ln.pace = ln.pace.limited(now, rl.RetryAfter)
	default:
		return
	}
	if ln.pace.limit == 0 {
		ln.lim.SetLimit(rate.Inf)
	} else {
		ln.lim.SetLimit(rate.Limit(ln.pace.limit))
	}
}

// Pacing constants.
const (
	minPace      = 0.5              // requests per second: the slowest pace
	recoverAfter = 10 * time.Second // quiet time after a 429 before speeding up
	raiseEvery   = 2 * time.Second  // time between two raises
	raiseFactor  = 1.5
	freeFactor   = 4 // a pace this many times the rate seen when limited is lifted
	// minRateToPace is the request rate below which a 429 sets no pace.
	minRateToPace = 4
)

// pace is the pacing state of an account. Its methods are pure: each
// returns the state after an event.
type pace struct {
	limit     float64   // requests per second allowed; 0: no limit
	seen      float64   // the request rate when the limit was set
	pausedTo  time.Time // no call starts before this (Retry-After)
	lastCut   time.Time
	lastRaise time.Time

	// The request rate: calls started in the current window, and the
	// rate of the window before.
	winStart time.Time
	winCount int
	prevRate float64
}

// started counts a call starting at now.
func (p pace) started(now time.Time) pace {
	if p.winStart.IsZero() {
		p.winStart = now
	}
	if d := now.Sub(p.winStart); d >= time.Second {
		p.prevRate = float64(p.winCount) / d.Seconds()
		p.winStart, p.winCount = now, 0
	}
	p.winCount++
	return p
}

// rate is the request rate of late, in calls per second.
func (p pace) rate(now time.Time) float64 {
	cur := float64(p.winCount)
	if d := now.Sub(p.winStart).Seconds(); d > 1 {
		cur /= d
	}
	return max(cur, p.prevRate)
}

// limited is the pace after a 429 too_many_requests at now: nobody starts
// before Retry-After, and the limit halves (from the rate seen, the first
// time), once per burst of 429s.
func (p pace) limited(now time.Time, retryAfter time.Duration) pace {
	if until := now.Add(retryAfter); until.After(p.pausedTo) {
		p.pausedTo = until
	}
	if !p.lastCut.IsZero() && now.Sub(p.lastCut) < time.Second {
		return p
	}
	base := p.limit
	if base == 0 {
		// The first 429: the rate that met it is the measure. A trickle
		// of calls did not cause it (other clients of the account did):
		// waiting out Retry-After is enough then.
		base = p.rate(now)
		if base < minRateToPace {
			return p
		}
		p.seen = base
	}
	p.limit = max(minPace, base/2)
	p.lastCut, p.lastRaise = now, now
	return p
}

// succeeded is the pace after a successful call at now: some time after
// the last 429 the limit rises step by step, and goes once it is well
// above the rate that met the first 429.
func (p pace) succeeded(now time.Time) pace {
	if p.limit == 0 || now.Sub(p.lastCut) < recoverAfter || now.Sub(p.lastRaise) < raiseEvery {
		return p
	}
	p.limit *= raiseFactor
	p.lastRaise = now
	if p.limit > freeFactor*max(p.seen, minPace) {
		p.limit, p.seen = 0, 0
	}
	return p
}
