package dropbridge

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"log/slog"
)

// Secret is a credential held in memory: an API key, an OAuth token, an app
// secret, a PKCE verifier. It prints, logs and marshals as "[redacted]" so it
// cannot leak through fmt, log/slog or encoding/json by accident; convert it
// with string(s) where the value itself is needed.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (Secret) GoString() string { return redacted }

// LogValue returns "[redacted]", for log/slog.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[redacted]", so encoding/json and friends never see
// the value.
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// secretEncoding writes random bytes as lowercase letters and digits, which
// survive URLs, headers and double-click selection.
var secretEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewSecret returns a new random secret of 32 bytes (256 bits) written in
// lowercase base32 after prefix, such as "dbk_" for API keys.
func NewSecret(prefix string) (Secret, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate secret: %w", err)
	}
	return Secret(prefix + secretEncoding.EncodeToString(b)), nil
}

// HashSecret returns the SHA-256 hash of s, which stores keep in place of
// secrets they must recognise but never show again (API keys, OAuth state).
// The secrets are random 256-bit values, so a fast unsalted hash is enough.
func HashSecret(s Secret) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
