package bot

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/pages"
)

// pushFakeSite is the fake site with a push channel: tests push events and
// say whether the page's socket is up.
type pushFakeSite struct {
	*fakeSite
	pushes    chan pages.Push
	connected bool
	rowsSince []int64 // uids RowsSince was asked for
}

func (s *pushFakeSite) Pushes() <-chan pages.Push { return s.pushes }
func (s *pushFakeSite) PushConnected() bool       { return s.connected }
func (s *pushFakeSite) OnChat() bool              { return true }
func (s *pushFakeSite) RowsSince(ctx context.Context, uid, _ int64) ([]pages.Row, error) {
	s.rowsSince = append(s.rowsSince, uid)
	rows, err := s.fakeSite.Rows(ctx)
	s.mu.Lock()
	s.calls = s.calls[:len(s.calls)-1] // not a full list read: the page reloaded it on the push
	s.mu.Unlock()
	return rows, err
}

// pushHarness is a logged-in agent on a push site whose first (full) chat
// pass has run over two greeted conversations.
func pushHarness(t *testing.T) (*harness, *pushFakeSite) {
	t.Helper()
	h := newHarness(t)
	ps := &pushFakeSite{fakeSite: h.site, pushes: make(chan pages.Push, 16), connected: true}
	h.agent.Site = ps
	h.login()
	h.greeted(501, "张女士")
	h.greeted(502, "李先生")
	h.chat() // the first pass is always the full one
	h.site.mu.Lock()
	h.site.opened, h.site.calls, h.site.sent = nil, nil, nil
	h.site.mu.Unlock()
	return h, ps
}

func (h *harness) openedNow() []int64 {
	h.site.mu.Lock()
	defer h.site.mu.Unlock()
	return slices.Clone(h.site.opened)
}

func TestPushedMessageOpensExactlyThatConversation(t *testing.T) {
	h, ps := pushHarness(t)
	mid := h.site.say(502, 502, "请问薪资多少？")
	h.clk.advance(11 * time.Second) // past the default 10 s reply delay
	// Only the candidate's message concerns the bot: the recruiter's own
	// message and a read receipt wake nothing (direction by sender uid).
	ps.pushes <- pages.Push{Kind: pages.PushMessage, From: fakeRecruiterUID, To: 501, MID: mid - 1}
	ps.pushes <- pages.Push{Kind: pages.PushRead, From: 501, MID: mid - 1}
	ps.pushes <- pages.Push{Kind: pages.PushMessage, From: 502, To: fakeRecruiterUID, MID: mid, Time: h.clk.Now().UnixMilli()}
	before := h.clk.Now()
	if err := h.agent.idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !h.clk.Now().Equal(before) {
		t.Fatalf("idle slept %v with a push waiting", h.clk.Now().Sub(before))
	}
	h.chat()
	if got := h.openedNow(); !slices.Equal(got, []int64{502}) {
		t.Fatalf("opened %v, want only 502", got)
	}
	if calls := h.site.callLog(); slices.Contains(calls, "open_chat") || slices.Contains(calls, "rows") {
		t.Fatalf("a pushed visit read the whole list: %v", calls)
	}
	if !slices.Equal(h.site.sentTexts(), []string{"好的"}) {
		t.Fatalf("sent %v", h.site.sentTexts())
	}
	// The same push again (repeated or reordered) changes nothing: the
	// history says it is answered.
	ps.pushes <- pages.Push{Kind: pages.PushMessage, From: 502, To: fakeRecruiterUID, MID: mid, Time: 1}
	if err := h.agent.idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.chat()
	if len(h.site.sentTexts()) != 1 {
		t.Fatalf("a repeated push sent again: %v", h.site.sentTexts())
	}
}

func TestLostPushIsCaughtByTheSafetyNet(t *testing.T) {
	h, _ := pushHarness(t)
	h.site.say(501, 501, "在吗？") // its push was lost
	h.clk.advance(11 * time.Second)
	h.chat()
	if got := h.openedNow(); len(got) != 0 {
		t.Fatalf("opened %v without a push before the safety net was due", got)
	}
	h.clk.advance(defaultChatSafetyPoll)
	h.chat()
	if got := h.openedNow(); !slices.Contains(got, 501) || !slices.Equal(h.site.sentTexts(), []string{"好的"}) {
		t.Fatalf("safety-net pass opened %v, sent %v", got, h.site.sentTexts())
	}
}

func TestPushSocketDownFallsBackToTheFullPass(t *testing.T) {
	h, ps := pushHarness(t)
	ps.connected = false
	h.site.say(501, 501, "在吗？")
	h.clk.advance(11 * time.Second)
	h.chat()
	if calls := h.site.callLog(); !slices.Contains(calls, "open_chat") || !slices.Equal(h.site.sentTexts(), []string{"好的"}) {
		t.Fatalf("with the socket down: calls %v, sent %v", calls, h.site.sentTexts())
	}
}

func TestPushedMessageWaitsForTheReplyDelayThenAnswers(t *testing.T) {
	h, ps := pushHarness(t)
	mid := h.site.say(501, 501, "你好")
	ps.pushes <- pages.Push{Kind: pages.PushMessage, From: 501, To: fakeRecruiterUID, MID: mid, Time: h.clk.Now().UnixMilli()}
	if err := h.agent.idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.chat() // within the reply delay: RetryAt is set, nothing sent
	if len(h.site.sentTexts()) != 0 {
		t.Fatalf("sent %v within the reply delay", h.site.sentTexts())
	}
	due := h.conv(501).RetryAt
	if due.IsZero() {
		t.Fatal("no RetryAt after a debounced reply")
	}
	// idle sleeps exactly until the RetryAt, not a whole chat poll.
	if err := h.agent.idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !h.clk.Now().Equal(due) {
		t.Fatalf("idle woke at %v, want the RetryAt %v", h.clk.Now(), due)
	}
	h.chat()
	if !slices.Equal(h.site.sentTexts(), []string{"好的"}) {
		t.Fatalf("sent %v after the reply delay", h.site.sentTexts())
	}
}

func TestPushFromANewCandidateReadsTheReloadedList(t *testing.T) {
	h, ps := pushHarness(t)
	h.site.addConv(503, "王女士", "Go工程师", 101) // the candidate opened it (新招呼)
	mid := h.site.say(503, 503, "您好，岗位还招吗？")
	ps.pushes <- pages.Push{Kind: pages.PushMessage, From: 503, To: fakeRecruiterUID, MID: mid, Time: h.clk.Now().UnixMilli()}
	if err := h.agent.idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.chat()
	if !slices.Equal(ps.rowsSince, []int64{503}) || !slices.Equal(h.openedNow(), []int64{503}) {
		t.Fatalf("rowsSince %v, opened %v; want the list read for 503, then 503 opened", ps.rowsSince, h.openedNow())
	}
	if c := h.conv(503); c.Name != "王女士" || c.LastSeenMID != mid {
		t.Fatalf("record %+v", c)
	}
}

// A conversation whose due RetryAt finds nothing left to answer (here the
// candidate opted out during the reply delay) must not keep that RetryAt:
// idle would return at once for ever and every cycle would reopen the
// conversation while the clock barely moves (the demo's five-day test
// crawled for 15 minutes in such a loop).
func TestDueRetryWithNothingToAnswerIsCleared(t *testing.T) {
	h, ps := pushHarness(t)
	mid := h.site.say(501, 501, "你好")
	ps.pushes <- pages.Push{Kind: pages.PushMessage, From: 501, To: fakeRecruiterUID, MID: mid, Time: h.clk.Now().UnixMilli()}
	if err := h.agent.idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.chat() // within the reply delay: RetryAt is set
	if h.conv(501).RetryAt.IsZero() {
		t.Fatal("no RetryAt after a debounced reply")
	}
	mid = h.site.say(501, 501, "不需要了，别发了")
	ps.pushes <- pages.Push{Kind: pages.PushMessage, From: 501, To: fakeRecruiterUID, MID: mid, Time: h.clk.Now().UnixMilli()}
	if err := h.agent.idle(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.chat()
	h.clk.advance(time.Minute) // past the RetryAt
	h.chat()
	if c := h.conv(501); !c.OptedOut || !c.RetryAt.IsZero() {
		t.Fatalf("opted out %v, RetryAt %v; want an opted-out conversation without a RetryAt", c.OptedOut, c.RetryAt)
	}
	if next := h.agent.nextRetry(); !next.IsZero() {
		t.Fatalf("the agent still waits for a retry at %v (now %v): idle would not sleep", next, h.clk.Now())
	}
	if len(h.site.sentTexts()) != 0 {
		t.Fatalf("sent %v to an opted-out candidate", h.site.sentTexts())
	}
}
