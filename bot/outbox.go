package bot

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state/worker"
)

// Deliverer sends one outbox item to its target (the brain or the control
// plane). It must be safe to call again with the same item: the item's Key
// is the idempotency key the receiver uses to drop replays.
type Deliverer interface {
	Deliver(ctx context.Context, item worker.OutboxItem) error
}

// DelivererFunc adapts a function to Deliverer.
type DelivererFunc func(ctx context.Context, item worker.OutboxItem) error

// Deliver implements Deliverer.
func (f DelivererFunc) Deliver(ctx context.Context, item worker.OutboxItem) error {
	return f(ctx, item)
}

// ErrPermanent marks a delivery error that retrying cannot fix (the item
// cannot even be sent). Such items are parked at once (parking.go) and
// logged as errors for an operator, never dropped silently.
var ErrPermanent = errors.New("permanent delivery failure")

// OutboxOptions tunes delivery. Zero values take the defaults in brackets.
type OutboxOptions struct {
	BatchSize  int           // items per target per pass [20]
	MinBackoff time.Duration // first retry delay [2s]
	MaxBackoff time.Duration // retry delay cap [10m]
	Idle       time.Duration // how long to sleep when nothing is due [5s]
	// RejectAttempts is how many times an item the receiver rejects for a
	// reason in its data (ErrRejectedData) is tried before it is parked [5].
	RejectAttempts int
	// OnPark, when set, is called after an item was parked (an account
	// alert). It must not block.
	OnPark func(worker.ParkedItem)
}

// Outbox delivers the worker.db outbox in enqueue order per target, with
// jittered exponential backoff (clock.Backoff) on failure. One Outbox runs
// per worker process.
type Outbox struct {
	db         *worker.DB
	clk        clock.Clock
	log        zerolog.Logger
	deliverers map[string]Deliverer
	opts       OutboxOptions

	wake chan struct{}
}

// NewOutbox returns an outbox delivering items of each target with the
// deliverer registered for it.
func NewOutbox(db *worker.DB, clk clock.Clock, log zerolog.Logger, deliverers map[string]Deliverer, opts OutboxOptions) *Outbox {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 20
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 2 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 10 * time.Minute
	}
	if opts.Idle <= 0 {
		opts.Idle = 5 * time.Second
	}
	if opts.RejectAttempts <= 0 {
		opts.RejectAttempts = DefaultRejectAttempts
	}
	return &Outbox{
		db: db, clk: clk, log: log.With().Str("component", "outbox").Logger(),
		deliverers: deliverers, opts: opts,
		wake: make(chan struct{}, 1),
	}
}

// Poke wakes the delivery loop early (after new items were enqueued).
func (o *Outbox) Poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done.
func (o *Outbox) Run(ctx context.Context) error {
	for {
		if _, err := o.Pass(ctx); err != nil && ctx.Err() == nil {
			o.log.Error().Err(err).Msg("outbox pass failed")
		}
		// Sleep on the clock, cut short by Poke.
		if err := clock.SleepOrWake(ctx, o.clk, o.opts.Idle, o.wake); err != nil {
			return err
		}
	}
}

// Pass makes one delivery attempt for every due item and reports how many
// were delivered. Items of a target are tried in order; after the first
// failure of a target the rest of its items wait for the next pass, so a
// down receiver is not hammered.
func (o *Outbox) Pass(ctx context.Context) (int, error) {
	delivered := 0
	for target, d := range o.deliverers {
		var due []worker.OutboxItem
		err := o.db.View(func(tx *worker.Tx) (err error) {
			due, err = tx.Due(target, o.clk.Now(), o.opts.BatchSize)
			return err
		})
		if err != nil {
			return delivered, err
		}
		for _, it := range due {
			if ctx.Err() != nil {
				return delivered, ctx.Err()
			}
			start := o.clk.Now()
			derr := d.Deliver(ctx, it)
			ev := o.log.Debug()
			if derr != nil {
				ev = o.log.Warn().Err(derr)
				if errors.Is(derr, ErrPermanent) {
					ev = o.log.Error().Err(derr)
				}
			}
			ev.Str("target", target).Str("kind", it.Kind).Str("key", it.Key).
				Int("attempt", it.Attempts+1).Dur("took", o.clk.Now().Sub(start)).Msg("outbox delivery")
			if derr == nil {
				if err := o.db.Update(func(tx *worker.Tx) error { return tx.Delivered(it.Seq) }); err != nil {
					return delivered, err
				}
				delivered++
				continue
			}
			parked, err := o.park(it, derr) // parking.go
			if err != nil {
				return delivered, err
			}
			if parked || errors.Is(derr, ErrRejectedData) {
				// The receiver is up and answered about this item only:
				// the items behind it go on.
				continue
			}
			next := o.clk.Now().Add(o.backoff(it.Attempts))
			if err := o.db.Update(func(tx *worker.Tx) error { return tx.Retry(it.Seq, derr, next) }); err != nil {
				return delivered, err
			}
			break
		}
	}
	return delivered, nil
}

// backoff is MinBackoff·2^attempts, capped at MaxBackoff, with equal
// jitter (between half and all of it). Permanent failures never wait on
// it: they are parked (parking.go).
func (o *Outbox) backoff(attempts int) time.Duration {
	return clock.Backoff{Base: o.opts.MinBackoff, Max: o.opts.MaxBackoff, Jitter: 0.5}.Delay(attempts + 1)
}
