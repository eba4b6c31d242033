package worker

import (
	"fmt"
	"time"
)

// Parked outbox items: a report the receiver keeps rejecting for a reason
// in the data (not an outage) is moved out of the delivery queue after a
// bounded number of attempts, so it neither blocks the items behind it nor
// is retried for ever. An operator replays it once the cause is fixed.

var bucketParked = []byte("outbox_parked") // outbox seq -> ParkedItem

func init() { allBuckets = append(allBuckets, bucketParked) }

// ParkedItem is an outbox item taken out of delivery.
type ParkedItem struct {
	OutboxItem
	ParkedAt time.Time `json:"parked_at"`
	Reason   string    `json:"reason"`
}

// Park moves the outbox item seq to the parked items, recording the last
// attempt (cause) and returning it. A missing item is ErrNotFound.
func (t *Tx) Park(seq uint64, cause error) (ParkedItem, error) {
	box := t.tx.Bucket(bucketOutbox)
	var it OutboxItem
	if err := getJSON(box, u64(seq), &it); err != nil {
		return ParkedItem{}, err
	}
	it.Attempts++
	p := ParkedItem{OutboxItem: it, ParkedAt: t.now}
	if cause != nil {
		p.LastError = cause.Error()
		p.Reason = cause.Error()
	}
	if err := putJSON(t.tx.Bucket(bucketParked), u64(seq), p); err != nil {
		return ParkedItem{}, err
	}
	return p, box.Delete(u64(seq))
}

// Parked lists the parked items, oldest first; with accounts given, only
// those whose AccountID is one of them.
func (t *Tx) Parked(accounts ...string) ([]ParkedItem, error) {
	var out []ParkedItem
	err := t.tx.Bucket(bucketParked).ForEach(func(_, v []byte) error {
		var p ParkedItem
		if err := jsonUnmarshal(v, &p); err != nil {
			return err
		}
		if len(accounts) == 0 || contains(accounts, p.AccountID) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// CountParked counts parked items per AccountID.
func (t *Tx) CountParked() (map[string]int, error) {
	out := map[string]int{}
	err := t.tx.Bucket(bucketParked).ForEach(func(_, v []byte) error {
		var p ParkedItem
		if err := jsonUnmarshal(v, &p); err != nil {
			return err
		}
		out[p.AccountID]++
		return nil
	})
	return out, err
}

// Replay puts parked items back into delivery, due now with a fresh
// attempt count, under their original seq (so enqueue order is kept).
// With accounts given only their items are replayed. It returns how many.
func (t *Tx) Replay(accounts ...string) (int, error) {
	items, err := t.Parked(accounts...)
	if err != nil {
		return 0, err
	}
	box, parked := t.tx.Bucket(bucketOutbox), t.tx.Bucket(bucketParked)
	for _, p := range items {
		it := p.OutboxItem
		it.Attempts, it.NextAt = 0, t.now
		it.LastError = fmt.Sprintf("replayed after: %s", p.Reason)
		if box.Get(u64(it.Seq)) != nil {
			return 0, fmt.Errorf("%w: outbox seq %d is in use", ErrInvalid, it.Seq)
		}
		if err := putJSON(box, u64(it.Seq), it); err != nil {
			return 0, err
		}
		if err := parked.Delete(u64(it.Seq)); err != nil {
			return 0, err
		}
	}
	return len(items), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
