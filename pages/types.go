package pages

import (
	"encoding/json"
	"strconv"
)

// UserInfo is the logged-in recruiter, from getUserInfo.json.
type UserInfo struct {
	UserID   int64  `json:"userId"`
	Name     string `json:"name"`
	ShowName string `json:"showName"`
}

// Geek is one recommend-list candidate. Raw keeps the site's whole record:
// the brain's filter reads it as candidateInfo.
type Geek struct {
	EncryptGeekID string
	GeekID        int64
	Name          string
	SecurityID    string
	JobID         int64
	HaveChatted   bool
	Raw           json.RawMessage
}

// CandidateID is the id the brain uses for the candidate (geekCard.geekId).
func (g Geek) CandidateID() string { return strconv.FormatInt(g.GeekID, 10) }

// UnmarshalJSON reads the fields hunterbot needs and keeps the raw record.
func (g *Geek) UnmarshalJSON(data []byte) error {
	var wire struct {
		EncryptGeekID string `json:"encryptGeekId"`
		HaveChatted   int    `json:"haveChatted"`
		GeekCard      struct {
			GeekID        int64  `json:"geekId"`
			GeekName      string `json:"geekName"`
			EncryptGeekID string `json:"encryptGeekId"`
			SecurityID    string `json:"securityId"`
			JobID         int64  `json:"jobId"`
		} `json:"geekCard"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*g = Geek{
		EncryptGeekID: wire.EncryptGeekID,
		GeekID:        wire.GeekCard.GeekID,
		Name:          wire.GeekCard.GeekName,
		SecurityID:    wire.GeekCard.SecurityID,
		JobID:         wire.GeekCard.JobID,
		HaveChatted:   wire.HaveChatted == 1,
		Raw:           append(json.RawMessage(nil), data...),
	}
	if g.EncryptGeekID == "" {
		g.EncryptGeekID = wire.GeekCard.EncryptGeekID
	}
	return nil
}

// GeekPage is zpData of one rec/geek/list response.
type GeekPage struct {
	GeekList []Geek `json:"geekList"`
	HasMore  bool   `json:"hasMore"`
}

// Message is one chat message from historyMsg.
type Message struct {
	MID    int64   `json:"mid"`
	Time   int64   `json:"time"` // ms since epoch
	Type   int     `json:"type"`
	From   Party   `json:"from"`
	To     Party   `json:"to"`
	Body   MsgBody `json:"body"`
	Status int     `json:"status"` // 1 unread, 2 read, 3 revoked
}

// Party is a message's sender or receiver.
type Party struct {
	UID  int64  `json:"uid"`
	Name string `json:"name"`
}

// MsgBody is a message's content.
type MsgBody struct {
	Type int    `json:"type"` // 1 text, 7 dialog card, 9 résumé card, 12 hyperlink
	Text string `json:"text"`
	URL  string `json:"url,omitempty"`
}

// Body types of the site's messages.
const (
	BodyText      = 1
	BodyDialog    = 7
	BodyResume    = 9
	BodyHyperlink = 12
)

// TypeSystem is Message.Type of the site's system notices.
const TypeSystem = 4

// StatusRevoked marks a message the sender withdrew.
const StatusRevoked = 3

// History is zpData of one historyMsg response.
type History struct {
	Messages []Message `json:"messages"`
	HasMore  bool      `json:"hasMore"`
	MinMsgID int64     `json:"minMsgId"`
}
