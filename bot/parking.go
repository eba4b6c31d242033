package bot

import (
	"errors"
	"fmt"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/state/worker"
)

// DefaultRejectAttempts is OutboxOptions.RejectAttempts' default: a report
// rejected for its data this many times in a row is parked.
const DefaultRejectAttempts = 5

// ErrRejectedData marks a delivery the receiver answered and refused for a
// reason in the item's data (the brain's ret != 0, or the reference's
// exception envelope, which is how it answers a missing row or key). It is
// retried a few times (the cause may be fixed meanwhile, e.g. a job's
// touch_msg set) and then parked; it never blocks the items behind it.
var ErrRejectedData = errors.New("rejected by the receiver")

// brainRejection classifies a brain call error: answers that refuse the
// item are ErrRejectedData; outages (transport, 5xx, undecodable bodies)
// stay as they are and are retried without bound.
func brainRejection(err error) error {
	if errors.Is(err, brain.ErrRejected) || errors.Is(err, brain.ErrNoRet) {
		return fmt.Errorf("%w: %v", ErrRejectedData, err)
	}
	return err
}

// park settles a failed delivery that must leave the queue: ErrPermanent at
// once, ErrRejectedData after RejectAttempts. Other failures (and data
// rejections with attempts left, which get the usual backoff) are not
// parked; it reports whether the item was parked.
func (o *Outbox) park(it worker.OutboxItem, derr error) (bool, error) {
	permanent := errors.Is(derr, ErrPermanent)
	data := errors.Is(derr, ErrRejectedData)
	if !permanent && !data {
		return false, nil
	}
	if data && it.Attempts+1 < o.opts.RejectAttempts {
		next := o.clk.Now().Add(o.backoff(it.Attempts))
		return false, o.db.Update(func(tx *worker.Tx) error { return tx.Retry(it.Seq, derr, next) })
	}
	var p worker.ParkedItem
	err := o.db.Update(func(tx *worker.Tx) (err error) {
		p, err = tx.Park(it.Seq, derr)
		return err
	})
	if errors.Is(err, worker.ErrNotFound) {
		return true, nil // delivered or parked by a racing pass
	}
	if err != nil {
		return false, err
	}
	o.log.Error().Bool("alert", true).Str("target", it.Target).Str("kind", it.Kind).Str("key", it.Key).
		Str("account", it.AccountID).Int("attempts", p.Attempts).Str("reason", p.Reason).
		Msg("outbox item parked; fix the cause and replay it (POST /api/accounts/{key}/outbox/replay)")
	if o.opts.OnPark != nil {
		o.opts.OnPark(p)
	}
	return true, nil
}

// parkedCounts counts the parked outbox items per account id (brain items
// carry the brain's accountID, control items the account key).
func (rt *Runtime) parkedCounts() map[string]int {
	var m map[string]int
	err := rt.db.View(func(tx *worker.Tx) (err error) {
		m, err = tx.CountParked()
		return err
	})
	if err != nil {
		rt.opts.Log.Warn().Err(err).Msg("count parked outbox items")
	}
	return m
}

// chatRefused counts a chat call the brain refused (as opposed to an
// outage). After DefaultRejectAttempts refusals in a row the conversation
// is handed to a human with an alert instead of being asked about every
// two minutes for ever (the reference raises for some histories).
func (a *Agent) chatRefused(conv *Conversation, err error) {
	if !errors.Is(brainRejection(err), ErrRejectedData) {
		return
	}
	conv.BrainRefusals++
	if conv.BrainRefusals < DefaultRejectAttempts {
		return
	}
	conv.BrainRefusals = 0
	conv.HandedOver = true
	conv.Status = StatusIntervened
	a.Log.Warn().Bool("alert", true).Str("candidate", conv.CandidateID).Err(err).
		Msg("the brain keeps refusing this conversation; handed to a human")
}
