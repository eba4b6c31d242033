package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// SeedTimeLayout is seed 002's datetime format, read and written in
// Asia/Shanghai (the accounts' timezone).
const SeedTimeLayout = "2006-01-02 15:04:05"

// seedZone is Asia/Shanghai; a fixed +08:00 zone (China has no daylight
// saving) so this package needs no tz database.
var seedZone = time.FixedZone("CST", 8*3600)

// SeedTime is a time written as seed 002 writes it: "2025-04-24 14:48:40"
// (Asia/Shanghai), or null for the zero time.
type SeedTime struct{ time.Time }

// MarshalJSON implements json.Marshaler.
func (t SeedTime) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.In(seedZone).Format(SeedTimeLayout))
}

// UnmarshalJSON implements json.Unmarshaler; "" and null are the zero time.
func (t *SeedTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = SeedTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return &SeedTimeError{Value: string(b)}
	}
	v, err := ParseSeedTime(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// ParseSeedTime reads "yyyy-MM-dd HH:mm:ss" in Asia/Shanghai; "" is the
// zero time.
func ParseSeedTime(s string) (SeedTime, error) {
	if s == "" {
		return SeedTime{}, nil
	}
	v, err := time.ParseInLocation(SeedTimeLayout, s, seedZone)
	if err != nil {
		return SeedTime{}, &SeedTimeError{Value: s}
	}
	return SeedTime{v}, nil
}

// SeedTimeError is a string that is not a seed datetime; decoders find the
// field that held Value and name it.
type SeedTimeError struct{ Value string }

// Error implements error.
func (e *SeedTimeError) Error() string {
	return fmt.Sprintf("must be a time like %q, got %q", "2025-04-24 14:48:40", e.Value)
}

// Marketing-notice plan statuses (seed 002).
const (
	MNPlanDraft       = "DRAFT"
	MNPlanExecution   = "EXECUTION"
	MNPlanTermination = "TERMINATION"
	MNPlanComplete    = "COMPLETE"
)

// Options of a plan write: save as a draft or release it.
const (
	MNOptionDraft   = "DRAFT"
	MNOptionRelease = "RELEASE"
)

// Reply strategies of a plan (seed 002): what the AI does once a human
// consultant has replied in the conversation.
const (
	ReplyConsultantContinue  = "CONSULTANT_CONTINUE_AFTER_REPLY"
	ReplyConsultantNoFurther = "CONSULTANT_NO_FURTHER_REPLY"
	ReplyAIHostingEnd        = "AI_HOSTING_END_AFTER_REPLY"
)

// Scene statistics methods and types (seed 002).
const (
	SceneGrandTotal = "GRAND_TOTAL" // every trigger counts
	SceneOnly       = "ONLY"        // a member counts once
	SceneSystem     = "SYSTEM"      // built in, shared by every plan
	SceneCustom     = "CUSTOM"      // created by operators for one plan
)

// Monitoring strategies: what happens when a monitored scene triggers.
// Seed 002 names AI_SERVICE_END_UNTIL_RESTART; the other two are
// hunterbot's, named after the member statuses they lead to.
const (
	StrategyEndUntilRestart = "AI_SERVICE_END_UNTIL_RESTART"
	StrategyHandToHuman     = "CUSTOMER_SERVICE_INTERVENES"
	StrategyCompleteService = "COMPLETE_SERVICE"
)

// Greeting (and notification content) types.
const (
	ContentText  = "TEXT"
	ContentImage = "IMAGE"
)

// MNGroup is a plan group (MarketingNoticeGroupOutput).
type MNGroup struct {
	ID             uint64   `json:"id"`
	CreateTime     SeedTime `json:"createTime"`
	LastUpdateTime SeedTime `json:"lastUpdateTime"`
	Name           string   `json:"name"`
}

// MNScene is a scene a conversation can trigger (ConversationalTaskScene
// output). PlanID is 0 for SYSTEM scenes; seed 002's output omits it, we
// add it so a client can tell which plan a CUSTOM scene belongs to.
type MNScene struct {
	ID                uint64   `json:"id"`
	CreateTime        SeedTime `json:"createTime"`
	LastUpdateTime    SeedTime `json:"lastUpdateTime"`
	Name              string   `json:"name"`
	StatisticalMethod string   `json:"statisticalMethod"`
	Prompt            string   `json:"prompt"`
	ExternalID        string   `json:"externalId"`
	SceneType         string   `json:"sceneType"`
	PlanID            uint64   `json:"planId,omitempty"`
}

// MNSceneInput is the body of POST /api/v1/marketing-notice/scene.
type MNSceneInput struct {
	Name              string `json:"name"`
	StatisticalMethod string `json:"statisticalMethod"`
	Prompt            string `json:"prompt"`
	ExternalID        string `json:"externalId"`
	PlanID            uint64 `json:"planId"`
}

// MNSceneUpdate is the body of PUT /api/v1/marketing-notice/scene/{id}.
type MNSceneUpdate struct {
	Name       string `json:"name"`
	Prompt     string `json:"prompt"`
	ExternalID string `json:"externalId"`
}

// MNMonitoring says what to do when a scene triggers
// (MonitoringStrategyMo).
type MNMonitoring struct {
	SceneID  uint64   `json:"sceneId"`
	Strategy []string `json:"strategy"`
}

// MNGreeting is one opening message of a plan. Seed 002 gives only its
// type; Content (the text, or the image's URL) is hunterbot's, as in
// notification tasks' contents.
type MNGreeting struct {
	Type    string `json:"type"`
	Content string `json:"content,omitempty"`
}

// MNPlanData is a plan's editable settings (MarketingNoticeDataInput).
// Times are seed datetimes; durations are seconds except Timeout
// (minutes), as the seed says.
type MNPlanData struct {
	Name               string         `json:"name"`
	GroupID            uint64         `json:"groupId"`
	Description        string         `json:"description"`
	StartTime          SeedTime       `json:"startTime"`
	EndTime            SeedTime       `json:"endTime"`
	ReplyStrategy      string         `json:"replyStrategy"`
	ReplyDelay         int            `json:"replyDelay"`
	UnifiedReply       bool           `json:"unifiedReply"`
	SegmentSeparator   string         `json:"segmentSeparator"`
	MinReplyInterval   int            `json:"minReplyInterval"`
	SceneIDs           []uint64       `json:"sceneIds"`
	MonitoringStrategy []MNMonitoring `json:"monitoringStrategy"`
	Prompt             string         `json:"prompt"`
	BackgroundInfo     string         `json:"backgroundInfo"`
	TimeInfo           string         `json:"timeInfo"`
	ReferenceCase      string         `json:"referenceCase"`
	TimeoutWakeUp      bool           `json:"timeoutWakeUp"`
	Timeout            int            `json:"timeout"`
	TimeoutPrompt      string         `json:"timeoutPrompt"`
	Greetings          []MNGreeting   `json:"greetings"`
}

// MNPlanInput is the body of POST and PUT /api/v1/marketing-notice
// (MarketingNoticeInput).
type MNPlanInput struct {
	Options string      `json:"options"`
	Data    *MNPlanData `json:"data"`
}

// MNPlan is a stored plan (the seed's plan output). SceneIDs is not in
// the seed's output; we return it so a GET shows what a PUT must send.
type MNPlan struct {
	ID             uint64   `json:"id"`
	CreateTime     SeedTime `json:"createTime"`
	LastUpdateTime SeedTime `json:"lastUpdateTime"`
	Status         string   `json:"status"`
	MNPlanData
}

// MNPlanSummary is a plan in the grouped list (MarketingNoticeListOutput).
// The "Peopl" spellings are the seed's.
type MNPlanSummary struct {
	ID                            uint64   `json:"id"`
	Name                          string   `json:"name"`
	MemberNumber                  int64    `json:"memberNumber"`
	LastTriggerTime               SeedTime `json:"lastTriggerTime"`
	ContactSuccessOfPeopl         int64    `json:"contactSuccessOfPeopl"`
	CompleteServiceOfPeopl        int64    `json:"completeServiceOfPeopl"`
	EffectiveCommunicationOfPeopl int64    `json:"effectiveCommunicationOfPeopl"`
	InvitationSuccessfulOfPeopl   int64    `json:"invitationSuccessfulOfPeopl"`
	Status                        string   `json:"status"`
	TaskCount                     int64    `json:"taskCount"`
}

// MNGroupPlans is one record of the plan list
// (MarketingNoticeGroupListOutput).
type MNGroupPlans struct {
	GroupID   uint64          `json:"groupId"`
	GroupName string          `json:"groupName"`
	Plan      []MNPlanSummary `json:"plan"`
}
