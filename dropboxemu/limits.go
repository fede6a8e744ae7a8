package dropboxemu

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter enforces the per-token request rate and the per-namespace write
// lock that Dropbox reports as too_many_requests and too_many_write_operations.
type limiter struct {
	rps        float64
	burst      int
	writeLimit int

	mu     sync.Mutex
	tokens map[string]*rate.Limiter
	writes map[string]int // namespace id -> write operations in flight
}

func newLimiter(rps float64, burst, writeLimit int) *limiter {
	return &limiter{rps: rps, burst: burst, writeLimit: writeLimit,
		tokens: map[string]*rate.Limiter{}, writes: map[string]int{}}
}

// allowToken takes one request from tok's bucket, or answers 429.
func (l *limiter) allowToken(tok string, now time.Time) *apiError {
	if l.rps <= 0 {
		return nil
	}
	l.mu.Lock()
	lim := l.tokens[tok]
	if lim == nil {
		lim = rate.NewLimiter(rate.Limit(l.rps), l.burst)
		l.tokens[tok] = lim
	}
	l.mu.Unlock()
	// As on Dropbox, a refused call still counts against the limit: it
	// keeps its reservation, so hammering pushes the next free slot further
	// out. Retry-After names the time when one more token will be there, so
	// a client that waits as told gets through.
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return rateLimited("too_many_requests", 1)
	}
	if d := r.DelayFrom(now); d > 0 {
		wait := d + time.Duration(float64(time.Second)/l.rps)
		return rateLimited("too_many_requests", max(1, int(math.Ceil(wait.Seconds()))))
	}
	return nil
}

// beginWrite takes a write slot in namespace ns; the caller must call the
// returned release. When the namespace is busy it answers 429
// too_many_write_operations, as Dropbox does under lock contention.
func (l *limiter) beginWrite(ns string) (release func(), err *apiError) {
	if l.writeLimit < 0 {
		return func() {}, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.writes[ns] >= l.writeLimit {
		return nil, rateLimited("too_many_write_operations", 1)
	}
	l.writes[ns]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.writes[ns]--
			if l.writes[ns] == 0 {
				delete(l.writes, ns)
			}
			l.mu.Unlock()
		})
	}, nil
}
