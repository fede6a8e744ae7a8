package httpapi

import (
	"crypto/sha256"
	"testing"
	"time"
)

// TestRateLimiterForgetsFullBuckets checks that buckets of keys gone
// quiet are dropped, so that many keys (wrong ones included) do not grow
// the limiter without bound, and that a bucket in use is kept.
func TestRateLimiterForgetsFullBuckets(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	l := NewRateLimiter(RateLimit{Rate: 1, Burst: 1})
	l.Now = func() time.Time { return now }
	for _, k := range []string{"a", "b", "c"} {
		if wait := l.take(sha256.Sum256([]byte(k))); wait != 0 {
			t.Fatalf("first request of %s waits %v", k, wait)
		}
	}
	if wait := l.take(sha256.Sum256([]byte("a"))); wait != time.Second {
		t.Fatalf("second request of a waits %v, want 1s", wait)
	}
	now = now.Add(sweepEvery)
	if wait := l.take(sha256.Sum256([]byte("a"))); wait != 0 {
		t.Fatalf("a, a minute later, waits %v", wait)
	}
	if len(l.buckets) != 1 {
		t.Errorf("%d buckets after the sweep, want 1 (a's, just used)", len(l.buckets))
	}
}
