package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/hunterbot/hunterbot/internal/httpserve"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/logging"
)

func init() {
	register(command{
		name:    "brain",
		usage:   "[--addr A] [--data DIR] [--config FILE] | check --url URL [--account ID] | eval --conversations FILE --config FILE [--url URL]",
		summary: "run the built-in brain (seed-003 hunter_robot API) on its own bbolt store",
		run:     runBrain,
	})
}

// defaultBrainAddr is used when neither --addr nor server.addr is set.
const defaultBrainAddr = "127.0.0.1:7003"

func runBrain(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "check" {
		return runBrainCheck(ctx, args[1:]) // brain_check.go
	}
	if len(args) > 0 && args[0] == "eval" {
		return runBrainEval(ctx, args[1:]) // brain_eval.go
	}
	fs := newFlagSet("brain")
	addr := fs.String("addr", "", "listen address (default server.addr of the config, else "+defaultBrainAddr+")")
	dataDir := fs.String("data", "data/brain", "directory of brain.db and stored CV files")
	cfgPath := fs.String("config", "", "brain YAML config (jobs, accounts, texts, filter_args, token)")
	logLevel := fs.String("log-level", "info", "log level: trace, debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var cfg server.Config
	if *cfgPath != "" {
		if err := config.LoadFile(*cfgPath, &cfg); err != nil {
			return fmt.Errorf("load config: %w", err)
		}
	}
	listen := *addr
	if listen == "" {
		listen = cfg.Server.Addr
	}
	if listen == "" {
		listen = defaultBrainAddr
	}
	if err := server.CheckExposure(listen, cfg.Server.Token); err != nil {
		return usagef("%v", err)
	}
	if k := cfg.LLM.APIKeyEnv; cfg.LLM.Enabled() && k != "" && strings.TrimSpace(os.Getenv(k)) == "" {
		return usagef("llm.api_key_env: environment variable %s is empty or unset", k)
	}
	log, closer, err := logging.New(logging.Options{Level: *logLevel})
	if err != nil {
		return usagef("--log-level: %v", err)
	}
	defer closer.Close()

	srv, err := server.New(server.Options{DataDir: *dataDir, Config: &cfg, Clock: clock.Real{}, Logger: &log})
	if err != nil {
		return err
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", listen, err)
	}
	hs := httpserve.New(srv.Handler(), cfg.Server.Timeouts)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info().Str("addr", ln.Addr().String()).Str("data", *dataDir).
		Int("jobs", len(cfg.Jobs)).Int("accounts", len(cfg.Accounts)).
		Bool("auth", cfg.Server.Token != "").Msg("brain listening")

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
	log.Info().Msg("brain stopped")
	return nil
}
