package sim

import "time"

// Truth is everything the sim knows about what happened, per account. It is
// what GET /__sim/truth returns and what tests of the bot judge against.
type Truth struct {
	Now      time.Time               `json:"now"`
	Seed     int64                   `json:"seed"`
	Accounts map[string]AccountTruth `json:"accounts"`
}

// AccountTruth is the record of one recruiter account.
type AccountTruth struct {
	ID                 string     `json:"id"`
	UID                int64      `json:"uid"`
	Greetings          []Greeting `json:"greetings"`
	DuplicateGreetings []Greeting `json:"duplicate_greetings"`
	// QuotaBlocked are greet attempts refused by the daily quota.
	QuotaBlocked []Greeting `json:"quota_blocked"`
	// NotInterested are candidates marked 不合适 on the recommend list.
	NotInterested []NotInterested `json:"not_interested"`
	// Messages are every recruiter-side text: the site's greeting text, the
	// bot's texts and texts the human typed.
	Messages          []RecruiterMessage `json:"messages"`
	DuplicateMessages []RecruiterMessage `json:"duplicate_messages"`
	ExchangeRequests  []ExchangeRequest  `json:"exchange_requests"`
	Disclosures       []Disclosure       `json:"disclosures"`
	// MessagesAfterOptOut are bot texts and exchange requests sent to a
	// candidate after that candidate opted out.
	MessagesAfterOptOut []RecruiterMessage `json:"messages_after_opt_out"`
	// MessagesAfterHuman are bot texts and exchange requests sent in a
	// conversation after the human recruiter typed in it.
	MessagesAfterHuman []RecruiterMessage `json:"messages_after_human"`
	RiskEvents         []RiskEvent        `json:"risk_events"`
	Candidates         []CandidateTruth   `json:"candidates"`
	// Images are the image messages sent (image.go); DuplicateImages the
	// same picture again to a candidate who did not write in between.
	Images          []RecruiterImage `json:"images"`
	DuplicateImages []RecruiterImage `json:"duplicate_images"`
}

// Greeting is one greet performed (or refused) on the recommend list.
type Greeting struct {
	CandidateID int64     `json:"candidate_id"`
	Name        string    `json:"name"`
	JobID       int64     `json:"job_id"`
	Time        time.Time `json:"time"`
}

// NotInterested is one 不合适 mark with its feedback reason.
type NotInterested struct {
	CandidateID int64     `json:"candidate_id"`
	JobID       int64     `json:"job_id"`
	ReasonCode  int       `json:"reason_code"`
	Reason      string    `json:"reason"`
	Time        time.Time `json:"time"`
}

// Who sent a recruiter-side message.
const (
	ByBot   = "bot"   // through the site's normal UI/XHR (the bot's browser)
	ByHuman = "human" // injected with POST /__sim/human
)

// Kinds of recruiter-side message.
const (
	KindGreeting = "greeting" // the site's automatic greeting text
	KindText     = "text"
	KindExchange = "exchange" // a toolbar exchange request
)

// RecruiterMessage is one recruiter-side message.
type RecruiterMessage struct {
	CandidateID int64     `json:"candidate_id"`
	Text        string    `json:"text"`
	Time        time.Time `json:"time"`
	By          string    `json:"by"`
	Kind        string    `json:"kind"`
	MID         int64     `json:"mid"`
}

// Exchange request outcomes.
const (
	OutcomePending  = "pending" // no answer yet (or the candidate ignores it)
	OutcomeAccepted = "accepted"
	OutcomeRefused  = "refused"
)

// ExchangeRequest is one toolbar request (换微信 / 换电话 / 求简历).
type ExchangeRequest struct {
	CandidateID int64     `json:"candidate_id"`
	Kind        string    `json:"kind"` // wechat | phone | resume
	Time        time.Time `json:"time"`
	Outcome     string    `json:"outcome"`
	AnsweredAt  time.Time `json:"answered_at,omitzero"`
}

// Disclosure is one contact a candidate gave.
type Disclosure struct {
	CandidateID int64     `json:"candidate_id"`
	Type        string    `json:"type"`  // wechat | phone | cv
	Value       string    `json:"value"` // the true value (file name for cv)
	Time        time.Time `json:"time"`
	How         string    `json:"how"` // exchange | text | text_obfuscated | attachment
	Text        string    `json:"text,omitempty"`
}

// RiskEvent is one risk check raised on the account.
type RiskEvent struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"`   // slider | captcha | rate
	Reason    string    `json:"reason"` // control | greet_interval | message_interval | per_minute | per_hour
	ClearedAt time.Time `json:"cleared_at,omitzero"`
}

// CandidateTruth is the hidden side of one candidate.
type CandidateTruth struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	JobID    int64  `json:"job_id"`
	Persona  string `json:"persona"`
	WeChat   string `json:"wechat"`
	Phone    string `json:"phone"`
	Disclose string `json:"disclose"`
	How      string `json:"how"`
	Explicit bool   `json:"explicit,omitempty"`
	OptedOut bool   `json:"opted_out,omitempty"`
}

func cloneSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return append([]T(nil), s...)
}
