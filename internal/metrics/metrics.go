// Package metrics holds hunterbot's Prometheus instrumentation: one
// registry per process (never the global default registry, so tests and
// the embedded demo can run several processes' worth side by side), the
// HTTP middleware, brain-call histograms, the worker's pull-time collector
// and the /proc reader for Chromium's memory.
//
// Naming: every metric starts with hunterbot_, carries its unit in the
// name (_seconds, _bytes) and counters end in _total. Labels are bounded:
// account keys, route patterns, brain endpoints, outcomes and states; never
// candidate ids or raw paths. docs/operations.md lists every name.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every hunterbot metric.
const Namespace = "hunterbot"

// NewRegistry returns a fresh registry with the Go runtime and process
// collectors (hunterbot's own process: CPU, RSS, open fds).
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves reg in the Prometheus text format. With a non-empty token
// every scrape must carry "Authorization: Bearer <token>" (Prometheus:
// `authorization: {credentials: ...}` in the scrape config); the compare
// is constant-time. allow, when set, may admit a request the token does
// not (the control plane also accepts an operator access token).
func Handler(reg *prometheus.Registry, token string, allow func(*http.Request) bool) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, ErrorHandling: promhttp.ContinueOnError})
	if token == "" && allow == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r)
		if ok && token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1 {
			h.ServeHTTP(w, r)
			return
		}
		if allow != nil && allow(r) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="hunterbot-metrics"`)
		http.Error(w, "metrics need a Bearer token", http.StatusUnauthorized)
	})
}

// bearer returns the request's Bearer credential.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(p):])
	return tok, tok != ""
}
