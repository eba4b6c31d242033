package wire

import (
	"encoding/json"
	"errors"
	"time"
)

// ErrForbidden means the caller is authenticated but may not touch the
// resource: a worker writing for an account whose lease it does not hold.
var ErrForbidden = errors.New("forbidden")

// Desired states of a managed account.
const (
	DesiredRunning = "running"
	DesiredPaused  = "paused"
	DesiredStopped = "stopped"
)

// Login methods of a managed account.
const (
	LoginQR       = "qr"
	LoginPassword = "password"
)

// AccountLogin is how an account logs in. Password is write-only: the
// control plane stores it encrypted and never returns it to operators.
type AccountLogin struct {
	Method   string `json:"method"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
}

// AccountJob maps one brain job to the site. Hosting is the job's own
// conversation policy (same keys as the worker YAML's hosting block).
type AccountJob struct {
	BrainJobID string          `json:"brain_job_id"`
	SiteJobID  string          `json:"site_job_id"`
	Position   string          `json:"position,omitempty"`
	Hosting    json.RawMessage `json:"hosting,omitempty"`
}

// AccountSpec is an account as operators define it at the control plane:
// everything a worker needs to run it. Durations are Go duration strings
// ("20s"); Hosting and Pacing use the worker YAML's keys (docs/bot.md).
type AccountSpec struct {
	Key             string          `json:"key"`
	Name            string          `json:"name,omitempty"`
	PlatformID      string          `json:"platform_id"`
	Login           AccountLogin    `json:"login"`
	Jobs            []AccountJob    `json:"jobs,omitempty"`
	Hosting         json.RawMessage `json:"hosting,omitempty"`
	Pacing          json.RawMessage `json:"pacing,omitempty"`
	ContactRequests []string        `json:"contact_requests,omitempty"`
	ChatPoll        string          `json:"chat_poll,omitempty"`
	// ChatSafetyPoll is how often the whole chat list is read while the
	// site's push channel is up (worker YAML chat_safety_poll, default 3m).
	ChatSafetyPoll string `json:"chat_safety_poll,omitempty"`
	// DisablePush ignores the site's push channel (worker YAML
	// disable_push): the chat list is read every chat_poll.
	DisablePush       bool   `json:"disable_push,omitempty"`
	FollowupDailyCap  int    `json:"followup_daily_cap,omitempty"`
	FollowupReplyWait string `json:"followup_reply_wait,omitempty"`
	// Desired is running (default), paused or stopped.
	Desired string `json:"desired,omitempty"`
	// Pin, when set, names the only worker allowed to run the account.
	Pin string `json:"pin,omitempty"`
}

// AccountPatch changes some fields of a managed account; nil leaves a
// field as it is. Reason is recorded in the account's state history.
type AccountPatch struct {
	Name              *string          `json:"name,omitempty"`
	Login             *AccountLogin    `json:"login,omitempty"`
	Jobs              *[]AccountJob    `json:"jobs,omitempty"`
	Hosting           *json.RawMessage `json:"hosting,omitempty"`
	Pacing            *json.RawMessage `json:"pacing,omitempty"`
	ContactRequests   *[]string        `json:"contact_requests,omitempty"`
	ChatPoll          *string          `json:"chat_poll,omitempty"`
	ChatSafetyPoll    *string          `json:"chat_safety_poll,omitempty"`
	DisablePush       *bool            `json:"disable_push,omitempty"`
	FollowupDailyCap  *int             `json:"followup_daily_cap,omitempty"`
	FollowupReplyWait *string          `json:"followup_reply_wait,omitempty"`
	Desired           *string          `json:"desired,omitempty"`
	Pin               *string          `json:"pin,omitempty"`
	Reason            string           `json:"reason,omitempty"`
}

// Lease is the right of one worker to run one account. Epoch grows by one
// at every grant; a worker's writes carry the epoch it was granted, so a
// write from a former holder is refused (fencing).
type Lease struct {
	WorkerID  string    `json:"worker_id"`
	Epoch     uint64    `json:"epoch"`
	GrantedAt time.Time `json:"granted_at"`
	RenewedAt time.Time `json:"renewed_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// StateChange is one entry of an account's history.
type StateChange struct {
	At     time.Time `json:"at"`
	State  string    `json:"state"`
	Reason string    `json:"reason"`
	Worker string    `json:"worker,omitempty"`
}

// ManagedAccount is a managed account as operators read it: the spec
// (without the password), whether credentials and a session are stored,
// the lease, the last reported state and the history (newest last).
type ManagedAccount struct {
	AccountSpec
	ID           uint64           `json:"id"`
	HasPassword  bool             `json:"has_password"`
	HasSession   bool             `json:"has_session"`
	Lease        *Lease           `json:"lease,omitempty"`
	State        string           `json:"state"`
	LastError    string           `json:"last_error,omitempty"`
	Counters     map[string]int64 `json:"counters,omitempty"`
	LastSeenAt   *time.Time       `json:"last_seen_at,omitempty"`
	History      []StateChange    `json:"history"`
	LoginPending bool             `json:"login_pending"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
	SpecVersion  uint64           `json:"spec_version"`
	LastChange   *StateChange     `json:"last_change,omitempty"`
}

// HeldLease is one account a worker reports running in an assignment pull.
type HeldLease struct {
	Key   string `json:"key"`
	Epoch uint64 `json:"epoch"`
}

// AssignmentRequest is POST /api/worker/assignment: the worker's capacity
// and the accounts it is running now (with their epochs).
type AssignmentRequest struct {
	MaxAccounts int         `json:"max_accounts"`
	Held        []HeldLease `json:"held"`
}

// Assigned is one account granted to the worker, with the decrypted
// credentials and session it needs to run it.
type Assigned struct {
	Spec     AccountSpec `json:"spec"`
	Epoch    uint64      `json:"epoch"`
	Version  uint64      `json:"spec_version"`
	Password string      `json:"password,omitempty"`
	Session  []byte      `json:"session,omitempty"`
	// Sealed holds the encrypted secrets as the store keeps them; the API
	// opens them into Password and Session and never serialises it.
	Sealed SealedSecrets `json:"-"`
	// HandedOver lists, on a grant, the candidates whose conversation a
	// human recruiter took over (status intervened at the control plane):
	// the new holder keeps the bot silent there instead of adopting the
	// history as its own.
	HandedOver []string `json:"handed_over,omitempty"`
}

// SealedSecrets are an account's credentials and session as stored:
// encrypted with the control plane's key.
type SealedSecrets struct {
	Password []byte
	Session  []byte
}

// AssignmentResponse lists every account the worker holds after the pull.
// LeaseSeconds is the lease length: a worker must stop an agent once
// LeaseSeconds have passed since it SENT the pull that last renewed it.
type AssignmentResponse struct {
	WorkerID     string     `json:"worker_id"`
	LeaseSeconds float64    `json:"lease_seconds"`
	Accounts     []Assigned `json:"accounts"`
}

// SessionUpload is POST /api/worker/accounts/{key}/session: the account's
// site session (cookies), stored encrypted so it moves with the account.
type SessionUpload struct {
	Epoch   uint64 `json:"epoch"`
	Session []byte `json:"session"`
}

// QRUpload is POST /api/worker/accounts/{key}/login: the QR code a human
// must scan, or Done once the account is logged in.
type QRUpload struct {
	Epoch     uint64    `json:"epoch"`
	PNG       []byte    `json:"png,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitempty"`
	Done      bool      `json:"done,omitempty"`
}

// LoginStatus is GET /api/accounts/{key}/login.
type LoginStatus struct {
	Key       string     `json:"key"`
	State     string     `json:"state"`
	Pending   bool       `json:"pending"`
	PNG       []byte     `json:"png,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// ActGate is the control plane's answer to a worker asking, just before a
// site action, whether it may still act for an account: Act is true only
// while the worker holds the account's lease at the asked epoch and the
// account should run there. Otherwise Desired and Reason say why not.
type ActGate struct {
	Act     bool   `json:"act"`
	Desired string `json:"desired,omitempty"`
	Reason  string `json:"reason,omitempty"`
}
