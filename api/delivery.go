package api

import (
	"context"
	"time"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// Durable delivery queues (keyword-hit callbacks; account alerts) live in
// the Store, so a restart only delays them. One loop drives each queue.
const (
	// deliveryIdle is how long an idle loop sleeps. A new item wakes it at
	// once, so this only bounds the wait of an item nobody announced (one a
	// previous process left queued).
	deliveryIdle = time.Minute
	// deliveryRetryPoll is the loop's period while an attempt comes due
	// within deliveryIdle (a retry after a failed attempt).
	deliveryRetryPoll = time.Second
)

// wakeup tells a delivery loop that new items were stored.
type wakeup chan struct{}

func newWakeup() wakeup { return make(chan struct{}, 1) }

// poke wakes the loop without blocking; pokes coalesce.
func (w wakeup) poke() {
	select {
	case w <- struct{}{}:
	default:
	}
}

// runDelivery runs pass at start, whenever w is poked and after each
// sleep: deliveryRetryPoll while pass reports an attempt due within
// deliveryIdle, deliveryIdle otherwise. It returns when ctx ends.
func (s *Server) runDelivery(ctx context.Context, name string, w wakeup, pass func(context.Context) (dueSoon bool, err error)) error {
	for {
		soon, err := pass(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn().Err(err).Msg(name + " delivery")
		}
		wait := deliveryIdle
		if soon || err != nil {
			wait = deliveryRetryPoll
		}
		if err := clock.SleepOrWake(ctx, s.clock, wait, w); err != nil {
			return err
		}
	}
}
