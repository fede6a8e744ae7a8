package webhooks_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/webhooks"
	"github.com/google/go-cmp/cmp"
)

// The vector was computed apart from this code, with Python's hmac:
// key = bytes(range(1, 33)); base64(hmac_sha256(key, b"<id>.<ts>." + body)).
const (
	vectorSecret = dropbridge.Secret("whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=")
	vectorID     = "evt_0000000000000000000000test"
	vectorTS     = 1798545600
	vectorBody   = `{"type":"file.created","object_id":"id:abc"}`
	vectorSig    = "v1,mf8aI5E4w1pGMIYk0WXeDR4q8OHOLQ5L2i+X/JBfIV0="
)

var vectorTime = time.Unix(vectorTS, 0)

func TestSign(t *testing.T) {
	t.Parallel()
	got, err := webhooks.Sign(vectorSecret, vectorID, vectorTime, []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSig {
		t.Errorf("Sign = %q, want %q", got, vectorSig)
	}
	h := http.Header{}
	other, err := webhooks.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := webhooks.SetHeaders(h, []dropbridge.Secret{vectorSecret, other}, vectorID, vectorTime, []byte(vectorBody)); err != nil {
		t.Fatal(err)
	}
	if h.Get("webhook-id") != vectorID || h.Get("webhook-timestamp") != "1798545600" {
		t.Errorf("headers = %v", h)
	}
	sigs := strings.Fields(h.Get("webhook-signature"))
	if len(sigs) != 2 || sigs[0] != vectorSig || !strings.HasPrefix(sigs[1], "v1,") {
		t.Errorf("webhook-signature = %q, want the vector's and another", h.Get("webhook-signature"))
	}
	if err := webhooks.SetHeaders(http.Header{}, nil, vectorID, vectorTime, nil); !errors.Is(err, webhooks.ErrInvalidSecret) {
		t.Errorf("SetHeaders without secrets: %v", err)
	}
}

func TestParseSecret(t *testing.T) {
	t.Parallel()
	s, err := webhooks.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	for secret, valid := range map[dropbridge.Secret]bool{
		vectorSecret: true, s: true,
		"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=":        false, // no prefix
		"whsec_not base64!":                                   false,
		"whsec_AQID":                                          false, // too short
		"whsec_" + dropbridge.Secret(strings.Repeat("A", 88)): false, // 66 bytes: too long
	} {
		_, err := webhooks.ParseSecret(secret)
		if valid != (err == nil) || err != nil && !errors.Is(err, webhooks.ErrInvalidSecret) {
			t.Errorf("ParseSecret(%.12s...) = %v, want valid %v", string(secret), err, valid)
		}
		if err != nil && strings.Contains(err.Error(), string(secret)[6:]) {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	headers := func(mutate func(http.Header)) http.Header {
		h := http.Header{}
		h.Set("webhook-id", vectorID)
		h.Set("webhook-timestamp", "1798545600")
		h.Set("webhook-signature", vectorSig)
		mutate(h)
		return h
	}
	other, err := webhooks.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		header  http.Header
		body    string
		secrets []dropbridge.Secret
		now     time.Time
		want    error
	}{
		{"valid", headers(func(http.Header) {}), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime, nil},
		{"valid within tolerance", headers(func(http.Header) {}), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime.Add(-5 * time.Minute), nil},
		{"one of several secrets", headers(func(http.Header) {}), vectorBody, []dropbridge.Secret{other, vectorSecret}, vectorTime, nil},
		{"one of several signatures", headers(func(h http.Header) { h.Set("webhook-signature", "v2,abc v1,AAAA "+vectorSig) }), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime, nil},
		{"other body", headers(func(http.Header) {}), vectorBody + " ", []dropbridge.Secret{vectorSecret}, vectorTime, webhooks.ErrSignature},
		{"other id", headers(func(h http.Header) { h.Set("webhook-id", "evt_other") }), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime, webhooks.ErrSignature},
		{"other secret", headers(func(http.Header) {}), vectorBody, []dropbridge.Secret{other}, vectorTime, webhooks.ErrSignature},
		{"replayed later", headers(func(http.Header) {}), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime.Add(5*time.Minute + time.Second), webhooks.ErrTimestamp},
		{"from the future", headers(func(http.Header) {}), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime.Add(-6 * time.Minute), webhooks.ErrTimestamp},
		{"timestamp moved", headers(func(h http.Header) { h.Set("webhook-timestamp", "1798545601") }), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime, webhooks.ErrSignature},
		{"no id", headers(func(h http.Header) { h.Del("webhook-id") }), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime, webhooks.ErrMissingHeaders},
		{"bad timestamp", headers(func(h http.Header) { h.Set("webhook-timestamp", "soon") }), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime, webhooks.ErrMissingHeaders},
		{"no signature", headers(func(h http.Header) { h.Del("webhook-signature") }), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime, webhooks.ErrMissingHeaders},
		{"v2 only", headers(func(h http.Header) { h.Set("webhook-signature", strings.Replace(vectorSig, "v1", "v2", 1)) }), vectorBody, []dropbridge.Secret{vectorSecret}, vectorTime, webhooks.ErrSignature},
		{"bad secret", headers(func(http.Header) {}), vectorBody, []dropbridge.Secret{"nope"}, vectorTime, webhooks.ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := webhooks.Verify(tt.header, []byte(tt.body), tt.secrets, tt.now, webhooks.DefaultTolerance)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	s, err := webhooks.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, body := range []string{"", "{}", "\x00binary\xff", strings.Repeat("é", 1000)} {
		h := http.Header{}
		if err := webhooks.SetHeaders(h, []dropbridge.Secret{s}, "evt_1", at, []byte(body)); err != nil {
			t.Fatal(err)
		}
		if err := webhooks.Verify(h, []byte(body), []dropbridge.Secret{s}, at.Add(time.Minute), webhooks.DefaultTolerance); err != nil {
			t.Errorf("body %.10q: %v", body, err)
		}
	}
	if diff := cmp.Diff(webhooks.HeaderSignature, "webhook-signature"); diff != "" {
		t.Error(diff)
	}
}
