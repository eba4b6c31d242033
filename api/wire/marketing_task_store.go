package wire

import "time"

// Additions to the plan-task contract (marketing_task.go), all additive:
// the store's inputs and filters, and the answer of POST
// /api/worker/plan-events (the contract leaves the body of a 2xx open; a
// worker that only checks the status keeps working).

// MNTaskCreate is a validated POST /api/v1/marketing-notice/{id}/task: the
// members come from the uploaded member sheets (fileIds), Columns are the
// sheets' variable columns in first-seen order (GET …/task/schema).
type MNTaskCreate struct {
	PlanID  uint64
	Name    string
	Start   time.Time
	FileIDs []uint64
	Columns []string
	Members []NotifyMember
}

// MNTaskMemberFilter selects members of GET …/task/{taskId}/members. Zero
// fields do not filter. SceneIDs keeps members who triggered any of them;
// Mood keeps members who showed that mood value; KeyWord matches userId,
// name or account.
type MNTaskMemberFilter struct {
	Status   string
	SceneIDs map[uint64]bool
	Mood     string
	KeyWord  string
}

// MNDailyFilter selects days of GET /api/v1/members/{id}/daily-reports:
// From and To are inclusive "yyyy-MM-dd" dates (empty: open); KeyWord
// matches the content, the scene names or the mood values.
type MNDailyFilter struct {
	From, To string
	KeyWord  string
}

// Outcomes of one plan event.
const (
	PlanEventApplied   = "applied"   // stored and applied
	PlanEventDuplicate = "duplicate" // this id was applied before; nothing changed
	PlanEventRejected  = "rejected"  // not applied (Code and Detail say why); retrying will not help
)

// PlanEventResult is the outcome of one event of a batch, in batch order.
// Code is an HTTP-like status of a rejection: 400 (a bad field, named by
// Field), 403 (the worker does not run the member's account) or 404 (no
// such member).
type PlanEventResult struct {
	ID           string `json:"id"`
	Outcome      string `json:"outcome"`
	Code         int    `json:"code,omitempty"`
	Field        string `json:"field,omitempty"`
	Detail       string `json:"detail,omitempty"`
	MemberStatus string `json:"memberStatus,omitempty"`
}

// PlanEventsResponse is the 200 answer of POST /api/worker/plan-events.
// One bad event does not fail the batch (an outbox would otherwise park
// the good ones with it): it is rejected alone and reported here.
type PlanEventsResponse struct {
	Accepted int               `json:"accepted"`
	Rejected int               `json:"rejected"`
	Results  []PlanEventResult `json:"results"`
}
