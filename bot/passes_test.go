package bot

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot/cadence"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/state/worker"
)

// followupSnap is one generic config: a day-1 script and a daily one.
func followupSnap() cadence.Snapshot {
	return cadence.Snapshot{Version: 3, Configs: []cadence.Config{{ID: 1, Name: "通用", IsActive: true, Scripts: []cadence.Script{
		{ID: 11, ConfigID: 1, DayNumber: 1, Content: "还在看机会吗？", Order: 1, IsActive: true},
		{ID: 12, ConfigID: 1, DayNumber: 0, Content: "有空可以聊聊", IntervalHours: 24, Order: 1, IsActive: true},
	}}}}
}

func (h *harness) records() []wire.RecordInput {
	var out []wire.RecordInput
	for _, it := range h.outbox(TargetControl) {
		if it.Kind != KindRecord {
			continue
		}
		var r wire.RecordInput
		if err := json.Unmarshal(it.Payload, &r); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestFollowupPassSendsDueStepsOnce(t *testing.T) {
	h := newHarness(t, func(a *AccountConfig) { a.FollowupReplyWait = time.Minute }).login()
	ctx := context.Background()
	if err := h.agent.followupPass(ctx); err != nil { // no configs yet: nothing to do
		t.Fatal(err)
	}
	h.agent.SetFollowups(followupSnap())
	h.greeted(cand, "张女士")
	h.chat()
	if err := h.agent.followupPass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.site.sentTexts(); len(got) != 0 {
		t.Fatalf("sent %q before the reply wait", got)
	}
	h.clk.advance(2 * time.Minute)
	for range 2 {
		if err := h.agent.followupPass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.site.sentTexts(); !slices.Equal(got, []string{"还在看机会吗？"}) {
		t.Fatalf("sent %q, want the day-1 script once", got)
	}
	recs := h.records()
	if len(recs) != 1 || recs[0].DayNumber != 1 || recs[0].Content != "还在看机会吗？" || recs[0].SentAt == nil || recs[0].CandidateID != "501" {
		t.Fatalf("records %+v", recs)
	}
	c := h.conv(cand)
	if c.LastFollowup == nil || c.LastFollowup.ScriptID != 11 || len(c.Cadence.Sent) != 1 {
		t.Fatalf("cadence state %+v / %+v", c.LastFollowup, c.Cadence)
	}
	// The candidate replies: the record is marked answered, the cadence stops.
	h.site.say(cand, cand, "还在看")
	h.chat()
	recs = h.records()
	if last := recs[len(recs)-1]; !last.GotReply || last.ReplyContent != "还在看" || last.UID != recs[0].UID {
		t.Fatalf("reply record %+v", last)
	}
	h.clk.advance(48 * time.Hour)
	if err := h.agent.followupPass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.site.sentTexts(); !slices.Equal(got, []string{"还在看机会吗？"}) {
		t.Fatalf("sent %q after the reply, want no further follow-up", got)
	}
}

func TestFollowupStopsWhenTheCandidateWroteMeanwhile(t *testing.T) {
	h := newHarness(t, func(a *AccountConfig) { a.FollowupReplyWait = time.Minute }).login()
	h.agent.SetFollowups(followupSnap())
	h.greeted(cand, "张女士")
	h.chat()
	h.clk.advance(2 * time.Minute)
	h.site.say(cand, cand, "不好意思，刚看到") // arrived after the last chat pass
	if err := h.agent.followupPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, s := range h.site.sentTexts() {
		if s == "还在看机会吗？" {
			t.Fatal("a follow-up went out although the candidate had replied")
		}
	}
	if c := h.conv(cand); !c.Replied {
		t.Fatal("the reply found at send time was not recorded")
	}
}

func TestFollowupSkipsSilentAndUncoveredConversations(t *testing.T) {
	h := newHarness(t, func(a *AccountConfig) { a.FollowupReplyWait = time.Minute }).login()
	snap := followupSnap()
	snap.Configs[0].Position = "Java" // covers no conversation of this test
	h.agent.SetFollowups(snap)
	h.greeted(cand, "张女士")
	h.greeted(502, "李先生")
	c := h.conv(502)
	c.HandedOver = true
	h.putConv(c)
	h.clk.advance(time.Hour)
	if err := h.agent.followupPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.site.sentTexts(); len(got) != 0 {
		t.Fatalf("sent %q", got)
	}
}

func TestRecallPass(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(h *harness)
		asked     []string // candidates the brain is asked about
		sent      []string
		results   int
		askLater  bool // the brain is asked again on the next pass
		quiet     bool
		recallErr error
	}{
		{name: "recalls a silent candidate once", asked: []string{"501"}, sent: []string{"想起您了，还考虑吗？"}, results: 1},
		{name: "skips conversations with a contact", setup: func(h *harness) {
			c := h.conv(cand)
			c.Phone = "13800138000"
			h.putConv(c)
		}},
		{name: "skips conversations the cadence covers", setup: func(h *harness) { h.agent.SetFollowups(followupSnap()) }},
		{name: "skips when the candidate wrote meanwhile", setup: func(h *harness) { h.site.say(cand, cand, "在的") },
			asked: []string{"501"}},
		{name: "brain down: asks again next pass", recallErr: errBoom, asked: []string{"501"}, askLater: true},
		{name: "quiet hours: does not ask", quiet: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(a *AccountConfig) {
				if tt.quiet {
					a.Pacing = &Pacing{QuietStart: "00:00", QuietEnd: "23:59"}
				}
			}).login()
			h.greeted(cand, "张女士")
			h.chat()
			if tt.setup != nil {
				tt.setup(h)
			}
			h.brain.recalls = []brain.Recall{{CandidateID: "501", JobID: "job_boss_101", NeedRecall: true, RecallMsg: "想起您了，还考虑吗？"},
				{CandidateID: "999", NeedRecall: true, RecallMsg: "not ours"}}
			h.brain.recallErr = tt.recallErr
			ctx := context.Background()
			if err := h.agent.recallPass(ctx); err != nil {
				t.Fatal(err)
			}
			var asked []string
			for _, r := range h.brain.recallCalls {
				asked = append(asked, r.CandidateIDs...)
			}
			if !slices.Equal(asked, tt.asked) {
				t.Fatalf("brain asked about %q, want %q", asked, tt.asked)
			}
			if got := h.site.sentTexts(); !slices.Equal(got, tt.sent) && len(got)+len(tt.sent) > 0 {
				t.Fatalf("sent %q, want %q", got, tt.sent)
			}
			if k := h.kinds(TargetBrain); k[KindRecallResult] != tt.results {
				t.Fatalf("recall results %d, want %d", k[KindRecallResult], tt.results)
			}
			calls := len(h.brain.recallCalls)
			h.brain.recallErr = nil
			if err := h.agent.recallPass(ctx); err != nil {
				t.Fatal(err)
			}
			if again := len(h.brain.recallCalls) > calls; again != tt.askLater {
				t.Fatalf("asked again within recallEvery = %v, want %v", again, tt.askLater)
			}
			if tt.results > 0 {
				// Four hours later the brain may ask again; the same day's
				// recall is not sent twice.
				h.clk.advance(recallEvery)
				if err := h.agent.recallPass(ctx); err != nil {
					t.Fatal(err)
				}
				if got := h.site.sentTexts(); len(got) != len(tt.sent) {
					t.Fatalf("sent %q after a second recall the same day", got)
				}
			}
		})
	}
}

func TestManualSends(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(h *harness)
		cand    string
		sent    []string
		ackSent bool
		reason  string
	}{
		{name: "delivered and acked", cand: "501", sent: []string{"您好，我是HR小王"}, ackSent: true},
		{name: "delivered although a human took over", cand: "501", setup: func(h *harness) {
			c := h.conv(cand)
			c.HandedOver = true
			h.putConv(c)
		}, sent: []string{"您好，我是HR小王"}, ackSent: true},
		{name: "no such conversation", cand: "777", reason: "no conversation with this candidate on the account"},
		{name: "opted out", cand: "501", setup: func(h *harness) {
			c := h.conv(cand)
			c.OptedOut = true
			h.putConv(c)
		}, reason: "the candidate opted out"},
		{name: "abandoned earlier", cand: "501", setup: func(h *harness) {
			if err := h.db.Update(func(tx *worker.Tx) error {
				if _, _, err := tx.IntendSend(worker.Send{Key: "manual/acc1/41", AccountID: "acc1", CandidateID: "501", Kind: "manual", Text: "x"}); err != nil {
					return err
				}
				_, err := tx.SettleSend("manual/acc1/41", worker.Abandoned, "went silent")
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}, reason: "went silent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t).login()
			h.greeted(cand, "张女士")
			h.chat()
			if tt.setup != nil {
				tt.setup(h)
			}
			ms := wire.Send{ID: 41, Account: "acc1", CandidateID: tt.cand, Content: "您好，我是HR小王"}
			for range 2 { // the control plane lists it until the ack arrives
				h.agent.SetManualSends([]wire.Send{ms})
				if err := h.agent.manualPass(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if got := h.site.sentTexts(); !slices.Equal(got, tt.sent) && len(got)+len(tt.sent) > 0 {
				t.Fatalf("sent %q, want %q", got, tt.sent)
			}
			var acks []sendAck
			for _, it := range h.outbox(TargetControl) {
				if it.Kind == KindSendAck {
					var a sendAck
					if err := json.Unmarshal(it.Payload, &a); err != nil {
						t.Fatal(err)
					}
					acks = append(acks, a)
				}
			}
			if len(acks) != 1 || acks[0].ID != 41 || acks[0].Sent != tt.ackSent || acks[0].Reason != tt.reason {
				t.Fatalf("acks %+v, want one (sent %v, reason %q)", acks, tt.ackSent, tt.reason)
			}
		})
	}
}

func TestOperatorCommands(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	c := h.conv(cand)
	c.HandedOver, c.Status = true, StatusIntervened
	h.putConv(c)
	cmds := []wire.Command{
		{ID: 1, Kind: wire.CommandRelease, Account: "acc1", CandidateID: "501"},
		{ID: 2, Kind: wire.CommandRelease, Account: "acc1", CandidateID: "404"},
		{ID: 3, Kind: "reboot", Account: "acc1", CandidateID: "501"},
	}
	h.agent.AddCommands(cmds)
	h.agent.AddCommands(cmds[:1]) // pulled again before the ack went out
	if err := h.agent.applyCommands(); err != nil {
		t.Fatal(err)
	}
	c = h.conv(cand)
	if c.HandedOver || c.Status != StatusInService {
		t.Fatalf("released conversation = handed %v status %s", c.HandedOver, c.Status)
	}
	var acks []commandAck
	for _, it := range h.outbox(TargetControl) {
		if it.Kind == KindCommandAck {
			var a commandAck
			if err := json.Unmarshal(it.Payload, &a); err != nil {
				t.Fatal(err)
			}
			acks = append(acks, a)
		}
	}
	want := []commandAck{{ID: 1, Done: true}, {ID: 2, Reason: "no such conversation on this worker"}, {ID: 3, Reason: `unknown command kind "reboot"`}}
	if !slices.Equal(acks, want) {
		t.Fatalf("acks %+v, want %+v", acks, want)
	}
	// The released conversation is answered again.
	h.site.say(cand, cand, "还在吗")
	h.clk.advance(11 * time.Second)
	h.chat()
	if h.brain.chatCount() != 1 {
		t.Fatal("the released conversation was not answered")
	}
}

func TestCycleRunsEveryPassAndPokesTheOutbox(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	ob := NewOutbox(h.db, h.clk, h.agent.Log, map[string]Deliverer{}, OutboxOptions{})
	h.agent.Outbox = ob
	h.planGreetings(1, false, nil)
	if err := h.agent.cycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ob.wake:
	default:
		t.Fatal("the cycle did not poke the outbox")
	}
	if h.brain.fetches != 1 {
		t.Fatal("the greet pass did not run")
	}
}
