package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/hunterbot/hunterbot/internal/httpserve"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/console"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/logging"
	"github.com/hunterbot/hunterbot/internal/metrics"
	"github.com/hunterbot/hunterbot/internal/secret"
	"github.com/hunterbot/hunterbot/state"
)

func init() {
	register(command{
		name:    "serve",
		usage:   "[--config FILE] [--addr A] [--data DIR]",
		summary: "run the control plane (REST API, OAuth, Excel export) on control.db",
		run:     runServe,
	})
}

const (
	defaultControlAddr = "127.0.0.1:8000"
	defaultDataDir     = "data"
)

// loadControlConfig reads the optional config file, applies the
// environment and the flags (flags win), and fills defaults.
func loadControlConfig(path, addr, data string) (api.Config, error) {
	var cfg api.Config
	if path != "" {
		if err := config.LoadFile(path, &cfg); err != nil {
			return cfg, fmt.Errorf("load config: %w", err)
		}
	}
	cfg.ApplyEnv(nil)
	if addr != "" {
		cfg.Addr = addr
	}
	if data != "" {
		cfg.DataDir = data
	}
	if cfg.Addr == "" {
		cfg.Addr = defaultControlAddr
	}
	if cfg.DataDir == "" {
		cfg.DataDir = defaultDataDir
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("%w: %v", config.ErrInvalid, err)
	}
	return cfg, nil
}

func controlDBPath(dataDir string) string { return filepath.Join(dataDir, "control.db") }

func runServe(ctx context.Context, args []string) error {
	fs := newFlagSet("serve")
	cfgPath := fs.String("config", "", "control plane YAML config (optional)")
	addr := fs.String("addr", "", "listen address (overrides addr; default "+defaultControlAddr+")")
	data := fs.String("data", "", "data directory for control.db and exports (overrides data_dir; default ./"+defaultDataDir+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadControlConfig(*cfgPath, *addr, *data)
	if err != nil {
		return err
	}
	if cfg.Log.File == "" {
		cfg.Log.File = filepath.Join(cfg.DataDir, "logs", "control.log")
	}
	log, closer, err := logging.New(cfg.Log)
	if err != nil {
		return fmt.Errorf("%w: log: %v", config.ErrInvalid, err)
	}
	defer closer.Close()

	db, err := state.Open(controlDBPath(cfg.DataDir), state.Options{Clock: clock.Real{}})
	if errors.Is(err, state.ErrLocked) {
		return fmt.Errorf("%s is in use by another process (is `hunterbot serve` already running?)", controlDBPath(cfg.DataDir))
	}
	if err != nil {
		return err
	}
	defer db.Close()
	if err := api.Bootstrap(db, cfg.Auth, cfg.Workers, log); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	public := cfg.PublicURL
	if public == "" {
		public = "http://" + ln.Addr().String()
	}
	// Account credentials and sessions are sealed with HUNTERBOT_SECRET_KEY;
	// without it managed accounts can still use QR login but no password.
	var secrets api.Sealer
	if box, err := secret.FromEnv(nil); err == nil {
		secrets = box
	} else if errors.Is(err, secret.ErrNoKey) {
		log.Warn().Msg(secret.EnvKey + " is not set: accounts with passwords and session hand-over are unavailable")
	} else {
		ln.Close()
		return fmt.Errorf("%w: %v", config.ErrInvalid, err)
	}
	srv, err := api.NewServer(api.Options{Store: db, Clock: clock.Real{}, Logger: log, PublicURL: public,
		DataDir: cfg.DataDir, AccessTokenTTL: cfg.Auth.AccessTokenTTL, RefreshTokenTTL: cfg.Auth.RefreshTokenTTL,
		ExportTTL: cfg.Exports.TTL, CleanupEvery: cfg.Exports.CleanupEvery, MaxBodyBytes: cfg.MaxBodyBytes,
		Outbound: cfg.Outbound, Throttle: cfg.Auth.Throttle,
		Secrets: secrets, ValidateAccount: bot.ValidateSpec,
		Metrics: metrics.NewRegistry(), MetricsToken: cfg.Metrics.Token})
	if err != nil {
		ln.Close()
		return err
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go srv.Run(runCtx)
	go srv.RunKeywordHitDelivery(runCtx)
	go srv.RunAlertDelivery(runCtx, cfg.Alerts)

	// The operators' web console under /ui/ (console/, docs/console.md).
	con, err := console.New(console.Options{Store: db, Logger: log, ValidateAccount: bot.ValidateSpec,
		LogFile: cfg.Log.File, TrustProxy: os.Getenv("HUNTERBOT_TRUST_PROXY") == "1"})
	if err != nil {
		ln.Close()
		return err
	}
	hs := httpserve.New(console.Mount(srv.Handler(), con), cfg.Timeouts)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Str("data", cfg.DataDir).Str("public_url", public).
		Int("schema", state.SchemaVersion()).Msg("control plane listening")

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info().Msg("control plane stopped")
	return nil
}
