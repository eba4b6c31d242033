package bot

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"
)

// A follow-up due after the account moved to another worker is sent once,
// by the new holder: it reads the old holder's greeting and day-1
// follow-up from the site, so it neither repeats day 1 nor falls silent,
// and sends the next step when it is due.
func TestFollowupDueAfterAMoveIsSentOnceByTheNewHolder(t *testing.T) {
	ctx := context.Background()
	old := newHarness(t, func(a *AccountConfig) { a.FollowupReplyWait = time.Minute }).login()
	old.agent.SetFollowups(followupSnap())
	old.greeted(cand, "张女士")
	// A second conversation a human recruiter took over under the old
	// holder; the control plane knows it as intervened.
	const human = 502
	old.greeted(human, "李先生")
	old.chat()
	old.site.say(human, fakeRecruiterUID, "我是招聘负责人，我来跟您聊")
	old.clk.advance(11 * time.Second)
	old.chat()
	if c := old.conv(human); !c.HandedOver {
		t.Fatalf("old holder missed the human takeover: %+v", c)
	}
	old.clk.advance(2 * time.Minute)
	if err := old.agent.followupPass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := old.site.sentTexts(); !slices.Equal(got, []string{"还在看机会吗？"}) {
		t.Fatalf("old holder sent %q, want the day-1 script to %d only", got, cand)
	}

	// The account moves: a new holder with an empty worker.db on the same
	// site, at the same time.
	moved := func(adopt bool) *harness {
		h := newHarness(t, func(a *AccountConfig) { a.FollowupReplyWait = time.Minute })
		h.clk.advance(old.clk.Now().Sub(h.clk.Now()))
		h.site = old.site
		h.agent.Site = old.site
		h.agent.AdoptHistory = adopt
		h.agent.SetFollowups(followupSnap())
		// The grant lists the conversations a human took over.
		if err := seedHandedOver(h.db, "acc1", []string{strconv.Itoa(human)}); err != nil {
			t.Fatal(err)
		}
		return h.login()
	}
	next := moved(true)
	next.chat()
	if c := next.conv(cand); c.HandedOver || c.GreetedAt.IsZero() || len(c.Cadence.Sent) != 1 || c.Cadence.Sent[0].ScriptID != 11 {
		t.Fatalf("adopted conversation: handed over %v, greeted %v, cadence %+v", c.HandedOver, c.GreetedAt, c.Cadence)
	}
	if err := next.agent.followupPass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := old.site.sentTexts(); len(got) != 1 {
		t.Fatalf("new holder sent %q right after the move; nothing was due", got[1:])
	}
	// Day 2: the day-0 script (every 24 h) is due; several passes send it
	// once.
	next.clk.advance(25 * time.Hour)
	for range 3 {
		if err := next.agent.followupPass(ctx); err != nil {
			t.Fatal(err)
		}
		next.chat()
	}
	if got := old.site.sentTexts(); !slices.Equal(got, []string{"还在看机会吗？", "有空可以聊聊"}) {
		t.Fatalf("sent over the move %q, want day 1 by the old holder and the next step once by the new one (nothing to %d, whom a human took over)", got, human)
	}
	if c := next.conv(human); !c.HandedOver || c.Status != StatusIntervened {
		t.Fatalf("the human's conversation on the new holder: %+v", c)
	}
	recs := next.records()
	if len(recs) != 1 || recs[0].Content != "有空可以聊聊" {
		t.Fatalf("new holder's records %+v, want the one step it sent", recs)
	}

	// Without adoption (an account's first grant) the same history reads as
	// a human recruiter's: the bot stays silent.
	first := moved(false)
	first.clk.advance(25 * time.Hour)
	first.chat()
	if c := first.conv(cand); !c.HandedOver {
		t.Fatalf("unadopted history not handed over: %+v", c)
	}
}
