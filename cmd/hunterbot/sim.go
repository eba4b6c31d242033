package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/logging"
	"github.com/hunterbot/hunterbot/sim"
)

func init() {
	register(command{
		name:    "sim",
		usage:   "[--addr A] [--scenario FILE] [--speed N] [--seed N]",
		summary: "serve the simulated recruiter site (pages, XHRs, candidates, /__sim/ control and truth)",
		run:     runSim,
	})
}

// defaultSimAddr is where `hunterbot sim` listens by default.
const defaultSimAddr = "127.0.0.1:7001"

func runSim(ctx context.Context, args []string) error {
	fs := newFlagSet("sim")
	addr := fs.String("addr", defaultSimAddr, "listen address")
	scenario := fs.String("scenario", "", "scenario YAML (default: the embedded demo scenario)")
	speed := fs.Float64("speed", 1, "simulated seconds per real second (1 = real time)")
	seed := fs.Int64("seed", 1, "seed of candidates and their behaviour")
	logLevel := fs.String("log-level", "info", "log level: trace, debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *speed <= 0 {
		return usagef("--speed: must be > 0, got %v", *speed)
	}
	log, closer, err := logging.New(logging.Options{Level: *logLevel})
	if err != nil {
		return usagef("--log-level: %v", err)
	}
	defer closer.Close()
	sc, err := loadSimScenario(*scenario)
	if err != nil {
		return err
	}
	srv, err := startSim(*addr, sc, *speed, *seed, log)
	if err != nil {
		return err
	}
	log.Info().Str("url", srv.URL).Float64("speed", *speed).Int64("seed", *seed).
		Int("accounts", len(sc.Accounts)).Msg("sim listening")
	select {
	case err := <-srv.Done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return srv.Shutdown()
}

// loadSimScenario loads path, or the embedded demo scenario when path is "".
func loadSimScenario(path string) (*sim.Scenario, error) {
	if path == "" {
		return sim.DefaultScenario(), nil
	}
	sc, err := sim.LoadScenario(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	return sc, nil
}

// simServer is a running sim on a real listener.
type simServer struct {
	Sim  *sim.Sim
	URL  string // http://host:port
	Done <-chan error
	hs   *http.Server
}

// startSim serves a new sim on addr with a scaled clock starting at the
// scenario's start time.
func startSim(addr string, sc *sim.Scenario, speed float64, seed int64, log zerolog.Logger) (*simServer, error) {
	s, err := sim.New(sc, clock.NewScaled(sc.Start, speed), seed, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	// The scenario's server.timeouts (default httpserve.Defaults).
	hs := s.Server()
	done := make(chan error, 1)
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			done <- err
		}
	}()
	return &simServer{Sim: s, URL: "http://" + ln.Addr().String(), Done: done, hs: hs}, nil
}

// Shutdown stops the server, waiting up to 10 s for requests in flight.
func (s *simServer) Shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.hs.Shutdown(ctx)
}
