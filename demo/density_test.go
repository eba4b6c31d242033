package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/procfs"
	"github.com/hunterbot/hunterbot/sim"
)

// Density benchmark parameters. docs/density.md explains the choices.
const (
	// densitySpeed is the scaled clock's speed: 10 simulated seconds per real
	// second, so the brain's first greeting slot (20 sim minutes after the
	// start) leaves 120 real seconds for log-in and the idle phase.
	densitySpeed = 10.0
	// densityHelloSum greetings per account per day; the first slot plans
	// two thirds of them, more than an account can do in the active window.
	densityHelloSum = 30
	// densityCandidates per job (the brain's filter declines some).
	densityCandidates = 90
	// densityIdleWindow and densityActiveWindow are the real-time lengths
	// of the two measured phases; densitySample is the memory sampling step.
	densityIdleWindow = 40 * time.Second
	// The active window spans more than one greeting batch per account, so
	// it covers the chat passes between batches too.
	densityActiveWindow = 2 * time.Minute
	densitySample       = 5 * time.Second
	// densitySettle lets the last log-in's page work finish before idle.
	densitySettle = 5 * time.Second
)

// densityCounts returns the account counts to measure:
// HUNTERBOT_DENSITY_N="1,5,10,20,30" or the default 1, 5, 10, 20.
func densityCounts(b *testing.B) []int {
	env := os.Getenv("HUNTERBOT_DENSITY_N")
	if env == "" {
		return []int{1, 5, 10, 20}
	}
	var ns []int
	for _, s := range strings.Split(env, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 100 {
			b.Fatalf("HUNTERBOT_DENSITY_N: %q is not a count in 1..100", s)
		}
		ns = append(ns, n)
	}
	return ns
}

// densityScenario is the default scenario's world with n recruiter
// accounts, each with its own uid, login and one job.
func densityScenario(b *testing.B, n int) *sim.Scenario {
	sc := sim.DefaultScenario()
	// Replies come 2–18 real seconds after a message at densitySpeed, so the
	// active window has conversations to answer, not only greetings.
	sc.Behaviour.ReplyDelayMin, sc.Behaviour.ReplyDelayMax = 20*time.Second, 3*time.Minute
	cities := []string{"北京", "上海", "深圳", "杭州", "成都"}
	sc.Accounts = nil
	for i := 1; i <= n; i++ {
		sc.Accounts = append(sc.Accounts, sim.Account{
			ID: fmt.Sprintf("acct%02d", i), Name: fmt.Sprintf("招聘%02d", i),
			Username: fmt.Sprintf("recruiter%02d", i), Password: fmt.Sprintf("pass-%02d", i),
			UID: 9100000 + int64(i), DailyQuota: 100,
			Jobs: []sim.Job{{ID: 30000 + int64(i), Name: "Go开发工程师", City: cities[i%len(cities)],
				Salary: "20-35K", Candidates: densityCandidates}},
		})
	}
	if err := sc.Validate(); err != nil {
		b.Fatalf("density scenario: %v", err)
	}
	return sc
}

// densityUsage is what one phase measured.
type densityUsage struct {
	Window time.Duration
	// Chromium: every process below the worker process. PSS and RSS are
	// the mean of the samples taken in the window, PeakPSS the largest.
	ChromePSSMB, ChromePeakPSSMB, ChromeRSSMB float64
	ChromeProcs                               int
	ChromeCPU                                 float64 // % of one core
	WorkerRSSMB                               float64 // the Go worker process
	WorkerCPU                                 float64 // % of one core
	MachineBusy                               float64 // % of all cores, everything running
	Greetings, Messages                       int     // site actions in the window
	NotRunning                                []string
}

// densityResult is one row of the table.
type densityResult struct {
	N           int
	LoginTime   time.Duration
	Idle        densityUsage
	Active      densityUsage
	RiskEvents  int
	Duplicates  int
	WarnLines   int
	Warnings    []string // distinct warn/error messages
	Failure     string
	LeftProcess []int
	LeftTemp    []string // entries Chromium left in its TMPDIR after exit
}

// BenchmarkDensity runs N accounts in one worker process (one Chromium, one
// browser context per account) against the embedded default on a scaled
// clock, and measures Chromium's and the worker's memory and CPU while the
// accounts are logged in with nothing to do (idle) and while they greet and
// chat (active). Each sub-benchmark is one measurement of several minutes;
// b.N is ignored. Run it alone, with nothing else loading the machine:
//
//	go test ./demo -run '^$' -bench Density -benchtime 1x -timeout 60m
//
// HUNTERBOT_DENSITY_N=1,5,10,20,30 chooses the account counts.
func BenchmarkDensity(b *testing.B) {
	if _, err := browser.FindChromium(); err != nil {
		b.Skipf("density needs Chromium: %v", err)
	}
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		b.Skipf("density reads /proc/<pid>/smaps_rollup (Linux >= 4.14): %v", err)
	}
	var rows []densityResult
	for _, n := range densityCounts(b) {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			r := measureDensity(b, n)
			rows = append(rows, r)
			b.ReportMetric(r.Idle.ChromePSSMB, "idle-chrome-PSS-MB")
			b.ReportMetric(r.Idle.ChromeCPU, "idle-chrome-%core")
			b.ReportMetric(r.Active.ChromePSSMB, "active-chrome-PSS-MB")
			b.ReportMetric(r.Active.ChromePeakPSSMB, "active-chrome-peakPSS-MB")
			b.ReportMetric(r.Active.ChromeCPU, "active-chrome-%core")
			b.ReportMetric(r.Active.WorkerCPU, "active-worker-%core")
			b.ReportMetric(r.Active.WorkerRSSMB, "active-worker-RSS-MB")
			b.ReportMetric(float64(r.Active.Greetings), "active-greetings")
			if r.Failure != "" {
				b.Errorf("N=%d: %s", n, r.Failure)
			}
		})
	}
	fmt.Print(densityTable(rows))
	if left := processesUsing(filepath.Join(os.TempDir(), "BenchmarkDensity")); len(left) > 0 {
		b.Errorf("processes still using a density profile: %v", left)
	}
}

// measureDensity runs one N and returns its figures. Failures of the
// accounts (not running, risk, duplicates) are recorded in the result, not
// fatal, so the table still shows how far the run got.
func measureDensity(b *testing.B, n int) (res densityResult) {
	res.N = n
	dir := b.TempDir()
	sc := densityScenario(b, n)
	anchor := time.Now()
	clk := clock.NewScaledFrom(sc.Start, anchor, densitySpeed)
	// The brain's first slot is 20 sim minutes after the start (BrainConfig).
	slot1 := anchor.Add(time.Duration(float64(20*time.Minute) / densitySpeed))
	// HUNTERBOT_DENSITY_MANAGED=1: the accounts are managed (created at
	// the control plane, assigned to the worker) instead of listed in its
	// YAML; in profiles mode each gets its Chromium when assigned.
	managed := os.Getenv("HUNTERBOT_DENSITY_MANAGED") != ""
	var workers []string
	if managed {
		workers = []string{"density-worker"}
	}
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: dir, Scenario: sc, Clock: clk,
		Seed: 5, Log: zerolog.Nop(), NoWorker: true, HelloSum: densityHelloSum, ManagedWorkers: workers})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := make(chan struct{})
	go func() { defer close(runDone); _ = d.Run(runCtx) }()
	defer func() { cancel(); <-runDone }()

	cfg := *d.WorkerConfig
	cfg.Accounts = append([]bot.AccountConfig(nil), cfg.Accounts...)
	for i := range cfg.Accounts {
		// A real worker reads the chat list every 20 s; keep that in real
		// time so the idle phase costs what it costs in production.
		cfg.Accounts[i].ChatPoll = time.Duration(float64(20*time.Second) * densitySpeed)
		// With pushes the full chat-list read is the safety net: every 3
		// minutes of real time, as in production.
		cfg.Accounts[i].ChatSafetyPoll = time.Duration(float64(3*time.Minute) * densitySpeed)
	}
	cfg.Browser.ProfileDir = filepath.Join(dir, "profile")
	// The directory whose processes must be gone after the run: the one
	// profile of contexts mode, the per-account profiles of profiles mode.
	browserDir := cfg.Browser.ProfileDir
	if cfg.Browser.Mode == browser.ModeProfiles {
		browserDir = cfg.Browser.ProfilesDir
	}
	static := cfg.Accounts
	if managed {
		cfg.WorkerID, cfg.Control.Token = workers[0], d.WorkerTokens[workers[0]]
		cfg.Accounts = nil
		cfg.Capacity = bot.CapacityConfig{MaxAccounts: n, Pull: 2 * time.Second}
	}
	spec, _ := json.Marshal(childSpec{Config: &cfg, Start: sc.Start, Anchor: anchor, Speed: densitySpeed})
	specPath := filepath.Join(dir, "child.json")
	if err := os.WriteFile(specPath, spec, 0o600); err != nil {
		b.Fatal(err)
	}
	logPath := filepath.Join(dir, "worker.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	// Chromium's own temporary files go under the run's directory, so a
	// leak is visible here (and TempDir removes it) whatever else runs.
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		b.Fatal(err)
	}
	cmd.Env = append(os.Environ(), childEnv+"="+specPath, "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		stopped := time.Now()
		res.LeftProcess = stopWorker(b, cmd, exited, browserDir)
		res.WarnLines, res.Warnings = countWarnings(logPath, stopped)
		entries, _ := os.ReadDir(tmp)
		for _, e := range entries {
			// rod unpacks its leakless guard binary into TMPDIR once and
			// reuses it on every launch: a cache by design, not a leak.
			if !strings.HasPrefix(e.Name(), "leakless-") {
				res.LeftTemp = append(res.LeftTemp, e.Name())
			}
		}
		if len(res.LeftProcess) > 0 {
			b.Errorf("N=%d: processes left behind: %v", n, res.LeftProcess)
		}
	}()

	op := operatorClient(d)
	tok, err := op.Login(context.Background(), d.ClientID, d.ClientSecret, d.Username, d.Password)
	if err != nil {
		b.Fatal(err)
	}
	op.SetToken(tok.AccessToken)
	pid := cmd.Process.Pid
	if managed {
		// The managed accounts' chat safety poll is the default 3 min of the
		// 10x clock (18 s real): account specs have no such key.
		for _, a := range static {
			if _, err := op.CreateAccount(context.Background(), wire.AccountSpec{Key: a.ID, Name: a.Name, PlatformID: a.PlatformID,
				ChatPoll: a.ChatPoll.String(),
				Login:    wire.AccountLogin{Method: a.Login.Method, Username: a.Login.Username, Password: a.Login.Password}}); err != nil {
				b.Fatalf("create account %s: %v", a.ID, err)
			}
		}
	}

	// Log-in: every account reports `running` to the control plane.
	started := time.Now()
	loginDeadline := slot1.Add(-densitySettle - 15*time.Second)
	for {
		bad := notRunning(op, sc)
		if len(bad) == 0 {
			break
		}
		if time.Now().After(loginDeadline) {
			res.Failure = fmt.Sprintf("after %s not every account was running before the first greeting slot: %s",
				time.Since(started).Round(time.Second), strings.Join(bad, ", "))
			return res
		}
		select {
		case err := <-exited:
			res.Failure = fmt.Sprintf("worker exited during log-in: %v (log %s)", err, logPath)
			exited <- err
			return res
		case <-time.After(500 * time.Millisecond):
		}
	}
	res.LoginTime = time.Since(started)
	time.Sleep(densitySettle)

	// Idle: logged in, reading the chat list, nothing planned before slot 1.
	idle := densityIdleWindow
	if left := time.Until(slot1) - 3*time.Second; left < idle {
		idle = left
	}
	res.Idle = measurePhase(op, d, sc, pid, idle)

	// Active: from slot 1 on, every account greets two thirds of its plan
	// and answers the replies.
	time.Sleep(time.Until(slot1) + time.Second)
	res.Active = measurePhase(op, d, sc, pid, densityActiveWindow)

	truth := d.Sim.Truth()
	for _, a := range truth.Accounts {
		res.RiskEvents += len(a.RiskEvents)
		res.Duplicates += len(a.DuplicateGreetings) + len(a.DuplicateMessages)
	}
	var fails []string
	if len(res.Idle.NotRunning) > 0 || len(res.Active.NotRunning) > 0 {
		fails = append(fails, "accounts left `running`: "+strings.Join(append(res.Idle.NotRunning, res.Active.NotRunning...), ", "))
	}
	if res.RiskEvents > 0 || res.Duplicates > 0 {
		fails = append(fails, fmt.Sprintf("%d risk events, %d duplicates on the site", res.RiskEvents, res.Duplicates))
	}
	if res.Active.Greetings == 0 {
		fails = append(fails, "no greeting in the active window")
	}
	res.Failure = strings.Join(fails, "; ")
	return res
}

// notRunning lists the accounts whose control-plane state is not running.
func notRunning(op *client.Operator, sc *sim.Scenario) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	accs, err := op.Accounts(ctx)
	if err != nil {
		return []string{"GET /api/accounts: " + err.Error()}
	}
	state := map[string]string{}
	for _, a := range accs {
		state[a.Key] = string(a.State)
	}
	var bad []string
	for _, a := range sc.Accounts {
		if s := state[a.ID]; s != string(bot.StateRunning) {
			if s == "" {
				s = "unreported"
			}
			bad = append(bad, a.ID+"="+s)
		}
	}
	return bad
}

// usageSample is one look at the worker process and its Chromium.
type usageSample struct {
	at                    time.Time
	chromeTicks           uint64
	chromePSS, chromeRSS  uint64 // kB
	chromeProcs           int
	workerTicks, workerKB uint64
	busy, total           uint64
}

func takeSample(worker int) usageSample {
	s := usageSample{at: time.Now()}
	if st, err := procfs.ReadStat(worker); err == nil {
		s.workerTicks = st.Ticks
	}
	if m, err := procfs.ReadMem(worker); err == nil {
		s.workerKB = m.RSSBytes / 1024
	}
	for _, p := range procfs.Descendants(worker) {
		st, err := procfs.ReadStat(p)
		if err != nil {
			continue // exited meanwhile; its time is in its parent's cutime
		}
		s.chromeTicks += st.Ticks + st.ChildTicks
		if m, err := procfs.ReadMem(p); err == nil {
			s.chromePSS += m.PSSBytes / 1024
			s.chromeRSS += m.RSSBytes / 1024
		}
		s.chromeProcs++
	}
	s.busy, s.total, _ = procfs.MachineTicks()
	return s
}

// measurePhase samples for window: CPU from the tick deltas between the
// first and last sample, memory as the mean (and peak) over all samples,
// site actions from the sim's truth, and every account's state.
func measurePhase(op *client.Operator, d *Demo, sc *sim.Scenario, worker int, window time.Duration) densityUsage {
	before := siteActions(d)
	samples := []usageSample{takeSample(worker)}
	end := samples[0].at.Add(window)
	bad := map[string]bool{}
	for time.Now().Before(end) {
		time.Sleep(min(densitySample, time.Until(end)))
		samples = append(samples, takeSample(worker))
		for _, a := range notRunning(op, sc) {
			bad[a] = true
		}
	}
	after := siteActions(d)
	first, last := samples[0], samples[len(samples)-1]
	secs := last.at.Sub(first.at).Seconds()
	u := densityUsage{Window: last.at.Sub(first.at).Round(time.Second)}
	pct := func(ticks uint64) float64 { return float64(ticks) / procfs.ClockTicks / secs * 100 }
	if last.chromeTicks >= first.chromeTicks {
		u.ChromeCPU = pct(last.chromeTicks - first.chromeTicks)
	}
	u.WorkerCPU = pct(last.workerTicks - first.workerTicks)
	if last.total > first.total {
		u.MachineBusy = float64(last.busy-first.busy) / float64(last.total-first.total) * 100
	}
	var pss, rss, wrss float64
	for _, s := range samples {
		pss += float64(s.chromePSS) / 1024
		rss += float64(s.chromeRSS) / 1024
		wrss += float64(s.workerKB) / 1024
		u.ChromePeakPSSMB = max(u.ChromePeakPSSMB, float64(s.chromePSS)/1024)
		u.ChromeProcs = max(u.ChromeProcs, s.chromeProcs)
	}
	k := float64(len(samples))
	u.ChromePSSMB, u.ChromeRSSMB, u.WorkerRSSMB = pss/k, rss/k, wrss/k
	u.Greetings, u.Messages = after[0]-before[0], after[1]-before[1]
	for a := range bad {
		u.NotRunning = append(u.NotRunning, a)
	}
	sort.Strings(u.NotRunning)
	return u
}

// siteActions counts greetings and the bot's own messages (texts and
// exchange requests, not the site's automatic greeting text) on the site.
func siteActions(d *Demo) [2]int {
	var n [2]int
	for _, a := range d.Sim.Truth().Accounts {
		n[0] += len(a.Greetings)
		for _, m := range a.Messages {
			if m.By == sim.ByBot && m.Kind != sim.KindGreeting {
				n[1]++
			}
		}
	}
	return n
}

// stopWorker stops the worker with SIGTERM (SIGKILL after 30 s), waits for
// its Chromium to go, and returns any process still using the profile.
func stopWorker(b *testing.B, cmd *exec.Cmd, exited chan error, profile string) []int {
	kids := procfs.Descendants(cmd.Process.Pid)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			b.Logf("worker exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		b.Logf("worker ignored SIGTERM for 30 s; killing it")
		_ = cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var left []int
		for _, p := range kids {
			// A zombie (already dead, not yet reaped) has an empty cmdline.
			if cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); err == nil && len(cmdline) > 0 {
				left = append(left, p)
			}
		}
		for _, p := range processesUsing(profile) {
			if !containsInt(left, p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// countWarnings counts warn and error lines in the worker's JSON log and
// returns their distinct messages with the error's first words (the worker
// logs no personal data; ids are cut to keep the list short).
// Lines logged at or after stopped (the SIGTERM) are marked as such: calls
// cut short by the shutdown warn too.
func countWarnings(path string, stopped time.Time) (int, []string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return -1, nil
	}
	n := 0
	seen := map[string]bool{}
	var kinds []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.Contains(line, `"level":"warn"`) && !strings.Contains(line, `"level":"error"`) {
			continue
		}
		n++
		var e struct {
			Message string    `json:"message"`
			Error   string    `json:"error"`
			Cause   string    `json:"cause"`
			Time    time.Time `json:"time"`
		}
		if json.Unmarshal([]byte(line), &e) != nil {
			continue
		}
		detail := e.Error + e.Cause
		if len(detail) > 160 {
			detail = detail[:160]
		}
		k := e.Message + ": " + detail
		if !e.Time.Before(stopped.Truncate(time.Second)) {
			k = "(during shutdown) " + k
		}
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, k)
		}
	}
	return n, kinds
}

// densityTable formats the results as the Markdown table of docs/density.md.
func densityTable(rows []densityResult) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nDensity (%d CPUs, speed %.0fx, idle %s / active %s windows)\n\n", runtime.NumCPU(), densitySpeed,
		densityIdleWindow, densityActiveWindow)
	sb.WriteString("| N | login | phase | window | Chromium PSS MB (peak) | Chromium RSS MB | procs | Chromium CPU %core | worker RSS MB | worker CPU %core | machine busy % | greets | msgs | all running |\n")
	sb.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		for i, p := range []struct {
			name string
			u    densityUsage
		}{{"idle", r.Idle}, {"active", r.Active}} {
			login := ""
			if i == 0 {
				login = r.LoginTime.Round(time.Second).String()
			}
			running := "yes"
			if len(p.u.NotRunning) > 0 {
				running = strings.Join(p.u.NotRunning, " ")
			}
			if p.u.Window == 0 {
				running = "not measured"
			}
			fmt.Fprintf(&sb, "| %d | %s | %s | %s | %.0f (%.0f) | %.0f | %d | %.1f | %.0f | %.1f | %.1f | %d | %d | %s |\n",
				r.N, login, p.name, p.u.Window, p.u.ChromePSSMB, p.u.ChromePeakPSSMB, p.u.ChromeRSSMB, p.u.ChromeProcs,
				p.u.ChromeCPU, p.u.WorkerRSSMB, p.u.WorkerCPU, p.u.MachineBusy, p.u.Greetings, p.u.Messages, running)
		}
	}
	for _, r := range rows {
		fmt.Fprintf(&sb, "N=%d: risk events %d, duplicates %d, worker warn/error log lines %d, processes left %v, temp files left %v",
			r.N, r.RiskEvents, r.Duplicates, r.WarnLines, r.LeftProcess, r.LeftTemp)
		if r.Failure != "" {
			fmt.Fprintf(&sb, ", FAILED: %s", r.Failure)
		}
		sb.WriteString("\n")
		for _, w := range r.Warnings {
			fmt.Fprintf(&sb, "  warn: %s\n", w)
		}
	}
	return sb.String()
}
