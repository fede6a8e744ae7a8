package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dropbridge/dropbridge/httpapi"
)

// get calls base+path with key (none if empty) and returns the status and
// body.
func get(t *testing.T, base, key, path string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s := newService(t)
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(httpapi.NewMetrics(reg).Handler(s.srv.Config.Handler))
	t.Cleanup(srv.Close)

	for _, c := range []struct {
		key, path string
		want      int
	}{
		{s.key, "/v1/connections", http.StatusOK},
		{s.key, "/v1/connections?limit=5", http.StatusOK},
		{s.key, "/v1/connections/conn_missing", http.StatusNotFound},
		{"", "/v1/connections", http.StatusUnauthorized},
		{"", "/healthz", http.StatusOK},
		{"", "/no/such/path", http.StatusNotFound},
	} {
		if status, _, body := get(t, srv.URL, c.key, c.path); status != c.want {
			t.Fatalf("GET %s: %d, want %d: %s", c.path, status, c.want, body)
		}
	}
	status, header, body := get(t, srv.URL, "", httpapi.MetricsPath)
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s:\n%s", status, header.Get("Content-Type"), body)
	}
	for _, line := range []string{
		`dropbridge_http_requests_total{method="GET",route="/v1/connections",status="200"} 2`,
		`dropbridge_http_requests_total{method="GET",route="/v1/connections",status="401"} 1`,
		`dropbridge_http_requests_total{method="GET",route="/v1/connections/{id}",status="404"} 1`,
		`dropbridge_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`dropbridge_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`dropbridge_http_request_duration_seconds_count{method="GET",route="/v1/connections",status="200"} 2`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %s; it says:\n%s", line, body)
		}
	}
	// The scrape itself is counted, by the next one.
	_, _, body = get(t, srv.URL, "", httpapi.MetricsPath)
	if line := `dropbridge_http_requests_total{method="GET",route="/metrics",status="200"} 1`; !strings.Contains(body, line) {
		t.Errorf("/metrics lacks %s", line)
	}
}
