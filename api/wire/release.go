package wire

import (
	"time"
)

// Command kinds.
const (
	// CommandRelease hands a conversation a human took over back to the bot.
	CommandRelease = "release"
)

// Command statuses.
const (
	CommandPending = "pending" // waiting for the worker
	CommandDone    = "done"    // the worker carried it out
	CommandFailed  = "failed"  // the worker could not (reason says why)
)

// Conversation statuses a worker reports (seed 002's member statuses).
const (
	ConvNotReached  = "NOT_REACHED"
	ConvInService   = "IN_SERVICE"
	ConvIntervened  = "CUSTOMER_SERVICE_INTERVENES"
	ConvComplete    = "COMPLETE_SERVICE"
	ConvTerminated  = "TERMINATE_SERVICE"
	ConvTimeoutDone = "TIMEOUT_COMPLETE_SERVICE"
	ConvIgnore      = "IGNORE"
)

// ConversationStatuses lists every valid conversation status.
var ConversationStatuses = []string{ConvNotReached, ConvInService, ConvIntervened, ConvComplete,
	ConvTerminated, ConvTimeoutDone, ConvIgnore}

// ValidConversationStatus reports whether s is one of ConversationStatuses.
func ValidConversationStatus(s string) bool {
	for _, v := range ConversationStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// Command is an operator's instruction queued for the worker that owns the
// account. The worker pulls open commands and acknowledges each one.
type Command struct {
	ID          uint64     `json:"id"`
	Kind        string     `json:"kind"`
	AccountID   uint64     `json:"account_id"`
	Account     string     `json:"account"`
	CandidateID string     `json:"candidate_id"`
	Note        string     `json:"note,omitempty"`
	RequestedBy string     `json:"requested_by,omitempty"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	WorkerID    string     `json:"worker_id,omitempty"` // the worker that acknowledged it
	CreatedAt   time.Time  `json:"created_at"`
	AckedAt     *time.Time `json:"acked_at"`
}

// ConversationStatus is one conversation's status as a worker reports it.
type ConversationStatus struct {
	Account     string    `json:"account"`
	CandidateID string    `json:"candidate_id"`
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Conversation is the stored status of one conversation.
type Conversation struct {
	AccountID   uint64    `json:"account_id"`
	Account     string    `json:"account"`
	CandidateID string    `json:"candidate_id"`
	Name        string    `json:"name"`
	Status      string    `json:"status"`
	UpdatedAt   time.Time `json:"updated_at"`  // when the worker saw the status change
	WorkerID    string    `json:"worker_id"`   // the worker that reported it
	ReportedAt  time.Time `json:"reported_at"` // when the control plane stored it
}

// ConversationFilter selects conversations; empty fields mean "any".
type ConversationFilter struct {
	Account string
	Status  string
}

// ReleaseRequest is the optional body of POST .../release.
type ReleaseRequest struct {
	Note string `json:"note"`
}

// CommandsResponse is GET /api/worker/commands.
type CommandsResponse struct {
	Commands []Command `json:"commands"`
}

// CommandAckRequest is POST /api/worker/commands/{id}/ack.
type CommandAckRequest struct {
	Done   *bool  `json:"done"`
	Reason string `json:"reason,omitempty"`
}

// ConversationsRequest is the body of POST /api/worker/conversations.
type ConversationsRequest struct {
	Conversations []ConversationStatus `json:"conversations"`
}

// ConversationsResponse returns the stored conversations.
type ConversationsResponse struct {
	Results []Conversation `json:"results"`
}
