package wire

import (
	"github.com/hunterbot/hunterbot/rules"

	"time"
)

// MaxHitsPerPage bounds ListKeywordHits.
const MaxHitsPerPage = 500

// Callback delivery states of a hit.
const (
	CallbackNone      Delivery = "none"      // no callback URL was configured when the hit arrived
	CallbackPending   Delivery = "pending"   // queued or being retried
	CallbackDelivered Delivery = "delivered" // the callback URL answered 2xx
	CallbackFailed    Delivery = "failed"    // gave up after the last retry
)

// KeywordHitInput is one hit a worker evaluated locally.
type KeywordHitInput struct {
	RuleID      string           `json:"rule_id"`
	Name        string           `json:"name"`
	Keywords    []string         `json:"keywords"`
	Semantics   []rules.Semantic `json:"semantics"`
	MsgID       string           `json:"msg_id"`
	Text        string           `json:"text"`
	Direction   string           `json:"direction"` // sent | received
	AccountID   string           `json:"account_id"`
	JobID       int64            `json:"job_id,omitempty"`
	CandidateID string           `json:"candidate_id"`
	ChatID      string           `json:"chat_id,omitempty"`
	MsgTime     time.Time        `json:"msg_time"`
}

// KeywordHit is a stored hit event.
type KeywordHit struct {
	ID uint64 `json:"id"`
	KeywordHitInput
	WorkerID      string     `json:"worker_id"`
	CreatedAt     time.Time  `json:"created_at"`
	Callback      Delivery   `json:"callback"` // none | pending | delivered | failed
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
}

// KeywordHitFilter selects hits; zero fields match everything.
type KeywordHitFilter struct {
	RuleID      string
	AccountID   string
	CandidateID string
	Callback    Delivery
	Since       time.Time // msg_time >= Since
	Until       time.Time // msg_time <= Until
}

// KeywordCallback is where hit events are POSTed.
type KeywordCallback struct {
	URL    string `json:"url"`              // empty: no callback
	Secret string `json:"secret,omitempty"` // signs bodies (HMAC-SHA256) when set
}

// KeywordRuleSnapshot is GET /api/worker/keyword-rules: the whole rule set
// and its version; workers compile it with rules.Compile and evaluate
// locally.
type KeywordRuleSnapshot struct {
	Version uint64       `json:"version"`
	Rules   []rules.Rule `json:"rules"`
}

// KeywordHitsRequest is POST /api/worker/keyword-hits.
type KeywordHitsRequest struct {
	Hits []KeywordHitInput `json:"hits"`
}

// KeywordHitsResponse answers it with the stored hits.
type KeywordHitsResponse struct {
	Hits []KeywordHit `json:"hits"`
}
