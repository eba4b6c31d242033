package bot

import (
	"errors"
	"strconv"
	"strings"

	"github.com/hunterbot/hunterbot/bot/cadence"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// adoptHistory makes a conversation this worker has no record of, on an
// account that ran on another worker before (a moved managed account), the
// bot's own, from the site's history: the messages from the recruiter's
// account are the previous holder's, so they are remembered as sent, the
// first one is the greeting (T0 of the follow-up cadence), the last one
// moves LastSentAt, and each follow-up script whose text is there counts as
// sent at that message's time. The site is the ledger, as in crash
// recovery: without this the new holder would take the previous holder's
// messages for a human recruiter's and fall silent, and with an empty
// cadence state it would repeat follow-ups already sent.
func (a *Agent) adoptHistory(conv *Conversation, turns []Turn) {
	var cfg cadence.Config
	haveCfg := false
	if snap := a.followupSnapshot(); snap != nil {
		cfg, haveCfg = cadence.Choose(*snap, conv.Position)
	}
	repeats := map[uint64]int{} // day-0 scripts: occurrences seen so far
	for _, t := range turns {
		if t.Speaker != Robot || pages.IsSiteEmitted(t.Text) {
			continue
		}
		if conv.GreetedAt.IsZero() {
			conv.GreetedAt = t.Time
		}
		conv.rememberSent(t.Text)
		if t.Time.After(conv.LastSentAt) {
			conv.LastSentAt = t.Time
		}
		if !haveCfg {
			continue
		}
		for _, s := range cfg.Scripts {
			if strings.TrimSpace(s.Content) != strings.TrimSpace(t.Text) {
				continue
			}
			occ := 1
			if s.DayNumber == 0 {
				repeats[s.ID]++
				occ = repeats[s.ID]
			}
			cadence.Record(&conv.Cadence, cadence.Step{ConfigID: cfg.ID, ScriptID: s.ID, DayNumber: s.DayNumber, Occurrence: occ, Content: s.Content}, t.Time)
			break
		}
	}
	a.Log.Info().Str("candidate", conv.CandidateID).Int("own_messages", len(conv.SentTexts)).Int("followups_seen", len(conv.Cadence.Sent)).
		Msg("adopted a conversation of the previous holder from the site's history")
}

// seedHandedOver records, before a granted account's agent starts, the
// conversations a human recruiter took over (as the control plane knows
// them) that this worker has no record of: they are known, so they are not
// adopted, and handed over, so the bot stays silent there.
func seedHandedOver(db *worker.DB, account string, candidates []string) error {
	if len(candidates) == 0 {
		return nil
	}
	return db.Update(func(tx *worker.Tx) error {
		for _, cid := range candidates {
			var c Conversation
			err := tx.Conversation(account, cid, &c)
			if err == nil {
				continue // known here: its own record decides
			}
			if !errors.Is(err, worker.ErrNotFound) {
				return err
			}
			uid, _ := strconv.ParseInt(cid, 10, 64)
			c = Conversation{CandidateID: cid, UID: uid, Status: StatusIntervened, HandedOver: true, UpdatedAt: tx.Now()}
			if err := tx.PutConversation(account, cid, c); err != nil {
				return err
			}
		}
		return nil
	})
}
