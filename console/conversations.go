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

// message is one line of a conversation as the control plane knows it.
type message struct {
	Who    string // bot, human, candidate
	Text   string
	At     time.Time
	Status string // bot and human messages: queued, sent, failed
	Error  string
}

type conversationData struct {
	Conv     wire.Conversation
	Contact  *wire.Contact
	Messages []message
	Taken    bool
	Flash    string
}

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

func (c *Console) conversationData(account, candidate string) (conversationData, error) {
	var d conversationData
	cv, err := c.conversation(account, candidate)
	if err != nil {
		return d, err
	}
	d.Conv, d.Taken = cv, cv.Status == wire.ConvIntervened
	ct, err := c.store.ContactByCandidate(cv.AccountID, candidate)
	if errors.Is(err, wire.ErrNotFound) {
		return d, nil // no contact yet: no messages either
	}
	if err != nil {
		return d, err
	}
	d.Contact = &ct
	id := ct.ID
	recs, _, err := c.store.ListRecords(wire.RecordFilter{ContactID: &id}, 1, 1000)
	if err != nil {
		return d, err
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
		d.Messages = append(d.Messages, message{Who: who, Text: rec.Content, At: at, Status: string(rec.Status), Error: rec.Error})
		if rec.GotReply && rec.ReplyContent != "" {
			rat := at
			if rec.RepliedAt != nil {
				rat = *rec.RepliedAt
			}
			d.Messages = append(d.Messages, message{Who: "candidate", Text: rec.ReplyContent, At: rat})
		}
	}
	sort.SliceStable(d.Messages, func(i, j int) bool { return d.Messages[i].At.Before(d.Messages[j].At) })
	return d, nil
}

func (c *Console) conversationPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := c.conversationData(r.PathValue("account"), r.PathValue("candidate"))
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
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
