package wire

import "time"

// Author is who wrote a message of a conversation, as the console shows it.
type Author string

// Authors of transcript messages. The worker decides them from the site's
// sender id (docs/bot.md): the candidate's messages come from another uid;
// the recruiter account's own messages are the bot's when the bot sent the
// text (its ledger, its greeting, the page's request texts) and a human
// recruiter's otherwise; the site's cards and notices are "site".
const (
	AuthorCandidate Author = "candidate"
	AuthorBot       Author = "bot"
	AuthorHuman     Author = "human"
	AuthorSite      Author = "site"
)

// Authors lists every valid Author.
var Authors = []Author{AuthorCandidate, AuthorBot, AuthorHuman, AuthorSite}

// ValidAuthor reports whether a is one of Authors.
func ValidAuthor(a Author) bool {
	for _, v := range Authors {
		if a == v {
			return true
		}
	}
	return false
}

// Transcript bounds: what one message, one conversation's push and one
// request may hold, and how many messages the control plane keeps per
// conversation.
const (
	// MaxTranscriptText is the longest message text in runes; the worker
	// cuts longer texts (ending them with "…").
	MaxTranscriptText = 4000
	// MaxTranscriptPush is the most messages of one conversation in one
	// push (the worker sends longer histories in several).
	MaxTranscriptPush = 100
	// MaxTranscriptMessages is the most messages a request may carry in
	// all its conversations.
	MaxTranscriptMessages = MaxBatch
	// TranscriptRetention is how many messages the control plane keeps per
	// conversation: past it the oldest are dropped (docs/api.md).
	TranscriptRetention = 2000
)

// TranscriptMessage is one message of a conversation as the site's history
// shows it. MsgID is the site's message id, unique in the conversation:
// (account, candidate, msg_id) is the idempotency key.
type TranscriptMessage struct {
	MsgID  string    `json:"msg_id"`
	At     time.Time `json:"at"`
	Author Author    `json:"author"`
	Text   string    `json:"text"`
	// Type is the kind of message: text, image, card (exchange and
	// dialog cards), resume, link or notice.
	Type string `json:"type"`
}

// TranscriptInput is the new messages of one conversation a worker read.
type TranscriptInput struct {
	Account string `json:"account"`
	// Epoch is the lease epoch of a managed account (0 for a static one).
	Epoch       uint64              `json:"epoch,omitempty"`
	CandidateID string              `json:"candidate_id"`
	Messages    []TranscriptMessage `json:"messages"`
}

// TranscriptsRequest is the body of POST /api/worker/transcripts.
type TranscriptsRequest struct {
	Transcripts []TranscriptInput `json:"transcripts"`
}

// TranscriptResult says what became of one conversation's push: messages
// stored now, already stored (replays), and dropped as older than the
// retention window; Total is what the conversation now holds.
type TranscriptResult struct {
	Account     string `json:"account"`
	CandidateID string `json:"candidate_id"`
	Added       int    `json:"added"`
	Duplicates  int    `json:"duplicates"`
	Dropped     int    `json:"dropped"`
	Total       int    `json:"total"`
}

// TranscriptsResponse answers POST /api/worker/transcripts, one result per
// input in order.
type TranscriptsResponse struct {
	Results []TranscriptResult `json:"results"`
}

// StoredMessage is a transcript message as the control plane keeps it.
type StoredMessage struct {
	TranscriptMessage
	WorkerID   string    `json:"worker_id"`   // the worker that reported it
	ReceivedAt time.Time `json:"received_at"` // when the control plane stored it
}

// MessagePage is a page of GET
// /api/accounts/{key}/conversations/{candidate_id}/messages, oldest first.
type MessagePage struct {
	Total    int             `json:"total"`
	Page     int             `json:"page"`
	PageSize int             `json:"page_size"`
	Results  []StoredMessage `json:"results"`
}
