package dropboxemu

import (
	"sync"
	"time"
)

// clock is the emulator's notion of time: the wall clock (or Options.Now)
// plus an offset that the admin API can advance. Waiters (long-polls) are
// woken whenever the clock jumps.
type clock struct {
	now func() time.Time

	mu     sync.Mutex
	offset time.Duration
	jumped chan struct{} // closed and replaced on every Advance
}

func newClock(now func() time.Time) *clock {
	if now == nil {
		now = time.Now
	}
	return &clock{now: now, jumped: make(chan struct{})}
}

// Now returns the emulator's current time in UTC, at full precision: token
// buckets and expiries need it; dropboxTime truncates what clients see to
// the second, as Dropbox timestamps are.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	off := c.offset
	c.mu.Unlock()
	return c.now().Add(off).UTC()
}

// Advance moves the clock forward by d and wakes every waiter.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	close(c.jumped)
	c.jumped = make(chan struct{})
	c.mu.Unlock()
}

// Offset returns how far the clock has been advanced.
func (c *clock) Offset() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset
}

// setOffset restores an offset saved before a restart.
func (c *clock) setOffset(d time.Duration) {
	c.mu.Lock()
	c.offset = d
	c.mu.Unlock()
}

// Jumped returns a channel that is closed the next time the clock is advanced.
func (c *clock) Jumped() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.jumped
}

// dropboxTime formats t as a Dropbox timestamp ("2015-05-12T15:50:38Z").
func dropboxTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}
