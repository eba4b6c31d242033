package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/internal/metrics"
	"github.com/hunterbot/hunterbot/internal/metrics/scrape"
)

const testMetricsToken = "scrape-token-0123456789"

// TestControlMetricsOverHTTP scrapes the control plane's /metrics over
// real HTTP and parses it with the Prometheus text parser: the per-account
// series follow heartbeats, alert counters move when an alert is raised,
// the request histogram is labelled by route pattern (never by the raw
// path), and a scrape needs the scrape token or an operator token.
func TestControlMetricsOverHTTP(t *testing.T) {
	e := newEnvWith(t, func(o *api.Options) {
		o.Metrics = metrics.NewRegistry()
		o.MetricsToken = testMetricsToken
	})
	url := e.srv.URL + "/metrics"
	for _, tok := range []string{"", "wrong-token-0123456789", testWorkerTk} {
		_, err := scrape.Get(url, tok)
		var se *scrape.StatusError
		if !errors.As(err, &se) || se.Code != 401 {
			t.Fatalf("scrape with %q: %v, want HTTP 401", tok, err)
		}
	}
	if _, err := scrape.Get(url, e.token); err != nil {
		t.Fatalf("operator token: %v", err)
	}

	e.beat("boss-a", "running", "")
	f, err := scrape.Get(url, testMetricsToken)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := f.Value("hunterbot_account_state", map[string]string{"account": "boss-a", "state": "running"}); !ok || v != 1 {
		t.Fatalf("state running = %v %v; series %v", v, ok, f.Labels("hunterbot_account_state"))
	}
	if v, _ := f.Value("hunterbot_account_state", map[string]string{"account": "boss-a", "state": "paused_risk"}); v != 0 {
		t.Fatalf("paused_risk = %v before any risk", v)
	}
	if v, ok := f.Value("hunterbot_account_info", map[string]string{"account": "boss-a", "worker": testWorker}); !ok || v != 1 {
		t.Fatalf("account_info: %v", f.Labels("hunterbot_account_info"))
	}
	if v, ok := f.Value("hunterbot_http_request_duration_seconds", map[string]string{"route": "POST /api/worker/heartbeat", "code": "200", "server": "control"}); !ok || v < 1 {
		t.Fatalf("heartbeat requests = %v; series %v", v, f.Labels("hunterbot_http_request_duration_seconds"))
	}
	if typ := f.Type("hunterbot_http_request_duration_seconds"); typ != "HISTOGRAM" {
		t.Fatalf("request duration type %s", typ)
	}
	// A path with an id collapses into its pattern.
	e.call("GET", "/api/accounts/boss-a/alerts-nope", "")
	e.call("GET", "/api/alerts?account=boss-a", "")

	e.beat("boss-a", "paused_risk", "verify page")
	if _, err := e.api.DeliverAlerts(context.Background(), api.AlertsConfig{}); err != nil {
		t.Fatal(err)
	}
	f, err = scrape.Get(url, testMetricsToken)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hunterbot_account_state", map[string]string{"account": "boss-a", "state": "paused_risk"}, 1},
		{"hunterbot_account_state", map[string]string{"account": "boss-a", "state": "running"}, 0},
		{"hunterbot_account_risk_events_total", map[string]string{"account": "boss-a"}, 1},
		{"hunterbot_alerts_raised_total", map[string]string{"kind": "paused_risk"}, 1},
		{"hunterbot_alert_deliveries_total", map[string]string{"route": "webhook", "outcome": "skipped"}, 1},
		{"hunterbot_alerts_pending", nil, 0},
		{"hunterbot_http_request_duration_seconds", map[string]string{"route": "GET /api/alerts", "code": "200"}, 1},
	} {
		if v, ok := f.Value(c.name, c.labels); !ok || v != c.want {
			t.Errorf("%s%v = %v (present %v), want %v; series %v", c.name, c.labels, v, ok, c.want, f.Labels(c.name))
		}
	}
	for _, l := range f.Labels("hunterbot_http_request_duration_seconds") {
		if strings.Contains(l, "boss-a") {
			t.Errorf("a raw path leaked into a route label: %s", l)
		}
	}
}

// TestControlMetricsOff: without a registry the route exists but answers
// 404, and the API works unchanged.
func TestControlMetricsOff(t *testing.T) {
	e := newEnv(t)
	_, err := scrape.Get(e.srv.URL+"/metrics", e.token)
	var se *scrape.StatusError
	if !errors.As(err, &se) || se.Code != 404 {
		t.Fatalf("metrics off: %v, want 404", err)
	}
}
