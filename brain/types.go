// Package brain is the client side of the seed-003 "hunter_robot" brain API:
// the wire types (exact field names of the reference server) and a resty
// client with typed errors, per-call timeouts and retries for the calls that
// are safe to repeat. The built-in server lives in brain/server and shares
// these types, so the client and the server cannot drift apart.
package brain

import "encoding/json"

// Endpoint paths of seed 003. The server answers every one of them; the
// client has one method per path.
const (
	PathJobRegister     = "/recruit/job/register"
	PathJobQuery        = "/recruit/job/query"
	PathAccountRegister = "/recruit/account/register"
	PathAccountQuery    = "/recruit/account/query"
	PathTaskFetch       = "/recruit/account/task/fetch"
	PathTaskReport      = "/recruit/account/task/report"
	PathFilter          = "/recruit/candidate/filter"
	PathChat            = "/recruit/candidate/chat"
	PathResult          = "/recruit/candidate/result"
	PathRecallList      = "/recruit/candidate/recallList"
	PathRecallResult    = "/recruit/candidate/recallResult"
	PathWechatTaskToDo  = "/wechat/candidate/taskToDo"
	PathWechatMsgSent   = "/wechat/candidate/msgSendReport"
	PathWechatAddFriend = "/wechat/candidate/addFriendReport"
	PathWechatUserMsg   = "/wechat/candidate/userMsg"
	// PathWechatUserMsgAlt is how seed 003 spells the same endpoint; servers
	// answer both.
	PathWechatUserMsgAlt = "/wechat/candidate/userMsguser"
)

// Next steps the chat endpoint returns.
const (
	StepNormalChat   = "normal_chat"
	StepNeedContact  = "need_contact"
	StepNoTalk       = "noTalk"
	StepFinish       = "finish"
	StepAlgoAbnormal = "algo_abnormal"
	StepNeedEnsure   = "need_ensure"
	// StepNeedContactNoWechat (v3.0): ask for a contact other than WeChat
	// (phone or résumé).
	StepNeedContactNoWechat = "need_contact_without_wx"
	// StepInit is a status the reference can echo before any robot turn;
	// its content, if any, is sent like normal_chat.
	StepInit = "init"
)

// Speakers of chat history items.
const (
	SpeakerRobot  = "robot"
	SpeakerUser   = "user"
	SpeakerSystem = "system"
)

// TaskTypeBatchTouch is the only daily task type of seed 003.
const TaskTypeBatchTouch = "batchTouch"

// WeChat task types returned by taskToDo.
const (
	WechatSendMsg   = "send_msg"
	WechatAddFriend = "add_friend"
)

// JobRegisterRequest is the body of /recruit/job/register.
type JobRegisterRequest struct {
	PlatformType string     `json:"platformType"`
	PlatformID   string     `json:"platformID"`
	JobName      string     `json:"jobName"`
	JobJD        string     `json:"jobJD,omitempty"`
	RobotAPI     string     `json:"robotApi"`
	JobConfig    *JobConfig `json:"jobConfig,omitempty"`
}

// JobConfig is the optional per-job configuration: the built-in brain's
// texts and filter_args, and the reference's touch_msg and filter_config.
// It decodes the reference's key names too (see compat.go).
type JobConfig struct {
	Texts      JobTexts   `json:"texts" yaml:"texts"`
	FilterArgs FilterArgs `json:"filter_args" yaml:"filter_args"`
	// TouchMsg is the greeting text (the reference's task/report needs it).
	TouchMsg string `json:"touch_msg,omitempty" yaml:"touch_msg"`
	// FilterConfig names one of the reference's filters (see
	// ReferenceFilterNames); its fixed criteria apply when filter_args is
	// empty.
	FilterConfig string `json:"filter_config,omitempty" yaml:"filter_config"`
	// GroupMsg names the reference's WeCom group for captured contacts
	// (v2.0's candidate/result raises without it); the built-in brain
	// keeps it and does not use it.
	GroupMsg string `json:"group_msg,omitempty" yaml:"-"`
	// Facts is the approved facts sheet a model answers from (plan.go).
	Facts JobFacts `json:"facts,omitzero" yaml:"facts"`
	// Plan is the AI-hosting plan of the job's conversations (plan.go).
	Plan HostingPlan `json:"plan,omitzero" yaml:"plan"`
}

// JobTexts are the per-job reply texts of the built-in brain. Empty fields
// fall back to the built-in defaults documented in docs/brain.md.
type JobTexts struct {
	// Greeting opens a conversation that has no candidate turn yet.
	Greeting string `json:"greeting,omitempty" yaml:"greeting"`
	// ContactRequest asks for a contact (need_contact).
	ContactRequest string `json:"contact_request,omitempty" yaml:"contact_request"`
	// GotContact acknowledges a contact (好的，我加您细聊).
	GotContact string `json:"got_contact,omitempty" yaml:"got_contact"`
	// Salary, Location and Company answer the candidate's questions.
	Salary   string `json:"salary,omitempty" yaml:"salary"`
	Location string `json:"location,omitempty" yaml:"location"`
	Company  string `json:"company,omitempty" yaml:"company"`
	// Default answers any other candidate turn after the first.
	Default string `json:"default,omitempty" yaml:"default"`
	// Recall overrides the three recall messages (index = recalls sent).
	Recall []string `json:"recall,omitempty" yaml:"recall"`
	// WechatHello is the friend-request note of an add_friend task.
	WechatHello string `json:"wechat_hello,omitempty" yaml:"wechat_hello"`
	// WechatIntro is the first WeChat message once the friend is added.
	WechatIntro string `json:"wechat_intro,omitempty" yaml:"wechat_intro"`
	// WechatDefault answers a WeChat message that is not a known question.
	WechatDefault string `json:"wechat_default,omitempty" yaml:"wechat_default"`
}

// FilterArgs decide whether a candidate of the recommend list is greeted.
// Zero values disable a criterion.
type FilterArgs struct {
	AgeMin int `json:"age_min,omitempty" yaml:"age_min"`
	AgeMax int `json:"age_max,omitempty" yaml:"age_max"`
	// DegreeMin is one of 初中及以下 中专/中技 高中 大专 本科 硕士 博士.
	DegreeMin string `json:"degree_min,omitempty" yaml:"degree_min"`
	// SchoolTier is "", "211" (211 or 985) or "985".
	SchoolTier string `json:"school_tier,omitempty" yaml:"school_tier"`
	// Schools are extra schools accepted in addition to the tier lists.
	Schools []string `json:"schools,omitempty" yaml:"schools"`
	// Locations: the expected location must contain one of them.
	Locations []string `json:"locations,omitempty" yaml:"locations"`
	// JobTags: one must occur in the expected position, a past position,
	// a responsibility or a skill tag.
	JobTags []string `json:"job_tags,omitempty" yaml:"job_tags"`
	// NegativeWords reject a candidate whose description or work history
	// contains one of them.
	NegativeWords []string `json:"negative_words,omitempty" yaml:"negative_words"`
	// NegativeCompanies reject a candidate who worked at one of them.
	NegativeCompanies []string `json:"negative_companies,omitempty" yaml:"negative_companies"`
	// SalaryMin/SalaryMax (K per month) must overlap lowSalary..highSalary.
	SalaryMin int `json:"salary_min,omitempty" yaml:"salary_min"`
	SalaryMax int `json:"salary_max,omitempty" yaml:"salary_max"`
	// ApplyStatus lists the accepted applyStatusDesc values.
	ApplyStatus []string `json:"apply_status,omitempty" yaml:"apply_status"`
	// ActiveWithinHours: activeTime must be this recent (刚刚活跃 always passes).
	ActiveWithinHours int `json:"active_within_hours,omitempty" yaml:"active_within_hours"`
	// Unapplied lists reference criteria that were accepted but have no
	// counterpart on a BOSS card (ex_company, cur_company, languages).
	Unapplied []string `json:"unapplied,omitempty" yaml:"-"`
}

// JobQueryRequest is the body of /recruit/job/query.
type JobQueryRequest struct {
	PlatformType string `json:"platformType"`
	PlatformID   string `json:"platformID"`
}

// JobIDData is the data of job register/query.
type JobIDData struct {
	JobID string `json:"jobID"`
}

// AccountRegisterRequest is the body of /recruit/account/register.
type AccountRegisterRequest struct {
	PlatformType string   `json:"platformType"`
	PlatformID   string   `json:"platformID"`
	Jobs         []string `json:"jobs"`
	// TaskConfig holds the daily task per jobID; it travels as the
	// reference's list. Absent, the server generates DefaultTaskConfig.
	TaskConfig TaskConfigs `json:"taskConfig,omitempty"`
	Desc       string      `json:"desc,omitempty"`
}

// TaskConfig is an account's daily greeting plan for one job.
type TaskConfig struct {
	HelloSum  int         `json:"helloSum" yaml:"helloSum"`
	TimeMount []TimeMount `json:"timeMount" yaml:"timeMount"`
	// Filter tells the bot whether to ask /candidate/filter before
	// greeting: a bool, or the reference's criteria object (ask).
	Filter TaskFilter `json:"filter" yaml:"filter"`
	// TouchMsg is the greeting text the account sends (when the site lets it).
	TouchMsg string `json:"touch_msg" yaml:"touch_msg"`
}

// TimeMount is one slot of the daily plan: greet Mount candidates from Time
// ("HH:MM", account timezone Asia/Shanghai).
type TimeMount struct {
	Time  string `json:"time" yaml:"time"`
	Mount int    `json:"mount" yaml:"mount"`
}

// AccountQueryRequest is the body of /recruit/account/query.
type AccountQueryRequest struct {
	PlatformType string `json:"platformType"`
	PlatformID   string `json:"platformID"`
}

// AccountIDData is the data of account register/query.
type AccountIDData struct {
	AccountID string `json:"accountID"`
}

// TaskFetchRequest is the body of /recruit/account/task/fetch.
type TaskFetchRequest struct {
	AccountID string `json:"accountID"`
	JobID     string `json:"jobID,omitempty"`
}

// Task is today's remaining plan for one job.
type Task struct {
	JobID     string      `json:"jobID"`
	TaskType  string      `json:"taskType"`
	HelloSum  int         `json:"helloSum"`
	TimeMount []TimeMount `json:"timeMount"`
	Filter    TaskFilter  `json:"filter"`
	TouchMsg  string      `json:"touch_msg,omitempty"`
}

// TaskFetchData is the data of task/fetch.
type TaskFetchData struct {
	Task []Task `json:"task"`
}

// TaskReportRequest is the body of /recruit/account/task/report.
type TaskReportRequest struct {
	AccountID  string       `json:"accountID"`
	JobID      string       `json:"jobID,omitempty"`
	TaskStatus []TaskStatus `json:"taskStatus"`
}

// TaskStatus reports the greeted candidates of one task.
type TaskStatus struct {
	TaskType string      `json:"taskType"`
	Details  TaskDetails `json:"details"`
}

// TaskDetails lists greeted candidate ids.
type TaskDetails struct {
	CandidateList []string `json:"candidateList"`
}

// StatusData is {"status":"ok"}.
type StatusData struct {
	Status string `json:"status"`
}

// FilterRequest is the body of /recruit/candidate/filter. CandidateInfo is
// the recommend-list item as the site sent it (geekCard inside).
type FilterRequest struct {
	AccountID     string          `json:"accountID"`
	JobID         string          `json:"jobID,omitempty"`
	CandidateID   string          `json:"candidateID,omitempty"`
	CandidateInfo json.RawMessage `json:"candidateInfo"`
}

// FilterData is the data of filter.
type FilterData struct {
	Touch bool `json:"touch"`
}

// ChatMessage is one history item.
type ChatMessage struct {
	Speaker string `json:"speaker"`
	Msg     string `json:"msg"`
	// Time is epoch milliseconds (0: omitted).
	Time MsgTime `json:"time,omitempty"`
}

// ChatRequest is the body of /recruit/candidate/chat.
type ChatRequest struct {
	AccountID     string        `json:"accountID"`
	JobID         string        `json:"jobID,omitempty"`
	CandidateID   string        `json:"candidateID"`
	CandidateName string        `json:"candidateName"`
	HistoryMsg    []ChatMessage `json:"historyMsg"`
	// Hunterbot is hunterbot's optional extension (chatext.go): absent
	// unless the conversation is hosted by a plan. Reference brains ignore
	// unknown keys.
	Hunterbot *ChatExtension `json:"hunterbot,omitempty"`
}

// ChatData is the data of chat.
type ChatData struct {
	NextStep        string `json:"nextStep"`
	NextStepContent string `json:"nextStepContent"`
	// Hunterbot is the built-in brain's optional extension of its answer
	// (chatext.go); reference brains never send it.
	Hunterbot *ChatAnswerExtension `json:"hunterbot,omitempty"`
}

// ResultRequest is the multipart form of /recruit/candidate/result. CV,
// when set, is sent as the file part "cv" named Filename.
type ResultRequest struct {
	AccountID     string
	JobID         string
	CandidateID   string
	CandidateName string
	Phone         string
	Wechat        string
	Filename      string
	CV            []byte
}

// RecallListRequest is the body of /recruit/candidate/recallList.
type RecallListRequest struct {
	AccountID        string   `json:"accountID"`
	CandidateIDs     []string `json:"candidateIDs"`
	CandidateIDsRead []string `json:"candidateIDs_read,omitempty"`
}

// Recall is one candidate that needs a recall message.
type Recall struct {
	CandidateID   string `json:"candidate_id"`
	CandidateName string `json:"candidate_name"`
	JobID         string `json:"job_id"`
	NeedRecall    bool   `json:"need_recall"`
	RecallMsg     string `json:"recall_msg"`
}

// RecallResultRequest is the body of /recruit/candidate/recallResult.
type RecallResultRequest struct {
	AccountID   string `json:"accountID"`
	JobID       string `json:"jobID,omitempty"`
	CandidateID string `json:"candidateID"`
}

// WechatTaskToDoRequest is the body of /wechat/candidate/taskToDo. The
// reference reads accountID, earlier built-in brains account_id; the
// client sends both.
type WechatTaskToDoRequest struct {
	AccountID    string `json:"accountID"`
	AccountIDOld string `json:"account_id,omitempty"`
}

// WechatTaskList is the data of taskToDo: {"task":[…]} from the
// reference, both keys from the built-in brain (see compat.go).
type WechatTaskList struct {
	TaskList []WechatTask
}

// WechatTask groups pending tasks of one type.
type WechatTask struct {
	TaskType string              `json:"task_type"`
	Content  []WechatTaskContent `json:"content"`
}

// WechatTaskContent is one pending WeChat action: send Msg to AliasID, or
// add SearchID as a friend under AliasID with HelloMsg.
type WechatTaskContent struct {
	AliasID  string `json:"alias_id"`
	Msg      string `json:"msg,omitempty"`
	SearchID string `json:"search_id,omitempty"`
	HelloMsg string `json:"hello_msg,omitempty"`
}

// WechatMsgSendReport is the body of /wechat/candidate/msgSendReport.
type WechatMsgSendReport struct {
	AccountID string `json:"account_id"`
	AliasID   string `json:"alias_id"`
	MsgSend   string `json:"msg_send"`
}

// WechatAddFriendReport is the body of /wechat/candidate/addFriendReport.
type WechatAddFriendReport struct {
	AccountID string `json:"account_id"`
	SearchID  string `json:"search_id"`
	AliasID   string `json:"alias_id"`
}

// WechatUserMsg is the body of /wechat/candidate/userMsg.
type WechatUserMsg struct {
	AccountID  string `json:"account_id"`
	AliasID    string `json:"alias_id"`
	MsgReceive string `json:"msg_receive"`
}

// WechatReply is the data of userMsg: the message to send back.
type WechatReply struct {
	Msg string `json:"msg"`
}
