package wire

import "time"

// MaxBatch bounds the items of one worker push.
const MaxBatch = 500

// HeartbeatRequest is the body of /api/worker/register and /heartbeat.
type HeartbeatRequest struct {
	Version  string          `json:"version,omitempty"`
	Accounts []AccountStatus `json:"accounts"`
}

// HeartbeatResponse tells the worker its id and its accounts' numeric ids.
type HeartbeatResponse struct {
	WorkerID string    `json:"worker_id"`
	Accounts []Account `json:"accounts"`
}

// ContactsRequest is the body of POST /api/worker/contacts.
type ContactsRequest struct {
	Contacts []ContactInput `json:"contacts"`
}

// ContactsResponse lists the ids the contacts got.
type ContactsResponse struct {
	Results []UpsertResult `json:"results"`
}

// RecordsRequest is the body of POST /api/worker/followup-records.
type RecordsRequest struct {
	Records []RecordInput `json:"records"`
}

// RecordsResponse returns the stored records.
type RecordsResponse struct {
	Results []FollowupRecord `json:"results"`
}

// FollowupSnapshot is GET /api/worker/followup-configs: every config with
// all scripts (inactive ones flagged) and the version they belong to.
type FollowupSnapshot struct {
	Version uint64              `json:"version"`
	Configs []ConfigWithScripts `json:"configs"`
}

// SendsResponse is GET /api/worker/sends.
type SendsResponse struct {
	Sends []Send `json:"sends"`
}

// AckRequest is POST /api/worker/sends/{id}/ack.
type AckRequest struct {
	Status RecordStatus `json:"status"` // "sent" or "failed"
	SentAt *time.Time   `json:"sent_at,omitempty"`
	Error  string       `json:"error,omitempty"`
	// Epoch is the lease epoch of a managed account (0 for a static one).
	Epoch uint64 `json:"epoch,omitempty"`
}
