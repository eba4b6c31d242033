package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// OutboxItem is one report waiting to be delivered to the brain or the
// control plane. Key is its idempotency key: enqueueing the same key twice
// keeps one item, and the receiver uses the key to drop replays.
type OutboxItem struct {
	Seq        uint64          `json:"seq"`
	Key        string          `json:"key"`
	Target     string          `json:"target"` // "brain" or "control"
	Kind       string          `json:"kind"`   // e.g. "task_report", "result", "contact"
	AccountID  string          `json:"account_id"`
	Payload    json.RawMessage `json:"payload"`
	Attachment string          `json:"attachment,omitempty"` // path of a file to upload with it (a CV)
	CreatedAt  time.Time       `json:"created_at"`
	NextAt     time.Time       `json:"next_at"`
	Attempts   int             `json:"attempts"`
	LastError  string          `json:"last_error,omitempty"`
}

// Enqueue adds an item to the outbox unless an item with the same key was
// ever enqueued (delivered or not); it reports whether it added one.
func (t *Tx) Enqueue(it OutboxItem) (bool, error) {
	if it.Key == "" || it.Target == "" || it.Kind == "" {
		return false, fmt.Errorf("%w: outbox item needs key, target and kind", ErrInvalid)
	}
	keys := t.tx.Bucket(bucketOutboxKeys)
	if keys.Get([]byte(it.Key)) != nil {
		return false, nil
	}
	box := t.tx.Bucket(bucketOutbox)
	seq, err := box.NextSequence()
	if err != nil {
		return false, err
	}
	it.Seq, it.CreatedAt, it.NextAt, it.Attempts, it.LastError = seq, t.now, t.now, 0, ""
	if err := putJSON(box, u64(seq), it); err != nil {
		return false, err
	}
	// The key index stays after delivery so a late duplicate enqueue is
	// still recognised; it stores the seq (0 once delivered is not needed:
	// the item's absence from the outbox says it).
	return true, keys.Put([]byte(it.Key), u64(seq))
}

// Due lists up to limit items for target whose NextAt is not after now, in
// enqueue order.
func (t *Tx) Due(target string, now time.Time, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	c := t.tx.Bucket(bucketOutbox).Cursor()
	for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
		var it OutboxItem
		if err := jsonUnmarshal(v, &it); err != nil {
			return nil, err
		}
		if it.Target == target && !it.NextAt.After(now) {
			out = append(out, it)
		}
	}
	return out, nil
}

// Pending counts undelivered items per target.
func (t *Tx) Pending() (map[string]int, error) {
	out := map[string]int{}
	err := t.tx.Bucket(bucketOutbox).ForEach(func(_, v []byte) error {
		var it OutboxItem
		if err := jsonUnmarshal(v, &it); err != nil {
			return err
		}
		out[it.Target]++
		return nil
	})
	return out, err
}

// Delivered removes a delivered item. Removing an item that is already gone
// is not an error (two deliverers raced, or a replay).
func (t *Tx) Delivered(seq uint64) error {
	return t.tx.Bucket(bucketOutbox).Delete(u64(seq))
}

// Retry records a failed attempt and when to try again.
func (t *Tx) Retry(seq uint64, cause error, next time.Time) error {
	box := t.tx.Bucket(bucketOutbox)
	var it OutboxItem
	if err := getJSON(box, u64(seq), &it); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
	it.Attempts++
	it.NextAt = next
	if cause != nil {
		it.LastError = cause.Error()
	}
	return putJSON(box, u64(seq), it)
}
