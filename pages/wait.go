package pages

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-rod/rod/lib/utils"
)

// pollEvery is how often a wait re-checks the page. The first check
// almost never holds (a click's XHR and re-render take a moment), so this
// is the usual latency of a confirmed click or send; a check is one small
// Eval, cheap enough to repeat every 50 ms.
const pollEvery = 50 * time.Millisecond

// errWaitTimedOut is what waitUntil returns when d ran out; it wraps
// context.DeadlineExceeded, so a click whose confirmation timed out is an
// unknown outcome (IsUnknownOutcome).
var errWaitTimedOut = fmt.Errorf("wait timed out: %w", context.DeadlineExceeded)

// waitUntil re-runs check every pollEvery with rod's retry helper
// (utils.Retry, the loop behind rod's own waits) until check stops it:
// (true, nil) is done, (true, err) fails with err. It returns ctx.Err()
// when ctx ends and errWaitTimedOut when d runs out first. check gets a
// context bounded by d for its page calls; their errors are check's to
// ignore or return.
func waitUntil(ctx context.Context, d time.Duration, check func(ctx context.Context) (bool, error)) error {
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	err := utils.Retry(wctx, utils.BackoffSleeper(pollEvery, pollEvery, nil), func() (bool, error) { return check(wctx) })
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case wctx.Err() != nil && errors.Is(err, wctx.Err()):
		return errWaitTimedOut
	}
	return err
}
