package wire

import "time"

// Marketing-notice plan tasks (seed 002): a task is one batch of members
// (candidates, from uploaded member sheets) that a plan hosts. This file
// holds both sides of that feature: the seed's shapes (operators' API under
// /api/v1/marketing-notice) and the worker contract (/api/worker/plan-*)
// through which workers reach the members and report what happened.
//
// The flow: an operator creates a task on a released plan with fileIds; the
// control plane resolves each member to an account (the sheet's `account`
// column, else the account whose conversation holds the candidate, else the
// member is IGNOREd with a reason). Once the task's start time is reached,
// the worker holding a member's account claims the member, sends the plan's
// greetings into the candidate's conversation (ledger keys
// plan/<account>/<task>/<member>/<seq>), reports "reached", and from then on
// hosts that conversation with the plan's settings instead of the worker's
// YAML hosting block, reporting scenes, contacts, moods and status changes
// as events through its durable outbox.

// Task statuses (seed 002's ConversationalTask status enum).
const (
	MNTaskNotStarted  = "NOT_STARTED" // before its start time
	MNTaskExecution   = "EXECUTION"   // members are being reached and hosted
	MNTaskTerminating = "TERMINATING" // terminated; workers are still stopping
	MNTaskTermination = "TERMINATION" // terminated and every worker stopped
	MNTaskComplete    = "COMPLETE"    // every member is in a final status
	MNTaskIgnore      = "IGNORE"      // no member could be reached at all
)

// Member statuses (seed 002's task-member status enum). Final statuses are
// every one but NOT_REACHED and IN_SERVICE.
const (
	MemberNotReached               = "NOT_REACHED"                 // greetings not sent yet
	MemberInService                = "IN_SERVICE"                  // greetings sent; the plan hosts the conversation
	MemberTerminateService         = "TERMINATE_SERVICE"           // hosting ended (task terminated, or an end-until-restart scene)
	MemberCustomerServiceIntervene = "CUSTOMER_SERVICE_INTERVENES" // a human took over, or a hand-to-human scene
	MemberCompleteService          = "COMPLETE_SERVICE"            // a complete-service scene triggered
	MemberIgnore                   = "IGNORE"                      // cannot be reached (no account talks to them, opted out, unknown id)
	MemberTimeoutCompleteService   = "TIMEOUT_COMPLETE_SERVICE"    // no reply within the plan's timeout (after the wake-up, if any)
)

// MemberFinal reports whether a member status is final (hosting is over).
func MemberFinal(status string) bool {
	return status != MemberNotReached && status != MemberInService
}

// MNTaskInput is the body of POST /api/v1/marketing-notice/{id}/task
// (ConversationalTaskInput). StartTime is a seed datetime
// ("2025-04-24 14:48:40"); empty means now.
type MNTaskInput struct {
	Name      string   `json:"name"`
	StartTime string   `json:"startTime"`
	FileIDs   []uint64 `json:"fileIds"`
}

// MNTask is a stored task as seed 002 returns it. StartDate is
// "yyyy-MM-dd" and StartTime "HH:mm" (Asia/Shanghai), as the seed says.
// PlanID is hunterbot's addition.
type MNTask struct {
	ID             uint64   `json:"id"`
	CreateTime     SeedTime `json:"createTime"`
	LastUpdateTime SeedTime `json:"lastUpdateTime"`
	Name           string   `json:"name"`
	Status         string   `json:"status"`
	TotalMember    int64    `json:"totalMember"`
	StartDate      string   `json:"startDate"`
	StartTime      string   `json:"startTime"`
	PlanID         uint64   `json:"planId"`
}

// MNSchemaField is one column of a task's member list
// (TaskListSchemaOutput): Type is STRING, NUMBER or DATE.
type MNSchemaField struct {
	Label string `json:"label"`
	Key   string `json:"key"`
	Type  string `json:"type"`
}

// MNTaskMember is one member in GET /api/v1/marketing-notice/task/{taskId}/members
// (the seed leaves the record's shape open; these are its keys, and Vars
// holds the member sheet's other columns, named by GET .../task/schema).
type MNTaskMember struct {
	ID              uint64            `json:"id"`
	TaskID          uint64            `json:"taskId"`
	UserID          string            `json:"userId"`
	Name            string            `json:"name"`
	Account         string            `json:"account"`
	Status          string            `json:"status"`
	Reason          string            `json:"reason,omitempty"`
	SceneIDs        []uint64          `json:"sceneIds"`
	MoodValues      []string          `json:"moodValues"`
	ReachTime       SeedTime          `json:"reachTime"`
	LastTriggerTime SeedTime          `json:"lastTriggerTime"`
	Vars            map[string]string `json:"vars,omitempty"`
}

// MNSceneStat is one scene's count in a report (SceneStatisticOutput):
// members for an ONLY scene, triggers for a GRAND_TOTAL one.
type MNSceneStat struct {
	ID     uint64 `json:"id"`
	Name   string `json:"name"`
	Number int64  `json:"number"`
}

// MNReport is a plan's or a task's report. The "Peopl" spellings are the
// seed's. Rates are count / plannedNumberOfPeopl in 0..1 (0 when nobody is
// planned). Contact success, effective communication and invitation success
// count members who triggered the SYSTEM scenes 联系成功, 有效沟通 and 邀约成功;
// complete service counts members in COMPLETE_SERVICE.
type MNReport struct {
	CompleteServiceOfPeopl        int64         `json:"completeServiceOfPeopl"`
	CompleteServiceRate           float64       `json:"completeServiceRate"`
	ContactSuccessOfPeopl         int64         `json:"contactSuccessOfPeopl"`
	ContactSuccessRate            float64       `json:"contactSuccessRate"`
	EffectiveCommunicationOfPeopl int64         `json:"effectiveCommunicationOfPeopl"`
	EffectiveCommunicationRate    float64       `json:"effectiveCommunicationRate"`
	InvitationSuccessfulOfPeopl   int64         `json:"invitationSuccessfulOfPeopl"`
	InvitationSuccessfulRate      float64       `json:"invitationSuccessfulRate"`
	PlannedNumberOfPeopl          int64         `json:"plannedNumberOfPeopl"`
	SceneStatistics               []MNSceneStat `json:"sceneStatistics"`
}

// MNDailyReport is one day of a member (GET /api/v1/members/{id}/daily-reports):
// the day's mood values, the names of the scenes triggered that day, and a
// short summary (model-written when the brain has a model, rule-based
// otherwise).
type MNDailyReport struct {
	ReportDate string   `json:"reportDate"`
	MoodValues []string `json:"moodValues"`
	Scenes     []string `json:"scenes"`
	Content    string   `json:"content,omitempty"`
}

// MNDailyReports is the body of GET /api/v1/members/{id}/daily-reports.
type MNDailyReports struct {
	Records []MNDailyReport `json:"records"`
}

// ---- Worker contract ----

// PlanMember is one member a worker is to reach or is hosting, from
// GET /api/worker/plan-members?account=KEY (every account the worker holds
// when account is absent). Only members of tasks in EXECUTION (and, while a
// task is TERMINATING, members IN_SERVICE, so the worker learns to stop) are
// listed; Status tells the worker what to do.
type PlanMember struct {
	MemberID uint64            `json:"memberId"`
	TaskID   uint64            `json:"taskId"`
	PlanID   uint64            `json:"planId"`
	Account  string            `json:"account"`
	UserID   string            `json:"userId"`
	Name     string            `json:"name"`
	Status   string            `json:"status"`
	Vars     map[string]string `json:"vars,omitempty"`
	// ReachTime is when the greetings were sent (zero before).
	ReachTime time.Time `json:"reachTime,omitzero"`
	// TaskStatus lets the worker stop hosting when the task is terminating.
	TaskStatus string `json:"taskStatus"`
}

// PlanHosting is a plan as a worker needs it: its settings and the scenes
// it monitors (SYSTEM and its own CUSTOM ones named in Data.SceneIDs).
// brain.HostingPlanFromMarketing turns it into the brain's plan.
type PlanHosting struct {
	PlanID uint64     `json:"planId"`
	Data   MNPlanData `json:"data"`
	Scenes []MNScene  `json:"scenes"`
}

// PlanMembersResponse is GET /api/worker/plan-members.
type PlanMembersResponse struct {
	Members []PlanMember  `json:"members"`
	Plans   []PlanHosting `json:"plans"`
}

// PlanClaimRequest is POST /api/worker/plan-claim: the worker is about to
// send a member's greetings. Epoch is the account lease's epoch (managed
// accounts; 0 for static ones).
type PlanClaimRequest struct {
	MemberID uint64 `json:"memberId"`
	Account  string `json:"account"`
	Epoch    uint64 `json:"epoch,omitempty"`
}

// PlanClaimResponse says whether the worker may send the greetings: false
// once the task is no longer EXECUTION or the member is final, with the
// reason. A repeated claim by the same account answers true again, so a
// worker that crashed after claiming can settle its sends.
type PlanClaimResponse struct {
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
	Status string `json:"status"`
	// Resumed is true when the member had been claimed before this
	// request (by this worker or by the account's previous holder), and
	// ClaimedAt is when that first claim was. A worker without a ledger
	// for the member's greetings (the account moved here from a dead
	// worker) settles the ones typed since ClaimedAt from the chat history
	// instead of typing them again.
	Resumed   bool      `json:"resumed,omitempty"`
	ClaimedAt time.Time `json:"claimedAt,omitzero"`
}

// Plan event kinds a worker reports.
const (
	PlanEventReached = "reached" // greetings sent: NOT_REACHED → IN_SERVICE
	PlanEventReply   = "reply"   // the candidate wrote (Mood/Summary may be set)
	PlanEventScene   = "scene"   // a scene triggered (SceneID; Status set when its strategy changes it)
	PlanEventWakeUp  = "wakeup"  // the timeout wake-up message was sent
	PlanEventStatus  = "status"  // the member's status changed for another reason (Status, Reason)
)

// PlanEvent is one thing that happened to a member. ID makes it idempotent
// (the outbox may deliver it twice). Status, when set, is the member's new
// status; a final status is never changed again.
type PlanEvent struct {
	ID       string    `json:"id"`
	MemberID uint64    `json:"memberId"`
	Account  string    `json:"account"`
	Kind     string    `json:"kind"`
	At       time.Time `json:"at"`
	SceneID  uint64    `json:"sceneId,omitempty"`
	Status   string    `json:"status,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Mood     string    `json:"mood,omitempty"`
	Summary  string    `json:"summary,omitempty"`
}

// PlanEventsRequest is POST /api/worker/plan-events.
type PlanEventsRequest struct {
	Events []PlanEvent `json:"events"`
}
