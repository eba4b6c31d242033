package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP instruments one HTTP server: a request-duration histogram by route
// pattern, method and status code, and an in-flight gauge.
type HTTP struct {
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
}

// NewHTTP registers the HTTP server metrics of server ("control",
// "worker") on reg.
func NewHTTP(reg prometheus.Registerer, server string) *HTTP {
	m := &HTTP{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "http_request_duration_seconds",
			Help:        "Time to serve an HTTP request, by route pattern, method and status code.",
			ConstLabels: prometheus.Labels{"server": server},
			Buckets:     []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method", "code"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "http_requests_in_flight",
			Help: "HTTP requests being served.", ConstLabels: prometheus.Labels{"server": server},
		}),
	}
	reg.MustRegister(m.duration, m.inflight)
	return m
}

// Wrap instruments next. The route label is the ServeMux pattern that
// matched (Go sets Request.Pattern on the request it routes), so paths
// carrying ids ("/api/accounts/acme") collapse into their pattern and the
// label set stays bounded; a request no pattern matched is "unmatched".
func (m *HTTP) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.inflight.Inc()
		defer m.inflight.Dec()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		code := sw.code
		if code == 0 {
			code = http.StatusOK
		}
		m.duration.WithLabelValues(route, methodLabel(r.Method), strconv.Itoa(code)).Observe(time.Since(start).Seconds())
	})
}

// methodLabel keeps the method label bounded against made-up methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter records the status code; Unwrap keeps
// http.ResponseController (deadlines, flush) working through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets streamed answers (Server-Sent Events) through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
