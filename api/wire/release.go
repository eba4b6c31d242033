package wire

import (
	"time"
)

// CommandKind says what an operator command asks the worker to do.
type CommandKind string

// Command kinds.
const (
	// CommandRelease hands a conversation a human took over back to the bot.
	CommandRelease CommandKind = "release"
)

// CommandStatus is where an operator command stands.
type CommandStatus string

// Command statuses.
const (
	CommandPending CommandStatus = "pending" // waiting for the worker
	CommandDone    CommandStatus = "done"    // the worker carried it out
	CommandFailed  CommandStatus = "failed"  // the worker could not (reason says why)
)

// ConvStatus is a conversation's status (seed 002's member statuses).
type ConvStatus string

// Conversation statuses a worker reports.
const (
	ConvNotReached  ConvStatus = "NOT_REACHED"
	ConvInService   ConvStatus = "IN_SERVICE"
	ConvIntervened  ConvStatus = "CUSTOMER_SERVICE_INTERVENES" // a human took over
	ConvComplete    ConvStatus = "COMPLETE_SERVICE"            // contact obtained / brain said noTalk
	ConvTerminated  ConvStatus = "TERMINATE_SERVICE"           // opted out / refused
	ConvTimeoutDone ConvStatus = "TIMEOUT_COMPLETE_SERVICE"
	ConvIgnore      ConvStatus = "IGNORE"
)

// ConversationStatuses lists every valid conversation status.
var ConversationStatuses = []ConvStatus{ConvNotReached, ConvInService, ConvIntervened, ConvComplete,
	ConvTerminated, ConvTimeoutDone, ConvIgnore}

// ValidConversationStatus reports whether s is one of ConversationStatuses.
func ValidConversationStatus(s ConvStatus) bool {
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
	ID          uint64        `json:"id"`
	Kind        CommandKind   `json:"kind"`
	AccountID   uint64        `json:"account_id"`
	Account     string        `json:"account"`
	CandidateID string        `json:"candidate_id"`
	Note        string        `json:"note,omitempty"`
	RequestedBy string        `json:"requested_by,omitempty"`
	Status      CommandStatus `json:"status"`
	Reason      string        `json:"reason,omitempty"`
	WorkerID    string        `json:"worker_id,omitempty"` // the worker that acknowledged it
	CreatedAt   time.Time     `json:"created_at"`
	AckedAt     *time.Time    `json:"acked_at"`
}

// ConversationStatus is one conversation's status as a worker reports it.
type ConversationStatus struct {
	Account string `json:"account"`
	// Epoch is the lease epoch of a managed account (0 for a static one).
	Epoch       uint64     `json:"epoch,omitempty"`
	CandidateID string     `json:"candidate_id"`
	Name        string     `json:"name"`
	Status      ConvStatus `json:"status"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Conversation is the stored status of one conversation.
type Conversation struct {
	AccountID   uint64     `json:"account_id"`
	Account     string     `json:"account"`
	CandidateID string     `json:"candidate_id"`
	Name        string     `json:"name"`
	Status      ConvStatus `json:"status"`
	UpdatedAt   time.Time  `json:"updated_at"`  // when the worker saw the status change
	WorkerID    string     `json:"worker_id"`   // the worker that reported it
	ReportedAt  time.Time  `json:"reported_at"` // when the control plane stored it
}

// ConversationFilter selects conversations; empty fields mean "any".
type ConversationFilter struct {
	Account string
	Status  ConvStatus
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
