package pages

import (
	"context"
	"errors"
	"fmt"
)

// BodyImage is the body type of an image message in the history.
const BodyImage = 3

// ImageText is the text an image message carries in the history (the
// conversation list's preview of a picture).
const ImageText = "[图片]"

// SendImage sends the image file at path into the conversation with the
// candidate through the chat toolbar's 图片 file input, and returns the new
// message's mid once the page shows an own image bubble newer than every
// earlier own message. A timeout (IsUnknownOutcome) means the outcome is
// unknown: reconcile with the history, never resend blindly.
func (s *Session) SendImage(ctx context.Context, uid int64, path string) (int64, error) {
	if err := s.ensureOpen(ctx, uid); err != nil {
		return 0, err
	}
	before, err := s.maxOwnMID(ctx)
	if err != nil {
		return 0, fmt.Errorf("send image: %w", err)
	}
	input, err := s.p(ctx).Element(s.sel.ImageInput)
	if err != nil {
		return 0, fmt.Errorf("send image: file input: %w", err)
	}
	// SetFiles fills the input as a user's file pick does and fires its
	// change event; the page uploads and sends.
	if err := input.SetFiles([]string{path}); err != nil {
		return 0, fmt.Errorf("send image: pick file: %w", err)
	}
	const confirmJS = `(a) => {
		let found = 0;
		document.querySelectorAll(a.item).forEach(el => {
			const mine = el.querySelector(a.mine);
			const mid = parseInt(el.getAttribute('data-mid') || '0', 10);
			if (mine && mid > a.before && mine.querySelector('img')) found = mid;
		});
		return found;
	}`
	args := map[string]any{"item": s.sel.MessageItem, "mine": "div.item-myself", "before": before}
	mid, err := s.waitOwnMessage(ctx, confirmJS, args)
	if errors.Is(err, errWaitTimedOut) {
		return 0, fmt.Errorf("send image to %d: not confirmed: %w", uid, err)
	}
	return mid, err
}
