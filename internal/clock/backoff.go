package clock

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is the one retry schedule of hunterbot (the worker's outbox, the
// brain client, alert webhooks, keyword-hit callbacks): retry n (n = 1
// after the first failure) waits Base·2^(n-1), capped at Max, of which the
// last Jitter fraction is random (Jitter 0.5 waits between half and all of
// it; 0 is deterministic). Waits are on the component's Clock: Next gives
// the time of a durable item's next attempt, Sleep waits in-process.
type Backoff struct {
	Base   time.Duration
	Max    time.Duration
	Jitter float64 // 0..1
}

// Delay returns the wait before retry n.
func (b Backoff) Delay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := b.Max
	if n <= 62 {
		if e := b.Base << uint(n-1); e > 0 && e < b.Max {
			d = e
		}
	}
	if b.Jitter > 0 && d > 0 {
		j := time.Duration(float64(d) * min(b.Jitter, 1))
		d = d - j + time.Duration(rand.Int64N(int64(j)+1))
	}
	return d
}

// Next returns when retry n is due, counted from clk's now.
func (b Backoff) Next(clk Clock, n int) time.Time { return clk.Now().Add(b.Delay(n)) }

// Sleep waits the delay of retry n on clk, or until ctx is done.
func (b Backoff) Sleep(ctx context.Context, clk Clock, n int) error {
	return clk.Sleep(ctx, b.Delay(n))
}
