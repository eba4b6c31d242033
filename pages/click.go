package pages

import (
	"errors"
	"fmt"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// errDetached means the page replaced an element (re-rendered the list it
// was in) between its lookup and the click.
var errDetached = errors.New("element left the page before the click")

// clickAttached clicks a chat-list row like a user: it scrolls the row into
// view, checks that the row itself is what is at its centre (rod's
// Interactable: not covered, not pointer-events:none), moves the mouse
// there and presses and releases the button; every step runs in el's own
// context. It never waits for the row to become visible or stop moving, as
// rod's Click does: the page re-renders its list on every push and poll,
// a replaced row never becomes visible again, and rod's click then held
// until its deadline (3 s a row, many times a sim day in the demo's runs).
// A replaced row fails at once (errDetached, or the error of the step that
// met it) and the caller looks it up again. The rows do not animate, so
// the stability wait had nothing to wait for.
func clickAttached(el *rod.Element) error {
	res, err := el.Eval(`() => this.isConnected`)
	if err != nil {
		return err
	}
	if !res.Value.Bool() {
		return errDetached
	}
	if err := (proto.DOMScrollIntoViewIfNeeded{ObjectID: el.Object.ObjectID}).Call(el); err != nil {
		return fmt.Errorf("scroll into view: %w", err)
	}
	pt, err := el.Interactable()
	if err != nil {
		return err
	}
	mouse := el.Page().Context(el.GetContext()).Mouse
	if err := mouse.MoveTo(*pt); err != nil {
		return err
	}
	return mouse.Click(proto.InputMouseButtonLeft, 1)
}
