package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/metrics"
)

// MetricsConfig is the `metrics:` section of the control plane config.
// GET /metrics is served on the API listener and, like every route, needs a
// credential: this static scrape token (Prometheus `authorization:
// {credentials: ...}`) or an operator access token. HUNTERBOT_METRICS_TOKEN
// overrides Token.
type MetricsConfig struct {
	Token string `yaml:"token"`
}

func (c MetricsConfig) validate() error {
	if c.Token != "" && len(c.Token) < 16 {
		return fmt.Errorf("metrics.token: must be at least 16 characters")
	}
	return nil
}

func (s *Server) metricsRoutes() []route {
	return []route{{"GET /metrics", famPlain, authNone, s.serveMetrics}}
}

// controlMetrics are the control plane's own event counters; a nil
// *controlMetrics (metrics off) ignores every call.
type controlMetrics struct {
	alertsRaised *prometheus.CounterVec // kind
	riskEvents   *prometheus.CounterVec // account
	deliveries   *prometheus.CounterVec // route, outcome
}

// initMetrics registers the control plane's metrics on opts.Metrics and
// wraps the handler with the HTTP histograms. Without a registry the
// /metrics route answers 404.
func (s *Server) initMetrics() {
	s.handler = s
	reg := s.opt.Metrics
	if reg == nil {
		return
	}
	s.handler = metrics.NewHTTP(reg, "control").Wrap(s)
	s.metrics = &controlMetrics{
		alertsRaised: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Name: "alerts_raised_total",
			Help: "Alerts the control plane raised, by kind (account state, reports_parked, worker_lost, auth_burst, recovered)."}, []string{"kind"}),
		riskEvents: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Name: "account_risk_events_total",
			Help: "Times an account entered paused_risk (the site's risk control), by account."}, []string{"account"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: metrics.Namespace, Name: "alert_deliveries_total",
			Help: "Alert delivery attempts by route (webhook or an IM route's name) and outcome (delivered, failed, retry, skipped)."}, []string{"route", "outcome"}),
	}
	reg.MustRegister(s.metrics.alertsRaised, s.metrics.riskEvents, s.metrics.deliveries, &controlCollector{s: s})
	s.metricsHandler = metrics.Handler(reg, s.opt.MetricsToken, func(r *http.Request) bool {
		tok, ok := bearer(r)
		if !ok {
			return false
		}
		_, err := s.store.CheckAccessToken(tok)
		return err == nil
	})
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.metricsHandler == nil {
		return errNotFound("metrics are not enabled on this server")
	}
	s.metricsHandler.ServeHTTP(w, r)
	return nil
}

// alertRaised counts an alert the first time delivery sees it.
func (m *controlMetrics) alertRaised(al wire.Alert) {
	if m == nil {
		return
	}
	m.alertsRaised.WithLabelValues(alertKind(al)).Inc()
	if al.State == wire.AccountPausedRisk && al.Account != "" {
		m.riskEvents.WithLabelValues(al.Account).Inc()
	}
}

// delivery counts one delivery attempt.
func (m *controlMetrics) delivery(route, outcome string) {
	if m != nil {
		m.deliveries.WithLabelValues(route, outcome).Inc()
	}
}

// controlCollector exports the fleet's accounts as their workers last
// reported them (heartbeat counters) and the alert queue, read from the
// store at scrape time.
type controlCollector struct{ s *Server }

var (
	descAccState    = prometheus.NewDesc("hunterbot_account_state", "1 for the account's current state, 0 for the other known states.", []string{"account", "state"}, nil)
	descAccInfo     = prometheus.NewDesc("hunterbot_account_info", "1 per account, labelled with the worker that last reported it.", []string{"account", "worker"}, nil)
	descAccSeen     = prometheus.NewDesc("hunterbot_account_last_seen_age_seconds", "Seconds since the account's worker last reported it.", []string{"account"}, nil)
	descAccGreeted  = prometheus.NewDesc("hunterbot_account_greetings_today", "Greetings confirmed today (heartbeat).", []string{"account"}, nil)
	descAccPlanned  = prometheus.NewDesc("hunterbot_account_greetings_planned_today", "Greetings the brain planned today (heartbeat).", []string{"account"}, nil)
	descAccReplies  = prometheus.NewDesc("hunterbot_account_replied_conversations", "Conversations with a candidate reply (heartbeat).", []string{"account"}, nil)
	descAccContacts = prometheus.NewDesc("hunterbot_account_contacts", "Contacts captured (heartbeat).", []string{"account"}, nil)
	descAccParked   = prometheus.NewDesc("hunterbot_account_parked_items", "Outbox items parked at the worker (heartbeat).", []string{"account"}, nil)
	descAccBlocked  = prometheus.NewDesc("hunterbot_account_gate_blocked_texts", "Texts the worker's send gate blocked since the worker started (heartbeat).", []string{"account"}, nil)
	descAlertsQueue = prometheus.NewDesc("hunterbot_alerts_pending", "Alerts whose webhook delivery is not settled yet.", nil, nil)
	descScrapeErr   = prometheus.NewDesc("hunterbot_control_sample_errors", "1 when the last scrape could not read the store (see the log).", nil, nil)
)

// controlStates are exported for every account (0 or 1) so dashboards can
// count accounts per state.
var controlStates = []string{"starting", "running", "paused_risk", "needs_login", "quota_reached", "error", "stopped"}

// Describe implements prometheus.Collector.
func (c *controlCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAccState, descAccInfo, descAccSeen, descAccGreeted, descAccPlanned,
		descAccReplies, descAccContacts, descAccParked, descAccBlocked, descAlertsQueue, descScrapeErr} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *controlCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	failed := 0.0
	accs, err := c.s.store.ListAccounts()
	if err != nil {
		c.s.log.Warn().Err(err).Msg("metrics: list accounts")
		failed = 1
	}
	now := c.s.clock.Now()
	for _, a := range accs {
		known := false
		for _, st := range controlStates {
			v := 0.0
			if st == string(a.State) {
				v, known = 1, true
			}
			gauge(descAccState, v, a.Key, st)
		}
		if !known && a.State != "" {
			gauge(descAccState, 1, a.Key, string(a.State))
		}
		gauge(descAccInfo, 1, a.Key, a.WorkerID)
		if a.LastSeenAt != nil {
			gauge(descAccSeen, max(0, now.Sub(*a.LastSeenAt).Seconds()), a.Key)
		}
		gauge(descAccGreeted, float64(a.Counters["greeted"]), a.Key)
		gauge(descAccPlanned, float64(a.Counters["planned"]), a.Key)
		gauge(descAccReplies, float64(a.Counters["replies"]), a.Key)
		gauge(descAccContacts, float64(a.Counters["contacts"]), a.Key)
		gauge(descAccParked, float64(a.Counters[wire.CounterParked]), a.Key)
		gauge(descAccBlocked, float64(a.Counters[wire.CounterGateBlocked]), a.Key)
	}
	// Everything pending, due or not: a far horizon and a generous cap.
	pending, err := c.s.store.DueAlerts(now.Add(100*365*24*time.Hour), 100_000)
	if err != nil {
		c.s.log.Warn().Err(err).Msg("metrics: pending alerts")
		failed = 1
	}
	gauge(descAlertsQueue, float64(len(pending)))
	gauge(descScrapeErr, failed)
}
