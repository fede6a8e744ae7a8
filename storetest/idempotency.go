package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
)

func newRecord(env *dropbridge.Environment, key string, fingerprint string, expiresAt time.Time) *dropbridge.IdempotencyRecord {
	return &dropbridge.IdempotencyRecord{
		EnvironmentID: env.ID,
		Key:           key,
		Method:        "POST",
		Path:          "/v1/connect-sessions",
		Fingerprint:   []byte(fingerprint),
		ExpiresAt:     expiresAt,
	}
}

func testIdempotency(t *testing.T, f *fixture) {
	env := f.env("production")
	expires := f.clock.Now().Add(24 * time.Hour)
	rec := newRecord(env, "key-1", "body-a", expires)

	claim, err := f.s.ClaimIdempotencyKey(f.ctx, rec)
	noErr(t, err, "ClaimIdempotencyKey")
	want := *rec
	want.CreatedAt = f.clock.Now()
	diff(t, "claim", &want, claim)
	if claim.Done() {
		t.Fatal("a new claim is done")
	}

	// While the first request runs, repeats are conflicts; so is a request
	// with another body.
	_, err = f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "key-1", "body-a", expires))
	wantCode(t, err, dropbridge.ECONFLICT)
	_, err = f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "key-1", "body-b", expires))
	wantCode(t, err, dropbridge.ECONFLICT)

	// The same key on another route, or in another environment, is another
	// record.
	other := newRecord(env, "key-1", "body-a", expires)
	other.Path = "/v1/apps"
	_, err = f.s.ClaimIdempotencyKey(f.ctx, other)
	noErr(t, err, "ClaimIdempotencyKey on another path")
	dev := f.env("development")
	_, err = f.s.ClaimIdempotencyKey(f.ctx, newRecord(dev, "key-1", "body-a", expires))
	noErr(t, err, "ClaimIdempotencyKey in another environment")

	// Once the response is saved, repeats replay it.
	claim.StatusCode, claim.Body = 201, []byte(`{"id":"cs_1"}`)
	noErr(t, f.s.SaveIdempotentResponse(f.ctx, claim), "SaveIdempotentResponse")
	f.clock.Advance(time.Hour)
	replay, err := f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "key-1", "body-a", expires))
	noErr(t, err, "ClaimIdempotencyKey repeat")
	diff(t, "replay", claim, replay)
	if !replay.Done() {
		t.Fatal("a replay is not done")
	}
	_, err = f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "key-1", "body-b", expires))
	wantCode(t, err, dropbridge.ECONFLICT)
	wantCode(t, f.s.SaveIdempotentResponse(f.ctx, claim), dropbridge.ENOTFOUND)
	noErr(t, f.s.ReleaseIdempotencyKey(f.ctx, claim), "ReleaseIdempotencyKey of a finished record")
	replay, err = f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "key-1", "body-a", expires))
	noErr(t, err, "ClaimIdempotencyKey repeat")
	diff(t, "replay after a release that did nothing", claim, replay)

	// A released claim lets the next request run afresh.
	rec2 := newRecord(env, "key-2", "body-a", expires)
	claim2, err := f.s.ClaimIdempotencyKey(f.ctx, rec2)
	noErr(t, err, "ClaimIdempotencyKey")
	noErr(t, f.s.ReleaseIdempotencyKey(f.ctx, claim2), "ReleaseIdempotencyKey")
	claim2, err = f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "key-2", "body-b", expires))
	noErr(t, err, "ClaimIdempotencyKey after release")
	if claim2.Done() {
		t.Fatal("a claim after release is done")
	}
	// An empty body is kept as empty.
	claim2.StatusCode = 204
	noErr(t, f.s.SaveIdempotentResponse(f.ctx, claim2), "SaveIdempotentResponse")
	replay, err = f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "key-2", "body-b", expires))
	noErr(t, err, "ClaimIdempotencyKey")
	diff(t, "replay of an empty body", claim2, replay)

	for _, mutate := range []func(*dropbridge.IdempotencyRecord){
		func(r *dropbridge.IdempotencyRecord) { r.Key = "" },
		func(r *dropbridge.IdempotencyRecord) { r.Key = "has space" },
		func(r *dropbridge.IdempotencyRecord) { r.Method = "" },
		func(r *dropbridge.IdempotencyRecord) { r.Fingerprint = nil },
		func(r *dropbridge.IdempotencyRecord) { r.ExpiresAt = time.Time{} },
		func(r *dropbridge.IdempotencyRecord) { r.ExpiresAt = f.clock.Now() },
	} {
		bad := newRecord(env, "key-3", "body", expires)
		mutate(bad)
		_, err := f.s.ClaimIdempotencyKey(f.ctx, bad)
		wantCode(t, err, dropbridge.EINVALID)
	}
	_, err = f.s.ClaimIdempotencyKey(f.ctx, &dropbridge.IdempotencyRecord{
		EnvironmentID: "env_missing", Key: "k", Method: "POST", Path: "/", Fingerprint: []byte("x"), ExpiresAt: expires,
	})
	wantCode(t, err, dropbridge.ENOTFOUND)
	unclaimed := newRecord(env, "key-4", "body", expires)
	unclaimed.StatusCode = 200
	wantCode(t, f.s.SaveIdempotentResponse(f.ctx, unclaimed), dropbridge.ENOTFOUND)
	unclaimed.StatusCode = 0
	wantCode(t, f.s.SaveIdempotentResponse(f.ctx, unclaimed), dropbridge.EINVALID)
}

func testIdempotencyExpiry(t *testing.T, f *fixture) {
	env := f.env("production")
	now := f.clock.Now()
	short := newRecord(env, "short", "a", now.Add(time.Hour))
	long := newRecord(env, "long", "a", now.Add(48*time.Hour))
	for _, r := range []*dropbridge.IdempotencyRecord{short, long} {
		c, err := f.s.ClaimIdempotencyKey(f.ctx, r)
		noErr(t, err, "ClaimIdempotencyKey")
		c.StatusCode = 200
		noErr(t, f.s.SaveIdempotentResponse(f.ctx, c), "SaveIdempotentResponse")
	}
	n, err := f.s.DeleteExpiredIdempotencyRecords(f.ctx)
	noErr(t, err, "DeleteExpiredIdempotencyRecords")
	if n != 0 {
		t.Fatalf("swept %d records before any expired", n)
	}

	// An expired record no longer counts, even before it is swept: the key
	// starts over, with any body.
	f.clock.Advance(time.Hour)
	fresh, err := f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "short", "b", f.clock.Now().Add(time.Hour)))
	noErr(t, err, "ClaimIdempotencyKey of an expired key")
	if fresh.Done() {
		t.Fatal("an expired record was replayed")
	}
	f.clock.Advance(time.Hour)
	n, err = f.s.DeleteExpiredIdempotencyRecords(f.ctx)
	noErr(t, err, "DeleteExpiredIdempotencyRecords")
	if n != 1 {
		t.Fatalf("swept %d records, want 1", n)
	}
	replay, err := f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "long", "a", f.clock.Now().Add(time.Hour)))
	noErr(t, err, "ClaimIdempotencyKey")
	if !replay.Done() {
		t.Fatal("the sweep removed a live record")
	}
}

// testIdempotencyRace races first requests with one key: exactly one claims
// it.
func testIdempotencyRace(t *testing.T, f *fixture) {
	env := f.env("production")
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "race", "a", f.clock.Now().Add(time.Hour)))
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch dropbridge.ErrorCode(err) {
		case "":
			wins++
		case dropbridge.ECONFLICT:
		default:
			t.Fatalf("ClaimIdempotencyKey: %v, want success or ECONFLICT", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent claims succeeded, want exactly 1", wins, n)
	}
}
