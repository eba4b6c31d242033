package pages

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/browsertest"
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
