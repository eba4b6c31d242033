package bot

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// A crash can leave any ledger entry Intended. These tests build that
// state in worker.db and on the site, then run what a restart runs
// (reconcile, then the chat pass) and check that each entry is settled the
// way the ledger's rules say: never done twice, never lost silently.

func TestReconcileSettlesGreetings(t *testing.T) {
	tests := []struct {
		name    string
		onSite  bool // the click landed before the crash
		state   worker.EffectState
		reports int
	}{
		{name: "conversation exists: done and reported", onSite: true, state: worker.Done, reports: 1},
		{name: "no conversation: abandoned, not retried", onSite: false, state: worker.Abandoned, reports: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t).login()
			if err := h.db.Update(func(tx *worker.Tx) error {
				_, _, err := tx.IntendGreeting("acc1", "1101", "job_boss_101")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if tt.onSite {
				h.site.addConv(1101, "甲", "Go工程师", 101)
				h.site.say(1101, fakeRecruiterUID, "您好")
			}
			if err := h.agent.reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			if g := h.greeting("1101"); g.State != tt.state {
				t.Fatalf("greeting %s, want %s", g.State, tt.state)
			}
			if k := h.kinds(TargetBrain); k[KindTaskReport] != tt.reports {
				t.Fatalf("task reports %d, want %d", k[KindTaskReport], tt.reports)
			}
			// A settled greeting is never attempted again.
			l := h.planGreetings(1, false, []pages.Geek{geekOf(1101, "甲")})
			if err := h.agent.greetPass(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(l.greets) != 0 {
				t.Fatalf("greeted again after reconciliation: %q", l.greets)
			}
		})
	}
}

func TestReconcileSettlesSends(t *testing.T) {
	tests := []struct {
		name    string
		kind    string
		text    string
		landed  bool // the message reached the site before the crash
		silent  bool // the conversation went silent meanwhile
		state   worker.EffectState
		typed   int // messages typed during recovery
		request int // exchange requests clicked during recovery
	}{
		{name: "chat line on the site is done", kind: "chat", text: "好的，稍后联系", landed: true, state: worker.Done},
		{name: "chat line missing is sent now", kind: "chat", text: "好的，稍后联系", state: worker.Done, typed: 1},
		{name: "follow-up missing is sent now", kind: "followup", text: "还在看机会吗？", state: worker.Done, typed: 1},
		{name: "silent conversation abandons it", kind: "chat", text: "好的，稍后联系", silent: true, state: worker.Abandoned},
		{name: "exchange request is clicked", kind: "exchange", text: string(pages.ExchangeWechat), state: worker.Done, request: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t).login()
			h.greeted(cand, "张女士")
			h.chat()
			after := h.site.say(cand, cand, "你好")
			c := h.conv(cand)
			c.LastSeenMID, c.LastAnsweredMID, c.LastRowText = after, after, "as before the crash"
			c.OptedOut = tt.silent
			h.putConv(c)
			key := "k/" + tt.kind
			if err := h.db.Update(func(tx *worker.Tx) error {
				_, _, err := tx.IntendSend(worker.Send{Key: key, AccountID: "acc1", CandidateID: "501", Kind: tt.kind,
					Text: tt.text, After: after})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if tt.landed {
				h.site.say(cand, fakeRecruiterUID, tt.text)
			}
			typedBefore := len(h.site.sentTexts())
			if err := h.agent.reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			h.chat()
			if s := h.send(key); s.State != tt.state {
				t.Fatalf("send %s, want %s", s.State, tt.state)
			}
			if n := len(h.site.sentTexts()) - typedBefore; n != tt.typed {
				t.Fatalf("typed %d messages during recovery, want %d", n, tt.typed)
			}
			if len(h.site.requested) != tt.request {
				t.Fatalf("exchange requests %q, want %d", h.site.requested, tt.request)
			}
			if c := h.conv(cand); tt.state == worker.Done && tt.kind != "exchange" && !c.sentByBot(tt.text) {
				t.Fatal("a settled text is not remembered as ours (it would look like a human's)")
			}
			// A second recovery does nothing more.
			if err := h.agent.reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			h.chat()
			if n := len(h.site.sentTexts()) - typedBefore; n != tt.typed {
				t.Fatalf("typed %d after a second recovery, want still %d", n, tt.typed)
			}
		})
	}
}

func TestReconcileWithNothingPendingDoesNotTouchTheSite(t *testing.T) {
	h := newHarness(t).login()
	if err := h.agent.reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls := h.site.callLog(); len(calls) != 0 {
		t.Fatalf("site calls %q", calls)
	}
	h.site.openChat = func(int) error { return pages.ErrRisk }
	if err := h.db.Update(func(tx *worker.Tx) error {
		_, _, err := tx.IntendGreeting("acc1", "1201", "job_boss_101")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := h.agent.reconcile(context.Background()); !errors.Is(err, pages.ErrRisk) {
		t.Fatalf("reconcile on a risk page = %v", err)
	}
	if g := h.greeting("1201"); g.State != worker.Intended {
		t.Fatalf("greeting settled without looking: %s", g.State)
	}
}

func TestSendUnknownOutcomeIsSettledByTheHistory(t *testing.T) {
	tests := []struct {
		name       string
		landed     bool
		historyErr error
		state      worker.EffectState
		passErr    bool
	}{
		{name: "landed: done, not typed again", landed: true, state: worker.Done},
		{name: "not landed: stays intended for the next visit", state: worker.Intended, passErr: true},
		{name: "history unreadable: stays intended", landed: true, historyErr: errBoom, state: worker.Intended, passErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t).login()
			q := h.candidateAsks("你好")
			h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: "您好，在的"}}
			h.site.sendFault = func(string) (bool, error) { return tt.landed, errUnknown }
			h.site.historyErr = tt.historyErr
			err := h.agent.handleConversation(context.Background(), pages.Row{UID: cand, Name: "张女士"}, h.conv(cand))
			if (err != nil) != tt.passErr {
				t.Fatalf("handleConversation = %v, want error %v", err, tt.passErr)
			}
			key := "chat/acc1/501/" + itoa(q) + "/00"
			if s := h.send(key); s.State != tt.state {
				t.Fatalf("ledger %s, want %s", s.State, tt.state)
			}
			// The next visit (site healthy again) settles what is left, and
			// the line reaches the candidate exactly once.
			h.site.sendFault, h.site.historyErr = nil, nil
			h.chat()
			if got := h.site.sentTexts(); !slices.Equal(got, []string{"您好，在的"}) {
				t.Fatalf("site got %q, want the line once", got)
			}
			if s := h.send(key); s.State != worker.Done {
				t.Fatalf("ledger %s after the next visit", s.State)
			}
		})
	}
}

// A send the site refused stays intended; the conversation is visited
// again a minute later, the line is sent then, and the question is
// answered exactly once (before the fix the conversation waited for the
// candidate's next message).
func TestSendRefusalIsRetriedOnARevisit(t *testing.T) {
	h := newHarness(t).login()
	h.candidateAsks("你好")
	h.site.sendFault = func(string) (bool, error) { return false, errBoom }
	h.chat() // the conversation fails this pass; others go on
	if got := h.site.sentTexts(); len(got) != 0 {
		t.Fatalf("sent %q", got)
	}
	if n := len(h.site.callLog()); n == 0 {
		t.Fatal("no site calls")
	}
	h.site.sendFault = nil
	h.chat() // not yet: the visit is due a minute later
	if got := h.site.sentTexts(); len(got) != 0 {
		t.Fatalf("sent %q before the revisit was due", got)
	}
	h.clk.advance(revisitAfter)
	h.chat()
	h.chat()
	if got := h.site.sentTexts(); !slices.Equal(got, []string{"好的"}) {
		t.Fatalf("sent %q after the site recovered, want one answer", got)
	}
}
