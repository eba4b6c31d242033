package wire

import (
	"regexp"
	"time"
)

// Notification tasks (seed 002, 群通知任务): bulk messages to candidates,
// delivered by the bot's accounts through the site's chat.

// NotifyTaskType is the seed's taskType enum.
type NotifyTaskType string

// The seed's task types: 预约提醒 / 客资提醒.
const (
	NotifyAppointmentReminder      NotifyTaskType = "APPOINTMENT_REMINDER"
	NotifyCustomerResourceReminder NotifyTaskType = "CUSTOMER_RESOURCE_REMINDER"
)

// NotifyStatus is a task's status.
type NotifyStatus string

// Task statuses: PENDING until scheduledStartTime, EXECUTING inside the
// window, then COMPLETED (every member settled, or the window ended) or
// TERMINATED (an operator's termination).
const (
	NotifyPending    NotifyStatus = "PENDING"
	NotifyExecuting  NotifyStatus = "EXECUTING"
	NotifyCompleted  NotifyStatus = "COMPLETED"
	NotifyTerminated NotifyStatus = "TERMINATED"
)

// ExecStatus is one member's delivery status (the seed's SUCCESS / FAILED
// / PENDING).
type ExecStatus string

// Member delivery statuses.
const (
	ExecPending ExecStatus = "PENDING"
	ExecSuccess ExecStatus = "SUCCESS"
	ExecFailed  ExecStatus = "FAILED"
)

// Content types of a notification: ContentText and ContentImage
// (marketing.go), shared with marketing-notice greetings.

// Limits of notification tasks.
const (
	MaxNotifyTaskName     = 120  // seed: taskName ≤ 120
	MaxNotifyContentValue = 1024 // seed: contentValue ≤ 1024
	MaxNotifyContents     = 20
	MaxNotifyMembers      = 100000
	MaxNotifyMemberValue  = 512
	MaxNotifyFiles        = 20
	MaxNotifyReason       = 500
)

// NotifyContent is one part of the message, in the seed's request shape.
type NotifyContent struct {
	ContentType  string `json:"contentType"`
	ContentValue string `json:"contentValue"`
	// FileID is the uploaded image an IMAGE part points at (resolved from
	// contentValue at creation).
	FileID uint64 `json:"fileId,omitempty"`
}

// NotifyMember is one recipient. Identity: UserID is the site's candidate
// id (geekId), ContactID the control plane's contact id (memberId / ciq);
// Account pins the recruiter account when the candidate talks to several.
// Vars are the template variables ({{name}} → Vars["name"]).
type NotifyMember struct {
	UserID    string            `json:"userId,omitempty"`
	ContactID uint64            `json:"contactId,omitempty"`
	Account   string            `json:"account,omitempty"`
	Nickname  string            `json:"nickname,omitempty"`
	Vars      map[string]string `json:"vars,omitempty"`
}

// NotifyTaskInput is a validated creation request.
type NotifyTaskInput struct {
	TaskName string
	TaskType NotifyTaskType
	Start    time.Time
	End      time.Time
	Contents []NotifyContent
	FileIDs  []uint64
	Members  []NotifyMember
	By       string
}

// NotifyTask is a stored task.
type NotifyTask struct {
	ID              uint64          `json:"id"`
	TaskName        string          `json:"taskName"`
	TaskType        NotifyTaskType  `json:"taskType"`
	Status          NotifyStatus    `json:"status"`
	Start           time.Time       `json:"start"`
	End             time.Time       `json:"end"`
	Contents        []NotifyContent `json:"contents"`
	FileIDs         []uint64        `json:"fileIds"`
	InlineMembers   bool            `json:"inlineMembers"`
	TotalMembers    int             `json:"totalMembers"`
	SuccessCount    int             `json:"successCount"`
	FailedCount     int             `json:"failedCount"`
	TerminateReason string          `json:"terminateReason,omitempty"`
	CreatedAt       time.Time       `json:"createdAt"`
	UpdatedAt       time.Time       `json:"updatedAt"`
	CreatedBy       string          `json:"createdBy,omitempty"`
}

// NotifyExecution is one member's delivery.
type NotifyExecution struct {
	TaskID    uint64            `json:"taskId"`
	Seq       uint64            `json:"seq"` // 1-based position in the member list
	UserID    string            `json:"userId,omitempty"`
	ContactID uint64            `json:"contactId,omitempty"`
	Account   string            `json:"account,omitempty"`
	Name      string            `json:"name"`
	Vars      map[string]string `json:"vars,omitempty"`
	Status    ExecStatus        `json:"status"`
	// Claimed is set when a worker started delivering (the send is then
	// no longer stopped by a termination).
	Claimed     bool       `json:"claimed,omitempty"`
	ClaimedBy   string     `json:"claimedBy,omitempty"`
	ExecuteTime *time.Time `json:"executeTime,omitempty"`
	Reason      string     `json:"reason,omitempty"`
}

// NotifyTaskFilter selects tasks for the list.
type NotifyTaskFilter struct {
	TaskType NotifyTaskType
	Status   NotifyStatus
	// From/To bound scheduledStartTime (zero: open).
	From, To time.Time
}

// NotifyDelivery is one member's message as a worker receives it:
// contents already rendered for the member.
type NotifyDelivery struct {
	TaskID      uint64          `json:"task_id"`
	Seq         uint64          `json:"seq"`
	Account     string          `json:"account"`
	CandidateID string          `json:"candidate_id"`
	Parts       []NotifyContent `json:"parts"`
	NotAfter    time.Time       `json:"not_after"`
}

// NotifyDeliveriesResponse is GET /api/worker/notify-deliveries.
type NotifyDeliveriesResponse struct {
	Deliveries []NotifyDelivery `json:"deliveries"`
}

// NotifyClaimRequest is POST /api/worker/notify-claim: the worker is about
// to type the member's message.
type NotifyClaimRequest struct {
	TaskID uint64 `json:"task_id"`
	Seq    uint64 `json:"seq"`
	Epoch  uint64 `json:"epoch,omitempty"`
}

// NotifyClaimResponse says whether the worker may send (false once the task
// was terminated or its window ended; Reason says which).
type NotifyClaimResponse struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
	// Resumed: the member was claimed before (by this worker before a
	// crash, or by the account's previous worker), so some lines may be on
	// the site although this worker's ledger does not know them.
	Resumed bool `json:"resumed,omitempty"`
}

// NotifyAck is one member's outcome as the worker reports it.
type NotifyAck struct {
	TaskID uint64    `json:"task_id"`
	Seq    uint64    `json:"seq"`
	Epoch  uint64    `json:"epoch,omitempty"`
	Sent   bool      `json:"sent"`
	At     time.Time `json:"at,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// NotifyAcksRequest is POST /api/worker/notify-acks.
type NotifyAcksRequest struct {
	Acks []NotifyAck `json:"acks"`
}

// templateVar matches one {{var}} placeholder; names are letters (any
// script), digits and underscore, with optional spaces inside the braces.
var templateVar = regexp.MustCompile(`\{\{\s*([\p{L}\p{N}_]+)\s*\}\}`)

// TemplateVars returns the distinct variable names of a TEXT content, in
// order of first use.
func TemplateVars(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range templateVar.FindAllStringSubmatch(s, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// RenderTemplate replaces every {{var}} of s by vars[var]; a variable
// missing from vars stays as written (creation refuses such members).
func RenderTemplate(s string, vars map[string]string) string {
	return templateVar.ReplaceAllStringFunc(s, func(m string) string {
		name := templateVar.FindStringSubmatch(m)[1]
		if v, ok := vars[name]; ok {
			return v
		}
		return m
	})
}
