package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// KindTranscript is the control-plane outbox kind of a conversation's new
// messages (POST /api/worker/transcripts).
const KindTranscript = "transcript"

// maxTranscriptPushBytes bounds the JSON of one push's messages, well
// under the control plane's 1 MiB request limit: 100 messages of 4000
// Chinese characters would be 1.2 MB, and JSON escapes < and > as six
// bytes each.
const maxTranscriptPushBytes = 256 << 10

// transcriptPusher is the part of the control-plane client that delivers
// transcripts; *client.Worker implements it.
type transcriptPusher interface {
	PushTranscripts(ctx context.Context, in []wire.TranscriptInput) ([]wire.TranscriptResult, error)
}

// enqueueTranscript queues the messages of msgs the conversation had not
// seen before (mid after before.LastSeenMID) for the control plane, with
// who wrote each. It runs in the transaction that moves LastSeenMID past
// them, so every message is queued once; the outbox key (and the control
// plane's (account, candidate, msg_id) key) makes a replay a no-op.
//
// Authors are judged on before, the record as it was when the history was
// read, so a human's text that the reply strategy adopts as the bot's from
// now on is still shown as the human's. The bot's own replies typed on
// this visit are not in msgs: they go out on the next read of the history.
// Nothing but the message itself is sent: no attachment URL (résumé links
// carry the site's tokens), no cookies.
func (a *Agent) enqueueTranscript(tx *worker.Tx, before Conversation, msgs []pages.Message) error {
	var batch []wire.TranscriptMessage
	var first, last int64
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		size = 0
		in := wire.TranscriptInput{Account: a.cfg.ID, CandidateID: before.CandidateID, Messages: batch}
		key := fmt.Sprintf("control/transcript/%s/%s/%d-%d", a.cfg.ID, before.CandidateID, first, last)
		batch = nil
		return enqueueJSON(tx, key, TargetControl, KindTranscript, a.cfg.ID, in, "")
	}
	for _, m := range transcriptMessages(Classify(msgs, a.me.UserID), before, tx.Now()) {
		mid, _ := strconv.ParseInt(m.MsgID, 10, 64)
		if mid <= before.LastSeenMID {
			continue
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if size+len(raw) > maxTranscriptPushBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		if len(batch) == 0 {
			first = mid
		}
		batch, last, size = append(batch, m), mid, size+len(raw)
		if len(batch) == wire.MaxTranscriptPush {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// transcriptMessages turns classified turns into transcript messages with
// their authors, deciding bot versus human like handleConversation does:
// an own message is the bot's when the bot sent that text (its ledger's
// memory in conv.SentTexts, adopted texts included), when the page emits
// it for a toolbar request, or when it is the site's greeting opening a
// conversation the bot greeted; any other own message is a human's. now
// stands in for a message without a time.
func transcriptMessages(turns []Turn, conv Conversation, now time.Time) []wire.TranscriptMessage {
	out := make([]wire.TranscriptMessage, 0, len(turns))
	firstOwn := true
	for _, t := range turns {
		m := wire.TranscriptMessage{MsgID: strconv.FormatInt(t.MID, 10), At: t.Time.UTC(), Text: clipText(t.Text, wire.MaxTranscriptText),
			Type: transcriptType(t)}
		if t.Time.UnixMilli() <= 0 {
			m.At = now.UTC()
		}
		switch t.Speaker {
		case System:
			m.Author = wire.AuthorSite
		case User:
			m.Author = wire.AuthorCandidate
		default:
			greeting := firstOwn && !conv.GreetedAt.IsZero()
			firstOwn = false
			m.Author = wire.AuthorHuman
			if greeting || conv.sentByBot(t.Text) || pages.IsSiteEmitted(t.Text) {
				m.Author = wire.AuthorBot
			}
		}
		out = append(out, m)
	}
	return out
}

// transcriptType names a message's kind for the transcript.
func transcriptType(t Turn) string {
	switch {
	case t.Speaker == System && t.Body == pages.BodyText:
		return "notice"
	case t.Body == pages.BodyText:
		return "text"
	case t.Body == pages.BodyDialog:
		return "card"
	case t.Body == pages.BodyResume:
		return "resume"
	case t.Body == pages.BodyHyperlink:
		return "link"
	case t.Body == pages.BodyImage:
		return "image"
	}
	return "body-" + strconv.Itoa(t.Body)
}

// clipText cuts s to at most max runes, ending a cut text with "…".
func clipText(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// deliverTranscript is the outbox delivery of KindTranscript.
func deliverTranscript(ctx context.Context, c ControlPusher, it worker.OutboxItem, epochOf func(string) uint64) error {
	var in wire.TranscriptInput
	if err := json.Unmarshal(it.Payload, &in); err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	tp, ok := c.(transcriptPusher)
	if !ok {
		return fmt.Errorf("%w: the control client cannot push transcripts", ErrPermanent)
	}
	in.Epoch = epochOf(in.Account)
	_, err := tp.PushTranscripts(ctx, []wire.TranscriptInput{in})
	return err
}
