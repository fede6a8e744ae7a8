package dropbridge

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"time"
)

// IdempotencyRecord remembers a request sent with an Idempotency-Key and its
// response, so that a repeat returns the first result. Records are keyed by
// environment, key, method and path.
type IdempotencyRecord struct {
	EnvironmentID string
	Key           string
	Method        string
	Path          string
	// Fingerprint identifies the request's content (a hash of its body and
	// significant headers); a repeat must have the same one.
	Fingerprint []byte
	// StatusCode is the response's status, 0 while the first request runs.
	StatusCode int
	// Body is the response's body. Stores seal it with the keyring, bound
	// to this record, since answers may carry secrets (links, sessions).
	Body      []byte
	CreatedAt time.Time
	// ExpiresAt is when the record stops counting and may be swept.
	ExpiresAt time.Time
}

// Done reports whether the record holds a response to replay.
func (r *IdempotencyRecord) Done() bool { return r.StatusCode != 0 }

// Validate returns an EINVALID error unless the record has an environment, a
// key of 1 to 255 printable ASCII characters, a method, a path, a
// fingerprint and an expiry.
func (r *IdempotencyRecord) Validate() error {
	switch {
	case r.EnvironmentID == "":
		return Errorf(EINVALID, "An idempotency record needs an environment.")
	case len(r.Key) > 255 || !isToken(r.Key):
		return Errorf(EINVALID, "The Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.")
	case r.Method == "" || r.Path == "":
		return Errorf(EINVALID, "An idempotency record needs the request's method and path.")
	case len(r.Fingerprint) == 0:
		return Errorf(EINVALID, "An idempotency record needs the request's fingerprint.")
	case r.ExpiresAt.IsZero():
		return Errorf(EINVALID, "An idempotency record needs an expiry time.")
	case r.StatusCode < 0 || r.StatusCode > 999:
		return Errorf(EINVALID, "Status code %d is not an HTTP status.", r.StatusCode)
	}
	return nil
}

// IdempotencyStore keeps idempotency records. Methods are safe for
// concurrent use.
type IdempotencyStore interface {
	// ClaimIdempotencyKey starts an idempotent request. With no live record
	// for rec's environment, key, method and path, it stores rec as running
	// (StatusCode 0) and returns it: the caller runs the request and then
	// calls SaveIdempotentResponse or ReleaseIdempotencyKey. With a finished
	// record of the same fingerprint, it returns that record: the caller
	// replays its response. A record with another fingerprint, or one still
	// running, is ECONFLICT. Expired records count as absent.
	ClaimIdempotencyKey(ctx context.Context, rec *IdempotencyRecord) (*IdempotencyRecord, error)
	// SaveIdempotentResponse stores rec.StatusCode (not 0) and rec.Body in
	// the running record that rec claimed. A record that is gone, finished,
	// or has another fingerprint is ENOTFOUND.
	SaveIdempotentResponse(ctx context.Context, rec *IdempotencyRecord) error
	// ReleaseIdempotencyKey deletes the running record that rec claimed, so
	// that a retry runs the request afresh (for failures that must not be
	// replayed). Releasing a record that is gone or finished does nothing.
	ReleaseIdempotencyKey(ctx context.Context, rec *IdempotencyRecord) error
	// DeleteExpiredIdempotencyRecords deletes records whose ExpiresAt has
	// passed and returns how many.
	DeleteExpiredIdempotencyRecords(ctx context.Context) (int64, error)
}

// CheckIdempotencyRepeat decides what a repeat of a live record means: nil
// to replay stored, or ECONFLICT when repeat has another fingerprint or the
// first request still runs. Stores call it in ClaimIdempotencyKey.
func CheckIdempotencyRepeat(stored, repeat *IdempotencyRecord) error {
	if !bytes.Equal(stored.Fingerprint, repeat.Fingerprint) {
		return Errorf(ECONFLICT, "The Idempotency-Key %q was already used for a different request: use a new key for a new request.", repeat.Key)
	}
	if !stored.Done() {
		return Errorf(ECONFLICT, "A request with the Idempotency-Key %q is still running: retry later.", repeat.Key)
	}
	return nil
}

// SealID names the record in the associated data that binds its sealed
// answer to it. Environment ids, keys and methods hold no spaces, and the
// path comes last, so the parts cannot run into each other.
func (r *IdempotencyRecord) SealID() string {
	return strings.Join([]string{r.EnvironmentID, r.Key, r.Method, hex.EncodeToString(r.Fingerprint), r.Path}, " ")
}
