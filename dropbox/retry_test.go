package dropbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 8 * time.Second, Budget: time.Minute}
	lock := &RateLimitError{Reason: "too_many_write_operations", RetryAfter: 3 * time.Second}
	rate := &RateLimitError{Reason: "too_many_requests"}
	unavailable := &ServerError{Status: 503}
	busy := &ServerError{Status: 503, RetryAfter: 20 * time.Second}
	netErr := fmt.Errorf("post: %w", io.ErrUnexpectedEOF)
	for _, tc := range []struct {
		name       string
		attempt    int
		err        error
		replayable bool
		elapsed    time.Duration
		jitter     float64
		wait       time.Duration
		retry      bool
	}{
		{"429 waits Retry-After at least", 1, lock, false, 0, 0.1, 3 * time.Second, true},
		{"429 jitter above Retry-After", 3, lock, false, 0, 0.9, time.Duration(0.9 * float64(4*time.Second)), true},
		{"429 without Retry-After backs off", 2, rate, false, 0, 0.5, time.Second, true},
		{"backoff is capped", 5 - 1, rate, true, 0, 0.99, time.Duration(0.99 * float64(8*time.Second)), true},
		{"5xx of a read", 1, unavailable, true, 0, 0.5, 500 * time.Millisecond, true},
		{"5xx of a write that cannot be replayed", 1, unavailable, false, 0, 0.5, 0, false},
		{"5xx Retry-After honoured", 1, busy, true, 0, 0.5, 20 * time.Second, true},
		{"network error of a read", 2, netErr, true, 0, 0.25, 500 * time.Millisecond, true},
		{"network error of a write", 2, netErr, false, 0, 0.25, 0, false},
		{"attempts used up", 5, rate, true, 0, 0.5, 0, false},
		{"budget used up", 2, busy, true, 45 * time.Second, 0.5, 0, false},
		{"409 is an answer", 1, &APIError{Tags: []string{"path", "not_found"}}, true, 0, 0.5, 0, false},
		{"401 is an answer", 1, &AuthError{Tag: "invalid_access_token"}, true, 0, 0.5, 0, false},
		{"400 is an answer", 1, &BadInputError{Message: "x"}, true, 0, 0.5, 0, false},
		{"cancelled", 1, context.Canceled, true, 0, 0.5, 0, false},
		{"deadline", 1, fmt.Errorf("x: %w", context.DeadlineExceeded), true, 0, 0.5, 0, false},
	} {
		wait, retry := p.next(tc.attempt, tc.err, tc.replayable, tc.elapsed, tc.jitter)
		if wait != tc.wait || retry != tc.retry {
			t.Errorf("%s: next = %v, %v; want %v, %v", tc.name, wait, retry, tc.wait, tc.retry)
		}
	}
	// The zero policy has the documented defaults.
	if w, ok := (RetryPolicy{}).next(1, rate, true, 0, 0.999999); !ok || w > 500*time.Millisecond || w < 499*time.Millisecond {
		t.Errorf("zero policy: %v %v", w, ok)
	}
	if _, ok := (RetryPolicy{}).next(6, rate, true, 0, 0.5); ok {
		t.Error("zero policy retries a sixth failure")
	}
	if !errors.Is(fmt.Errorf("w: %w", lock), ErrTooManyWriteOps) {
		t.Error("wrapped write-lock error")
	}
}
