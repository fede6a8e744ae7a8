package connect

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dropbridge/dropbridge/dropbox"
)

// Metrics counts the service's requests to Dropbox, by route and outcome,
// and times them up to Dropbox's response headers (a download's body is
// not in the time). Install it with Transport on the Service's
// HTTPClient. It is safe for concurrent use.
type Metrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	routes   map[string]bool
}

// NewMetrics returns Metrics registered with reg: the counter
// dropbridge_dropbox_requests_total and the histogram
// dropbridge_dropbox_request_duration_seconds, both labelled by route
// ("files/upload", "oauth2/token"; "other" for a route the client does not
// know, as the proxy may send) and outcome (ok, bad_input, auth, access,
// route_error, rate_limited, server_error, other_status, network_error,
// canceled). It panics if reg has them already, as prometheus.MustRegister
// does.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dropbridge_dropbox_requests_total",
			Help: "Requests to Dropbox, by route and outcome.",
		}, []string{"route", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dropbridge_dropbox_request_duration_seconds",
			Help:    "Time from a request to Dropbox until its response headers, by route and outcome.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "outcome"}),
		routes: map[string]bool{"oauth2/token": true},
	}
	for _, r := range dropbox.Routes() {
		m.routes[r] = true
	}
	reg.MustRegister(m.calls, m.duration)
	return m
}

// Transport returns an http.RoundTripper that counts the requests it
// sends through next (http.DefaultTransport when nil).
func (m *Metrics) Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &metricsTransport{m: m, next: next}
}

type metricsTransport struct {
	m    *Metrics
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t *metricsTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	route := t.m.route(r.URL.Path)
	outcome := callOutcome(resp, err)
	t.m.calls.WithLabelValues(route, outcome).Inc()
	t.m.duration.WithLabelValues(route, outcome).Observe(time.Since(start).Seconds())
	return resp, err
}

// route is the Dropbox route of a request path: "/2/files/upload" is
// files/upload.
func (m *Metrics) route(path string) string {
	r := strings.TrimPrefix(strings.TrimPrefix(path, "/"), "2/")
	if m.routes[r] {
		return r
	}
	return "other"
}

// callOutcome names the outcome of one request by its status, after
// Dropbox's error classes
// (https://www.dropbox.com/developers/documentation/http/documentation#error-handling).
func callOutcome(resp *http.Response, err error) string {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	case err != nil:
		return "network_error"
	}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return "ok"
	case s == http.StatusBadRequest:
		return "bad_input"
	case s == http.StatusUnauthorized:
		return "auth"
	case s == http.StatusForbidden:
		return "access"
	case s == http.StatusConflict:
		return "route_error"
	case s == http.StatusTooManyRequests:
		return "rate_limited"
	case s >= 500:
		return "server_error"
	}
	return "other_status"
}
