package bot

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/hunterbot/hunterbot/bot/cadence"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// SetFollowups hands the agent the follow-up configs pulled from the
// control plane.
func (a *Agent) SetFollowups(snap cadence.Snapshot) {
	a.mu.Lock()
	a.followups = &snap
	a.mu.Unlock()
}

func (a *Agent) followupSnapshot() *cadence.Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.followups
}

// followupWindow is the account's send window for follow-ups: the pacing's
// quiet hours and the configured daily cap, in Asia/Shanghai.
func (a *Agent) followupWindow() cadence.Window {
	p := DefaultPacing()
	if a.cfg.Pacing != nil {
		p = *a.cfg.Pacing
	}
	return cadence.Window{QuietStart: p.QuietStart, QuietEnd: p.QuietEnd, Loc: clock.Shanghai,
		DailyCap: a.cfg.FollowupDailyCap, ReplyWait: a.cfg.FollowupReplyWait}
}

// followupPass sends every follow-up that is due now, per seed 000's
// cadence. Each send is exactly-once: the step's UID is the send-ledger key
// and the follow_up_record's idempotency key, and the record is queued in
// the transaction that records the step in the conversation.
func (a *Agent) followupPass(ctx context.Context) error {
	snap := a.followupSnapshot()
	if snap == nil {
		return nil
	}
	now := a.Clock.Now()
	w := a.followupWindow()
	type due struct {
		conv Conversation
		cfg  cadence.Config
		step cadence.Step
	}
	var todo []due
	sentToday := 0
	day := startOfDay(now.In(clock.Shanghai))
	err := a.DB.View(func(tx *worker.Tx) error {
		return tx.Conversations(a.cfg.ID, func(_ string, raw []byte) error {
			var c Conversation
			if err := json.Unmarshal(raw, &c); err != nil {
				return err
			}
			for _, o := range c.Cadence.Sent {
				if !o.At.Before(day) {
					sentToday++
				}
			}
			if c.GreetedAt.IsZero() || c.Replied || c.silent() {
				return nil
			}
			cfg, ok := cadence.Choose(*snap, c.Position)
			if !ok {
				return nil
			}
			todo = append(todo, due{conv: c, cfg: cfg})
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, d := range todo {
		step, ok := cadence.Next(d.cfg, a.cadenceState(d.conv), w, sentToday, now)
		if !ok || step.DueAt.After(now) {
			continue
		}
		sent, err := a.sendFollowup(ctx, d.conv.CandidateID, step, w)
		if err != nil {
			if accountWide(err) || ctx.Err() != nil {
				return err
			}
			a.Log.Warn().Err(err).Str("candidate", d.conv.CandidateID).Msg("follow-up skipped this pass")
			continue
		}
		if sent {
			sentToday++
		}
	}
	return nil
}

// cadenceState is the cadence's view of a conversation: any send counts
// against the interval; a reply or silence stops it.
func (a *Agent) cadenceState(c Conversation) cadence.State {
	st := c.Cadence
	st.FirstContactAt = c.GreetedAt
	if c.LastSentAt.After(st.LastSentAt) {
		st.LastSentAt = c.LastSentAt
	}
	st.Replied = c.Replied
	st.Stopped = c.silent()
	return st
}

// sendFollowup sends one due step. It looks at the conversation first: a
// reply, opt-out or human message that arrived since the last pass stops
// the cadence at send time, not only at scheduling time.
func (a *Agent) sendFollowup(ctx context.Context, cid string, step cadence.Step, w cadence.Window) (bool, error) {
	conv, _, err := a.loadConversation(cid)
	if err != nil {
		return false, err
	}
	msgs, err := a.Site.OpenConversation(ctx, conv.UID)
	if err != nil {
		return false, err
	}
	var newest int64
	for _, m := range msgs {
		if m.MID > newest {
			newest = m.MID
		}
	}
	if newest > conv.LastSeenMID {
		// Something happened in the conversation: read it like the chat
		// pass does, then decide again.
		row := pagesRow(conv)
		if err := a.handleConversation(ctx, row, conv); err != nil {
			return false, err
		}
		if conv, _, err = a.loadConversation(cid); err != nil {
			return false, err
		}
		if conv.Replied || conv.silent() {
			return false, nil
		}
		if again, ok := cadence.Next(mustChoose(a, conv), a.cadenceState(conv), w, 0, a.Clock.Now()); !ok || again.Key != step.Key || again.DueAt.After(a.Clock.Now()) {
			return false, nil
		}
	}
	key := step.UID(a.cfg.ID, cid)
	if err := a.DB.Update(func(tx *worker.Tx) error {
		_, _, err := tx.IntendSend(worker.Send{Key: key, AccountID: a.cfg.ID, CandidateID: cid, Kind: "followup",
			Text: step.Content, After: newest})
		return err
	}); err != nil {
		return false, err
	}
	if err := a.sendLine(ctx, &conv, key, "followup", step.Content, newest); err != nil {
		return false, err
	}
	var led worker.Send
	err = a.DB.Update(func(tx *worker.Tx) error {
		var err error
		if led, err = tx.Send(key); err != nil {
			return err
		}
		var c Conversation
		if err := tx.Conversation(a.cfg.ID, cid, &c); err != nil {
			return err
		}
		if led.State != worker.Done {
			if led.State == worker.Abandoned && strings.HasPrefix(led.Note, "send gate") {
				// The send gate refused the script (sendgate.go): the
				// step counts as passed, unsent and unrecorded, so the
				// cadence moves on instead of retrying it every pass.
				cadence.Record(&c.Cadence, step, tx.Now())
				c.UpdatedAt = tx.Now()
				return a.putConversation(tx, c)
			}
			return nil
		}
		cadence.Record(&c.Cadence, step, led.DoneAt)
		last := step
		c.LastFollowup, c.LastFollowupAt = &last, led.DoneAt
		c.UpdatedAt = tx.Now()
		if err := a.putConversation(tx, c); err != nil {
			return err
		}
		return enqueueJSON(tx, "control/record/"+key, TargetControl, KindRecord, a.cfg.ID,
			step.RecordInput(a.cfg.ID, cid, led.DoneAt), "")
	})
	if err != nil {
		return false, err
	}
	a.Log.Info().Str("candidate", cid).Int("day", step.DayNumber).Uint64("script", step.ScriptID).Msg("follow-up sent")
	return led.State == worker.Done, nil
}

func mustChoose(a *Agent, c Conversation) cadence.Config {
	if snap := a.followupSnapshot(); snap != nil {
		if cfg, ok := cadence.Choose(*snap, c.Position); ok {
			return cfg
		}
	}
	return cadence.Config{}
}

// replyRecord marks the last follow-up record as answered when the
// candidate replies (seed 000's got_reply, reply_content, replied_at).
func (a *Agent) replyRecord(tx *worker.Tx, c Conversation) error {
	if c.LastFollowup == nil || !c.Replied || c.RepliedAt.Before(c.LastFollowupAt) {
		return nil
	}
	rec := c.LastFollowup.RecordInput(a.cfg.ID, c.CandidateID, c.LastFollowupAt)
	at := c.RepliedAt
	rec.GotReply, rec.ReplyContent, rec.RepliedAt = true, c.ReplyText, &at
	return enqueueJSON(tx, "control/record/"+rec.UID+"/reply", TargetControl, KindRecord, a.cfg.ID, rec, "")
}

// pagesRow rebuilds the chat-list row of a known conversation.
func pagesRow(c Conversation) pages.Row { return pages.Row{UID: c.UID, Name: c.Name, Job: c.Position} }
