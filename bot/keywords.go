package bot

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/rules"
	"github.com/hunterbot/hunterbot/state/worker"
)

// KindKeywordHit is the control-plane outbox kind of a keyword rule hit.
const KindKeywordHit = "keyword_hit"

// KeywordRules gives the agent the keyword rule set (seed 004) in force
// now; *rules.Engine implements it. A nil set means no rules. The runtime
// pulls the set from the control plane by version and swaps it in.
type KeywordRules interface {
	Rules() *rules.RuleSet
}

// enqueueKeywordHits evaluates every message of a conversation that is new
// since the last visit (the candidate's and our account's) against the
// rule set and queues one control-plane report per hit. It runs in the
// transaction that moves LastSeenMID past those messages, so each message
// is evaluated once and its hits are reported once (the key makes a replay
// a no-op too).
func (a *Agent) enqueueKeywordHits(tx *worker.Tx, conv *Conversation, msgs []pages.Message, since int64) error {
	if a.Keywords == nil {
		return nil
	}
	rs := a.Keywords.Rules()
	if rs == nil || rs.Len() == 0 {
		return nil
	}
	ours := rules.NewExtractor(conv.SentTexts...)
	jobID, _ := strconv.ParseInt(a.siteJobID(conv.BrainJobID), 10, 64)
	firstOwn := true
	for _, m := range msgs {
		own := m.From.UID == a.me.UserID
		welcome := own && firstOwn && !conv.GreetedAt.IsZero()
		if own {
			firstOwn = false
		}
		if m.MID <= since {
			continue
		}
		msg := rules.Message{Text: m.Body.Text, Kind: rules.KindFromBodyType(m.Body.Type, m.Body.Text),
			Revoked: m.Status == pages.StatusRevoked, Welcome: welcome, Direction: rules.DirReceived,
			AccountID: a.cfg.ID, JobID: jobID, CandidateID: conv.CandidateID}
		// Our own texts are masked in the candidate's messages (a quoted
		// script is not the candidate sharing a number), not in ours.
		x := ours
		if own {
			msg.Direction, x = rules.DirSent, nil
		}
		for _, h := range rs.Evaluate(&msg, x) {
			dir := "received"
			if own {
				dir = "sent"
			}
			in := wire.KeywordHitInput{RuleID: h.RuleID, Name: h.Name, Keywords: h.Keywords, Semantics: h.Semantics,
				MsgID: strconv.FormatInt(m.MID, 10), Text: m.Body.Text, Direction: dir, AccountID: a.cfg.ID,
				JobID: jobID, CandidateID: conv.CandidateID, MsgTime: time.UnixMilli(m.Time).UTC()}
			key := fmt.Sprintf("control/hit/%s/%s/%d/%s", a.cfg.ID, conv.CandidateID, m.MID, h.RuleID)
			if err := enqueueJSON(tx, key, TargetControl, KindKeywordHit, a.cfg.ID, in, ""); err != nil {
				return err
			}
			a.Log.Info().Str("candidate", conv.CandidateID).Str("rule", h.RuleID).Int64("mid", m.MID).Msg("keyword rule hit")
		}
	}
	return nil
}
