package state

import (
	"fmt"
	"time"

	"go.etcd.io/bbolt"
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

// Account states that raise an alert when an account enters them.
const (
	AccountRunning    = "running"
	AccountPausedRisk = "paused_risk"
	AccountNeedsLogin = "needs_login"
	AccountQuota      = "quota_reached"
	AccountError      = "error"
)

// AlertStates are the account states that raise an alert on entry.
var AlertStates = []string{AccountPausedRisk, AccountNeedsLogin, AccountQuota, AccountError}

// IsAlertState reports whether entering s raises an alert.
func IsAlertState(s string) bool {
	for _, v := range AlertStates {
		if s == v {
			return true
		}
	}
	return false
}

// Webhook delivery states of an alert.
const (
	WebhookPending   = "pending"   // queued or being retried
	WebhookDelivered = "delivered" // the webhook answered 2xx
	WebhookFailed    = "failed"    // gave up after the last retry
	WebhookSkipped   = "skipped"   // no webhook was configured when it came due
)

// Alert is one account state change an operator should know about.
type Alert struct {
	ID            uint64     `json:"id"`
	AccountID     uint64     `json:"account_id"`
	Account       string     `json:"account"`
	WorkerID      string     `json:"worker_id"`
	State         string     `json:"state"`
	PreviousState string     `json:"previous_state"`
	LastError     string     `json:"last_error"`
	At            time.Time  `json:"at"`
	Webhook       string     `json:"webhook"` // pending | delivered | failed | skipped
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	WebhookError  string     `json:"webhook_error,omitempty"`
}

// alertWorthy reports whether an account going from prev to its current
// state must be reported: entering an alert state, or reaching running
// while its latest alert is still an alert state (a recovery). Looking at
// the latest alert rather than only prev makes error -> starting -> running
// a recovery too.
func alertWorthy(tx *bbolt.Tx, prev string, a Account) bool {
	switch {
	case prev == a.State:
		return false
	case IsAlertState(a.State):
		return true
	case a.State != AccountRunning:
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
	var last Alert
	if getJSON(tx.Bucket(bucketAlerts), k[8:], &last) != nil {
		return false
	}
	return IsAlertState(last.State)
}

// recordStateChange stores an alert when the account moved from prevState
// into a state worth reporting. It runs inside the heartbeat's transaction
// so the state and its alert are written together.
func (db *DB) recordStateChange(tx *bbolt.Tx, prevState string, a Account) error {
	if !alertWorthy(tx, prevState, a) {
		return nil
	}
	b := tx.Bucket(bucketAlerts)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	now := db.now()
	al := Alert{ID: id, AccountID: a.ID, Account: a.Key, WorkerID: a.WorkerID, State: a.State,
		PreviousState: prevState, LastError: a.LastError, At: now, Webhook: WebhookPending, NextAttemptAt: &now}
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
func (db *DB) ListAlerts(accountKey string, page, pageSize int) ([]Alert, int, error) {
	if page < 1 || pageSize < 1 {
		return nil, 0, fieldErr("page", "page and page_size must be positive")
	}
	out := []Alert{}
	total, offset := 0, (page-1)*pageSize
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		ab := tx.Bucket(bucketAlerts)
		take := func(id []byte) error {
			if total >= offset && len(out) < pageSize {
				var al Alert
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
func (db *DB) DueAlerts(now time.Time, limit int) ([]Alert, error) {
	out := []Alert{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		ab := tx.Bucket(bucketAlerts)
		c := tx.Bucket(bucketAlertsPending).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			var al Alert
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
func (db *DB) RecordAlertAttempt(id uint64, outcome string, errMsg string, next time.Time) (Alert, error) {
	var al Alert
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		ab := tx.Bucket(bucketAlerts)
		if err := getJSON(ab, u64(id), &al); err != nil {
			return fmt.Errorf("alert %d: %w", id, err)
		}
		if al.Webhook != WebhookPending {
			return nil
		}
		now := db.now()
		settled := true
		switch outcome {
		case WebhookDelivered:
			al.Attempts++
			al.Webhook, al.DeliveredAt, al.NextAttemptAt, al.WebhookError = WebhookDelivered, &now, nil, ""
		case WebhookSkipped:
			al.Webhook, al.NextAttemptAt, al.WebhookError = WebhookSkipped, nil, errMsg
		case "":
			al.Attempts++
			al.WebhookError = errMsg
			if next.IsZero() {
				al.Webhook, al.NextAttemptAt = WebhookFailed, nil
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

// AlertAuthBurst is the state of a security alert raised when /oauth/token
// sees a burst of failed logins (not an account state).
const AlertAuthBurst = "auth_burst"

// RecordSecurityAlert queues an alert that concerns no account (e.g. a
// burst of failed logins) for the webhook; it is listed by GET /api/alerts
// with account "" and the given state.
func (db *DB) RecordSecurityAlert(state, detail string) (Alert, error) {
	var al Alert
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := db.now()
		al = Alert{ID: id, State: state, LastError: detail, At: now, Webhook: WebhookPending, NextAttemptAt: &now}
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
