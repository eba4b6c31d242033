package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/demo"
	"github.com/hunterbot/hunterbot/internal/logging"
)

func init() {
	register(command{
		name:    "demo",
		usage:   "[--addr-base 127.0.0.1:7000] [--data DIR] [--scenario FILE] [--speed N] [--duration D]",
		summary: "run the embedded default: sim site + built-in brain + control plane + a worker, on loopback",
		run:     runDemo,
	})
}

// demoOut is where the demo prints its URLs, logins and live summary
// (stdout; tests swap it).
var demoOut io.Writer = os.Stdout

// demoStateDirs are the demo's scratch state, reset at every start so that
// the fresh simulated site and the stores agree.
var demoStateDirs = []string{"brain", "control", "worker"}

func runDemo(ctx context.Context, args []string) error {
	fs := newFlagSet("demo")
	base := fs.String("addr-base", "127.0.0.1:7000", "control plane address; the sim listens on port+1, the brain on port+2")
	scenario := fs.String("scenario", "", "sim scenario YAML (default: the embedded demo scenario)")
	speed := fs.Float64("speed", 60, "simulated seconds per real second")
	duration := fs.Duration("duration", 0, "stop after this long (real time); 0 = until interrupted")
	dataDir := fs.String("data", "data/demo", "scratch data directory (created 0700, reset at start)")
	seed := fs.Int64("seed", 1, "seed of the simulated candidates")
	logLevel := fs.String("log-level", "warn", "console log level: trace, debug, info, warn, error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *speed <= 0 {
		return usagef("--speed: must be > 0, got %v", *speed)
	}
	if *duration < 0 {
		return usagef("--duration: must be >= 0")
	}
	if _, err := offsetAddr(*base, 2); err != nil {
		return usagef("--addr-base: %v", err)
	}
	log, closer, err := logging.New(logging.Options{Level: *logLevel, FileLevel: demoFileLevel(*logLevel),
		File: filepath.Join(*dataDir, "logs", "demo.log")})
	if err != nil {
		return usagef("--log-level: %v", err)
	}
	defer closer.Close()
	sc, err := loadSimScenario(*scenario)
	if err != nil {
		return err
	}
	for _, d := range demoStateDirs {
		if err := os.RemoveAll(filepath.Join(*dataDir, d)); err != nil {
			return fmt.Errorf("reset demo state: %w", err)
		}
	}
	d, err := demo.Start(ctx, demo.Options{AddrBase: *base, DataDir: *dataDir, Scenario: sc, Speed: *speed,
		Seed: *seed, Log: log, Console: true})
	if err != nil {
		return err
	}
	defer d.Close()
	printDemoBanner(d, *dataDir, *speed, *seed)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if *duration > 0 {
		var stop context.CancelFunc
		runCtx, stop = context.WithTimeout(runCtx, *duration)
		defer stop()
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			printDemoSummary(d)
			fmt.Fprintln(demoOut, "hunterbot demo: stopped")
			return err
		case <-tick.C:
			printDemoSummary(d)
		}
	}
}

// demoFileLevel keeps the demo's log file at info (for `hunterbot logs`)
// even when the console is quieter, and follows a more verbose console.
func demoFileLevel(console string) string {
	if console == "debug" || console == "trace" {
		return console
	}
	return "info"
}

func printDemoBanner(d *demo.Demo, dataDir string, speed float64, seed int64) {
	w := demoOut
	fmt.Fprintf(w, "hunterbot demo: the embedded default on loopback (clock %gx, seed %d)\n", speed, seed)
	fmt.Fprintf(w, "  control plane   %s   operator %s / %s   OAuth client %s / %s\n", d.ControlURL, d.Username, d.Password, d.ClientID, d.ClientSecret)
	fmt.Fprintf(w, "  web console     %s/ui/   (same operator login)\n", d.ControlURL)
	for _, a := range d.Sim.Scenario().Accounts {
		fmt.Fprintf(w, "  simulated site  %s/web/user/   recruiter %s / %s\n", d.SimURL, a.Username, a.Password)
	}
	fmt.Fprintf(w, "  sim truth       %s/__sim/truth\n", d.SimURL)
	fmt.Fprintf(w, "  brain           %s   token %s\n", d.BrainURL, d.BrainToken)
	fmt.Fprintf(w, "  facts for scripts: %s   log: %s\n", filepath.Join(dataDir, "demo.json"), filepath.Join(dataDir, "logs", "demo.log"))
	fmt.Fprintf(w, "  contacts: TOKEN=$(curl -s -u %s:%s -d grant_type=password -d username=%s -d password=%s %s/oauth/token | jq -r .access_token)\n",
		d.ClientID, d.ClientSecret, d.Username, d.Password, d.ControlURL)
	fmt.Fprintf(w, "            curl -s -H \"Authorization: Bearer $TOKEN\" %s/api/contacts\n", d.ControlURL)
}

func printDemoSummary(d *demo.Demo) {
	s := d.Summary()
	states := ""
	for acc, st := range s.States {
		states += " " + acc + "=" + st
	}
	fmt.Fprintf(demoOut, "[sim %s] greeted %d  replied %d  contacts %d  accounts:%s\n",
		d.Clock.Now().Format("01-02 15:04"), s.Greeted, s.Replies, s.Contacts, states)
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
