package wire

import (
	"time"
)

// AccountState is an account's state as its worker reports it. Workers
// may report states beyond these (e.g. "starting", "stopped"); the control
// plane stores them as given.
type AccountState string

// Account states the control plane acts on: entering one of AlertStates
// raises an alert, entering AccountRunning again records the recovery.
const (
	AccountRunning    AccountState = "running"
	AccountPausedRisk AccountState = "paused_risk"
	AccountNeedsLogin AccountState = "needs_login"
	AccountQuota      AccountState = "quota_reached"
	AccountError      AccountState = "error"
)

// AlertStates are the account states that raise an alert on entry.
var AlertStates = []AccountState{AccountPausedRisk, AccountNeedsLogin, AccountQuota, AccountError}

// IsAlertState reports whether entering s raises an alert.
func IsAlertState(s AccountState) bool {
	for _, v := range AlertStates {
		if s == v {
			return true
		}
	}
	return false
}

// Delivery is where the delivery of a queued item (an alert's webhook, a
// keyword hit's callback) stands.
type Delivery string

// Webhook delivery states of an alert.
const (
	WebhookPending   Delivery = "pending"   // queued or being retried
	WebhookDelivered Delivery = "delivered" // the webhook answered 2xx
	WebhookFailed    Delivery = "failed"    // gave up after the last retry
	WebhookSkipped   Delivery = "skipped"   // no webhook was configured when it came due
)

// Alert is one account state change an operator should know about.
type Alert struct {
	ID            uint64       `json:"id"`
	AccountID     uint64       `json:"account_id"`
	Account       string       `json:"account"`
	WorkerID      string       `json:"worker_id"`
	State         AccountState `json:"state"`
	PreviousState AccountState `json:"previous_state"`
	LastError     string       `json:"last_error"`
	At            time.Time    `json:"at"`
	Webhook       Delivery     `json:"webhook"` // pending | delivered | failed | skipped
	Attempts      int          `json:"attempts"`
	NextAttemptAt *time.Time   `json:"next_attempt_at,omitempty"`
	DeliveredAt   *time.Time   `json:"delivered_at,omitempty"`
	WebhookError  string       `json:"webhook_error,omitempty"`
}

// AlertAuthBurst is the state of a security alert raised when /oauth/token
// sees a burst of failed logins (not an account state; account "").
const AlertAuthBurst = "auth_burst"
