package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
)

// Accounts created only through the API run on two worker processes: they
// spread over both, the QR account logs in from the image the API relays,
// pause and resume act on one agent, and when a worker is SIGKILLed its
// accounts move to the other after the lease, without duplicates or lost
// contacts, while the dead worker's writes are refused.
func TestManagedAccountsAcrossTwoWorkers(t *testing.T) {
	t.Parallel()
	sc, err := sim.LoadScenario(filepath.Join("..", "configs", "sim-fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Accounts) < 3 {
		t.Fatalf("fleet scenario has %d accounts, want 3", len(sc.Accounts))
	}
	// The 意向沟通 popup has its own tests; under load its dismissal times
	// out and puts every account in error backoff, which only slows this test.
	sc.IntentTip = false
	const lease = 10 * time.Second
	speed := 60.0
	anchor := time.Now()
	clk := clock.NewScaledFrom(sc.Start, anchor, speed)
	dir := t.TempDir()
	workers := []string{"w1", "w2"}
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: dir, Scenario: sc, Clock: clk,
		Seed: 5, Log: zerolog.Nop(), NoWorker: true, HelloSum: 15, AllAtOnce: true, ManagedWorkers: workers, LeaseTTL: lease})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = d.Run(runCtx) }()
	ctx := context.Background()
	op := operatorClient(d)
	// The access token lives 3 h on the control plane's clock, which runs
	// 60x here, so a run slowed down by load outlives it: operator calls
	// log in again (fresh) once less than an hour of it is left.
	var tokenUntil time.Time
	fresh := func() {
		t.Helper()
		if clk.Now().Add(time.Hour).Before(tokenUntil) {
			return
		}
		// A new client: the old one's bearer token would replace the
		// password grant's client credentials.
		op = operatorClient(d)
		tok, err := op.Login(ctx, d.ClientID, d.ClientSecret, d.Username, d.Password)
		if err != nil {
			t.Fatal(err)
		}
		tokenUntil = clk.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	fresh()

	// One day-1 follow-up for every position, due 10 sim-minutes after a
	// greeting nobody answered: each candidate may get it at most once,
	// whichever worker holds the account when it is due.
	const followup = "复聊：您好，还在看新机会吗？"
	createFollowups(t, d, "", []followupScript{{Day: 1, Order: 1, Content: followup}})

	// Three accounts, only through the API: the first logs in by QR.
	keys := []string{}
	for i, a := range d.WorkerConfig.Accounts[:3] {
		spec := wire.AccountSpec{Key: a.ID, Name: a.Name, PlatformID: a.PlatformID, FollowupReplyWait: "10m",
			Login: wire.AccountLogin{Method: "password", Username: a.Login.Username, Password: a.Login.Password}}
		if i == 0 {
			spec.Login = wire.AccountLogin{Method: "qr"}
		}
		if _, err := op.CreateAccount(ctx, spec); err != nil {
			t.Fatalf("create %s: %v", a.ID, err)
		}
		keys = append(keys, a.ID)
	}
	qrKey, pauseKey := keys[0], keys[1]

	logFile := childLog(t, filepath.Join(dir, "workers.log"), 120, false)
	procs := map[string]*exec.Cmd{}
	profiles := map[string]string{}
	for _, w := range workers {
		cfg := &bot.Config{WorkerID: w, DataDir: filepath.Join(dir, w),
			Site: bot.SiteConfig{BaseURL: d.SimURL}, Brain: bot.BrainConfig{URL: d.BrainURL, Token: d.BrainToken},
			Control:  bot.ControlConfig{URL: d.ControlURL, Token: d.WorkerTokens[w]},
			Capacity: bot.CapacityConfig{MaxAccounts: 3, Pull: 2 * time.Second}}
		cfg.Browser.ProfileDir = filepath.Join(dir, w+"-profile")
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		// HUNTERBOT_BROWSER_MODE=profiles runs this test in profiles mode:
		// the worker's Chromiums are then the per-account ones.
		profiles[w] = cfg.Browser.ProfileDir
		if cfg.Browser.Mode == browser.ModeProfiles {
			profiles[w] = cfg.Browser.ProfilesDir
		}
		cmd := startChild(t, childSpec{Config: cfg, Start: sc.Start, Anchor: anchor, Speed: speed}, filepath.Join(dir, w+".json"), logFile)
		procs[w] = cmd
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}

	accounts := func() map[string]wire.Account {
		fresh()
		list, err := op.Accounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]wire.Account{}
		for _, a := range list {
			m[a.Key] = a
		}
		return m
	}
	holder := func(a wire.Account) string {
		if a.Lease == nil {
			return ""
		}
		return a.Lease.WorkerID
	}
	truth := func(key string) sim.AccountTruth { return d.Sim.Truth().Accounts[key] }
	// actions counts site actions: greetings and the texts the recruiter
	// side typed. A greeting also puts the site's greeting text in
	// Messages; counted there too, one greeting past its gate check would
	// look like two actions after a pause.
	actions := func(key string) int {
		tr := truth(key)
		n := len(tr.Greetings)
		for _, m := range tr.Messages {
			if m.Kind != sim.KindGreeting {
				n++
			}
		}
		return n
	}

	// Spread over both workers.
	waitFor(t, "accounts on both workers", func() bool {
		per := map[string]int{}
		for _, a := range accounts() {
			per[holder(a)]++
		}
		return per["w1"] >= 1 && per["w2"] >= 1 && per[""] == 0
	})

	// The QR account: the image comes from the API and is scanned in the sim.
	var scanned bool
	waitFor(t, "QR login relayed and scanned", func() bool {
		fresh()
		st, err := op.LoginStatus(ctx, qrKey)
		if err != nil {
			t.Fatal(err)
		}
		if st.State == string(bot.StateRunning) && scanned {
			return true
		}
		if !st.Pending || len(st.PNG) == 0 {
			return false
		}
		if _, err := png.Decode(bytes.NewReader(st.PNG)); err != nil {
			t.Fatalf("relayed QR is not a PNG: %v", err)
		}
		if err := d.Sim.ScanQR(qrKey); err == nil {
			scanned = true
		} else if !errors.Is(err, sim.ErrNoQR) {
			t.Fatal(err)
		}
		return false
	})
	waitFor(t, "all three accounts running and greeting", func() bool {
		accs := accounts()
		for _, k := range keys {
			if string(accs[k].State) != string(bot.StateRunning) || len(truth(k).Greetings) == 0 {
				return false
			}
		}
		return true
	})

	// Pause one account: the agent asks before every site action, so once
	// the PATCH is acknowledged at most one action (one already past its
	// check) can still land; then its agent stops and nothing happens on it
	// until resume.
	before := actions(pauseKey)
	fresh()
	if _, err := op.PatchAccount(ctx, pauseKey, wire.AccountPatch{Desired: ptrTo(wire.DesiredPaused), Reason: "e2e pause"}); err != nil {
		t.Fatal(err)
	}
	acked := actions(pauseKey)
	waitFor(t, "paused account released", func() bool { return accounts()[pauseKey].Lease == nil })
	atStop := actions(pauseKey)
	t.Logf("pause: %d site actions between the request and its acknowledgement, %d after it until the agent stopped", acked-before, atStop-acked)
	if atStop-acked > 1 {
		t.Fatalf("paused account made %d site actions after the pause was acknowledged, want at most 1", atStop-acked)
	}
	others := len(truth(keys[2]).Greetings) + len(truth(keys[2]).Messages) + actions(qrKey)
	waitFor(t, "other accounts progressing during the pause", func() bool {
		return len(truth(keys[2]).Greetings)+len(truth(keys[2]).Messages)+actions(qrKey) >= others+3
	})
	if got := actions(pauseKey); got != atStop {
		t.Fatalf("paused account acted: %d site actions after its agent stopped", got-atStop)
	}
	fresh()
	if _, err := op.PatchAccount(ctx, pauseKey, wire.AccountPatch{Desired: ptrTo(wire.DesiredRunning), Reason: "e2e resume"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "resumed account acting again", func() bool { return actions(pauseKey) > atStop })

	// SIGKILL the worker holding the QR account: its accounts move.
	accs := accounts()
	victim := holder(accs[qrKey])
	survivor := "w1"
	if victim == "w1" {
		survivor = "w2"
	}
	var moved []string
	oldEpoch := map[string]uint64{}
	for _, k := range keys {
		if holder(accs[k]) == victim {
			moved = append(moved, k)
			oldEpoch[k] = accs[k].Lease.Epoch
		}
	}
	progress := map[string]int{}
	for _, k := range moved {
		progress[k] = actions(k)
	}
	killed, killedSim := time.Now(), clk.Now()
	if err := procs[victim].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = procs[victim].Wait()
	waitFor(t, "killed worker's browser gone", func() bool { return len(processesUsing(profiles[victim])) == 0 })
	waitFor(t, "accounts moved to the surviving worker", func() bool {
		accs := accounts()
		for _, k := range keys {
			if holder(accs[k]) != survivor {
				return false
			}
		}
		return true
	})
	t.Logf("takeover of %v by %s: %s after SIGKILL (lease %s, pull 2s)", moved, survivor, time.Since(killed).Round(100*time.Millisecond), lease)
	for _, k := range moved {
		fresh()
		m, err := op.Account(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if m.Lease.Epoch <= oldEpoch[k] || !strings.Contains(m.LastChange.Reason+fmt.Sprint(m.History), "expired") {
			t.Fatalf("%s moved without a new epoch after expiry: %+v", k, m.History)
		}
	}
	waitFor(t, "moved accounts running on the survivor", func() bool {
		accs := accounts()
		for _, k := range moved {
			if string(accs[k].State) != string(bot.StateRunning) || actions(k) <= progress[k] {
				return false
			}
		}
		return true
	})
	// The survivor adopted the moved conversations from the site: a
	// follow-up due there after the move goes out from it (and, checked at
	// the end, only once per candidate).
	followupsAfterKill := func() int {
		n := 0
		for _, k := range moved {
			for _, m := range truth(k).Messages {
				if m.Text == followup && m.Time.After(killedSim) {
					n++
				}
			}
		}
		return n
	}
	waitFor(t, "a follow-up sent on a moved account by the new holder", func() bool { return followupsAfterKill() > 0 })

	// The survivor's Chromium dies: the worker relaunches it and every
	// managed agent comes back on the new browser (re-granted at a new
	// epoch, the QR account on its saved session, no new scan).
	oldPids := processesUsing(profiles[survivor])
	if len(oldPids) == 0 {
		t.Fatalf("no Chromium found for %s", survivor)
	}
	accs = accounts()
	relaunchEpoch := map[string]uint64{}
	for _, k := range keys {
		relaunchEpoch[k], progress[k] = accs[k].Lease.Epoch, actions(k)
	}
	for _, pid := range oldPids {
		_ = syscall.Kill(pid, syscall.SIGKILL) // children may be gone with their parent
	}
	crashed := time.Now()
	waitFor(t, "managed agents acting again after the survivor's browser relaunch", func() bool {
		fresh := false
		for _, pid := range processesUsing(profiles[survivor]) {
			fresh = fresh || !slices.Contains(oldPids, pid)
		}
		if !fresh {
			return false
		}
		accs := accounts()
		for _, k := range keys {
			a := accs[k]
			// Contexts mode restarts every agent with the browser, each
			// granted again at a new epoch; profiles mode relaunches each
			// account's own browser within its lease.
			regranted := a.Lease.Epoch > relaunchEpoch[k] || d.WorkerConfig.Browser.Mode == browser.ModeProfiles
			if holder(a) != survivor || !regranted || string(a.State) != string(bot.StateRunning) || actions(k) <= progress[k] {
				return false
			}
		}
		return true
	})
	fresh()
	if st, err := op.LoginStatus(ctx, qrKey); err != nil || st.Pending {
		t.Fatalf("QR account asks for a new scan after the browser relaunch: %+v %v", st, err)
	}
	t.Logf("browser relaunch: all %d managed agents acting again %s after the survivor's Chromium was killed", len(keys), time.Since(crashed).Round(100*time.Millisecond))

	// The dead worker's token writing for an account it no longer holds:
	// 403 and nothing changes.
	probe := func(path string, body any) int {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", d.ControlURL+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+d.WorkerTokens[victim])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	k := moved[0]
	before2 := controlContacts(t, d)
	for path, body := range map[string]any{
		"/api/worker/contacts":         wire.ContactsRequest{Contacts: []wire.ContactInput{{Account: k, Epoch: oldEpoch[k], CandidateID: "probe-1", Name: "Mallory"}}},
		"/api/worker/followup-records": wire.RecordsRequest{Records: []wire.RecordInput{{UID: "probe-r", Account: k, Epoch: oldEpoch[k], CandidateID: "probe-1"}}},
		"/api/worker/heartbeat":        wire.HeartbeatRequest{Accounts: []wire.AccountStatus{{Key: k, State: "error", Epoch: oldEpoch[k]}}},
	} {
		if code := probe(path, body); code != http.StatusForbidden {
			t.Fatalf("%s by the former holder: %d, want 403", path, code)
		}
	}
	after2 := controlContacts(t, d)
	if _, ok := after2["probe-1"]; ok || len(after2) < len(before2) {
		t.Fatalf("fenced writes changed contacts: %d -> %d", len(before2), len(after2))
	}
	if a := accounts()[k]; holder(a) != survivor || a.State == "error" {
		t.Fatalf("fenced heartbeat moved or changed %s: %+v", k, a)
	}

	// Let the survivor run until contacts were disclosed, some of them on
	// moved accounts, then until each of those reached the control plane:
	// the contact check below must not be vacuous, and it must not race the
	// bot. A disclosure is only captured when the bot next opens that
	// conversation, and the new holder of a moved account first re-reads
	// every conversation it does not know (all of them), so "disclosed 10
	// sim-minutes ago" did not mean "captured": in CI a disclosure on the
	// moved account was captured after the SIGTERM would have come. Waiting
	// for delivery (bounded by conditionLimit) still fails a lost contact.
	const settle = 10 * time.Minute // sim time
	settled := func(keys []string) []sim.Disclosure {
		var out []sim.Disclosure
		cut := clk.Now().Add(-settle)
		for _, k := range keys {
			for _, disc := range truth(k).Disclosures {
				if disc.Type != "cv" && disc.Time.Before(cut) {
					out = append(out, disc)
				}
			}
		}
		return out
	}
	waitFor(t, "contacts disclosed on moved accounts", func() bool {
		return len(settled(moved)) >= 1 && len(settled(keys)) >= 3
	})
	want := map[string][]sim.Disclosure{}
	checked, beforeKill := 0, 0
	for _, k := range keys {
		want[k] = settled([]string{k})
		checked += len(want[k])
		if slices.Contains(moved, k) {
			for _, disc := range want[k] {
				if disc.Time.Before(killedSim) {
					beforeKill++
				}
			}
		}
	}
	missing := func(contacts map[string]contactRow) []string {
		var out []string
		for _, k := range keys {
			for _, disc := range want[k] {
				c := contacts[strconv.FormatInt(disc.CandidateID, 10)]
				got := c.Wechat
				if disc.Type == "phone" {
					got = c.Phone
				}
				if got != disc.Value {
					out = append(out, fmt.Sprintf("%s: candidate %d disclosed %s %q at %s (SIGKILL at %s); control plane has %q",
						k, disc.CandidateID, disc.Type, disc.Value, disc.Time.Format("15:04"), killedSim.Format("15:04"), got))
				}
			}
		}
		return out
	}
	var pending []string
	late := 0
	took := waitUntil(t, "disclosed contacts delivered to the control plane", func() bool {
		pending = missing(controlContacts(t, d))
		if late == 0 {
			late = len(pending)
		}
		return len(pending) == 0
	}, func() string { return strings.Join(pending, "; ") })
	t.Logf("%d of %d settled disclosures were not yet in the control plane when listed (all delivered after %s)",
		late, checked, took.Round(100*time.Millisecond))

	// Stop the survivor cleanly (its outbox is flushed), then check the
	// contacts are still there and nothing was duplicated.
	if err := procs[survivor].Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := procs[survivor].Wait(); err != nil {
		t.Fatalf("survivor exited with %v", err)
	}
	for _, m := range missing(controlContacts(t, d)) {
		t.Error(m)
	}
	followups := 0
	for _, k := range keys {
		tr := truth(k)
		if len(tr.DuplicateGreetings) != 0 || len(tr.DuplicateMessages) != 0 {
			t.Fatalf("%s: duplicates: greetings %+v, messages %+v", k, tr.DuplicateGreetings, tr.DuplicateMessages)
		}
		per := map[int64]int{}
		for _, m := range tr.Messages {
			if m.Text == followup {
				per[m.CandidateID]++
				followups++
				if per[m.CandidateID] > 1 {
					t.Fatalf("%s: candidate %d got the follow-up %d times", k, m.CandidateID, per[m.CandidateID])
				}
			}
		}
		// Per-day counters: runs are summed, never double-counted, so they
		// stay within what the site saw (a SIGKILLed run's last actions may
		// be missing).
		fresh()
		days, err := op.DayCounts(ctx, k, "", "")
		if err != nil {
			t.Fatal(err)
		}
		var sum wire.DayCount
		for _, dc := range days.Days {
			sum.Add(dc)
		}
		if sum.Greetings == 0 || sum.Greetings > int64(len(tr.Greetings)) || sum.Followups > int64(len(per)) || sum.Messages > int64(len(tr.Messages)) {
			t.Fatalf("%s: day counters %+v against %d greetings, %d follow-ups, %d messages on the site", k, sum, len(tr.Greetings), len(per), len(tr.Messages))
		}
		t.Logf("%s: %d greetings, %d messages, %d disclosures, 0 duplicates", k, len(tr.Greetings), len(tr.Messages), len(tr.Disclosures))
	}
	if checked < 3 {
		t.Fatalf("only %d disclosures checked", checked)
	}
	t.Logf("%d follow-ups sent, %d of them on moved accounts after the SIGKILL, none twice to a candidate", followups, followupsAfterKill())
	t.Logf("%d disclosures on moved accounts were made before the SIGKILL", beforeKill)
	t.Logf("%d disclosures checked against the control plane", checked)
}

func ptrTo[T any](v T) *T { return &v }

// waitFor is waitUntil (wait_test.go) without a progress report.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitUntil(t, what, cond, nil)
}
