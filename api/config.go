package api

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/httpserve"
	"github.com/hunterbot/hunterbot/internal/logging"
)

// Config is the control plane's YAML config (configs/control.example.yaml).
// Every field is optional; `hunterbot serve` runs on the defaults.
type Config struct {
	Addr         string          `yaml:"addr"`       // default 127.0.0.1:8000
	DataDir      string          `yaml:"data_dir"`   // default ./data
	PublicURL    string          `yaml:"public_url"` // default http://<addr>
	MaxBodyBytes int64           `yaml:"max_body_bytes"`
	Log          logging.Options `yaml:"log"`
	Auth         AuthConfig      `yaml:"auth"`
	Workers      []WorkerCred    `yaml:"workers"`
	Exports      ExportConfig    `yaml:"exports"`
	Alerts       AlertsConfig    `yaml:"alerts"` // alerts.go
	// Timeouts bound each connection (defaults: httpserve.Defaults);
	// backups and exports get their own, longer write deadline.
	Timeouts httpserve.Timeouts `yaml:"timeouts"`
	// Outbound restricts where webhooks and keyword-hit callbacks may
	// connect (ssrf.go).
	Outbound OutboundConfig `yaml:"outbound"`
	// Metrics is the scrape token of GET /metrics (metrics.go).
	Metrics MetricsConfig `yaml:"metrics"`
}

// AuthConfig holds token lifetimes and the first-start credentials. The
// environment (HUNTERBOT_ADMIN_USER, HUNTERBOT_ADMIN_PASSWORD,
// HUNTERBOT_CLIENT_ID, HUNTERBOT_CLIENT_SECRET) overrides these so secrets
// need not sit in a file.
type AuthConfig struct {
	AccessTokenTTL  time.Duration `yaml:"access_token_ttl"`
	RefreshTokenTTL time.Duration `yaml:"refresh_token_ttl"`
	AdminUser       string        `yaml:"admin_user"`
	AdminPassword   string        `yaml:"admin_password"`
	ClientID        string        `yaml:"client_id"`
	ClientSecret    string        `yaml:"client_secret"`
	// Throttle slows down password and client-secret guessing.
	Throttle ThrottleConfig `yaml:"throttle"`
}

// WorkerCred is a worker's id and token (stored hashed at start-up).
// HUNTERBOT_WORKER_ID / HUNTERBOT_WORKER_TOKEN add one more.
type WorkerCred struct {
	ID    string `yaml:"id"`
	Token string `yaml:"token"`
}

// ExportConfig sets export link lifetime and housekeeping period.
type ExportConfig struct {
	TTL          time.Duration `yaml:"ttl"`
	CleanupEvery time.Duration `yaml:"cleanup_every"`
}

// Validate implements config.Validator; errors name the key.
func (c *Config) Validate() error {
	if c.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return fmt.Errorf("addr: %v", err)
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public_url: must be an http(s) URL")
		}
	}
	if c.MaxBodyBytes < 0 {
		return fmt.Errorf("max_body_bytes: must not be negative")
	}
	for k, d := range map[string]time.Duration{"auth.access_token_ttl": c.Auth.AccessTokenTTL,
		"auth.refresh_token_ttl": c.Auth.RefreshTokenTTL, "exports.ttl": c.Exports.TTL, "exports.cleanup_every": c.Exports.CleanupEvery} {
		if d < 0 {
			return fmt.Errorf("%s: must not be negative", k)
		}
	}
	if err := c.Auth.Throttle.validate(); err != nil {
		return err
	}
	if err := c.Timeouts.Validate("timeouts"); err != nil {
		return err
	}
	if _, err := c.Outbound.guard(); err != nil {
		return err
	}
	if err := c.Alerts.validate(); err != nil {
		return err
	}
	if err := c.Metrics.validate(); err != nil {
		return err
	}
	if (c.Auth.AdminUser == "") != (c.Auth.AdminPassword == "") {
		return fmt.Errorf("auth.admin_user and auth.admin_password: set both or neither")
	}
	if (c.Auth.ClientID == "") != (c.Auth.ClientSecret == "") {
		return fmt.Errorf("auth.client_id and auth.client_secret: set both or neither")
	}
	seen := map[string]bool{}
	for i, w := range c.Workers {
		if w.ID == "" || len(w.Token) < 16 {
			return fmt.Errorf("workers[%d]: id required and token of at least 16 characters", i)
		}
		if seen[w.ID] {
			return fmt.Errorf("workers[%d].id: duplicate %q", i, w.ID)
		}
		seen[w.ID] = true
	}
	return nil
}

// ApplyEnv fills credentials from the environment (env wins over file).
func (c *Config) ApplyEnv(getenv func(string) string) {
	if getenv == nil {
		getenv = os.Getenv
	}
	set := func(dst *string, key string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	set(&c.Auth.AdminUser, "HUNTERBOT_ADMIN_USER")
	set(&c.Auth.AdminPassword, "HUNTERBOT_ADMIN_PASSWORD")
	set(&c.Auth.ClientID, "HUNTERBOT_CLIENT_ID")
	set(&c.Auth.ClientSecret, "HUNTERBOT_CLIENT_SECRET")
	c.Alerts.applyEnv(getenv)
	set(&c.Metrics.Token, "HUNTERBOT_METRICS_TOKEN")
	if id, tok := getenv("HUNTERBOT_WORKER_ID"), getenv("HUNTERBOT_WORKER_TOKEN"); id != "" && tok != "" {
		c.Workers = append(c.Workers, WorkerCred{ID: id, Token: tok})
	}
}

type bootstrapStore interface {
	HasUsers() (bool, error)
	PutUser(username, password string) error
	PutClient(id, secret string) error
	PutWorker(id, token string) error
}

// Bootstrap creates the first admin user (only when no user exists yet),
// and creates or updates the configured OAuth client and worker
// credentials. Secrets are stored hashed and never logged.
func Bootstrap(st bootstrapStore, auth AuthConfig, workers []WorkerCred, log zerolog.Logger) error {
	has, err := st.HasUsers()
	if err != nil {
		return err
	}
	switch {
	case !has && auth.AdminUser != "":
		if err := st.PutUser(auth.AdminUser, auth.AdminPassword); err != nil {
			return fmt.Errorf("admin user: %w", err)
		}
		log.Info().Str("user", auth.AdminUser).Msg("first admin user created")
	case !has:
		log.Warn().Msg("no users yet: set HUNTERBOT_ADMIN_USER/HUNTERBOT_ADMIN_PASSWORD or run `hunterbot user add`")
	}
	if auth.ClientID != "" {
		if err := st.PutClient(auth.ClientID, auth.ClientSecret); err != nil {
			return fmt.Errorf("oauth client: %w", err)
		}
	}
	for _, w := range workers {
		if err := st.PutWorker(w.ID, w.Token); err != nil {
			return fmt.Errorf("worker %s: %w", w.ID, err)
		}
	}
	return nil
}

// ErrNoCredentials is returned by helpers that need operator credentials
// from the environment and find none.
var ErrNoCredentials = errors.New("set HUNTERBOT_CLIENT_ID, HUNTERBOT_CLIENT_SECRET, HUNTERBOT_ADMIN_USER and HUNTERBOT_ADMIN_PASSWORD (or HUNTERBOT_TOKEN)")
