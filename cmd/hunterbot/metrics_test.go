package main

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/metrics"
	"github.com/hunterbot/hunterbot/internal/metrics/scrape"
)

// TestWorkerMetricsWiring: with metrics.addr the worker opens its listener
// (token required) and hands the runtime a brain observer whose calls show
// in the scrape; without it nothing listens and no observer is set.
func TestWorkerMetricsWiring(t *testing.T) {
	var opts bot.RuntimeOptions
	off, err := startWorkerMetrics(&bot.Config{}, &opts, zerolog.Nop())
	if err != nil || off.srv != nil || opts.BrainObserve != nil {
		t.Fatalf("metrics off: %+v, %v, observer set %v", off, err, opts.BrainObserve != nil)
	}
	off.close()

	const token = "worker-metrics-token-1"
	cfg := &bot.Config{Metrics: metrics.Config{Addr: "127.0.0.1:0", Token: token}}
	wm, err := startWorkerMetrics(cfg, &opts, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer wm.close()
	if opts.BrainObserve == nil {
		t.Fatal("no brain observer handed to the runtime")
	}
	opts.BrainObserve("/api/chat", "http_5xx", 3*time.Second)
	url := "http://" + wm.srv.Addr() + "/metrics"
	var se *scrape.StatusError
	if _, err := scrape.Get(url, ""); !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
		t.Fatalf("scrape without the token: %v", err)
	}
	f, err := scrape.Get(url, token)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := f.Value("hunterbot_brain_request_duration_seconds", map[string]string{"endpoint": "/api/chat", "outcome": "http_5xx"}); !ok || v != 1 {
		t.Fatalf("brain histogram count = %v (%v)", v, ok)
	}
	if _, ok := f.Value("go_goroutines", nil); !ok {
		t.Fatal("no Go runtime metrics")
	}
}
