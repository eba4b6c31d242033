package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
	"github.com/hunterbot/hunterbot/state/worker"
)

// chatCounter counts the brain's /recruit/candidate/chat calls per candidate.
type chatCounter struct {
	mu    sync.Mutex
	calls map[string][]time.Time
	clk   clock.Clock
}

func (c *chatCounter) wrap(component string, h http.Handler) http.Handler {
	if component != "brain" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/recruit/candidate/chat" {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var req struct {
				CandidateID string `json:"candidateID"`
			}
			_ = json.Unmarshal(body, &req)
			c.mu.Lock()
			c.calls[req.CandidateID] = append(c.calls[req.CandidateID], c.clk.Now())
			c.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	})
}

func (c *chatCounter) since(candidate string, t time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, at := range c.calls[candidate] {
		if !at.Before(t) {
			n++
		}
	}
	return n
}

// One simulated morning with three operator-visible situations: a burst of
// candidate messages (answered once, after the reply delay), a human
// recruiter typing in a conversation (the bot stays silent there), and a
// forced risk page (no action at all until a human clears it).
func TestBurstTakeoverAndRisk(t *testing.T) {
	sc := sim.DefaultScenario()
	clk := clock.NewManual(sc.Start)
	counter := &chatCounter{calls: map[string][]time.Time{}, clk: clk}
	dir := t.TempDir()
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: dir, Scenario: sc, Clock: clk,
		Seed: 9, Log: zerolog.Nop(), Browser: browsertest.Browser(t), HelloSum: 15, ChatPoll: time.Minute,
		Middleware: counter.wrap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	h := &harness{t: t, d: d, clk: clk}
	at := func(hhmm string) time.Time {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", sc.Start.In(clock.Shanghai).Format("2006-01-02")+" "+hhmm, clock.Shanghai)
		return tm
	}
	// pick returns a greeted candidate with one of the personas, not used yet.
	used := map[int64]bool{}
	pick := func(personas ...string) int64 {
		truth := d.Sim.Truth().Accounts["demo"]
		persona := map[int64]string{}
		for _, c := range truth.Candidates {
			persona[c.ID] = c.Persona
		}
		for _, g := range truth.Greetings {
			for _, p := range personas {
				if persona[g.CandidateID] == p && !used[g.CandidateID] {
					used[g.CandidateID] = true
					return g.CandidateID
				}
			}
		}
		t.Fatalf("no greeted candidate with persona %v at %v", personas, clk.Now())
		return 0
	}
	var burstCand, humanCand int64
	var burstAt, humanAt, riskAt, clearAt time.Time
	var stateDuringRisk string
	events := []simEvent{
		{at("09:50"), func() {
			burstCand, burstAt = pick(sim.PersonaSilent, sim.PersonaGhost), clk.Now()
			for _, text := range []string{"您好", "这个岗位还招人吗", "薪资大概多少？"} {
				if err := d.Sim.Inject("demo", burstCand, text); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{at("10:10"), func() {
			humanCand, humanAt = pick(sim.PersonaSilent, sim.PersonaGhost, sim.PersonaRefuser), clk.Now()
			if err := d.Sim.HumanMessage("demo", humanCand, "您好，我是招聘负责人，我直接跟您聊"); err != nil {
				t.Fatal(err)
			}
		}},
		{at("10:20"), func() {
			if err := d.Sim.Inject("demo", humanCand, "好的，请问工作地点在哪里？"); err != nil {
				t.Fatal(err)
			}
		}},
		{at("10:40"), func() {
			riskAt = clk.Now()
			if err := d.Sim.ForceRisk("demo", sim.RiskSlider); err != nil {
				t.Fatal(err)
			}
		}},
		{at("11:10"), func() { stateDuringRisk = d.Runtime.Agents()[0].Status().State }},
		{at("11:40"), func() {
			clearAt = clk.Now()
			if err := d.Sim.ClearRisk("demo"); err != nil {
				t.Fatal(err)
			}
		}},
	}
	h.runWith(at("13:30"), 6*time.Minute, events)

	truth := d.Sim.Truth().Accounts["demo"]
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicates: %+v %+v", truth.DuplicateGreetings, truth.DuplicateMessages)
	}

	// The burst was answered by one brain call, after the reply delay.
	burstID := strconv.FormatInt(burstCand, 10)
	if n := counter.since(burstID, burstAt); n != 1 {
		t.Errorf("burst of 3 messages from %s produced %d brain chat calls, want 1", burstID, n)
	}
	var firstReply time.Time
	for _, m := range truth.Messages {
		if m.CandidateID == burstCand && m.By == sim.ByBot && m.Time.After(burstAt) {
			firstReply = m.Time
			break
		}
	}
	if firstReply.IsZero() || firstReply.Sub(burstAt) < bot.DefaultHosting().ReplyDelay {
		t.Errorf("burst answered at %v, %v after it; want a reply after the %v delay", firstReply, firstReply.Sub(burstAt), bot.DefaultHosting().ReplyDelay)
	}

	// Nothing was sent where the human recruiter wrote.
	if len(truth.MessagesAfterHuman) != 0 {
		t.Errorf("bot wrote after the human: %+v", truth.MessagesAfterHuman)
	}
	if n := counter.since(strconv.FormatInt(humanCand, 10), humanAt); n != 0 {
		t.Errorf("bot asked the brain about a conversation a human took over (%d calls)", n)
	}
	wdb, err := worker.Open(filepath.Join(dir, "worker", "worker.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer wdb.Close()
	convs := workerConversations(t, wdb, "demo")
	if c := convs[strconv.FormatInt(humanCand, 10)]; !c.HandedOver || c.Status != bot.StatusIntervened {
		t.Errorf("taken-over conversation: handed_over=%v status=%s", c.HandedOver, c.Status)
	}

	// The risk page paused the account: no greeting, message or exchange
	// request between the risk and its clearing; work resumed afterwards.
	if stateDuringRisk != bot.StatePausedRisk {
		t.Errorf("state during the risk page = %q, want %s", stateDuringRisk, bot.StatePausedRisk)
	}
	inPause := func(tm time.Time) bool { return tm.After(riskAt) && tm.Before(clearAt) }
	resumed := false
	for _, g := range truth.Greetings {
		if inPause(g.Time) {
			t.Errorf("greeting during the risk pause at %v", g.Time)
		}
		resumed = resumed || g.Time.After(clearAt)
	}
	for _, m := range truth.Messages {
		if m.By == sim.ByBot && inPause(m.Time) {
			t.Errorf("message during the risk pause at %v: %q", m.Time, m.Text)
		}
		resumed = resumed || (m.By == sim.ByBot && m.Time.After(clearAt))
	}
	for _, x := range truth.ExchangeRequests {
		if inPause(x.Time) {
			t.Errorf("exchange request during the risk pause at %v", x.Time)
		}
	}
	if !resumed {
		t.Error("no activity after the risk was cleared")
	}
	if len(truth.RiskEvents) != 1 || truth.RiskEvents[0].Reason != "control" {
		t.Errorf("risk events = %+v, want only the forced one", truth.RiskEvents)
	}
	t.Logf("burst %d answered at +%v; human took %d; risk %s..%s; %d greetings, %d messages",
		burstCand, firstReply.Sub(burstAt), humanCand, riskAt.Format("15:04"), clearAt.Format("15:04"), len(truth.Greetings), len(truth.Messages))
}
