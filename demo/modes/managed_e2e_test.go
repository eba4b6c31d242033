package modes_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/demo"
	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/sim"
	"github.com/hunterbot/hunterbot/state/worker"
)

// siteLogins counts password logins on the sim per username.
type siteLogins struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *siteLogins) count(user string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[user]
}

// A worker in profiles mode hosts managed accounts: each assigned account
// gets its own Chromium on its own persistent profile (the second logs in
// by the QR code the control plane relays); moving one away closes just
// that browser (the profile is free again: no process, no lock) while the
// other keeps working; a crash of one account's browser relaunches only
// that one; moved back, the account finds its profile logged in (no new
// login, with neither worker.db nor the control plane holding its
// session); a pause stops the agent and closes its browser, a resume needs
// no new scan. Nothing is left running and no temporary directory is left
// behind.
func TestProfilesModeHostsManagedAccounts(t *testing.T) {
	// Chromium and the worker put their temporary files here, so the test
	// can tell that nothing was left (other suites share the machine's
	// /tmp). Not t.TempDir(): its long path would push Chromium's profile
	// socket, which lives below TMPDIR, past the Unix socket path limit.
	dir := t.TempDir()
	tmp, err := os.MkdirTemp("", "hb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	sc, err := sim.LoadScenario(filepath.Join("..", "..", "configs", "sim-fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc.IntentTip = false // the popup has its own tests; it only slows this one under load
	a, b := sc.Accounts[0], sc.Accounts[1]

	// The control plane never gets a's session (its uploads fail), so when
	// a comes back, only its profile can still hold its login.
	logins := &siteLogins{n: map[string]int{}}
	middleware := func(component string, h http.Handler) http.Handler {
		switch component {
		case "control":
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && r.URL.Path == "/api/worker/accounts/"+a.ID+"/session" {
					http.Error(w, "session store unavailable (test)", http.StatusServiceUnavailable)
					return
				}
				h.ServeHTTP(w, r)
			})
		case "sim":
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost && r.URL.Path == "/wapi/zppassport/login/account" {
					body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
					r.Body = io.NopCloser(bytes.NewReader(body))
					logins.mu.Lock()
					for _, acc := range []sim.Account{a, b} {
						if bytes.Contains(body, []byte(acc.Username)) {
							logins.n[acc.Username]++
						}
					}
					logins.mu.Unlock()
				}
				h.ServeHTTP(w, r)
			})
		}
		return h
	}

	clk := clock.NewScaledFrom(sc.Start, time.Now(), 60)
	d, err := demo.Start(context.Background(), demo.Options{AddrBase: "127.0.0.1:0", DataDir: dir, Scenario: sc, Clock: clk,
		Seed: 5, Log: zerolog.Nop(), HelloSum: 15, AllAtOnce: true, ManagedWorkers: []string{"elsewhere"},
		LeaseTTL: 10 * time.Second, Middleware: middleware,
		WorkerHook: func(c *bot.Config) {
			c.Accounts = nil // managed accounts only
			c.Browser.Mode = browser.ModeProfiles
			c.Capacity = bot.CapacityConfig{MaxAccounts: 3, Pull: time.Second}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	runCtx, stopRun := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- d.Run(runCtx) }()
	defer func() { stopRun(); <-ran }()
	root := d.WorkerConfig.Browser.ProfilesDir
	profile := map[string]string{a.ID: filepath.Join(root, a.ID), b.ID: filepath.Join(root, b.ID)}

	ctx := context.Background()
	var op *client.Operator
	var tokenUntil time.Time
	// The access token lives 3 h of the 60x clock: log in again before it ends.
	fresh := func() {
		t.Helper()
		if op != nil && clk.Now().Add(time.Hour).Before(tokenUntil) {
			return
		}
		op = client.NewOperator(d.ControlURL, time.Minute)
		tok, err := op.Login(ctx, d.ClientID, d.ClientSecret, d.Username, d.Password)
		if err != nil {
			t.Fatal(err)
		}
		tokenUntil = clk.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	accounts := func() map[string]wire.Account {
		fresh()
		list, err := op.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]wire.Account{}
		for _, acc := range list {
			m[acc.Key] = acc
		}
		return m
	}
	truth := func(key string) sim.AccountTruth { return d.Sim.Truth().Accounts[key] }
	actions := func(key string) int { tr := truth(key); return len(tr.Greetings) + len(tr.Messages) }
	// owner is the "<host>-<pid>" of the Chromium holding key's profile
	// ("" when none does).
	owner := func(key string) string {
		o, held := browser.ProfileLock(profile[key])
		if !held {
			return ""
		}
		return o
	}
	running := func(key string, after int) func() bool {
		return func() bool {
			acc := accounts()[key]
			return acc.Lease != nil && acc.Lease.WorkerID == d.WorkerConfig.WorkerID &&
				string(acc.State) == string(bot.StateRunning) && actions(key) > after && owner(key) != ""
		}
	}
	report := func() string {
		var parts []string
		for key, acc := range accounts() {
			parts = append(parts, key+": "+string(acc.State)+" ("+acc.LastError+") lease "+leaseOf(acc)+" browser "+owner(key))
		}
		return strings.Join(parts, "; ")
	}
	create := func(acc sim.Account, login wire.AccountLogin) {
		fresh()
		spec := wire.AccountSpec{Key: acc.ID, Name: acc.Name, PlatformID: acc.ID, Login: login}
		if _, err := op.CreateAccount(ctx, spec); err != nil {
			t.Fatalf("create %s: %v", acc.ID, err)
		}
	}
	// scans counts the QR codes a "human" scanned for b: the relayed image
	// is read from the control plane and scanned on the sim.
	scans := 0
	scanRelayedQR := func() {
		fresh()
		st, err := op.LoginStatus(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Pending || len(st.PNG) == 0 {
			return
		}
		if _, err := png.Decode(bytes.NewReader(st.PNG)); err != nil {
			t.Fatalf("relayed QR is not a PNG: %v", err)
		}
		if err := d.Sim.ScanQR(b.ID); err == nil {
			scans++
		} else if !errors.Is(err, sim.ErrNoQR) {
			t.Fatal(err)
		}
	}
	qrPending := func() bool {
		fresh()
		st, err := op.LoginStatus(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st.Pending
	}

	// 1. The first account: its own Chromium on <profiles_dir>/<key>, 0700.
	create(a, wire.AccountLogin{Method: "password", Username: a.Username, Password: a.Password})
	testwait.Until(t, a.ID+" running in its own browser and greeting", running(a.ID, 0), report)
	st, err := os.Stat(profile[a.ID])
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("profile of %s: %v %v, want a 0700 directory", a.ID, st, err)
	}
	if logins.count(a.Username) != 1 {
		t.Fatalf("%s logged in %d times, want 1", a.ID, logins.count(a.Username))
	}

	// 2. A second account is added, logging in by QR through the control
	// plane's relay: a Chromium of its own; the first one's browser is the
	// same process as before.
	ownerA := owner(a.ID)
	create(b, wire.AccountLogin{Method: "qr"})
	bRunning := running(b.ID, 0)
	testwait.Until(t, b.ID+" logged in by the relayed QR, running in its own browser and greeting", func() bool {
		scanRelayedQR()
		return bRunning()
	}, report)
	if scans != 1 {
		t.Fatalf("%s needed %d scans, want 1", b.ID, scans)
	}
	if ownerB := owner(b.ID); ownerB == ownerA {
		t.Fatalf("both accounts in one browser %s", ownerB)
	}
	if got := owner(a.ID); got != ownerA {
		t.Fatalf("adding %s replaced %s's browser: %s -> %s", b.ID, a.ID, ownerA, got)
	}
	// The worker's memory metrics read both browsers.
	if sample, _ := d.Runtime.MetricsSample(); len(sample.BrowserPIDs) != 2 {
		t.Fatalf("metrics read the browsers %v, want 2", sample.BrowserPIDs)
	}

	// 3. The first account moves away (pinned to a worker that is not
	// running): its browser is closed and its profile free, while the
	// other account's browser stays and keeps acting.
	ownerB := owner(b.ID)
	fresh()
	if _, err := op.PatchAccount(ctx, a.ID, wire.AccountPatch{Pin: ptrTo("elsewhere"), Reason: "e2e move away"}); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, a.ID+" released and its browser gone", func() bool {
		_, lockErr := os.Lstat(filepath.Join(profile[a.ID], "SingletonLock"))
		return accounts()[a.ID].Lease == nil && len(browser.ProcessesUsing(profile[a.ID])) == 0 && os.IsNotExist(lockErr)
	}, report)
	if sample, _ := d.Runtime.MetricsSample(); len(sample.BrowserPIDs) != 1 {
		t.Fatalf("metrics read the browsers %v after %s left, want 1", sample.BrowserPIDs, a.ID)
	}
	awayAt, bAt := actions(a.ID), actions(b.ID)
	testwait.Until(t, b.ID+" acting while "+a.ID+" is away", func() bool { return actions(b.ID) >= bAt+2 }, report)
	if got := owner(b.ID); got != ownerB {
		t.Fatalf("moving %s away replaced %s's browser: %s -> %s", a.ID, b.ID, ownerB, got)
	}
	if got := actions(a.ID); got != awayAt {
		t.Fatalf("%s made %d site actions after it was moved away", a.ID, got-awayAt)
	}

	// 4. One account's Chromium dies: only that one is relaunched.
	restarts := d.Runtime.BrowserRestarts()
	bAt = actions(b.ID)
	killOwner(t, ownerB)
	testwait.Until(t, b.ID+"'s browser relaunched and acting", func() bool {
		o := owner(b.ID)
		return o != "" && o != ownerB && actions(b.ID) > bAt
	}, report)
	if got := d.Runtime.BrowserRestarts(); got != restarts+1 {
		t.Fatalf("browser restarts %d -> %d, want one more", restarts, got)
	}
	if qrPending() {
		t.Fatalf("%s asks for a new QR scan after its browser was relaunched on its profile", b.ID)
	}

	// 5. Moved back: the same profile, still logged in. Neither the worker
	// (its saved session is deleted here) nor the control plane (its
	// uploads failed) holds a's session, so a login-free start proves the
	// profile's cookies.
	if err := d.Runtime.DB().Update(func(tx *worker.Tx) error { return tx.DeleteSession(a.ID) }); err != nil {
		t.Fatal(err)
	}
	fresh()
	if m, err := op.Account(ctx, a.ID); err != nil || m.HasSession {
		t.Fatalf("the control plane holds a session of %s (%v): the test would not show the profile's", a.ID, err)
	}
	fresh()
	if _, err := op.PatchAccount(ctx, a.ID, wire.AccountPatch{Pin: ptrTo(""), Reason: "e2e move back"}); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, a.ID+" back in a browser on its profile and acting", running(a.ID, awayAt), report)
	if n := logins.count(a.Username); n != 1 {
		t.Fatalf("%s logged in %d times; moved back onto its profile it needs none", a.ID, n)
	}

	// 6. Paused, the QR account's agent stops at its next action check and
	// its browser is closed, the other account untouched; resumed, it is
	// logged in from its profile without a new scan.
	ownerA, ownerB = owner(a.ID), owner(b.ID)
	fresh()
	if _, err := op.PatchAccount(ctx, b.ID, wire.AccountPatch{Desired: ptrTo(wire.DesiredPaused), Reason: "e2e pause"}); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, b.ID+" paused and its browser gone", func() bool {
		return accounts()[b.ID].Lease == nil && len(browser.ProcessesUsing(profile[b.ID])) == 0 && owner(b.ID) == ""
	}, report)
	pausedAt, aAt := actions(b.ID), actions(a.ID)
	testwait.Until(t, a.ID+" acting while "+b.ID+" is paused", func() bool { return actions(a.ID) >= aAt+2 }, report)
	if got := actions(b.ID); got != pausedAt || owner(a.ID) != ownerA {
		t.Fatalf("paused %s acted %d times / %s's browser changed %s -> %s", b.ID, got-pausedAt, a.ID, ownerA, owner(a.ID))
	}
	fresh()
	if _, err := op.PatchAccount(ctx, b.ID, wire.AccountPatch{Desired: ptrTo(wire.DesiredRunning), Reason: "e2e resume"}); err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, b.ID+" resumed on its profile and acting", func() bool {
		return running(b.ID, pausedAt)() && owner(b.ID) != ownerB
	}, report)
	if qrPending() || scans != 1 {
		t.Fatalf("%s needed a new QR scan after its resume (scans %d)", b.ID, scans)
	}

	// 7. The worker stops: every browser closed, every profile free, kept.
	stopRun()
	if err := <-ran; err != nil {
		t.Fatalf("demo run: %v", err)
	}
	ran <- nil // for the deferred stop
	for key, p := range profile {
		if left := browser.ProcessesUsing(p); len(left) != 0 {
			t.Errorf("%s: chromium processes left on its profile: %v", key, left)
		}
		if o, held := browser.ProfileLock(p); held {
			t.Errorf("%s: profile still locked by %s", key, o)
		}
		if _, err := os.Stat(filepath.Join(p, "Default", "Cookies")); err != nil {
			t.Errorf("%s: the profile keeps no cookies: %v", key, err)
		}
	}
	for key := range profile {
		tr := truth(key)
		if len(tr.DuplicateGreetings) != 0 || len(tr.DuplicateMessages) != 0 || len(tr.RiskEvents) != 0 {
			t.Errorf("%s: duplicates %v %v, risk %v", key, tr.DuplicateGreetings, tr.DuplicateMessages, tr.RiskEvents)
		}
		t.Logf("%s: %d greetings, %d messages", key, len(tr.Greetings), len(tr.Messages))
	}
	left, _ := os.ReadDir(tmp)
	var names []string
	for _, e := range left {
		if !strings.HasPrefix(e.Name(), "leakless-") { // rod's guard binary, a cache by design
			names = append(names, e.Name())
		}
	}
	if len(names) != 0 {
		t.Errorf("temporary files left: %v", names)
	}
}

func leaseOf(a wire.Account) string {
	if a.Lease == nil {
		return "none"
	}
	return a.Lease.WorkerID
}

// killOwner SIGKILLs the browser process named by a profile lock owner
// ("<host>-<pid>"), as a crash would end it.
func killOwner(t *testing.T, owner string) {
	t.Helper()
	i := strings.LastIndexByte(owner, '-')
	pid := 0
	for _, c := range owner[i+1:] {
		pid = pid*10 + int(c-'0')
	}
	if i < 0 || pid <= 0 {
		t.Fatalf("lock owner %q names no pid", owner)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill browser %d: %v", pid, err)
	}
}

func ptrTo[T any](v T) *T { return &v }
