package jobs

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dropbridge/dropbridge/connect"
)

// Metrics counts the outcomes of background work. It is safe for
// concurrent use; a nil *Metrics counts nothing.
type Metrics struct {
	refreshes *prometheus.CounterVec
}

// NewMetrics returns Metrics registered with reg: the counter
// dropbridge_token_refreshes_total, labelled by outcome (those of
// connect.RefreshOutcome, or error for an attempt that River retries). It
// panics if reg has it already, as prometheus.MustRegister does.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "dropbridge_token_refreshes_total",
		Help: "Background token refresh attempts, by outcome.",
	}, []string{"outcome"})}
	// Every outcome shows, at zero until it happens.
	for _, o := range []connect.RefreshOutcome{connect.Refreshed, connect.RefreshNotDue, connect.RefreshInactive,
		connect.RefreshUnrefreshable, connect.RefreshSuperseded, connect.RefreshNeedsReauth, "error"} {
		m.refreshes.WithLabelValues(string(o))
	}
	reg.MustRegister(m.refreshes)
	return m
}

func (m *Metrics) count(outcome connect.RefreshOutcome, err error) {
	if m == nil {
		return
	}
	label := string(outcome)
	if err != nil {
		label = "error"
	}
	m.refreshes.WithLabelValues(label).Inc()
}
