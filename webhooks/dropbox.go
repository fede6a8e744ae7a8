package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"

	"github.com/dropbridge/dropbridge"
)

// DropboxSignatureHeader carries Dropbox's signature of a notification.
const DropboxSignatureHeader = "X-Dropbox-Signature"

// maxChallenge is the longest challenge DropboxChallenge answers.
const maxChallenge = 1024

// MatchDropboxSignature returns the index of the app secret among secrets
// whose HMAC-SHA256 of body is signature (lowercase or uppercase hex), and
// true; or -1 and false when none is, or signature is not hex. Each
// comparison takes constant time. Dropbox signs with the secret of the app
// the webhook is registered for, so the index says which app it came for.
func MatchDropboxSignature(signature string, body []byte, secrets []dropbridge.Secret) (int, bool) {
	got, err := hex.DecodeString(signature)
	if err != nil || len(got) != sha256.Size {
		return -1, false
	}
	for i, s := range secrets {
		m := hmac.New(sha256.New, []byte(s))
		m.Write(body)
		if hmac.Equal(got, m.Sum(nil)) {
			return i, true
		}
	}
	return -1, false
}

// DropboxChallenge answers Dropbox's webhook registration check, a GET with
// a challenge parameter: 200 with the challenge as text/plain and
// X-Content-Type-Options: nosniff, as Dropbox requires. A request without a
// challenge, or with one longer than 1 KiB, gets 400.
func DropboxChallenge(w http.ResponseWriter, r *http.Request) {
	c := r.URL.Query().Get("challenge")
	if c == "" || len(c) > maxChallenge {
		http.Error(w, "Expected a challenge parameter of at most 1024 bytes.", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, c)
}
