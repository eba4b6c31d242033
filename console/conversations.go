package console

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/api/wire"
)

const convPageSize = 50

type conversationsData struct {
	Rows        []wire.Conversation
	Total       int
	Page, Pages int
	Account     string
	Status      string
	Statuses    []wire.ConvStatus
	PrevURL     string
	NextURL     string
	Intervened  wire.ConvStatus
}

func (c *Console) conversationsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	page, err := formInt(q.Get("page"), "page", 1, 1, 1_000_000)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	st := wire.ConvStatus(q.Get("status"))
	if st != "" && !wire.ValidConversationStatus(st) {
		c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "status", Msg: "unknown conversation status"})
		return
	}
	rows, total, err := c.store.ListConversations(wire.ConversationFilter{Account: q.Get("account"), Status: st}, page, convPageSize)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	d := conversationsData{Rows: rows, Total: total, Page: page, Pages: pages(total, convPageSize),
		Account: q.Get("account"), Status: string(st), Statuses: wire.ConversationStatuses, Intervened: wire.ConvIntervened}
	d.PrevURL, d.NextURL = pageLinks(r.URL, page, d.Pages)
	c.render(w, r, s, http.StatusOK, "conversations", d)
}

// message is one line of a conversation's merged history.
type message struct {
	Who    string // candidate, bot, human, site
	Text   string
	At     time.Time
	Type   string // the site's kind of message (transcript lines): text, card, resume, link, notice
	Status string // bot and human messages the control plane sent: queued, sent, failed
	Error  string
}

type conversationData struct {
	Conv     wire.Conversation
	Contact  *wire.Contact
	Messages []message // the page shown, oldest first
	Total    int       // messages in the whole merged history
	Page     int
	Pages    int
	PrevURL  string // older messages
	NextURL  string // newer messages
	Taken    bool
	Flash    string
}

// msgPageSize is how many messages one page of a conversation shows.
const msgPageSize = 50

// conversation finds one conversation by account key and candidate id.
func (c *Console) conversation(account, candidate string) (wire.Conversation, error) {
	// Conversations are listed in (account, candidate) order; one account
	// has at most a few thousand, so one filtered page finds it.
	for page := 1; ; page++ {
		rows, total, err := c.store.ListConversations(wire.ConversationFilter{Account: account}, page, 1000)
		if err != nil {
			return wire.Conversation{}, err
		}
		for _, cv := range rows {
			if cv.CandidateID == candidate {
				return cv, nil
			}
		}
		if page*1000 >= total {
			return wire.Conversation{}, &notFound{"conversation " + account + "/" + candidate}
		}
	}
}

// conversationData loads the conversation with its whole merged history:
// the transcript workers read from the site (every message with its
// author) and the control plane's own records (follow-ups and manual
// sends with their status, candidate replies), de-duplicated.
func (c *Console) conversationData(account, candidate string) (conversationData, error) {
	var d conversationData
	cv, err := c.conversation(account, candidate)
	if err != nil {
		return d, err
	}
	d.Conv, d.Taken = cv, cv.Status == wire.ConvIntervened
	// The transcript is bounded per conversation (wire.TranscriptRetention),
	// so one read holds all of it.
	lines, _, err := c.store.ListTranscript(cv.Account, candidate, 1, wire.TranscriptRetention)
	if err != nil && !errors.Is(err, wire.ErrNotFound) {
		return d, err
	}
	var recs []wire.FollowupRecord
	ct, err := c.store.ContactByCandidate(cv.AccountID, candidate)
	switch {
	case errors.Is(err, wire.ErrNotFound): // no contact yet: no records either
	case err != nil:
		return d, err
	default:
		d.Contact = &ct
		id := ct.ID
		if recs, _, err = c.store.ListRecords(wire.RecordFilter{ContactID: &id}, 1, 1000); err != nil {
			return d, err
		}
	}
	d.Messages = mergeHistory(lines, recs)
	d.Total = len(d.Messages)
	return d, nil
}

// matchWindow bounds how far apart a control-plane record and the site's
// copy of the same message may be: the worker's clock stamps the record,
// the site's the transcript.
const matchWindow = 24 * time.Hour

// mergeHistory merges a conversation's transcript with the control plane's
// records, oldest first. A record of a message the site's history also
// shows (same text, same side, the nearest in time within matchWindow) is
// one line: the transcript's, with the record's send status, and a manual
// send (a record without a script) is labelled the human's who queued it
// rather than the bot's that typed it. Records the history does not show
// (queued or failed sends, messages read before transcripts existed) stay
// lines of their own.
func mergeHistory(lines []wire.StoredMessage, recs []wire.FollowupRecord) []message {
	out := make([]message, 0, len(lines)+len(recs))
	for _, l := range lines {
		out = append(out, message{Who: string(l.Author), Text: l.Text, At: l.At, Type: l.Type})
	}
	// Lines by text, so matching a record costs the lines sharing its
	// text, not the whole history (2,000 lines × hundreds of records).
	byText := make(map[string][]int, len(out))
	for i, m := range out {
		k := strings.TrimSpace(m.Text)
		byText[k] = append(byText[k], i)
	}
	used := make([]bool, len(out))
	// match returns the index of the nearest unused transcript line of one
	// of the authors with text, or -1.
	match := func(text string, at time.Time, authors ...wire.Author) int {
		best, bestGap := -1, matchWindow+1
		for _, i := range byText[strings.TrimSpace(text)] {
			if used[i] {
				continue
			}
			ok := false
			for _, a := range authors {
				ok = ok || out[i].Who == string(a)
			}
			gap := out[i].At.Sub(at)
			if gap < 0 {
				gap = -gap
			}
			if ok && gap < bestGap {
				best, bestGap = i, gap
			}
		}
		if best >= 0 {
			used[best] = true
		}
		return best
	}
	for _, rec := range recs {
		who := "bot"
		if rec.ScriptID == nil {
			who = "human" // manual sends have no script
		}
		at := rec.CreatedAt
		if rec.SentAt != nil {
			at = *rec.SentAt
		}
		i := -1
		if rec.Status == wire.StatusSent {
			i = match(rec.Content, at, wire.AuthorBot, wire.AuthorHuman)
		}
		if i >= 0 {
			out[i].Status = string(rec.Status)
			out[i].Who = who
		} else {
			out = append(out, message{Who: who, Text: rec.Content, At: at, Status: string(rec.Status), Error: rec.Error})
		}
		if rec.GotReply && rec.ReplyContent != "" {
			rat := at
			if rec.RepliedAt != nil {
				rat = *rec.RepliedAt
			}
			if match(rec.ReplyContent, rat, wire.AuthorCandidate) < 0 {
				out = append(out, message{Who: "candidate", Text: rec.ReplyContent, At: rat})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func (c *Console) conversationPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := c.conversationData(r.PathValue("account"), r.PathValue("candidate"))
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	// Newest last: without ?page the last page (the newest messages) shows.
	d.Pages = pages(d.Total, msgPageSize)
	if d.Page, err = formInt(r.URL.Query().Get("page"), "page", d.Pages, 1, d.Pages); err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	// Pages are counted from the newest end, so the last page is full and
	// page 1 holds whatever is left of the oldest.
	hi := d.Total - (d.Pages-d.Page)*msgPageSize
	d.Messages = d.Messages[max(0, hi-msgPageSize):hi]
	d.PrevURL, d.NextURL = pageLinks(r.URL, d.Page, d.Pages)
	switch r.URL.Query().Get("done") {
	case "release", "send":
		d.Flash = tr(s.Lang, "commands.queued")
	}
	c.render(w, r, s, http.StatusOK, "conversation", d)
}

func convURL(account, candidate string) string {
	return "/ui/conversations/" + url.PathEscape(account) + "/" + url.PathEscape(candidate)
}

func (c *Console) releaseConversation(w http.ResponseWriter, r *http.Request, s *session) {
	account, candidate := r.PathValue("account"), r.PathValue("candidate")
	note := r.PostFormValue("note")
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > 2000 {
		c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "note", Msg: "must be valid UTF-8, at most 2000 characters"})
		return
	}
	if _, _, err := c.store.QueueRelease(account, candidate, note, s.User); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.log.Info().Str("account", account).Str("by", s.User).Msg("console: conversation released")
	http.Redirect(w, r, convURL(account, candidate)+"?done=release", http.StatusSeeOther)
}

func (c *Console) sendMessage(w http.ResponseWriter, r *http.Request, s *session) {
	account, candidate := r.PathValue("account"), r.PathValue("candidate")
	content := strings.TrimSpace(r.PostFormValue("content"))
	if content == "" || !utf8.ValidString(content) {
		c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "content", Msg: "must be non-empty valid UTF-8"})
		return
	}
	cv, err := c.conversation(account, candidate)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	ct, err := c.store.ContactByCandidate(cv.AccountID, candidate)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	if _, err := c.store.QueueSend(ct.ID, content); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.log.Info().Str("account", account).Str("by", s.User).Msg("console: manual message queued")
	http.Redirect(w, r, convURL(account, candidate)+"?done=send", http.StatusSeeOther)
}

func pages(total, size int) int {
	if total == 0 {
		return 1
	}
	return (total + size - 1) / size
}

// pageLinks returns the previous and next page URLs of u ("" at the ends).
func pageLinks(u *url.URL, page, last int) (prev, next string) {
	link := func(p int) string {
		q := u.Query()
		q.Set("page", itoa(p))
		return u.Path + "?" + q.Encode()
	}
	if page > 1 {
		prev = link(page - 1)
	}
	if page < last {
		next = link(page + 1)
	}
	return prev, next
}

func pathEscape(s string) string { return url.PathEscape(s) }
