package pages

import (
	"errors"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// errDetached means the page replaced an element (re-rendered the list it
// was in) between its lookup and the click.
var errDetached = errors.New("element left the page before the click")

// clickAttached clicks el like a user (rod's Click: scroll into view,
// hover, press, release) within el's own context, unless the page has
// already dropped it. rod first waits for the element to become visible,
// which a detached element never does, so a list the page re-rendered
// just after the lookup (a push, the page's polling) held the click until
// its deadline: 3 s per chat row, a few times a sim day in the demo's
// five-day run. A detached element fails at once with errDetached, and the
// caller looks it up again.
func clickAttached(el *rod.Element) error {
	res, err := el.Eval(`() => this.isConnected`)
	if err != nil {
		return err
	}
	if !res.Value.Bool() {
		return errDetached
	}
	return el.Click(proto.InputMouseButtonLeft, 1)
}
