// Package modes_test runs the embedded default end to end in the worker's
// other set-ups: the profiles browser mode (one Chromium per account on a
// persistent profile) and the contexts mode with 10 % of the site's pushes
// dropped. They live apart from the demo package, whose suite must stay
// under five minutes, and are lean: one account, a few greetings, a few
// sim hours on a manual clock.
package modes_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/demo"
	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// hangLimit fails a run whose sim clock stood still this long (a
// component never went back to waiting on it); it is no time budget.
const hangLimit = 10 * time.Minute

// On a manual clock the sim time passes only while the bot waits, so the
// chat page's real-time polling and the worker's heartbeats (round trips
// the discrete-event loop waits for) only cost time here; both are
// lengthened as in the demo package's manual-clock tests
// (demo/wait_test.go). Neither test reads what they carry: the bot reads
// the chat list itself on every pass.
const (
	pageRefresh = 5 * time.Second
	heartbeat   = 10 * time.Minute
)

// start builds the embedded default on a manual clock with mode.
func start(t *testing.T, dataDir, mode string) (*demo.Demo, *clock.Manual) {
	t.Helper()
	sc := sim.DefaultScenario()
	sc.PageRefresh = pageRefresh
	clk := clock.NewManual(sc.Start)
	d, err := demo.Start(context.Background(), demo.Options{AddrBase: "127.0.0.1:0", DataDir: dataDir, Scenario: sc,
		Clock: clk, Seed: 5, Log: zerolog.Nop(), Browser: browsertest.Browser(t), HelloSum: 6, ChatPoll: time.Minute,
		Heartbeat:  heartbeat,
		WorkerHook: func(c *bot.Config) { c.Browser.Mode = mode }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d, clk
}

// run drives the demo as a discrete-event simulation (the clock moves when
// every component waits on it) until the sim clock reaches until.
func run(t *testing.T, d *demo.Demo, clk *clock.Manual, until time.Time) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	waiters := len(d.Runtime.Agents()) + 4 // + outbox, heartbeat, control housekeeping, keyword-hit delivery
	lastMove, lastSim := time.Now(), clk.Now()
	hung := false
	for clk.Now().Before(until) {
		if now := clk.Now(); now.After(lastSim) {
			lastMove, lastSim = time.Now(), now
		} else if time.Since(lastMove) > hangLimit {
			hung = true
			break
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := clk.WaitForWaiters(wctx, waiters)
		wcancel()
		if err == nil {
			clk.AdvanceToNext()
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo run: %v", err)
	}
	if hung {
		t.Fatalf("the sim clock stood still at %v", clk.Now())
	}
}

// checkTruth is what every end-to-end run must show on the site: greetings
// made, candidates answered, nothing twice, no risk, silence after an
// opt-out.
func checkTruth(t *testing.T, d *demo.Demo) {
	t.Helper()
	truth := d.Sim.Truth().Accounts["demo"]
	if len(truth.Greetings) < 4 {
		t.Fatalf("greeted %d candidates, want >= 4", len(truth.Greetings))
	}
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicates: greetings %v, messages %v", truth.DuplicateGreetings, truth.DuplicateMessages)
	}
	if len(truth.RiskEvents) != 0 || len(truth.MessagesAfterOptOut) != 0 {
		t.Fatalf("risk events %v, messages after opt-out %v", truth.RiskEvents, truth.MessagesAfterOptOut)
	}
	answered := map[int64]bool{}
	for _, m := range truth.Messages {
		if m.By == sim.ByBot && m.Kind != sim.KindGreeting {
			answered[m.CandidateID] = true
		}
	}
	if len(answered) < 3 {
		t.Fatalf("the bot wrote to %d candidates after greeting, want >= 3", len(answered))
	}
	t.Logf("truth: %d greetings, %d bot/human messages, %d disclosures, %d candidates answered; pushes %+v",
		len(truth.Greetings), len(truth.Messages), len(truth.Disclosures), len(answered), d.Sim.PushStats())
}

// Profiles mode: the account's own Chromium on a persistent 0700 profile,
// which outlives the worker and serves the next run.
func TestProfilesModeEndToEnd(t *testing.T) {
	t.Parallel() // both tests wait on Chromium and their clocks far more than on the CPU
	dir := t.TempDir()
	d, clk := start(t, dir, browser.ModeProfiles)
	if got := d.WorkerConfig.Browser.Mode; got != browser.ModeProfiles {
		t.Fatalf("worker mode %q", got)
	}
	profile := filepath.Join(dir, "worker", "profiles", "demo")
	run(t, d, clk, clk.Now().Add(4*time.Hour))
	checkTruth(t, d)
	if d.Sim.PushStats().Connects == 0 {
		t.Fatal("the account's chat page never opened the push channel")
	}
	st, err := os.Stat(profile)
	if err != nil {
		t.Fatalf("the profile did not outlive the worker: %v", err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("profile mode %v, want 0700", st.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(profile, "Default", "Cookies")); err != nil {
		t.Fatalf("the profile keeps no cookies: %v", err)
	}
	if left := browsertest.ProcessesUsing(profile); len(left) != 0 {
		t.Fatalf("chromium processes left on the profile: %v", left)
	}
	_ = d.Close()

	// A restarted worker opens the same profile (Chromium refuses a
	// profile another process holds, and the directory is not recreated).
	before, err := os.ReadFile(filepath.Join(profile, "Local State"))
	if err != nil {
		t.Fatal(err)
	}
	d2, clk2 := start(t, dir, browser.ModeProfiles)
	run(t, d2, clk2, clk2.Now().Add(20*time.Minute))
	if len(before) == 0 {
		t.Fatal("empty Local State")
	}
	// Logged in and on the chat page: its push socket reached the new sim.
	if d2.Sim.PushStats().Connects == 0 {
		t.Fatal("the restarted worker never reached the chat page on the reused profile")
	}
	if left := browsertest.ProcessesUsing(profile); len(left) != 0 {
		t.Fatalf("chromium processes left on the profile after the restart: %v", left)
	}
}

// Contexts mode with 10 % of the pushes dropped: a lost push only delays a
// reply until the safety-net pass; nothing is lost or sent twice.
func TestDroppedPushesChangeNothing(t *testing.T) {
	t.Parallel()
	d, clk := start(t, t.TempDir(), browser.ModeContexts)
	d.Sim.SetPushDrop(0.10)
	run(t, d, clk, clk.Now().Add(4*time.Hour))
	checkTruth(t, d)
	if st := d.Sim.PushStats(); st.Dropped == 0 || st.Published == 0 {
		t.Fatalf("push stats %+v: the run did not exercise dropped pushes", st)
	}
}
