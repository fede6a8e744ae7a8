package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dropbridge/dropbridge/httpapi"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := newService(t)
	_, otherKey := s.newEnvironment("other")
	lim := httpapi.NewRateLimiter(httpapi.RateLimit{Rate: 1, Burst: 2})
	lim.Now = s.clock.Now
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(httpapi.NewMetrics(reg).Handler(lim.Handler(s.srv.Config.Handler)))
	t.Cleanup(srv.Close)

	for i := range 2 {
		if status, _, body := get(t, srv.URL, s.key, "/v1/connections"); status != http.StatusOK {
			t.Fatalf("request %d within the burst: %d %s", i+1, status, body)
		}
	}
	status, header, body := get(t, srv.URL, s.key, "/v1/connections")
	if status != http.StatusTooManyRequests || header.Get("Retry-After") != "1" ||
		header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("request over the limit: %d, Retry-After %q, %s: %s", status, header.Get("Retry-After"), header.Get("Content-Type"), body)
	}
	var p httpapi.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	want := httpapi.Problem{Type: "urn:dropbridge:problem:rate_limited", Title: "Too many requests", Status: 429,
		Detail: "This API key has made more requests than its limit allows: retry in 1 second, and spread requests out.",
		Code:   "rate_limited"}
	if diff := cmp.Diff(want, p, cmp.AllowUnexported(httpapi.Problem{})); diff != "" {
		t.Errorf("problem (-want +got):\n%s", diff)
	}

	// Another key has its own bucket; requests without a key are not
	// limited.
	if status, _, body := get(t, srv.URL, otherKey, "/v1/connections"); status != http.StatusOK {
		t.Fatalf("another key: %d %s", status, body)
	}
	for range 5 {
		if status, _, _ := get(t, srv.URL, "", "/healthz"); status != http.StatusOK {
			t.Fatalf("health check: %d", status)
		}
	}

	// A second later the bucket holds one token again: the refused
	// request took none.
	s.clock.Advance(time.Second)
	if status, _, body := get(t, srv.URL, s.key, "/v1/connections"); status != http.StatusOK {
		t.Fatalf("a second later: %d %s", status, body)
	}
	if status, _, _ := get(t, srv.URL, s.key, "/v1/connections"); status != http.StatusTooManyRequests {
		t.Fatalf("then: %d, want 429", status)
	}

	_, _, metrics := get(t, srv.URL, "", httpapi.MetricsPath)
	if line := `dropbridge_http_requests_total{method="GET",route="unrouted",status="429"} 2`; !containsLine(metrics, line) {
		t.Errorf("/metrics lacks %s", line)
	}
}

func TestRateLimitOff(t *testing.T) {
	t.Parallel()
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	h := httpapi.NewRateLimiter(httpapi.RateLimit{}).Handler(next)
	for range 100 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/v1/connections", nil)
		req.Header.Set("Authorization", "Bearer dbk_x")
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d without a limit", rec.Code)
		}
	}
}

// containsLine reports whether text has line as one of its lines.
func containsLine(text, line string) bool {
	for l := range strings.Lines(text) {
		if strings.TrimSuffix(l, "\n") == line {
			return true
		}
	}
	return false
}
