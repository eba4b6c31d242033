package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/internal/logging"
)

func init() {
	register(command{
		name:    "demo",
		usage:   "[--addr-base 127.0.0.1:7000] [--scenario FILE] [--speed N] [--duration D] [--data DIR]",
		summary: "run the embedded demo: the simulated site on addr-base port+1 (bot, brain and control plane to follow)",
		run:     runDemo,
	})
}

// demoOut is where the demo prints its URLs and logins (stdout; tests swap
// it).
var demoOut io.Writer = os.Stdout

func runDemo(ctx context.Context, args []string) error {
	fs := newFlagSet("demo")
	base := fs.String("addr-base", "127.0.0.1:7000", "base address; the sim listens on its port+1")
	scenario := fs.String("scenario", "", "scenario YAML (default: the embedded demo scenario)")
	speed := fs.Float64("speed", 60, "simulated seconds per real second")
	duration := fs.Duration("duration", 0, "stop after this long (real time); 0 = until interrupted")
	dataDir := fs.String("data", "data/demo", "data directory (created 0700)")
	seed := fs.Int64("seed", 1, "seed of the simulated candidates")
	logLevel := fs.String("log-level", "info", "log level: trace, debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *speed <= 0 {
		return usagef("--speed: must be > 0, got %v", *speed)
	}
	if *duration < 0 {
		return usagef("--duration: must be >= 0")
	}
	simAddr, err := offsetAddr(*base, 1)
	if err != nil {
		return usagef("--addr-base: %v", err)
	}
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
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
	srv, err := startSim(simAddr, sc, *speed, *seed, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(demoOut, "hunterbot demo: simulated site %s/web/user/ (speed %gx, seed %d)\n", srv.URL, *speed, *seed)
	for _, a := range sc.Accounts {
		fmt.Fprintf(demoOut, "  login: account %q  username %q  password %q\n", a.ID, a.Username, a.Password)
	}
	fmt.Fprintf(demoOut, "  truth: %s/__sim/truth\n", srv.URL)

	var stop <-chan time.Time
	if *duration > 0 {
		t := time.NewTimer(*duration)
		defer t.Stop()
		stop = t.C
	}
	select {
	case err := <-srv.Done:
		return fmt.Errorf("sim: %w", err)
	case <-ctx.Done():
	case <-stop:
	}
	log.Info().Msg("demo stopping")
	return srv.Shutdown()
}

// offsetAddr returns host:port+n for addr host:port.
func offsetAddr(addr string, n int) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p+n > 65535 {
		return "", fmt.Errorf("port %q: want 1..%d", port, 65535-n)
	}
	return net.JoinHostPort(host, strconv.Itoa(p+n)), nil
}
