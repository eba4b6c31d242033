package wire

import (
	"time"
)

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

// AlertAuthBurst is the state of a security alert raised when /oauth/token
// sees a burst of failed logins (not an account state; account "").
const AlertAuthBurst = "auth_burst"
