package pages

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/testwait"
)

// A row the page replaced after its lookup fails the click at once with
// errDetached instead of holding it until the context's deadline (rod waits
// for a detached element to become visible), and the row looked up again
// takes the click.
func TestClickAttachedFailsFastOnAReplacedRow(t *testing.T) {
	srv := fixtureServer(t)
	page := browsertest.Page(t)
	page.MustNavigate(srv.URL + "/fixtures/rerender.html").MustWaitLoad()
	const sel = `div.geek-item[data-id^="501-"]`
	// The old click waited for the replaced row to become visible until
	// this deadline and then failed with context.DeadlineExceeded; the new
	// one does not wait at all, so the deadline only bounds a regression.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stale := page.Context(ctx).MustElement(sel)
	page.MustEval(`() => render()`)
	if err := clickAttached(stale); !errors.Is(err, errDetached) {
		t.Fatalf("click on a replaced row: %v, want errDetached", err)
	}
	if got := page.MustEval(`() => window.clicked.length`).Int(); got != 0 {
		t.Fatalf("%d clicks landed from the replaced row", got)
	}
	if err := clickAttached(page.Context(ctx).MustElement(sel)); err != nil {
		t.Fatalf("click on the fresh row: %v", err)
	}
	if got := page.MustEval(`() => window.clicked.join(',')`).String(); got != "501" {
		t.Fatalf("clicked rows %q, want 501", got)
	}
}

// A row that is on the page but not shown (the page hid it mid-render)
// fails the click at once as well: rod's click waited for it to become
// visible until the deadline.
func TestClickAttachedDoesNotWaitForAHiddenRow(t *testing.T) {
	srv := fixtureServer(t)
	page := browsertest.Page(t)
	page.MustNavigate(srv.URL + "/fixtures/rerender.html").MustWaitLoad()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // as above
	defer cancel()
	row := page.Context(ctx).MustElement(`div.geek-item[data-id^="502-"]`)
	row.MustEval(`() => { this.style.display = 'none'; }`)
	err := clickAttached(row)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("click on a hidden row: %v, want an immediate error", err)
	}
	if got := page.MustEval(`() => window.clicked.length`).Int(); got != 0 {
		t.Fatalf("%d clicks landed", got)
	}
}

// The list re-sorts between the hit test and the press (a message arrived):
// the press opens the other conversation. OpenConversation sees that the
// row it meant is not the open one and clicks it again, instead of waiting
// out a step for a history the page never asks for.
func TestOpenConversationClicksAgainWhenTheListMovedUnderTheMouse(t *testing.T) {
	srv := fixtureServer(t)
	sess, err := NewSession(browsertest.Context(t), Options{BaseURL: srv.URL, StepTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	ctx := testwait.Context(t, nil)
	if err := sess.navigate(ctx, "/fixtures/reorder.html"); err != nil {
		t.Fatal(err)
	}
	msgs, err := sess.OpenConversation(ctx, 501)
	if err != nil {
		t.Fatalf("open 501 after the list moved: %v", err)
	}
	if len(msgs) != 1 || msgs[0].Body.Text != "hello 501" {
		t.Fatalf("history %+v, want 501's", msgs)
	}
	if got := sess.page.MustEval(`() => window.opened.join(',')`).String(); got != "502,501" {
		t.Fatalf("opened %q, want 502 (the moved list) then 501", got)
	}
}
