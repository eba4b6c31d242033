package loadbench_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain/loadbench"
)

// Environment of TestSideBySide.
const (
	refURLEnv     = "HUNTERBOT_LOADBENCH_REF_URL"     // the reference's base URL; the test is skipped without it
	refPIDsEnv    = "HUNTERBOT_LOADBENCH_REF_PIDS"    // its processes (gunicorn master, MariaDB), comma-separated
	refAccountEnv = "HUNTERBOT_LOADBENCH_REF_ACCOUNT" // an account of the reference; registered when empty
	roundsEnv     = "HUNTERBOT_LOADBENCH_ROUNDS"      // alternated rounds (default 3)
	secondsEnv    = "HUNTERBOT_LOADBENCH_SECONDS"     // seconds per run (default 20)
	endpointsEnv  = "HUNTERBOT_LOADBENCH_ENDPOINTS"   // comma-separated subset of the endpoints
	outEnv        = "HUNTERBOT_LOADBENCH_OUT"         // also write the report to this file
)

// TestSideBySide measures the reference and the built-in brain the same
// way in the same session: for every round and endpoint, one run against
// the reference, then one against the built-in brain, each a closed loop
// of 8 connections for HUNTERBOT_LOADBENCH_SECONDS, with the load average
// noted before each run. It prints (and writes to HUNTERBOT_LOADBENCH_OUT)
// every run and a table of medians with the ratio. It is a measurement,
// not a check of speed: it fails only when a request fails.
func TestSideBySide(t *testing.T) {
	refURL := os.Getenv(refURLEnv)
	if refURL == "" {
		t.Skip("measurement tool: set " + refURLEnv + " to a running reference server (see docs/brain.md, Performance)")
	}
	ref := target{url: refURL, account: os.Getenv(refAccountEnv)}
	for _, f := range strings.Split(os.Getenv(refPIDsEnv), ",") {
		if f = strings.TrimSpace(f); f != "" {
			p, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s: %q is not a pid", refPIDsEnv, f)
			}
			ref.pids = append(ref.pids, p)
		}
	}
	if ref.account == "" {
		acct, err := register(ref)
		if err != nil {
			t.Fatalf("register on the reference: %v", err)
		}
		ref.account = acct
	}
	own := startSelf(t)
	rounds := envInt(t, roundsEnv, 3)
	dur := time.Duration(envInt(t, secondsEnv, 20)) * time.Second
	eps := loadbench.Endpoints
	if v := os.Getenv(endpointsEnv); v != "" {
		eps = nil
		for _, e := range strings.Split(v, ",") {
			if !slices.Contains(loadbench.Endpoints, loadbench.Endpoint(e)) {
				t.Fatalf("%s: unknown endpoint %q (want %v)", endpointsEnv, e, loadbench.Endpoints)
			}
			eps = append(eps, loadbench.Endpoint(e))
		}
	}

	var report strings.Builder
	logf := func(format string, a ...any) {
		line := fmt.Sprintf(format, a...)
		t.Log(line)
		report.WriteString(line + "\n")
	}
	logf("side by side: %d rounds × %v per run, %d connections, endpoints %v, %s", rounds, dur, conns, eps, time.Now().UTC().Format(time.RFC3339))
	type key struct {
		who string
		e   loadbench.Endpoint
	}
	all := map[key][]loadbench.Result{}
	client := loadbench.NewClient(conns)
	greeted := map[string][]string{} // per side: candidates its filter runs answered
	chatted := map[string]int64{}    // per side: Base of its last chat run
	for r := 1; r <= rounds; r++ {
		for _, e := range eps {
			for _, side := range []struct {
				who string
				tg  target
			}{{"reference", ref}, {"hunterbot", own}} {
				load := loadAvg()
				bodies := loadbench.NewBodies(side.tg.account, time.Now().UnixMicro())
				opts := loadbench.Options{BaseURL: side.tg.url, Token: side.tg.token, Conns: conns, Duration: dur, PIDs: side.tg.pids}
				if (e == loadbench.RecallList || e == loadbench.RecallResult) && chatted[side.who] != 0 {
					bodies.PoolBase = chatted[side.who]
				}
				if e == loadbench.TaskReport && len(greeted[side.who]) > 0 {
					// Report each filtered candidate once, as the bot does
					// (the reference rejects a second greeting of one
					// candidate): the run may end early when they run out.
					bodies.Greeted = greeted[side.who]
					opts.Requests = int64(len(bodies.Greeted))
					greeted[side.who] = nil
				}
				res, err := loadbench.Run(context.Background(), client, bodies, e, opts)
				if err != nil {
					t.Fatal(err)
				}
				if e == loadbench.Chat {
					chatted[side.who] = bodies.Base
				}
				if e == loadbench.Filter {
					greeted[side.who] = append(greeted[side.who], bodies.FilteredIDs(res.Answered)...)
				}
				logf("round %d %-9s %s  load %s", r, side.who, res, load)
				if res.Errors > 0 {
					t.Errorf("%s %s: %d errors; first: %s", side.who, e, res.Errors, res.FirstError)
				}
				all[key{side.who, e}] = append(all[key{side.who, e}], res)
			}
		}
	}
	logf("")
	logf("| endpoint | reference req/s | p50 / p99 ms | CPU ms/req | hunterbot req/s | p50 / p99 ms | CPU ms/req | ratio |")
	logf("|---|---|---|---|---|---|---|---|")
	for _, e := range eps {
		a, b := median(all[key{"reference", e}]), median(all[key{"hunterbot", e}])
		logf("| %s | %.0f | %.1f / %.1f | %.2f | %.0f | %.2f / %.2f | %.3f | %.1f× |", e,
			a.rps, a.p50, a.p99, a.cpu, b.rps, b.p50, b.p99, b.cpu, b.rps/a.rps)
	}
	logf("load average after: %s", loadAvg())
	if path := os.Getenv(outEnv); path != "" {
		if err := os.WriteFile(path, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type summary struct{ rps, p50, p99, cpu float64 }

// median takes each figure's median over the runs separately (the mean of
// the middle two for an even number of runs).
func median(rs []loadbench.Result) summary {
	pick := func(f func(loadbench.Result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	msf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return summary{
		rps: pick(loadbench.Result.ReqPerSec),
		p50: pick(func(r loadbench.Result) float64 { return msf(r.P50) }),
		p99: pick(func(r loadbench.Result) float64 { return msf(r.P99) }),
		cpu: pick(func(r loadbench.Result) float64 { return msf(r.CPUPerReq()) }),
	}
}

func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s: %q is not a positive integer", name, v)
	}
	return n
}
