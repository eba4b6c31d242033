package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/metrics"
)

// workerMetrics is a worker's /metrics listener; it does nothing when
// metrics.addr is empty (the default).
type workerMetrics struct {
	reg *prometheus.Registry
	srv *metrics.Server
}

// startWorkerMetrics opens the listener (before the browser starts, so a
// taken port fails fast) and hooks the brain client's latency observer
// into opts, before the runtime builds that client.
func startWorkerMetrics(cfg *bot.Config, opts *bot.RuntimeOptions, log zerolog.Logger) (*workerMetrics, error) {
	wm := &workerMetrics{}
	if cfg.Metrics.Addr == "" {
		return wm, nil
	}
	wm.reg = metrics.NewRegistry()
	opts.BrainObserve = metrics.NewBrain(wm.reg).Observe
	srv, err := metrics.Listen(cfg.Metrics, wm.reg)
	if err != nil {
		return nil, err
	}
	wm.srv = srv
	log.Info().Str("addr", srv.Addr()).Bool("token", cfg.Metrics.Token != "").Msg("metrics listening")
	return wm, nil
}

// attach registers the runtime's collector.
func (wm *workerMetrics) attach(rt *bot.Runtime) {
	if wm.reg != nil {
		wm.reg.MustRegister(metrics.NewWorkerCollector(rt, nil))
	}
}

// close stops the listener.
func (wm *workerMetrics) close() {
	if wm.srv != nil {
		_ = wm.srv.Close()
	}
}
