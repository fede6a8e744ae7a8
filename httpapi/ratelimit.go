package httpapi

import (
	"crypto/sha256"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/dropbridge/dropbridge"
)

// RateLimit is the inbound rate limit of each API key: a token bucket
// that refills at Rate requests a second and holds Burst.
type RateLimit struct {
	// Rate is the sustained number of requests a second one key may
	// make; 0 or less means no limit.
	Rate float64
	// Burst is how many requests one key may make at once; 0 means Rate
	// rounded up, and at least one.
	Burst int
}

// Default inbound rate limit of each API key.
const (
	DefaultRate  = 50
	DefaultBurst = 100
)

// RateLimiter limits the requests of each API key to a RateLimit,
// answering those above it with 429 and Retry-After. Requests without an
// API key (health checks, the OAuth callback, /metrics) pass unlimited; a
// wrong key is limited as a right one is, and then refused by
// authentication. The buckets are per process: behind a load balancer,
// each instance allows the full rate. It is safe for concurrent use.
type RateLimiter struct {
	// Now returns the current time; nil means time.Now. Set it before
	// first use.
	Now func() time.Time

	limit rate.Limit
	burst int

	mu        sync.Mutex
	buckets   map[[sha256.Size]byte]*rate.Limiter // by hash of the key: no secret kept
	lastSweep time.Time
}

// sweepEvery is how often the limiter forgets buckets that are full, and
// so no different from new ones.
const sweepEvery = time.Minute

// NewRateLimiter returns a RateLimiter that enforces l.
func NewRateLimiter(l RateLimit) *RateLimiter {
	burst := l.Burst
	if burst <= 0 {
		burst = max(1, int(math.Ceil(l.Rate)))
	}
	lim := rate.Limit(l.Rate)
	if l.Rate <= 0 {
		lim = rate.Inf
	}
	return &RateLimiter{limit: lim, burst: burst, buckets: map[[sha256.Size]byte]*rate.Limiter{}}
}

func (l *RateLimiter) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Handler returns next behind the limit.
func (l *RateLimiter) Handler(next http.Handler) http.Handler {
	if l.limit == rate.Inf {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, secret, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		secret = strings.TrimSpace(secret)
		if !strings.EqualFold(scheme, "Bearer") || secret == "" {
			next.ServeHTTP(w, r)
			return
		}
		if wait := l.take(sha256.Sum256([]byte(secret))); wait > 0 {
			seconds := max(1, int(math.Ceil(wait.Seconds())))
			unit := " seconds"
			if seconds == 1 {
				unit = " second"
			}
			p := newProblem(dropbridge.ERATELIMITED, "This API key has made more requests than its limit allows: retry in "+
				strconv.Itoa(seconds)+unit+", and spread requests out.")
			p.GetHeaders().Set("Retry-After", strconv.Itoa(seconds))
			writeProblemHTTP(w, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// take takes a token from the key's bucket and returns zero, or, when the
// bucket is empty, takes none and returns how long until it holds one.
func (l *RateLimiter) take(key [sha256.Size]byte) time.Duration {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		for k, b := range l.buckets {
			if b.TokensAt(now) >= float64(l.burst) {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[key] = b
	}
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}
