package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Brain records brain-call latency by endpoint and outcome. Its Observe
// method has the shape of brain.Options.Observe.
type Brain struct {
	duration *prometheus.HistogramVec
}

// NewBrain registers the brain-call histogram on reg.
func NewBrain(reg prometheus.Registerer) *Brain {
	b := &Brain{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "brain_request_duration_seconds",
		Help:    "Duration of one brain call (all its retries), by endpoint path and outcome (ok, http_4xx, http_5xx, transport, rejected, canceled).",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 60},
	}, []string{"endpoint", "outcome"})}
	reg.MustRegister(b.duration)
	return b
}

// Observe records one call. endpoint is the brain's API path (a fixed
// set), never a URL with ids.
func (b *Brain) Observe(endpoint, outcome string, d time.Duration) {
	b.duration.WithLabelValues(endpoint, outcome).Observe(d.Seconds())
}
