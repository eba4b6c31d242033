package bot

import (
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/pages"
)

// Speaker is who said a history item, in the brain's vocabulary.
type Speaker string

// Speakers of the brain's historyMsg.
const (
	Robot  Speaker = "robot"
	User   Speaker = "user"
	System Speaker = "system"
)

// Turn is one classified message of a conversation.
type Turn struct {
	MID     int64
	Time    time.Time
	Speaker Speaker
	Text    string
	Body    int    // the site's body type
	URL     string // attachment link (résumé) when there is one
	Own     bool   // sent from the recruiter's account (bot, site or human)
}

// Classify turns the site's messages into brain history by sender id, never
// by bubble position: a message is the candidate's only when its sender uid
// differs from the recruiter's (ownUID). Exchange cards, résumé cards,
// attachments and the site's exchange notices are System. Revoked messages
// are dropped. Messages are returned in mid order.
func Classify(msgs []pages.Message, ownUID int64) []Turn {
	out := make([]Turn, 0, len(msgs))
	for _, m := range msgs {
		if m.Status == pages.StatusRevoked {
			continue
		}
		t := Turn{
			MID: m.MID, Time: time.UnixMilli(m.Time), Text: strings.TrimSpace(m.Body.Text),
			Body: m.Body.Type, URL: m.Body.URL, Own: m.From.UID == ownUID,
		}
		switch {
		case m.Type == pages.TypeSystem:
			t.Speaker = System
		case m.Body.Type == pages.BodyDialog || m.Body.Type == pages.BodyResume || m.Body.Type == pages.BodyHyperlink:
			t.Speaker = System
		case pages.IsExchangeNotice(t.Text, candidateName(m, ownUID)):
			t.Speaker = System
		case t.Own:
			t.Speaker = Robot
		default:
			t.Speaker = User
		}
		out = append(out, t)
	}
	sortTurns(out)
	return out
}

// candidateName is the name of the party of m that is not the recruiter.
func candidateName(m pages.Message, ownUID int64) string {
	if m.From.UID == ownUID {
		return m.To.Name
	}
	return m.From.Name
}

func sortTurns(ts []Turn) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].MID < ts[j-1].MID; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// IsEcho reports whether a candidate message merely repeats one of our own
// texts (quoted scripts, pasted greetings): such messages are not replies.
func IsEcho(text string, ownTexts []string) bool {
	t := strings.TrimSpace(text)
	if t == "" {
		return true
	}
	for _, o := range ownTexts {
		o = strings.TrimSpace(o)
		if len([]rune(o)) >= 6 && strings.Contains(t, o) {
			return true
		}
	}
	return false
}

// HistoryItem is one entry of the brain's historyMsg.
type HistoryItem struct {
	Speaker Speaker `json:"speaker"`
	Msg     string  `json:"msg"`
	// Time is epoch milliseconds, the reference's format (0: unknown).
	Time int64 `json:"time,omitempty"`
}

// BrainHistory converts turns to the brain's historyMsg, dropping empty
// texts and candidate echoes of our own texts.
func BrainHistory(turns []Turn, ownTexts []string) []HistoryItem {
	out := make([]HistoryItem, 0, len(turns))
	for _, t := range turns {
		if t.Text == "" {
			continue
		}
		if t.Speaker == User && IsEcho(t.Text, ownTexts) {
			continue
		}
		out = append(out, HistoryItem{Speaker: t.Speaker, Msg: t.Text, Time: int64(brain.MsgTimeOf(t.Time))})
	}
	return out
}
