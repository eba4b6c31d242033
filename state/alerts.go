package state

import (
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Account alerts: a heartbeat that moves an account into a state an
// operator must look at (or back to running) records an Alert in the same
// transaction, queued for the webhook.
var (
	bucketAlerts          = []byte("alerts")                // id -> Alert
	bucketAlertsByAccount = []byte("idx_alerts_by_account") // account id|alert id -> nil
	bucketAlertsPending   = []byte("idx_alerts_pending")    // alert id -> nil: webhook not settled yet
)

// alertBuckets are created by schema migration 3 (with the release buckets).
var alertBuckets = [][]byte{bucketAlerts, bucketAlertsByAccount, bucketAlertsPending}

// alertWorthy reports whether an account going from prev to its current
// state must be reported: entering an alert state, or reaching running
// while its latest alert is still an alert state (a recovery). Looking at
// the latest alert rather than only prev makes error -> starting -> running
// a recovery too.
func alertWorthy(tx *bbolt.Tx, prev wire.AccountState, a wire.Account) bool {
	switch {
	case prev == a.State:
		return false
	case wire.IsAlertState(a.State):
		return true
	case a.State != wire.AccountRunning:
		return false
	}
	c := tx.Bucket(bucketAlertsByAccount).Cursor()
	k, _ := c.Seek(u64(a.ID + 1))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || len(k) != 16 || btou(k[:8]) != a.ID {
		return false // never alerted
	}
	var last wire.Alert
	if getJSON(tx.Bucket(bucketAlerts), k[8:], &last) != nil {
		return false
	}
	return wire.IsAlertState(last.State)
}

// recordStateChange stores an alert when the account moved from prevState
// into a state worth reporting. It runs inside the heartbeat's transaction
// so the state and its alert are written together.
func (db *DB) recordStateChange(tx *bbolt.Tx, prevState wire.AccountState, a wire.Account) error {
	if !alertWorthy(tx, prevState, a) {
		return nil
	}
	b := tx.Bucket(bucketAlerts)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	now := db.now()
	al := wire.Alert{ID: id, AccountID: a.ID, Account: a.Key, WorkerID: a.WorkerID, State: a.State,
		PreviousState: prevState, LastError: a.LastError, At: now, Webhook: wire.WebhookPending, NextAttemptAt: &now}
	if err := putJSON(b, u64(id), al); err != nil {
		return err
	}
	if err := tx.Bucket(bucketAlertsByAccount).Put(pairKey(a.ID, id), nil); err != nil {
		return err
	}
	return tx.Bucket(bucketAlertsPending).Put(u64(id), nil)
}

// ListAlerts returns a page of alerts, newest first, of one account (key)
// or of all when accountKey is empty, and the total. An unknown account key
// is ErrNotFound.
func (db *DB) ListAlerts(accountKey string, page, pageSize int) ([]wire.Alert, int, error) {
	if page < 1 || pageSize < 1 {
		return nil, 0, fieldErr("page", "page and page_size must be positive")
	}
	out := []wire.Alert{}
	total, offset := 0, (page-1)*pageSize
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		ab := tx.Bucket(bucketAlerts)
		take := func(id []byte) error {
			if total >= offset && len(out) < pageSize {
				var al wire.Alert
				if err := getJSON(ab, id, &al); err != nil {
					return err
				}
				out = append(out, al)
			}
			total++
			return nil
		}
		if accountKey == "" {
			c := ab.Cursor()
			for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
				if err := take(k); err != nil {
					return err
				}
			}
			return nil
		}
		a, err := accountByKey(tx, accountKey)
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketAlertsByAccount).Cursor()
		// Seek past the account's last key, then walk back.
		k, _ := c.Seek(u64(a.ID + 1))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && len(k) == 16 && btou(k[:8]) == a.ID; k, _ = c.Prev() {
			if err := take(k[8:]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, total, err
}

// DueAlerts returns up to limit alerts whose webhook delivery is pending and
// due at now, oldest first.
func (db *DB) DueAlerts(now time.Time, limit int) ([]wire.Alert, error) {
	out := []wire.Alert{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		ab := tx.Bucket(bucketAlerts)
		c := tx.Bucket(bucketAlertsPending).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			var al wire.Alert
			if err := getJSON(ab, k, &al); err != nil {
				return err
			}
			if al.NextAttemptAt == nil || !al.NextAttemptAt.After(now) {
				out = append(out, al)
			}
		}
		return nil
	})
	return out, err
}

// RecordAlertAttempt settles one webhook attempt of alert id: outcome is
// WebhookDelivered, WebhookSkipped, or "" for a failure; a failure with a
// zero next gives up (WebhookFailed), otherwise it is retried at next.
// An alert that is no longer pending is returned unchanged.
func (db *DB) RecordAlertAttempt(id uint64, outcome wire.Delivery, errMsg string, next time.Time) (wire.Alert, error) {
	var al wire.Alert
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		ab := tx.Bucket(bucketAlerts)
		if err := getJSON(ab, u64(id), &al); err != nil {
			return fmt.Errorf("alert %d: %w", id, err)
		}
		if al.Webhook != wire.WebhookPending {
			return nil
		}
		now := db.now()
		settled := true
		switch outcome {
		case wire.WebhookDelivered:
			al.Attempts++
			al.Webhook, al.DeliveredAt, al.NextAttemptAt, al.WebhookError = wire.WebhookDelivered, &now, nil, ""
		case wire.WebhookSkipped:
			al.Webhook, al.NextAttemptAt, al.WebhookError = wire.WebhookSkipped, nil, errMsg
		case "":
			al.Attempts++
			al.WebhookError = errMsg
			if next.IsZero() {
				al.Webhook, al.NextAttemptAt = wire.WebhookFailed, nil
			} else {
				n := next.UTC()
				al.NextAttemptAt, settled = &n, false
			}
		default:
			return fmt.Errorf("alert %d: unknown outcome %q", id, outcome)
		}
		if err := putJSON(ab, u64(id), al); err != nil {
			return err
		}
		if settled {
			return tx.Bucket(bucketAlertsPending).Delete(u64(id))
		}
		return nil
	})
	return al, err
}

// RecordSecurityAlert queues an alert that concerns no account (e.g. a
// burst of failed logins) for the webhook; it is listed by GET /api/alerts
// with account "" and the given state.
func (db *DB) RecordSecurityAlert(kind, detail string) (wire.Alert, error) {
	var al wire.Alert
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := db.now()
		al = wire.Alert{ID: id, State: wire.AccountState(kind), LastError: detail, At: now, Webhook: wire.WebhookPending, NextAttemptAt: &now}
		if err := putJSON(b, u64(id), al); err != nil {
			return err
		}
		if err := tx.Bucket(bucketAlertsByAccount).Put(pairKey(0, id), nil); err != nil {
			return err
		}
		return tx.Bucket(bucketAlertsPending).Put(u64(id), nil)
	})
	return al, err
}
