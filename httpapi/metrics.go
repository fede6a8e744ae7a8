package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsPath is where Metrics.Handler serves the metrics, in
// Prometheus's text format, without authentication: expose it to your
// monitoring only.
const MetricsPath = "/metrics"

// Metrics measures the API's requests and serves a registry's metrics at
// MetricsPath. It is safe for concurrent use.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	serve    http.Handler
}

// NewMetrics returns Metrics registered with reg, serving every metric
// of reg: the counter dropbridge_http_requests_total and the histogram
// dropbridge_http_request_duration_seconds (until the handler returns,
// streamed bodies included), labelled by method, route pattern (such as
// "/v1/connections/{id}"; "unmatched" for paths no route serves, and
// "unrouted" for requests answered before routing, such as those refused
// by the rate limit) and status. It panics if reg has them already, as
// prometheus.MustRegister does.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	labels := []string{"method", "route", "status"}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dropbridge_http_requests_total",
			Help: "Requests to the API, by method, route pattern and status.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dropbridge_http_request_duration_seconds",
			Help:    "Time to answer requests to the API, bodies included, by method, route pattern and status.",
			Buckets: prometheus.DefBuckets,
		}, labels),
		serve: promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// Handler returns next, measured, with GET MetricsPath served by the
// metrics themselves.
func (m *Metrics) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		if r.URL.Path == MetricsPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			r.Pattern = MetricsPath
			m.serve.ServeHTTP(rec, r)
		} else {
			// The mux records the pattern it chose in r.
			next.ServeHTTP(rec, r)
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		values := []string{r.Method, routeLabel(r.Pattern), strconv.Itoa(status)}
		m.requests.WithLabelValues(values...).Inc()
		m.duration.WithLabelValues(values...).Observe(time.Since(start).Seconds())
	})
}

// routeLabel is the route of a ServeMux pattern, without its method:
// "GET /v1/connections/{id}" is "/v1/connections/{id}".
func routeLabel(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	switch pattern {
	case "":
		return "unrouted"
	case "/":
		return "unmatched"
	}
	return pattern
}
