package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// alertStore is what the account-alert routes and the webhook delivery
// need. Alerts themselves are recorded by the store's Heartbeat, in the
// same transaction as the state change.
type alertStore interface {
	ListAlerts(accountKey string, page, pageSize int) ([]wire.Alert, int, error)
	DueAlerts(now time.Time, limit int) ([]wire.Alert, error)
	RecordAlertAttempt(id uint64, outcome wire.Delivery, errMsg string, next time.Time) (wire.Alert, error)
}

func (s *Server) alertRoutes() []route {
	return []route{
		{"GET /api/alerts", famPlain, authUser, s.listAlerts},
	}
}

// AlertsConfig is the `alerts:` section of the control plane config. The
// environment (HUNTERBOT_ALERT_WEBHOOK, HUNTERBOT_ALERT_WEBHOOK_SECRET)
// overrides it so a URL carrying a token need not sit in a file.
type AlertsConfig struct {
	// WebhookURL receives every alert as a JSON POST; empty disables the
	// webhook (alerts are still stored and listed).
	WebhookURL string `yaml:"webhook_url"`
	// WebhookSecret, when set, signs each body: X-Hunterbot-Signature:
	// sha256=<hex HMAC-SHA256 of the body>.
	WebhookSecret string `yaml:"webhook_secret"`
	// Routes send alerts to WeCom, DingTalk and Feishu robots (im.go).
	Routes []AlertRoute `yaml:"routes"`
	// Groups name sets of account key patterns ("bj-*") routes select.
	Groups map[string][]string `yaml:"groups"`
	// BatchWindow is the least time between two messages of one kind on a
	// route (default 1m): a burst in between goes out as one message.
	BatchWindow time.Duration `yaml:"batch_window"`
	// QRLink is the link a needs_login message carries; {public_url} and
	// {account} are replaced (default {public_url}/ui/accounts/{account},
	// the console's account page with the QR panel).
	QRLink string `yaml:"qr_link"`
	// WorkerLostAfter is how long a worker's running accounts may all go
	// without a heartbeat before a worker_lost alert (default 3m).
	WorkerLostAfter time.Duration `yaml:"worker_lost_after"`
}

func (c AlertsConfig) batchWindow() time.Duration {
	if c.BatchWindow <= 0 {
		return time.Minute
	}
	return c.BatchWindow
}

func (c AlertsConfig) qrLink() string {
	if c.QRLink == "" {
		return "{public_url}/ui/accounts/{account}"
	}
	return c.QRLink
}

// validate names the bad key.
func (c AlertsConfig) validate() error {
	if c.BatchWindow < 0 {
		return fmt.Errorf("alerts.batch_window: must not be negative")
	}
	if c.WorkerLostAfter < 0 {
		return fmt.Errorf("alerts.worker_lost_after: must not be negative")
	}
	for g, pats := range c.Groups {
		for j, p := range pats {
			if _, err := path.Match(p, ""); err != nil || p == "" {
				return fmt.Errorf("alerts.groups.%s[%d]: bad account pattern %q", g, j, p)
			}
		}
	}
	seen := map[string]bool{}
	for i := range c.Routes {
		if err := c.Routes[i].validate(i, c.Groups, seen); err != nil {
			return err
		}
	}
	if c.WebhookURL == "" {
		if c.WebhookSecret != "" {
			return fmt.Errorf("alerts.webhook_secret: set without alerts.webhook_url")
		}
		return nil
	}
	u, err := url.Parse(c.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Never echo the URL: it may carry a token.
		return fmt.Errorf("alerts.webhook_url: must be an http(s) URL")
	}
	return nil
}

func (c *AlertsConfig) applyEnv(getenv func(string) string) {
	if v := getenv("HUNTERBOT_ALERT_WEBHOOK"); v != "" {
		c.WebhookURL = v
	}
	if v := getenv("HUNTERBOT_ALERT_WEBHOOK_SECRET"); v != "" {
		c.WebhookSecret = v
	}
	for i := range c.Routes {
		r := &c.Routes[i]
		if r.URLEnv != "" {
			r.URL = getenv(r.URLEnv)
		}
		if r.SecretEnv != "" {
			r.Secret = getenv(r.SecretEnv)
		}
	}
}

// alertPage is the paged list of GET /api/alerts.
type alertPage struct {
	Total    int          `json:"total"`
	Page     int          `json:"page"`
	PageSize int          `json:"page_size"`
	Results  []wire.Alert `json:"results"`
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) error {
	page, size, err := qPage(r, 20, 1_000_000)
	if err != nil {
		return err
	}
	res, total, err := s.store.ListAlerts(r.URL.Query().Get("account"), page, size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, alertPage{Total: total, Page: page, PageSize: size, Results: res})
	return nil
}

// Webhook delivery is at least once: an alert stays queued in control.db
// until the webhook answers 2xx or the attempts run out, so a restart only
// delays it. Receivers deduplicate on "id".
const (
	alertRetryBase   = 5 * time.Second
	alertRetryMax    = 10 * time.Minute
	alertMaxAttempts = 10
	alertBatch       = 50
	alertPostTimeout = 10 * time.Second
)

// AlertWebhookBody is what the webhook receives. It carries no secrets:
// no tokens, cookies or credentials, only the account's key, state and
// the worker's last error text.
type AlertWebhookBody struct {
	Event         string            `json:"event"` // always "account_alert"
	ID            uint64            `json:"id"`
	Account       string            `json:"account"`
	WorkerID      string            `json:"worker_id"`
	State         wire.AccountState `json:"state"`
	PreviousState wire.AccountState `json:"previous_state"`
	LastError     string            `json:"last_error"`
	At            time.Time         `json:"at"`
}

// alertBackoff is the wait after the n-th failed attempt.
func alertBackoff(n int) time.Duration {
	return clock.Backoff{Base: alertRetryBase, Max: alertRetryMax}.Delay(n)
}

// DeliverAlerts makes one delivery pass: every queued alert that is due is
// logged once and POSTed to cfg.WebhookURL; failures are rescheduled with
// exponential backoff on the server's clock. Without a webhook URL due
// alerts are marked skipped. It returns how many were delivered.
func (s *Server) DeliverAlerts(ctx context.Context, cfg AlertsConfig) (int, error) {
	now := s.clock.Now()
	due, err := s.store.DueAlerts(now, alertBatch)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for _, al := range due {
		if ctx.Err() != nil {
			return delivered, ctx.Err()
		}
		if al.Attempts == 0 {
			s.metrics.alertRaised(al) // metrics.go
			// The operator-facing log line; last_error stays out of the log
			// (it is in GET /api/alerts) in case a page text leaks into it.
			ev := s.log.Info() // recovered
			if al.State != wire.AccountRunning {
				ev = s.log.Warn()
			}
			ev.Str("account", al.Account).Str("worker", al.WorkerID).Str("state", string(al.State)).
				Str("previous_state", string(al.PreviousState)).Uint64("alert", al.ID).Msg("account alert")
		}
		outcome, msg, next := wire.WebhookDelivered, "", time.Time{}
		if cfg.WebhookURL == "" {
			outcome, msg = wire.WebhookSkipped, "no webhook configured"
		} else if perr := postAlert(ctx, s.alertHTTP, cfg, al); perr != nil {
			if ctx.Err() != nil {
				return delivered, ctx.Err() // shutting down: not the receiver's fault
			}
			outcome, msg = "", perr.Error()
			if al.Attempts+1 < alertMaxAttempts {
				next = now.Add(alertBackoff(al.Attempts + 1))
			}
			s.log.Warn().Uint64("alert", al.ID).Int("attempt", al.Attempts+1).Str("error", msg).Msg("alert webhook failed")
		} else {
			delivered++
		}
		s.metrics.delivery("webhook", deliveryOutcome(outcome, next))
		if _, err := s.store.RecordAlertAttempt(al.ID, outcome, msg, next); err != nil {
			return delivered, err
		}
	}
	return delivered, nil
}

func postAlert(ctx context.Context, client *http.Client, cfg AlertsConfig, al wire.Alert) error {
	body, err := json.Marshal(AlertWebhookBody{Event: "account_alert", ID: al.ID, Account: al.Account, WorkerID: al.WorkerID,
		State: al.State, PreviousState: al.PreviousState, LastError: al.LastError, At: al.At})
	if err != nil {
		return err
	}
	return webhook{URL: cfg.WebhookURL, Secret: cfg.WebhookSecret, Event: "account_alert",
		Delivery: strconv.FormatUint(al.ID, 10)}.post(ctx, client, body)
}

// RunAlertDelivery delivers queued alerts until ctx ends (`hunterbot
// serve` starts it), on the shared delivery loop: at once after whatever
// may have queued an alert (a heartbeat, a burst of failed logins), every
// second while a retry is due within a minute, otherwise once a minute.
// Heartbeats never wait for it: they only queue alerts in the store and
// poke the loop.
func (s *Server) RunAlertDelivery(ctx context.Context, cfg AlertsConfig) error {
	return s.runDelivery(ctx, "alert", s.alertWake, func(ctx context.Context) (bool, error) {
		if _, err := s.CheckWorkersLost(cfg); err != nil { // worker_lost.go
			return false, err
		}
		if _, err := s.DeliverAlerts(ctx, cfg); err != nil {
			return false, err
		}
		robotsSoon, err := s.deliverRoutes(ctx, cfg) // im.go
		if err != nil {
			return false, err
		}
		soon, err := s.store.DueAlerts(s.clock.Now().Add(deliveryIdle), 1)
		return robotsSoon || len(soon) > 0, err
	})
}
