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

// One simulated morning with four operator-visible situations: a burst of
// candidate messages (answered once, after the reply delay), a human
// recruiter typing in a conversation (the bot stays silent there), a
// forced risk page (no action at all until a human clears it), and a
// keyword rule created through the API that fires on a candidate's
// message (its callback arrives exactly once).
func TestBurstTakeoverAndRisk(t *testing.T) {
	t.Parallel()
	sc := manualScenario()
	clk := clock.NewManual(sc.Start)
	counter := &chatCounter{calls: map[string][]time.Time{}, clk: clk}
	dir := t.TempDir()
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: dir, Scenario: sc, Clock: clk,
		Seed: 9, Log: zerolog.Nop(), Browser: browsertest.Browser(t), HelloSum: 15, ChatPoll: time.Minute,
		Middleware: counter.wrap}) // the default 30 s heartbeat: it also pulls the manual send and the release
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	h := &harness{t: t, d: d, clk: clk}
	probe := newKeywordProbe(t, d)
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
	var burstCand, humanCand, manualCand, keywordCand int64
	const keywordText = "请问这个岗位可以内推吗？"
	var burstAt, humanAt, riskAt, clearAt, releaseAt time.Time
	var manualContact uint64
	const manualText = "您好，我是王经理，方便的话今天下午电话聊聊？"
	var stateDuringRisk bot.AccountState
	events := []simEvent{
		{at("09:50"), func() {
			burstCand, burstAt = pick(sim.PersonaSilent, sim.PersonaGhost), clk.Now()
			for _, text := range []string{"您好", "这个岗位还招人吗", "薪资大概多少？"} {
				if err := d.Sim.Inject("demo", burstCand, text); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{at("09:55"), func() {
			keywordCand = pick(sim.PersonaAsker, sim.PersonaSlow, sim.PersonaExchanger, sim.PersonaObfuscator,
				sim.PersonaEager, sim.PersonaRefuser)
			if err := d.Sim.Inject("demo", keywordCand, keywordText); err != nil {
				t.Fatal(err)
			}
		}},
		{at("10:10"), func() {
			humanCand, humanAt = pick(sim.PersonaSilent, sim.PersonaGhost), clk.Now()
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
		{at("12:00"), func() {
			manualCand = pick(sim.PersonaSilent, sim.PersonaGhost, sim.PersonaRefuser, sim.PersonaEager)
			manualContact = operatorManualSend(t, d, strconv.FormatInt(manualCand, 10), manualText)
		}},
		{at("12:10"), func() {
			releaseAt = clk.Now()
			op := operatorClient(d)
			tok, err := op.Login(context.Background(), d.ClientID, d.ClientSecret, d.Username, d.Password)
			if err != nil {
				t.Fatal(err)
			}
			op.SetToken(tok.AccessToken)
			if _, err := op.Release(context.Background(), "demo", strconv.FormatInt(humanCand, 10), "handled"); err != nil {
				t.Fatal(err)
			}
		}},
		{at("12:30"), func() {
			if err := d.Sim.Inject("demo", humanCand, "那薪资是多少呢？"); err != nil {
				t.Fatal(err)
			}
		}},
	}
	h.runWith(at("13:30"), events)

	truth := d.Sim.Truth().Accounts["demo"]
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicates: %+v %+v", truth.DuplicateGreetings, truth.DuplicateMessages)
	}

	// The keyword rule fired on the injected message, once.
	probe.check(keywordCand, keywordText)

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

	// Nothing was sent where the human recruiter wrote, until an operator
	// released the conversation; after that the bot answered again.
	for _, m := range truth.MessagesAfterHuman {
		if m.Time.Before(releaseAt) {
			t.Errorf("bot wrote after the human and before the release: %+v", m)
		}
	}
	if n := counter.since(strconv.FormatInt(humanCand, 10), humanAt) - counter.since(strconv.FormatInt(humanCand, 10), releaseAt); n != 0 {
		t.Errorf("bot asked the brain about a conversation a human took over (%d calls)", n)
	}
	// After the release the bot hosts the conversation again: the
	// candidate's next message goes to the brain (which decides what, if
	// anything, to say).
	if n := counter.since(strconv.FormatInt(humanCand, 10), releaseAt); n == 0 {
		t.Error("the released conversation was not handled by the bot again")
	}

	// The manual send went out exactly once and its record shows when.
	sent := 0
	for _, m := range truth.Messages {
		if m.CandidateID == manualCand && m.Text == manualText {
			sent++
		}
	}
	if sent != 1 {
		t.Errorf("manual send delivered %d times, want 1", sent)
	}
	if rec := followupRecords(t, d, manualContact); len(rec) != 1 || rec[0].SentAt == nil || rec[0].Content != manualText {
		t.Errorf("follow-up records of contact %d = %+v, want one sent manual record", manualContact, rec)
	}
	wdb, err := worker.Open(filepath.Join(dir, "worker", "worker.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer wdb.Close()
	convs := workerConversations(t, wdb, "demo")
	if c := convs[strconv.FormatInt(humanCand, 10)]; c.HandedOver || c.Status == bot.StatusIntervened {
		t.Errorf("released conversation: handed_over=%v status=%s", c.HandedOver, c.Status)
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

// operatorToken logs in as the demo's operator.
func operatorToken(t *testing.T, d *Demo) string {
	t.Helper()
	op := operatorClient(d)
	tok, err := op.Login(context.Background(), d.ClientID, d.ClientSecret, d.Username, d.Password)
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// contactIDOf returns the control plane's contact id of a candidate.
func contactIDOf(t *testing.T, d *Demo, candidateID string) uint64 {
	t.Helper()
	req, _ := http.NewRequest("GET", d.ControlURL+"/api/contacts?page_size=500", nil)
	req.Header.Set("Authorization", "Bearer "+operatorToken(t, d))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Data struct {
			Results []struct {
				ID          uint64 `json:"id"`
				CandidateID string `json:"candidate_id"`
			} `json:"results"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Data.Results {
		if c.CandidateID == candidateID {
			return c.ID
		}
	}
	t.Fatalf("candidate %s has no contact record", candidateID)
	return 0
}

// operatorManualSend queues a manual follow-up message through seed 000's
// POST /api/followup-records/send and returns the contact id used.
func operatorManualSend(t *testing.T, d *Demo, candidateID, text string) uint64 {
	t.Helper()
	tok := operatorToken(t, d)
	id := contactIDOf(t, d, candidateID)
	body, _ := json.Marshal(map[string]any{"contact_id": id, "content": text})
	req, _ := http.NewRequest("POST", d.ControlURL+"/api/followup-records/send", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("manual send: HTTP %d", resp.StatusCode)
	}
	return id
}

type recordRow struct {
	Content string  `json:"content"`
	SentAt  *string `json:"sent_at"`
}

// followupRecords lists seed 000 follow-up records of a contact.
func followupRecords(t *testing.T, d *Demo, contactID uint64) []recordRow {
	t.Helper()
	req, _ := http.NewRequest("GET", d.ControlURL+"/api/followup-records?contact_id="+strconv.FormatUint(contactID, 10), nil)
	req.Header.Set("Authorization", "Bearer "+operatorToken(t, d))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []recordRow `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Results
}
