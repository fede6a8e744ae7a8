package webhooks_test

import (
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/webhooks"
)

func TestRetryPolicyNext(t *testing.T) {
	t.Parallel()
	p := webhooks.DefaultRetryPolicy
	tests := []struct {
		failures int
		elapsed  time.Duration
		random   float64
		want     time.Duration
		ok       bool
	}{
		{1, 0, 0.5, 5 * time.Second, true},
		{2, 5 * time.Second, 0.5, 15 * time.Second, true},
		{3, 20 * time.Second, 0.5, 45 * time.Second, true},
		{7, time.Hour, 0.5, 3645 * time.Second, true}, // 5 s * 3^6
		{8, 2 * time.Hour, 0.5, 3 * 3645 * time.Second, true},
		{9, 5 * time.Hour, 0.5, 4 * time.Hour, true}, // capped
		{100, 20 * time.Hour, 0.5, 4 * time.Hour, true},
		{1, 0, 0, 4 * time.Second, true},         // -20%
		{1, 0, 0.9999999, 6 * time.Second, true}, // nearly +20%
		{1, 0, -3, 4 * time.Second, true},        // clamped
		{1, 0, 7, 6 * time.Second, true},
		{0, 0, 0.5, 5 * time.Second, true}, // as if one failure
		{12, 24*time.Hour - time.Second, 0.5, 4 * time.Hour, true},
		{13, 24 * time.Hour, 0.5, 0, false}, // dead
		{13, 30 * time.Hour, 0.5, 0, false},
	}
	for _, tt := range tests {
		got, ok := p.Next(tt.failures, tt.elapsed, tt.random)
		if ok != tt.ok || (got-tt.want).Abs() > time.Millisecond {
			t.Errorf("Next(%d, %v, %v) = %v, %v; want %v, %v", tt.failures, tt.elapsed, tt.random, got, ok, tt.want, tt.ok)
		}
	}
}

// TestRetryPolicyWindow follows whole schedules: with any jitter, attempts
// go on for at least 24 hours, and not for ever.
func TestRetryPolicyWindow(t *testing.T) {
	t.Parallel()
	for _, random := range []float64{0, 0.25, 0.5, 0.99} {
		p := webhooks.DefaultRetryPolicy
		var elapsed time.Duration
		attempts := 1
		for failures := 1; ; failures++ {
			d, ok := p.Next(failures, elapsed, random)
			if !ok {
				break
			}
			elapsed += d
			attempts++
			if attempts > 50 {
				t.Fatalf("random %v: more than 50 attempts", random)
			}
		}
		if elapsed < 24*time.Hour {
			t.Errorf("random %v: dead after %v, before 24 h", random, elapsed)
		}
		if elapsed > 29*time.Hour || attempts < 10 || attempts > 16 {
			t.Errorf("random %v: %d attempts over %v", random, attempts, elapsed)
		}
	}
}
