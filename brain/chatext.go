package brain

// hunterbot's extension of /recruit/candidate/chat (optional both ways).
//
// A worker hosting a conversation by a seed-002 marketing-notice plan sends
// the plan with the chat request, so the built-in brain grounds its answer
// and detects scenes on that plan instead of the job's (jobConfig.plan).
// The built-in brain then adds what it found to its answer: the scenes the
// candidate's latest turn triggered, a mood value and a short summary. A
// reference brain (hunter_robot) ignores the request key and never sends
// the answer key, so a worker treats a missing answer extension as "nothing
// detected".

// ChatExtension is ChatRequest.Hunterbot.
type ChatExtension struct {
	// PlanID names the plan (the control plane's id), for the brain's
	// per-plan scene counters.
	PlanID string `json:"planId,omitempty"`
	// MemberID is the plan-task member the conversation belongs to.
	MemberID string `json:"memberId,omitempty"`
	// Plan is the member's plan (HostingPlanFromMarketing): the prompt,
	// grounding and scenes the brain uses for this chat.
	Plan *HostingPlan `json:"plan,omitempty"`
}

// ChatAnswerExtension is ChatData.Hunterbot.
type ChatAnswerExtension struct {
	// Scenes are the scenes the candidate's latest turn triggered, in plan
	// order.
	Scenes []SceneHit `json:"scenes,omitempty"`
	// Mood is the candidate's mood in the latest turn (Mood constants).
	Mood string `json:"mood,omitempty"`
	// Summary is a short summary of the conversation so far
	// (model-written when the brain has a model, rule-based otherwise).
	Summary string `json:"summary,omitempty"`
}

// SceneHit is one triggered scene: the plan's scene id and name, and the
// strategy the plan applies when it triggers ("" counts only).
type SceneHit struct {
	ID       string `json:"id,omitempty"`
	Name     string `json:"name"`
	Strategy string `json:"strategy,omitempty"`
}

// Mood values (seed 002's member moodValues are free strings; its example
// is 满意).
const (
	MoodSatisfied   = "满意"
	MoodNeutral     = "一般"
	MoodUnsatisfied = "不满"
)
