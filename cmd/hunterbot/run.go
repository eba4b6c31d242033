package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/logging"
)

func init() {
	register(command{
		name:    "run",
		usage:   "--config FILE --account ID",
		summary: "run one recruiter account in the foreground",
		run:     runRun,
	})
	register(command{
		name:    "worker",
		usage:   "--config FILE",
		summary: "run every account of the config (this VM's accounts) in one process and one Chromium",
		run:     runWorker,
	})
}

func runRun(ctx context.Context, args []string) error {
	fs := newFlagSet("run")
	cfgPath := fs.String("config", "", "worker YAML config (required)")
	account := fs.String("account", "", "account id from the config (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cfgPath == "" || *account == "" {
		return usagef("--config and --account are required")
	}
	return runAccounts(ctx, *cfgPath, []string{*account})
}

func runWorker(ctx context.Context, args []string) error {
	fs := newFlagSet("worker")
	cfgPath := fs.String("config", "", "worker YAML config (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *cfgPath == "" {
		return usagef("--config is required")
	}
	return runAccounts(ctx, *cfgPath, nil)
}

// runAccounts loads the worker config and runs the selected accounts (all
// when only is empty) until ctx is cancelled.
func runAccounts(ctx context.Context, cfgPath string, only []string) error {
	cfg, err := bot.LoadConfig(cfgPath)
	if err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	for _, id := range only {
		if _, ok := cfg.Account(id); !ok {
			return fmt.Errorf("%w: %s: account %q is not in accounts", config.ErrInvalid, cfgPath, id)
		}
	}
	if tok := os.Getenv("HUNTERBOT_WORKER_TOKEN"); tok != "" {
		cfg.Control.Token = tok
	}
	if cfg.Log.File == "" {
		cfg.Log.File = filepath.Join(cfg.DataDir, "logs", "worker.log")
	}
	log, closer, err := logging.New(cfg.Log)
	if err != nil {
		return fmt.Errorf("%w: log: %v", config.ErrInvalid, err)
	}
	defer closer.Close()
	opts := bot.RuntimeOptions{Clock: clock.Real{}, Log: log, Accounts: only}
	wm, err := startWorkerMetrics(cfg, &opts, log) // metrics.go
	if err != nil {
		return err
	}
	defer wm.close()
	rt, err := bot.NewRuntime(ctx, cfg, opts)
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			// Stopped while starting (e.g. SIGTERM during the browser
			// launch): a clean stop, not a failed start.
			log.Info().Msg("worker stopped during start-up")
			return nil
		}
		return err
	}
	wm.attach(rt)
	log.Info().Str("worker", cfg.WorkerID).Int("accounts", len(rt.Agents())).Msg("worker started")
	err = rt.Run(ctx)
	log.Info().Msg("worker stopped")
	return err
}
