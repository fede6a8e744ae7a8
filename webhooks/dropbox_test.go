package webhooks_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/webhooks"
)

// Computed apart from this code with Python:
// hmac.new(b"app-secret-123", body, hashlib.sha256).hexdigest().
const (
	dropboxBody = `{"list_folder": {"accounts": ["dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"]}, "delta": {"users": [12345]}}`
	dropboxSig  = "07821cabd9f71c545abd0f66da534d4d822caa5a7f23fe1b8524efd55ac58e20"
)

func TestMatchDropboxSignature(t *testing.T) {
	t.Parallel()
	secrets := []dropbridge.Secret{"other-app", "app-secret-123"}
	tests := []struct {
		name, sig, body string
		secrets         []dropbridge.Secret
		want            int
	}{
		{"second app", dropboxSig, dropboxBody, secrets, 1},
		{"upper-case hex", strings.ToUpper(dropboxSig), dropboxBody, secrets, 1},
		{"forged body", dropboxSig, dropboxBody + " ", secrets, -1},
		{"no app", dropboxSig, dropboxBody, secrets[:1], -1},
		{"no secrets", dropboxSig, dropboxBody, nil, -1},
		{"empty", "", dropboxBody, secrets, -1},
		{"not hex", "zz" + dropboxSig[2:], dropboxBody, secrets, -1},
		{"short", dropboxSig[:62], dropboxBody, secrets, -1},
	}
	for _, tt := range tests {
		i, ok := webhooks.MatchDropboxSignature(tt.sig, []byte(tt.body), tt.secrets)
		if i != tt.want || ok != (tt.want >= 0) {
			t.Errorf("%s: MatchDropboxSignature = %d, %v; want %d", tt.name, i, ok, tt.want)
		}
	}
}

func TestDropboxChallenge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query  string
		status int
		body   string
	}{
		{"?challenge=abc123XYZ", 200, "abc123XYZ"},
		{"?challenge=%3Cscript%3E", 200, "<script>"}, // text/plain and nosniff: not HTML
		{"", 400, ""},
		{"?challenge=", 400, ""},
		{"?challenge=" + strings.Repeat("a", 1025), 400, ""},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		webhooks.DropboxChallenge(w, httptest.NewRequest(http.MethodGet, "/webhooks/dropbox"+tt.query, nil))
		if w.Code != tt.status {
			t.Errorf("%.30s: status %d, want %d", tt.query, w.Code, tt.status)
			continue
		}
		if tt.status != 200 {
			continue
		}
		if got := w.Body.String(); got != tt.body {
			t.Errorf("%s: body %q, want %q", tt.query, got, tt.body)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("%s: Content-Type %q", tt.query, ct)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no X-Content-Type-Options: nosniff", tt.query)
		}
	}
}
