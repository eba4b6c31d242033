package bot

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/bot/gate"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state/worker"
)

// Every brain reply passes the send gate before anything is typed: an
// invented figure, a URL, someone's phone or a refusal never reaches the
// site; the safe fallback goes instead, once, and the decision is counted.
func TestSendGateOnBrainReplies(t *testing.T) {
	withRange := func(a *AccountConfig) {
		a.Hosting.Gate = GateConfig{SalaryMinK: 15, SalaryMaxK: 20, OwnContacts: []string{"hr_own_01"}}
	}
	tests := []struct {
		name    string
		content string
		sent    []string
		reason  gate.Reason
		handed  bool
	}{
		{"clean reply passes", "薪资15-20K|方便加个微信吗？", []string{"薪资15-20K", "方便加个微信吗？"}, "", false},
		{"invented salary", "薪资能给到35K|方便加个微信吗？", []string{DefaultGateFallback}, gate.Salary, false},
		{"invented url", "详情看 https://evil.example.cn/job", []string{DefaultGateFallback}, gate.URL, false},
		{"someone's phone", "打这个电话 13800138000 问问", []string{DefaultGateFallback}, gate.Phone, false},
		{"own wechat is fine", "加我微信 hr_own_01", []string{"加我微信 hr_own_01"}, "", false},
		{"refusal", "抱歉，我无法提供这个信息", []string{DefaultGateFallback}, gate.Refusal, false},
		{"meta talk", "作为AI，我不清楚具体情况", []string{DefaultGateFallback}, gate.Meta, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, withRange, func(a *AccountConfig) { a.Hosting.SegmentSeparator = "|" }).login()
			h.candidateAsks("你好，请问薪资多少？")
			before := len(h.site.sentTexts())
			h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: tt.content}}
			h.chat()
			got := h.site.sentTexts()[before:]
			if !slices.Equal(got, tt.sent) {
				t.Fatalf("sent %q, want %q", got, tt.sent)
			}
			st := h.agent.GateStats()
			if tt.reason != "" && st.Blocked[tt.reason] != 1 || tt.reason == "" && st.Total() != 0 {
				t.Fatalf("gate stats %+v, want one %q", st, tt.reason)
			}
			if st.Checked == 0 {
				t.Fatal("nothing checked")
			}
			if h.conv(cand).HandedOver != tt.handed {
				t.Fatalf("handed over = %v", h.conv(cand).HandedOver)
			}
		})
	}
}

// When the fallback itself cannot be sent (already said), the conversation
// goes to a human and nothing is typed.
func TestSendGateHandsOverWhenNothingSafeIsLeft(t *testing.T) {
	h := newHarness(t).login()
	h.candidateAsks("你好")
	c := h.conv(cand)
	c.SentTexts = append(c.SentTexts, DefaultGateFallback)
	h.putConv(c)
	before := len(h.site.sentTexts())
	h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: "月薪3万，详见 www.x.cn"}}
	h.chat()
	if got := h.site.sentTexts()[before:]; len(got) != 0 {
		t.Fatalf("sent %q", got)
	}
	if c := h.conv(cand); !c.HandedOver || c.Status != StatusIntervened {
		t.Fatalf("conv = %+v", c)
	}
}

// Operator scripts pass the gate too: a recall message with a URL is
// abandoned in the ledger, never typed, and not reported as sent.
func TestSendGateOnScripts(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.chat()
	h.brain.recalls = []brain.Recall{{CandidateID: "501", JobID: "job_boss_101", NeedRecall: true, RecallMsg: "还考虑吗？看看 http://short.example.cn/x"}}
	before := len(h.site.sentTexts())
	if err := h.agent.recallPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.site.sentTexts()[before:]; len(got) != 0 {
		t.Fatalf("sent %q", got)
	}
	if k := h.kinds(TargetBrain); k[KindRecallResult] != 0 {
		t.Fatal("a blocked recall was reported as sent")
	}
	if h.agent.GateStats().Blocked[gate.URL] != 1 {
		t.Fatalf("stats %+v", h.agent.GateStats())
	}
	key := "recall/" + h.agent.cfg.ID + "/501/" + h.clk.Now().In(clock.Shanghai).Format(time.DateOnly)
	if s := h.send(key); s.State != worker.Abandoned || !strings.Contains(s.Note, "send gate: url") {
		t.Fatalf("ledger entry %+v, want abandoned by the gate", s)
	}
}

func TestGateConfigValidate(t *testing.T) {
	for want, g := range map[string]GateConfig{
		"hosting.gate.salary_max_k": {SalaryMinK: 20, SalaryMaxK: 10},
		"hosting.gate.fallback":     {Fallback: "加我 wx: abcdef123"},
		"hosting.gate.max_runes":    {MaxRunes: -1},
	} {
		if err := (Hosting{Gate: g}).Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}

// A follow-up script repeating an earlier one (day_number 0 runs every
// day) is not a "repeated" block: only brain replies are.
func TestSendGateLetsScriptsRepeat(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.chat()
	c := h.conv(cand)
	c.SentTexts = append(c.SentTexts, "哈喽，还在看机会吗？有兴趣随时回复我")
	h.putConv(c)
	if v := h.agent.gateCheck(&c, "followup", "哈喽，还在看机会吗？有兴趣随时回复我"); v.Blocked() {
		t.Fatalf("script blocked: %+v", v)
	}
	if v := h.agent.gateCheck(&c, "chat", "哈喽，还在看机会吗？有兴趣随时回复我"); v.Reason != gate.Repeated {
		t.Fatalf("brain reply: %+v", v)
	}
}

// A follow-up script the gate refuses is never sent nor recorded, and the
// cadence moves past it to the next step instead of retrying it.
func TestSendGateSkipsABlockedFollowup(t *testing.T) {
	h := newHarness(t, func(a *AccountConfig) { a.FollowupReplyWait = time.Minute }).login()
	ctx := context.Background()
	snap := followupSnap()
	snap.Configs[0].Scripts[0].Content = "还在看机会吗？详情 www.jobs-example.cn"
	h.agent.SetFollowups(snap)
	h.greeted(cand, "张女士")
	h.chat()
	h.clk.advance(2 * time.Minute)
	if err := h.agent.followupPass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.site.sentTexts(); len(got) != 0 {
		t.Fatalf("sent %q", got)
	}
	if len(h.records()) != 0 || h.agent.GateStats().Blocked[gate.URL] != 1 {
		t.Fatalf("records %+v stats %+v", h.records(), h.agent.GateStats())
	}
	if c := h.conv(cand); len(c.Cadence.Sent) != 1 {
		t.Fatalf("cadence did not move past the blocked step: %+v", c.Cadence)
	}
	// The next step (day 0, every 24 h) goes out when due.
	h.clk.advance(25 * time.Hour)
	if err := h.agent.followupPass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.site.sentTexts(); !slices.Equal(got, []string{"有空可以聊聊"}) {
		t.Fatalf("sent %q, want the next step", got)
	}
}
