// Package webhooks signs and checks webhook requests: outbound deliveries
// signed per the Standard Webhooks scheme (https://www.standardwebhooks.com),
// with their verification for receivers and tests; Dropbox's inbound
// notifications (X-Dropbox-Signature and the registration challenge,
// https://www.dropbox.com/developers/reference/webhooks); and the retry
// schedule of failed deliveries. Everything here is pure or a plain
// http.HandlerFunc, and safe for concurrent use.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dropbridge/dropbridge"
)

// Header names of the Standard Webhooks scheme.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every endpoint secret: "whsec_" and the key in
// standard base64.
const SecretPrefix = "whsec_"

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock, either way, before Verify refuses it as a replay.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify and ParseSecret; Verify wraps them.
var (
	// ErrInvalidSecret: a secret is not "whsec_" and 24 to 64 bytes in
	// base64.
	ErrInvalidSecret = errors.New("webhooks: the secret is not whsec_ and 24 to 64 bytes in base64")
	// ErrMissingHeaders: webhook-id, webhook-timestamp or webhook-signature
	// is missing or malformed.
	ErrMissingHeaders = errors.New("webhooks: missing or malformed webhook headers")
	// ErrTimestamp: the timestamp is outside the tolerance (a replay, or a
	// clock far off).
	ErrTimestamp = errors.New("webhooks: the timestamp is outside the tolerance")
	// ErrSignature: no v1 signature matches any of the secrets.
	ErrSignature = errors.New("webhooks: no signature matches")
)

// NewSecret returns a new endpoint secret: "whsec_" and 32 random bytes in
// base64.
func NewSecret() (dropbridge.Secret, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate webhook secret: %w", err)
	}
	return dropbridge.Secret(SecretPrefix + base64.StdEncoding.EncodeToString(b)), nil
}

// ParseSecret returns the HMAC key of an endpoint secret, or an error
// wrapping ErrInvalidSecret.
func ParseSecret(s dropbridge.Secret) ([]byte, error) {
	enc, ok := strings.CutPrefix(string(s), SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("parse secret: no %q prefix: %w", SecretPrefix, ErrInvalidSecret)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("parse secret: %w", ErrInvalidSecret)
	}
	return key, nil
}

// Sign returns the signature of a delivery: "v1," and the base64 HMAC-SHA256,
// keyed with the secret's key, of "<id>.<unix seconds>.<body>".
func Sign(secret dropbridge.Secret, id string, at time.Time, body []byte) (string, error) {
	key, err := ParseSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, at.Unix(), body)), nil
}

// SetHeaders sets the webhook-id, webhook-timestamp and webhook-signature
// headers of a delivery of body, with id (the event's ID, the same on every
// attempt) at time at. With several secrets (during a rotation) the
// signature header holds one signature per secret.
func SetHeaders(h http.Header, secrets []dropbridge.Secret, id string, at time.Time, body []byte) error {
	if len(secrets) == 0 {
		return fmt.Errorf("sign webhook: no secret: %w", ErrInvalidSecret)
	}
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sig, err := Sign(s, id, at, body)
		if err != nil {
			return fmt.Errorf("sign webhook: %w", err)
		}
		sigs = append(sigs, sig)
	}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	return nil
}

// Verify checks a delivery as a receiver does: the headers are there, the
// timestamp is within tolerance of now, and one of the space-separated v1
// signatures matches one of secrets (compared in constant time). Other
// signature versions are ignored. The error wraps ErrMissingHeaders,
// ErrTimestamp, ErrSignature or ErrInvalidSecret.
func Verify(h http.Header, body []byte, secrets []dropbridge.Secret, now time.Time, tolerance time.Duration) error {
	id, tsText, sigText := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if id == "" || sigText == "" || err != nil {
		return fmt.Errorf("verify webhook: %w", ErrMissingHeaders)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("verify webhook: timestamp %d is %v from now: %w", ts, d.Round(time.Second), ErrTimestamp)
	}
	var sigs [][]byte
	for _, f := range strings.Fields(sigText) {
		version, enc, ok := strings.Cut(f, ",")
		if !ok || version != "v1" {
			continue
		}
		if sig, err := base64.StdEncoding.DecodeString(enc); err == nil {
			sigs = append(sigs, sig)
		}
	}
	for _, s := range secrets {
		key, err := ParseSecret(s)
		if err != nil {
			return fmt.Errorf("verify webhook: %w", err)
		}
		want := mac(key, id, ts, body)
		for _, sig := range sigs {
			if hmac.Equal(sig, want) {
				return nil
			}
		}
	}
	return fmt.Errorf("verify webhook: %w", ErrSignature)
}

// mac returns the HMAC-SHA256 of "<id>.<ts>.<body>" keyed with key.
func mac(key []byte, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}
