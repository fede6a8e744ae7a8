package webhooks

import (
	"math"
	"time"
)

// RetryPolicy is when failed deliveries are tried again: exponential
// backoff with jitter, for at least Window, then the delivery is parked in
// the dead-letter list.
type RetryPolicy struct {
	// First is the delay after the first failure.
	First time.Duration
	// Factor multiplies the delay after each further failure.
	Factor float64
	// Max caps the delay.
	Max time.Duration
	// Jitter spreads each delay by up to this fraction either way, so that
	// the retries of many deliveries that failed together do not come
	// together (0.2: from 80% to 120%).
	Jitter float64
	// Window is how long after the first attempt retries go on: a delivery
	// is dead only once an attempt this long after the first has failed.
	Window time.Duration
}

// DefaultRetryPolicy retries after about 5 s, 15 s, 45 s, 2 min, 7 min,
// 20 min, 1 h, 3 h, then every 4 h, until 24 h have passed since the
// first attempt: 13 to 16 attempts over 24 to 27 hours, as the jitter
// falls.
var DefaultRetryPolicy = RetryPolicy{First: 5 * time.Second, Factor: 3, Max: 4 * time.Hour, Jitter: 0.2, Window: 24 * time.Hour}

// Next returns how long to wait before the next attempt of a delivery that
// has failed failures times (1 or more), the last of them elapsed after the
// first attempt, and true; or false when the delivery is dead. random, in
// [0, 1), picks the jitter: 0.5 is none. Values of random outside [0, 1)
// are clamped into it.
func (p RetryPolicy) Next(failures int, elapsed time.Duration, random float64) (time.Duration, bool) {
	if elapsed >= p.Window {
		return 0, false
	}
	d := float64(p.First) * math.Pow(p.Factor, float64(max(failures, 1)-1))
	d = min(d, float64(p.Max))
	random = min(max(random, 0), 1)
	d *= 1 + p.Jitter*(2*random-1)
	return time.Duration(d), true
}
