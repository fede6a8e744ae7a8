package dropbox

import (
	"context"
	"errors"
	"time"
)

// RetryPolicy says how the client retries a failed call: exponential backoff
// with full jitter, at least as long as Dropbox's Retry-After, within a
// number of attempts and a total time budget. The zero value uses the
// defaults.
type RetryPolicy struct {
	MaxAttempts int           // attempts in all, the first included; 0 means 6
	BaseDelay   time.Duration // backoff before the second attempt; 0 means 500 ms
	MaxDelay    time.Duration // longest backoff; 0 means 30 s
	Budget      time.Duration // longest time for all attempts and waits; 0 means 2 min
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 6
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.Budget <= 0 {
		p.Budget = 2 * time.Minute
	}
	return p
}

// next decides, after attempt number attempt (1 for the first) failed with
// err, elapsed after the first attempt began, whether to try again and
// after how long. replayable says whether repeating the request cannot do
// harm (a read, or an upload whose bytes can be sent again): only those are
// retried after a server error or a broken connection, since the first try
// may have taken effect. A 429 is always retried: Dropbox did nothing.
// jitter is a random number in [0, 1). It is a pure function.
func (p RetryPolicy) next(attempt int, err error, replayable bool, elapsed time.Duration, jitter float64) (time.Duration, bool) {
	p = p.withDefaults()
	if attempt >= p.MaxAttempts || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0, false
	}
	var floor time.Duration
	var rl *RateLimitError
	var se *ServerError
	switch {
	case errors.As(err, &rl):
		floor = rl.RetryAfter
	case errors.As(err, &se):
		if !replayable || se.Status < 500 {
			return 0, false
		}
		floor = se.RetryAfter
	case isDropboxAnswer(err):
		return 0, false // Dropbox answered: repeating gets the same answer
	default: // the network: no answer came
		if !replayable {
			return 0, false
		}
	}
	backoff := p.BaseDelay << min(attempt-1, 30)
	if backoff <= 0 || backoff > p.MaxDelay {
		backoff = p.MaxDelay
	}
	wait := time.Duration(jitter * float64(backoff))
	if wait < floor {
		wait = floor
	}
	if elapsed+wait > p.Budget {
		return 0, false
	}
	return wait, true
}

// isDropboxAnswer reports whether err is an answer from Dropbox that a
// repeat would not change.
func isDropboxAnswer(err error) bool {
	var (
		ae *APIError
		au *AuthError
		ac *AccessError
		pr *PathRootError
		bi *BadInputError
	)
	return errors.As(err, &ae) || errors.As(err, &au) || errors.As(err, &ac) || errors.As(err, &pr) || errors.As(err, &bi)
}
