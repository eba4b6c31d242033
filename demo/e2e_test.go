package demo

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
	"github.com/hunterbot/hunterbot/state/worker"
)

// demoParallel is how many end-to-end tests run at once unless -parallel
// says otherwise: more than the package has, so all start together. Each
// spends most of its time waiting on Chromium, the scaled clock or its own
// sim clock rather than on the CPU (a test alone uses a quarter to a half
// of one core), so running them together instead of GOMAXPROCS at a time
// keeps the package's wall time near its longest test; with 8 at a time
// the ninth, one of the two longest, started only when the first finished
// (docs/operations.md has the figures). Their assertions wait on
// conditions, so contention only makes them slower.
const demoParallel = 16

func TestMain(m *testing.M) {
	// The crash test re-executes this test binary as a worker process.
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChildWorker(spec))
	}
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if p := flag.Lookup("test.parallel"); p != nil && !explicit {
		_ = p.Value.Set(strconv.Itoa(demoParallel))
	}
	browsertest.Main(m)
}

// harness runs the embedded default on a manual clock. The clock moves only
// when every component is blocked on it (agents, outbox, heartbeat, control
// housekeeping), so the run is a discrete-event simulation: as fast as the
// browser allows, with sim time passing only while the bot waits.
type harness struct {
	t   *testing.T
	d   *Demo
	clk *clock.Manual
}

func startHarness(t *testing.T, helloSum int) *harness {
	t.Helper()
	sc := manualScenario()
	clk := clock.NewManual(sc.Start)
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: t.TempDir(), Scenario: sc,
		Clock: clk, Seed: 3, Log: zerolog.Nop(), Browser: browsertest.Browser(t), HelloSum: helloSum,
		ChatPoll: time.Minute, Heartbeat: manualHeartbeat})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return &harness{t: t, d: d, clk: clk}
}

// simEvent is an action a test performs when the sim clock reaches at.
type simEvent struct {
	at time.Time
	do func()
}

// run drives the demo until the sim clock reaches until, then stops it.
func (h *harness) run(until time.Time) {
	h.runWith(until, nil)
}

// runWith is run with events fired, in order, as soon as the clock has
// passed their time (between two clock moves, while every component waits).
// There is no real-time budget: the run is a discrete-event simulation, so
// a slow machine only makes it take longer. The test fails only when the
// clock stops moving for conditionLimit (a hang), naming the sim time.
func (h *harness) runWith(until time.Time, events []simEvent) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.d.Run(ctx) }()
	// + outbox, heartbeat, control housekeeping, keyword-hit delivery
	waiters := len(h.d.Runtime.Agents()) + 4
	lastMove, lastSim := time.Now(), h.clk.Now()
	hung := false
	for h.clk.Now().Before(until) {
		if now := h.clk.Now(); now.After(lastSim) {
			lastMove, lastSim = time.Now(), now
		} else if time.Since(lastMove) > conditionLimit {
			hung = true
			break
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := h.clk.WaitForWaiters(wctx, waiters)
		wcancel()
		if err == nil {
			if len(events) > 0 && !events[0].at.After(h.clk.Now()) {
				events[0].do()
				events = events[1:]
				continue
			}
			h.clk.AdvanceToNext()
		}
	}
	cancel()
	if err := <-done; err != nil {
		h.t.Fatalf("demo run: %v", err)
	}
	if hung {
		h.t.Fatalf("the sim clock stood still at %v for %v: a component never went back to waiting on it", h.clk.Now(), conditionLimit)
	}
}

func TestEmbeddedDefaultEndToEnd(t *testing.T) {
	t.Parallel()
	h := startHarness(t, 20) // 2 jobs x 20 = 40 greetings planned
	start := h.clk.Now()
	end := start.Add(8 * time.Hour)
	h.run(end)
	d := h.d

	truth := d.Sim.Truth().Accounts["demo"]
	t.Logf("sim time %v: %+v", h.clk.Now(), d.Summary())
	if len(truth.Greetings) < 30 {
		t.Fatalf("greeted %d candidates, want >= 30 (sim time reached %v)", len(truth.Greetings), h.clk.Now())
	}
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicates: greetings %v, messages %v", truth.DuplicateGreetings, truth.DuplicateMessages)
	}
	if len(truth.RiskEvents) != 0 {
		t.Fatalf("the bot tripped the site's risk control: %+v", truth.RiskEvents)
	}
	if len(truth.MessagesAfterOptOut) != 0 {
		t.Fatalf("messages after opt-out: %+v", truth.MessagesAfterOptOut)
	}

	// Every greeted candidate was approved by the brain.
	approved := brainApprovals(t, d.BrainURL, d.BrainToken, "account_boss_demo")
	for _, g := range truth.Greetings {
		if !approved[strconv.FormatInt(g.CandidateID, 10)] {
			t.Errorf("greeted %d (%s) without a touch:true decision", g.CandidateID, g.Name)
		}
	}

	// Every contact disclosed early enough to be processed is in the control plane.
	contacts := controlContacts(t, d)
	// The worker closed worker.db when it stopped; reopen it to inspect.
	wdb, err := worker.Open(filepath.Join(d.opts.DataDir, "worker", "worker.db"), h.clk)
	if err != nil {
		t.Fatal(err)
	}
	defer wdb.Close()
	convs := workerConversations(t, wdb, "demo")
	checked := 0
	for _, disc := range truth.Disclosures {
		if disc.Time.After(end.Add(-time.Hour)) {
			continue
		}
		cid := strconv.FormatInt(disc.CandidateID, 10)
		c := contacts[cid]
		switch disc.Type {
		case "wechat":
			if c.Wechat != disc.Value {
				t.Errorf("candidate %s disclosed wechat %q (%s); control plane has %q", cid, disc.Value, disc.How, c.Wechat)
			}
		case "phone":
			if c.Phone != disc.Value {
				t.Errorf("candidate %s disclosed phone %q (%s); control plane has %q", cid, disc.Value, disc.How, c.Phone)
			}
		case "cv":
			if convs[cid].CVFile == "" {
				t.Errorf("candidate %s sent a CV; the worker did not download it", cid)
			}
		}
		checked++
	}
	if checked < 5 {
		t.Fatalf("only %d disclosures happened; the scenario did not exercise contact capture", checked)
	}

	// Nothing was sent after the brain said noTalk.
	for cid, c := range convs {
		if !c.Done {
			continue
		}
		for _, m := range truth.Messages {
			if strconv.FormatInt(m.CandidateID, 10) == cid && m.By == sim.ByBot && m.Time.After(c.DoneAt) {
				t.Errorf("message %q to %s at %v after noTalk at %v", m.Text, cid, m.Time, c.DoneAt)
			}
		}
	}
	t.Logf("sim %v..%v: greeted %d, messages %d, disclosures %d (checked %d), contacts in control plane %d",
		start.Format("15:04"), h.clk.Now().Format("15:04"), len(truth.Greetings), len(truth.Messages),
		len(truth.Disclosures), checked, len(contacts))
}

func brainApprovals(t *testing.T, brainURL, token, account string) map[string]bool {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, brainURL+"/debug/decisions?accountID="+url.QueryEscape(account), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data []struct {
			CandidateID string `json:"candidateID"`
			Touch       bool   `json:"touch"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, dec := range out.Data {
		m[dec.CandidateID] = m[dec.CandidateID] || dec.Touch
	}
	return m
}

type contactRow struct {
	CandidateID string `json:"candidate_id"`
	Wechat      string `json:"wechat"`
	Phone       string `json:"phone"`
	Contact     string `json:"contact"`
}

func controlContacts(t *testing.T, d *Demo) map[string]contactRow {
	t.Helper()
	op := operatorClient(d)
	tok, err := op.Login(context.Background(), d.ClientID, d.ClientSecret, d.Username, d.Password)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", d.ControlURL+"/api/contacts?page_size=1000", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Code int `json:"code"`
		Data struct {
			Results []contactRow `json:"results"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	m := map[string]contactRow{}
	for _, c := range out.Data.Results {
		m[c.CandidateID] = c
	}
	return m
}

func workerConversations(t *testing.T, db *worker.DB, account string) map[string]bot.Conversation {
	t.Helper()
	m := map[string]bot.Conversation{}
	err := db.View(func(tx *worker.Tx) error {
		return tx.Conversations(account, func(id string, raw []byte) error {
			var c bot.Conversation
			if err := json.Unmarshal(raw, &c); err != nil {
				return fmt.Errorf("conversation %s: %w", id, err)
			}
			m[id] = c
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
