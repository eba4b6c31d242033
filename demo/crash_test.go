package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
)

// childEnv names the spec file of a worker process started by a test.
const childEnv = "HUNTERBOT_DEMO_CHILD_SPEC"

// childSpec is what a child worker needs: its config and the shared clock.
type childSpec struct {
	Config *bot.Config `json:"config"`
	Start  time.Time   `json:"start"`
	Anchor time.Time   `json:"anchor"`
	Speed  float64     `json:"speed"`
}

// childLog creates the file a test's child workers write to and, when the
// test fails (or always is set), logs its last tail lines at cleanup.
func childLog(t *testing.T, path string, tail int, always bool) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer f.Close()
		if t.Failed() || always {
			raw, _ := os.ReadFile(path)
			lines := strings.Split(string(raw), "\n")
			if len(lines) > tail {
				lines = lines[len(lines)-tail:]
			}
			t.Logf("worker log tail:\n%s", strings.Join(lines, "\n"))
		}
	})
	return f
}

// startChild writes spec to specPath and starts a worker process (this
// test binary; see TestMain) whose output goes to log.
func startChild(t *testing.T, spec childSpec, specPath string, log *os.File) *exec.Cmd {
	t.Helper()
	data, _ := json.Marshal(spec)
	if err := os.WriteFile(specPath, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+specPath)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// runChildWorker is the body of a worker process (see TestMain).
func runChildWorker(specPath string) int {
	raw, err := os.ReadFile(specPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	var spec childSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := zerolog.New(os.Stderr).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	clk := clock.NewScaledFrom(spec.Start, spec.Anchor, spec.Speed)
	rt, err := bot.NewRuntime(ctx, spec.Config, bot.RuntimeOptions{Clock: clk, Log: log})
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return 0 // stopped while starting, as `hunterbot worker` does
		}
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	if err := rt.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// The worker process is killed with SIGKILL at random moments, a dozen
// times, and restarted on the same worker.db. The site's truth must show no
// duplicate greeting or message, and every contact disclosed must reach the
// control plane.
func TestWorkerSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	const kills = 12
	sc := sim.DefaultScenario()
	speed := 120.0
	anchor := time.Now()
	clk := clock.NewScaledFrom(sc.Start, anchor, speed)
	dir := t.TempDir()
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: dir, Scenario: sc, Clock: clk,
		Seed: 11, Log: zerolog.Nop(), NoWorker: true, HelloSum: 15, AllAtOnce: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = d.Run(runCtx) }()

	// Follow-ups run too, so kills also land in the middle of follow-up sends.
	createFollowups(t, d, "开发", []followupScript{
		{Day: 1, Order: 1, Interval: 24, Content: "后续沟通会更及时，您方便留一下您的微信号吗？我这边加您。"},
		{Day: 1, Order: 2, Interval: 1, Content: "看到您的经历很匹配，方便的话聊聊？"},
		{Day: 0, Order: 1, Interval: 1, Content: "您好，如果您感兴趣可以随时联系我。"},
	})
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill schedule seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	cfg := *d.WorkerConfig
	cfg.Accounts = append([]bot.AccountConfig(nil), cfg.Accounts...)
	for i := range cfg.Accounts {
		cfg.Accounts[i].ChatPoll = time.Minute
	}
	logFile := childLog(t, filepath.Join(dir, "children.log"), 150, os.Getenv("HUNTERBOT_DEBUG_CRASH") != "")
	start := func(i int) *exec.Cmd {
		cfg.Browser.ProfileDir = filepath.Join(dir, fmt.Sprintf("profile-%02d", i))
		return startChild(t, childSpec{Config: &cfg, Start: sc.Start, Anchor: anchor, Speed: speed},
			filepath.Join(dir, fmt.Sprintf("child-%02d.json", i)), logFile)
	}
	waitBrowserGone := func(profile string) {
		waitUntil(t, "the killed worker's Chromium to exit", func() bool { return len(processesUsing(profile)) == 0 },
			func() string { return fmt.Sprintf("still running: %v", processesUsing(profile)) })
	}
	for i := 0; i < kills; i++ {
		cmd := start(i)
		time.Sleep(time.Duration(2000+rng.IntN(7000)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		waitBrowserGone(cfg.Browser.ProfileDir)
		t.Logf("kill %d at sim %s", i+1, clk.Now().Format("15:04:05"))
	}
	// A last, undisturbed run keeps going until the crash test has
	// exercised what it claims: greetings, at least one follow-up, and every
	// contact disclosed 40 sim minutes before (time to read and push it) in
	// the control plane. A loaded machine just takes longer.
	last := start(kills)
	var end time.Time
	var missing []string
	lastCheck := time.Time{}
	took := waitUntil(t, "the final worker to greet, send a follow-up and deliver the disclosed contacts", func() bool {
		truth := d.Sim.Truth().Accounts["demo"]
		if len(truth.Greetings) < 10 || countFollowups(truth) == 0 || time.Since(lastCheck) < 2*time.Second {
			return false
		}
		lastCheck = time.Now()
		now := clk.Now()
		missing = undelivered(t, d, truth, now.Add(-40*time.Minute))
		if len(missing) > 0 {
			return false
		}
		end = now
		return true
	}, func() string {
		truth := d.Sim.Truth().Accounts["demo"]
		return fmt.Sprintf("%d greetings, %d follow-ups, undelivered disclosures %v", len(truth.Greetings), countFollowups(truth), missing)
	})
	t.Logf("final run settled after %v (sim %s)", took.Round(time.Second), end.Format("15:04:05"))
	if err := last.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := last.Wait(); err != nil {
		t.Fatalf("final worker exited with %v (see %s)", err, logFile.Name())
	}
	waitBrowserGone(cfg.Browser.ProfileDir)

	truth := d.Sim.Truth().Accounts["demo"]
	if len(truth.Greetings) < 10 {
		t.Fatalf("only %d greetings across the run; the crash test did not exercise greeting", len(truth.Greetings))
	}
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicates after %d SIGKILLs: greetings %+v, messages %+v", kills, truth.DuplicateGreetings, truth.DuplicateMessages)
	}
	if missing := undelivered(t, d, truth, end.Add(-40*time.Minute)); len(missing) > 0 {
		t.Errorf("disclosed contacts missing from the control plane: %v", missing)
	}
	checked := 0
	for _, disc := range truth.Disclosures {
		if disc.Type != "cv" && !disc.Time.After(end.Add(-40*time.Minute)) {
			checked++
		}
	}
	followups := countFollowups(truth)
	if followups == 0 {
		t.Fatal("no follow-up was sent; the crash test did not exercise the follow-up path")
	}
	t.Logf("sim %s..%s: %d greetings, %d messages (%d follow-ups), %d disclosures checked, 0 duplicates",
		sc.Start.Format("15:04"), end.Format("15:04"), len(truth.Greetings), len(truth.Messages), followups, checked)
}

// countFollowups counts the bot's messages that are the test's follow-up
// scripts.
func countFollowups(truth sim.AccountTruth) int {
	n := 0
	for _, m := range truth.Messages {
		if m.By == sim.ByBot && (strings.HasPrefix(m.Text, "后续沟通") || strings.HasPrefix(m.Text, "看到您的经历") || strings.HasPrefix(m.Text, "您好，如果您感兴趣")) {
			n++
		}
	}
	return n
}

// undelivered lists the contacts (wechat or phone) disclosed up to before
// whose value the control plane does not hold.
func undelivered(t *testing.T, d *Demo, truth sim.AccountTruth, before time.Time) []string {
	t.Helper()
	contacts := controlContacts(t, d)
	var out []string
	for _, disc := range truth.Disclosures {
		if disc.Type == "cv" || disc.Time.After(before) {
			continue
		}
		c := contacts[strconv.FormatInt(disc.CandidateID, 10)]
		got := c.Wechat
		if disc.Type == "phone" {
			got = c.Phone
		}
		if got != disc.Value {
			out = append(out, fmt.Sprintf("candidate %d %s %q (%s), control plane has %q", disc.CandidateID, disc.Type, disc.Value, disc.How, got))
		}
	}
	return out
}

// processesUsing lists the pids whose command line mentions dir.
var processesUsing = browsertest.ProcessesUsing
