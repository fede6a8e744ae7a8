package storetest

import (
	"bytes"
	"strings"
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

	testIdempotencySealed(t, f)
}

// saveAnswer claims rec's key and stores the answer body for it.
func saveAnswer(t *testing.T, f *fixture, s dropbridge.Store, rec *dropbridge.IdempotencyRecord, body string) *dropbridge.IdempotencyRecord {
	t.Helper()
	claim, err := s.ClaimIdempotencyKey(f.ctx, rec)
	noErr(t, err, "ClaimIdempotencyKey")
	claim.StatusCode, claim.Body = 201, []byte(body)
	noErr(t, s.SaveIdempotentResponse(f.ctx, claim), "SaveIdempotentResponse")
	return claim
}

// replayed claims rec's key again and returns the stored answer.
func replayed(t *testing.T, f *fixture, s dropbridge.Store, rec *dropbridge.IdempotencyRecord) string {
	t.Helper()
	got, err := s.ClaimIdempotencyKey(f.ctx, rec)
	noErr(t, err, "ClaimIdempotencyKey repeat")
	if !got.Done() {
		t.Fatalf("key %q: a repeat is not a replay", rec.Key)
	}
	return string(got.Body)
}

// testIdempotencySealed: stored answers may hold credentials (a temporary
// link, a connect session's URL), so they are sealed like other secrets,
// bound to their record, and re-sealed by ResealSecrets; answers stored
// in clear before they were sealed are still replayed, and sealed by
// ResealSecrets.
func testIdempotencySealed(t *testing.T, f *fixture) {
	env := f.env("sealed")
	expires := f.clock.Now().Add(24 * time.Hour)
	const link = `{"link":"https://dl.example.test/apitl/1/TEMPLINK-5e1f0c2d9b8a"}`
	linkRec := newRecord(env, "sealed-link", "link-request", expires)
	saveAnswer(t, f, f.s, linkRec, link)
	if raw := f.backend.Raw(t); bytes.Contains(raw, []byte("TEMPLINK-5e1f0c2d9b8a")) {
		t.Error("the raw database holds a stored answer in clear")
	}
	if got := replayed(t, f, f.s, newRecord(env, "sealed-link", "link-request", expires)); got != link {
		t.Errorf("replayed %q, want %q", got, link)
	}

	// A sealed answer copied to another record does not open there.
	saveAnswer(t, f, f.s, newRecord(env, "sealed-other", "other-request", expires), `{"n":2}`)
	f.backend.Exec(t, `UPDATE idempotency_records SET body = (SELECT body FROM idempotency_records WHERE idempotency_key = 'sealed-link')
		WHERE idempotency_key = 'sealed-other'`)
	_, err := f.s.ClaimIdempotencyKey(f.ctx, newRecord(env, "sealed-other", "other-request", expires))
	wantCode(t, err, dropbridge.EINTERNAL)
	_, err = f.s.ResealSecrets(f.ctx)
	wantCode(t, err, dropbridge.EINTERNAL)
	f.backend.Exec(t, `DELETE FROM idempotency_records WHERE idempotency_key = 'sealed-other'`)

	// An answer stored in clear, as before answers were sealed (its body
	// is its fingerprint's bytes here), is replayed as it is.
	saveAnswer(t, f, f.s, newRecord(env, "legacy", "legacy-answer", expires), "overwritten")
	f.backend.Exec(t, `UPDATE idempotency_records SET body = fingerprint, body_sealed = false WHERE idempotency_key = 'legacy'`)
	if got := replayed(t, f, f.s, newRecord(env, "legacy", "legacy-answer", expires)); got != "legacy-answer" {
		t.Errorf("replayed the answer in clear as %q, want legacy-answer", got)
	}

	// Rotation: with the new key in front, ResealSecrets seals both
	// answers with it (the one in clear too), and then the old key can go.
	both := f.open(keyring(t, key2, key1))
	n, err := both.ResealSecrets(f.ctx)
	noErr(t, err, "ResealSecrets")
	// The two answers above, and the two that testIdempotency stored
	// before (key-1 and key-2).
	if n != 4 {
		t.Errorf("ResealSecrets re-sealed %d values, want the 4 stored answers", n)
	}
	n, err = both.ResealSecrets(f.ctx)
	noErr(t, err, "ResealSecrets again")
	if n != 0 {
		t.Errorf("a second ResealSecrets re-sealed %d values, want 0", n)
	}
	newOnly := f.open(keyring(t, key2))
	if got := replayed(t, f, newOnly, newRecord(env, "sealed-link", "link-request", expires)); got != link {
		t.Errorf("with the new key only, replayed %q, want %q", got, link)
	}
	if got := replayed(t, f, newOnly, newRecord(env, "legacy", "legacy-answer", expires)); got != "legacy-answer" {
		t.Errorf("with the new key only, replayed the resealed answer as %q, want legacy-answer", got)
	}
	// The answer once in clear is now sealed with the new key: read as
	// if in clear, it is a sealed value of k2.
	f.backend.Exec(t, `UPDATE idempotency_records SET body_sealed = false WHERE idempotency_key = 'legacy'`)
	if got := replayed(t, f, newOnly, newRecord(env, "legacy", "legacy-answer", expires)); !strings.HasPrefix(got, "v1:k2:") {
		t.Errorf("after ResealSecrets the answer once in clear is stored as %q, want a value sealed with k2", got)
	}
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
