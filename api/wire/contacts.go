package wire

import (
	"time"
)

// Reply statuses as seed 001 prints them.
const (
	ReplyYes = "已回复"
	ReplyNo  = "未回复"
)

// Contact is a candidate a recruiter account has talked to (seed 001
// contact record). The unique key is (AccountID, CandidateID).
type Contact struct {
	ID              uint64 `json:"id"`
	AccountID       uint64 `json:"account_id"`
	WorkerID        string `json:"worker_id"`
	CandidateID     string `json:"candidate_id"`
	Name            string `json:"name"`
	Position        string `json:"position"`
	Contact         string `json:"contact"` // display value: phone, or "wechat:<id>"
	Phone           string `json:"phone"`
	Wechat          string `json:"wechat"`
	ReplyStatus     string `json:"reply_status"`
	WechatExchanged bool   `json:"wechat_exchanged"`
	// Interview: the candidate agreed to an interview (the funnel's last
	// stage; see docs/console.md for what reports it).
	Interview   bool       `json:"interview"`
	Notes       string     `json:"notes"`
	ContactedAt *time.Time `json:"contacted_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// ContactInput is one contact as a worker reports it. Pushing the same
// (Account, CandidateID) again updates the contact: non-empty strings
// replace, Replied, WechatExchanged and Interview only ever turn on (so a replayed old
// report cannot undo a newer one), CreatedAt is kept from the first report.
type ContactInput struct {
	Account string `json:"account"` // the worker-side account key
	// Epoch is the lease epoch of a managed account (0 for a static one).
	Epoch           uint64 `json:"epoch,omitempty"`
	CandidateID     string `json:"candidate_id"`
	Name            string `json:"name"`
	Position        string `json:"position"`
	Phone           string `json:"phone"`
	Wechat          string `json:"wechat"`
	Contact         string `json:"contact"`
	Notes           string `json:"notes"`
	Replied         bool   `json:"replied"`
	WechatExchanged bool   `json:"wechat_exchanged"`
	// Interview marks that the candidate agreed to an interview; like
	// Replied it only ever turns on.
	Interview   bool       `json:"interview,omitempty"`
	ContactedAt *time.Time `json:"contacted_at"`
	CreatedAt   *time.Time `json:"created_at"`
}

// UpsertResult tells the worker which id its contact got.
type UpsertResult struct {
	Account     string `json:"account"`
	CandidateID string `json:"candidate_id"`
	ID          uint64 `json:"id"`
	Created     bool   `json:"created"`
}

// ContactFilter selects contacts (seed 001 query parameters). Zero values
// mean "any"; From/To are inclusive bounds on CreatedAt.
type ContactFilter struct {
	Search          string
	Replied         *bool
	WechatExchanged *bool
	From, To        time.Time
}
