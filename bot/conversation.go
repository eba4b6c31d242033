package bot

import (
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot/cadence"
)

// Conversation statuses, seed 002's member statuses: the control plane's
// vocabulary (wire.ConvStatus), named for what the agent decides.
const (
	StatusNotReached  = wire.ConvNotReached
	StatusInService   = wire.ConvInService
	StatusIntervened  = wire.ConvIntervened // a human took over
	StatusComplete    = wire.ConvComplete   // contact obtained / brain said noTalk
	StatusTerminated  = wire.ConvTerminated // opted out / refused
	StatusTimeoutDone = wire.ConvTimeoutDone
	StatusIgnore      = wire.ConvIgnore
)

// maxSentTexts bounds the own-text memory of a conversation record.
const maxSentTexts = 50

// Conversation is the bot's durable record of one conversation (worker.db),
// updated in the same transaction as the send-ledger entries and outbox
// items it explains.
type Conversation struct {
	CandidateID string          `json:"candidate_id"` // geekId as a string (the brain's id)
	UID         int64           `json:"uid"`
	Name        string          `json:"name"`
	Position    string          `json:"position"` // the job name the site shows
	BrainJobID  string          `json:"brain_job_id,omitempty"`
	Status      wire.ConvStatus `json:"status"`

	GreetedAt time.Time `json:"greeted_at,omitzero"`
	// LastSeenMID is the newest message already processed.
	LastSeenMID int64 `json:"last_seen_mid"`
	// LastAnsweredMID is the candidate message the bot last answered.
	LastAnsweredMID int64  `json:"last_answered_mid"`
	LastRowText     string `json:"last_row_text"`
	// SentTexts are the texts the bot itself sent here (newest last): they
	// tell our messages from a human recruiter's, and echoes from replies.
	SentTexts []string `json:"sent_texts,omitempty"`

	Replied   bool      `json:"replied"`
	ReplyText string    `json:"reply_text,omitempty"`
	RepliedAt time.Time `json:"replied_at,omitzero"`

	Wechat   string `json:"wechat,omitempty"`
	Phone    string `json:"phone,omitempty"`
	CVFile   string `json:"cv_file,omitempty"`
	OptedOut bool   `json:"opted_out,omitempty"`
	// HandedOver is set when a human typed in the conversation: the bot
	// stays silent here until an operator releases it.
	HandedOver bool `json:"handed_over,omitempty"`
	// Done is set on the brain's noTalk / finish.
	Done   bool      `json:"done,omitempty"`
	DoneAt time.Time `json:"done_at,omitzero"`
	// Cadence is the follow-up cadence's state (seed 000).
	Cadence cadence.State `json:"cadence"`
	// LastFollowup is the last follow-up step sent, for its reply record.
	LastFollowup   *cadence.Step `json:"last_followup,omitempty"`
	LastFollowupAt time.Time     `json:"last_followup_at,omitzero"`
	// LastSentAt is when the bot last sent a message here.
	LastSentAt time.Time `json:"last_sent_at,omitzero"`
	// RetryAt delays the next brain call (reply delay, algo_abnormal,
	// brain outage).
	RetryAt   time.Time `json:"retry_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at"`
	// BrainRefusals counts consecutive chat calls the brain answered with
	// a refusal (ret != 0 or the reference's exception); see parking.go.
	BrainRefusals int `json:"brain_refusals,omitempty"`
	// BrainFailures counts consecutive chat calls that failed for an
	// outage (transport, 5xx): the retry delay doubles with it.
	BrainFailures int `json:"brain_failures,omitempty"`
	// PlanHost is set while (and after) a plan task's member is hosted
	// here (plan.go).
	PlanHost *PlanHost `json:"plan_host,omitempty"`
}

// rememberSent records one of our texts.
func (c *Conversation) rememberSent(text string) {
	c.SentTexts = append(c.SentTexts, text)
	if len(c.SentTexts) > maxSentTexts {
		c.SentTexts = c.SentTexts[len(c.SentTexts)-maxSentTexts:]
	}
}

// sentByBot reports whether text is one of ours.
func (c *Conversation) sentByBot(text string) bool {
	for _, s := range c.SentTexts {
		if s == text {
			return true
		}
	}
	return false
}

// silent reports whether the bot must not write in this conversation.
func (c *Conversation) silent() bool { return c.HandedOver || c.OptedOut || c.Done }

// contact returns the seed-001 `contact` column: the best contact known.
func (c *Conversation) contact() string {
	switch {
	case c.Wechat != "":
		return "wechat:" + c.Wechat
	case c.Phone != "":
		return c.Phone
	case c.CVFile != "":
		return "cv"
	}
	return ""
}
