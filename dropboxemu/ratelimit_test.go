package dropboxemu_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/users"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

func TestRateLimitPerToken(t *testing.T) {
	t.Parallel()
	// A frozen wall clock: the bucket refills only when the test advances
	// the emulator's clock.
	frozen := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	emu, acct, cfg := newSDKAccount(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) {
		o.Now = func() time.Time { return frozen }
		o.RequestsPerSecond = 1
		o.Burst = 2
	}))
	var second struct {
		AccessToken string `json:"access_token"`
	}
	emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": acct.AccountID}, &second)
	call := func(token string) rawResult {
		t.Helper()
		return do(t, emu, rawCall{Route: "users/get_current_account", Token: token})
	}
	limited := func(r rawResult) int {
		t.Helper()
		if r.Status != 429 {
			t.Fatalf("status %d %s, want 429", r.Status, r.Body)
		}
		got := r.json(t)
		ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || ra < 1 {
			t.Fatalf("Retry-After = %q", r.Header.Get("Retry-After"))
		}
		want := map[string]any{"reason": map[string]any{".tag": "too_many_requests"}, "retry_after": float64(ra)}
		if diff := cmp.Diff(want, got["error"]); diff != "" {
			t.Errorf("429 error (-want +got):\n%s", diff)
		}
		return ra
	}

	for i := range 2 {
		if r := call(acct.AccessToken); r.Status != 200 {
			t.Fatalf("call %d within the burst: %d %s", i+1, r.Status, r.Body)
		}
	}
	first := limited(call(acct.AccessToken))
	if r := call(second.AccessToken); r.Status != 200 {
		t.Errorf("another token of the same account: %d, want its own bucket", r.Status)
	}
	// Refused calls count against the limit: hammering pushes Retry-After out.
	again := limited(call(acct.AccessToken))
	if again <= first {
		t.Errorf("Retry-After after a second refused call = %d, want more than %d", again, first)
	}
	_, err := users.New(cfg).GetCurrentAccount()
	var rl auth.RateLimitAPIError
	if !errors.As(err, &rl) || rl.RateLimitError.Reason.Tag != auth.RateLimitReasonTooManyRequests || rl.RateLimitError.RetryAfter < uint64(again) {
		t.Errorf("SDK: %v, want RateLimitError too_many_requests", err)
	}
	last := limited(call(acct.AccessToken))

	// Waiting as told is enough.
	emu.Advance(t, time.Duration(last)*time.Second)
	if r := call(acct.AccessToken); r.Status != 200 {
		t.Errorf("after waiting Retry-After (%ds): %d %s", last, r.Status, r.Body)
	}
}

func TestRateLimitOffByDefault(t *testing.T) {
	t.Parallel()
	emu, acct, _ := newSDKAccount(t)
	for i := range 50 {
		if r := do(t, emu, rawCall{Route: "users/get_current_account", Token: acct.AccessToken}); r.Status != 200 {
			t.Fatalf("call %d: %d", i+1, r.Status)
		}
	}
}
