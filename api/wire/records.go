package wire

import (
	"time"
)

// RecordStatus is where a follow-up record (or manual send) stands.
type RecordStatus string

// Record statuses.
const (
	StatusQueued RecordStatus = "queued" // manual send waiting for the worker
	StatusSent   RecordStatus = "sent"
	StatusFailed RecordStatus = "failed"
)

// FollowupRecord is one follow-up message sent to a contact (seed 000
// follow_up_record). UID is the worker's idempotency key; manual sends get
// "manual-<send id>".
type FollowupRecord struct {
	ID           uint64       `json:"id"`
	UID          string       `json:"uid"`
	ContactID    uint64       `json:"contact_id"`
	ConfigID     *uint64      `json:"config_id"`
	ScriptID     *uint64      `json:"script_id"`
	DayNumber    int          `json:"day_number"`
	Content      string       `json:"content"`
	SentAt       *time.Time   `json:"sent_at"`
	GotReply     bool         `json:"got_reply"`
	ReplyContent string       `json:"reply_content"`
	RepliedAt    *time.Time   `json:"replied_at"`
	Status       RecordStatus `json:"status"`
	Error        string       `json:"error,omitempty"`
	AccountID    uint64       `json:"account_id"`
	WorkerID     string       `json:"worker_id"`
	CreatedAt    time.Time    `json:"created_at"`
}

// RecordInput is a follow-up record as a worker reports it; UID makes the
// report idempotent. GotReply only ever turns on.
type RecordInput struct {
	UID     string `json:"uid"`
	Account string `json:"account"`
	// Epoch is the lease epoch of a managed account (0 for a static one).
	Epoch        uint64     `json:"epoch,omitempty"`
	CandidateID  string     `json:"candidate_id"`
	ConfigID     *uint64    `json:"config_id"`
	ScriptID     *uint64    `json:"script_id"`
	DayNumber    int        `json:"day_number"`
	Content      string     `json:"content"`
	SentAt       *time.Time `json:"sent_at"`
	GotReply     bool       `json:"got_reply"`
	ReplyContent string     `json:"reply_content"`
	RepliedAt    *time.Time `json:"replied_at"`
}

// RecordFilter selects follow-up records; nil fields mean "any".
type RecordFilter struct {
	ContactID *uint64
	ConfigID  *uint64
	GotReply  *bool
}

// Send is a manual message queued for the worker that owns the contact.
type Send struct {
	ID          uint64       `json:"id"`
	RecordID    uint64       `json:"record_id"`
	RecordUID   string       `json:"record_uid"`
	ContactID   uint64       `json:"contact_id"`
	AccountID   uint64       `json:"account_id"`
	Account     string       `json:"account"`
	CandidateID string       `json:"candidate_id"`
	WorkerID    string       `json:"worker_id"`
	Content     string       `json:"content"`
	Status      RecordStatus `json:"status"`
	Error       string       `json:"error,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	SentAt      *time.Time   `json:"sent_at"`
}
