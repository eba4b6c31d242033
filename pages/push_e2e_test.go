package pages_test

import (
	"context"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/pages"
)

// nextPush waits for the next push of kind, failing when ctx ends.
func nextPush(t *testing.T, ctx context.Context, sess *pages.Session, kind string) pages.Push {
	t.Helper()
	for {
		select {
		case p := <-sess.Pushes():
			if p.Kind == kind {
				return p
			}
		case <-ctx.Done():
			t.Fatalf("no %s push: %v", kind, ctx.Err())
		}
	}
}

// The chat page's push socket is seen through CDP: a candidate's message
// arrives as a decoded push naming the sender, the page reloads its list
// for it, and the recruiter's own message comes back with the recruiter as
// sender.
func TestPushesAgainstSim(t *testing.T) {
	s, _, base := simSite(t)
	acct := s.Scenario().Accounts[0]
	sess := newSession(t, base)
	ctx := testwait.Context(t, nil)
	if err := sess.PasswordLogin(ctx, acct.Username, acct.Password); err != nil {
		t.Fatal(err)
	}
	if err := sess.OpenChat(ctx); err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !sess.PushConnected() || s.PushStats().Connects == 0 {
		select {
		case <-ctx.Done():
			t.Fatal("the chat page never opened its push socket")
		case <-tick.C:
		}
	}
	if !sess.OnChat() {
		t.Fatal("OnChat false on the chat page")
	}
	cand := s.Truth().Accounts[acct.ID].Candidates[3].ID
	if err := s.Inject(acct.ID, cand, "您好，我对这个岗位感兴趣"); err != nil {
		t.Fatal(err)
	}
	p := nextPush(t, ctx, sess, pages.PushMessage)
	if p.From != cand || p.To != acct.UID || p.Text != "您好，我对这个岗位感兴趣" || p.MID == 0 || p.Time == 0 {
		t.Fatalf("push %+v", p)
	}
	rows, err := sess.RowsSince(ctx, cand, p.Time)
	if err != nil {
		t.Fatal(err)
	}
	var row *pages.Row
	for i := range rows {
		if rows[i].UID == cand {
			row = &rows[i]
		}
	}
	if row == nil || row.LastTime < p.Time || row.LastText != p.Text {
		t.Fatalf("row after the push: %+v", row)
	}
	if _, err := sess.Send(ctx, cand, "您好，方便聊聊吗"); err != nil {
		t.Fatal(err)
	}
	own := nextPush(t, ctx, sess, pages.PushMessage)
	if own.From != acct.UID || own.To != cand || own.Text != "您好，方便聊聊吗" {
		t.Fatalf("own push %+v", own)
	}
}
