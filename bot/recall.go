package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hunterbot/hunterbot/bot/cadence"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state/worker"
)

// recallEvery is how often the agent asks the brain whom to recall.
const recallEvery = 4 * time.Hour

// KindRecallResult is the brain outbox kind reporting a recall sent.
const KindRecallResult = "recall_result"

// recallPass asks the brain (seed 003 recallList) which silent
// conversations to wake up — those without a contact that the follow-up
// cadence does not cover — sends each recall message once, and reports it
// with recallResult through the outbox. The brain owns the windows and
// counts; the bot sends at most one recall per candidate per day.
func (a *Agent) recallPass(ctx context.Context) error {
	now := a.Clock.Now()
	if !a.lastRecall.IsZero() && now.Sub(a.lastRecall) < recallEvery {
		return nil
	}
	if a.gov.InQuietHours() {
		return nil
	}
	snap := a.followupSnapshot()
	var ids []string
	convs := map[string]Conversation{}
	err := a.DB.View(func(tx *worker.Tx) error {
		return tx.Conversations(a.cfg.ID, func(id string, raw []byte) error {
			var c Conversation
			if err := json.Unmarshal(raw, &c); err != nil {
				return err
			}
			if c.GreetedAt.IsZero() || c.silent() || c.contact() != "" {
				return nil
			}
			if snap != nil {
				if _, covered := cadence.Choose(*snap, c.Position); covered {
					return nil
				}
			}
			ids = append(ids, id)
			convs[id] = c
			return nil
		})
	})
	if err != nil || len(ids) == 0 {
		a.lastRecall = now
		return err
	}
	recalls, err := a.Brain.RecallList(ctx, brain.RecallListRequest{AccountID: a.brainAccount, CandidateIDs: ids})
	if err != nil {
		a.Log.Warn().Err(err).Msg("brain recallList failed; will ask again later")
		return nil
	}
	a.lastRecall = now
	day := now.In(clock.Shanghai).Format(time.DateOnly)
	for _, rc := range recalls {
		c, ok := convs[rc.CandidateID]
		if !ok || !rc.NeedRecall || rc.RecallMsg == "" {
			continue
		}
		if err := a.sendRecall(ctx, c, rc, day); err != nil {
			if accountWide(err) || ctx.Err() != nil {
				return err
			}
			a.Log.Warn().Err(err).Str("candidate", c.CandidateID).Msg("recall skipped")
		}
	}
	return nil
}

func (a *Agent) sendRecall(ctx context.Context, conv Conversation, rc brain.Recall, day string) error {
	msgs, err := a.Site.OpenConversation(ctx, conv.UID)
	if err != nil {
		return err
	}
	var newest int64
	for _, m := range msgs {
		if m.MID > newest {
			newest = m.MID
		}
	}
	if newest > conv.LastSeenMID {
		// The candidate (or a human) wrote meanwhile: the chat pass handles
		// it; no recall now.
		return nil
	}
	key := fmt.Sprintf("recall/%s/%s/%s", a.cfg.ID, conv.CandidateID, day)
	if err := a.sendLine(ctx, &conv, key, "recall", rc.RecallMsg, newest); err != nil {
		return err
	}
	err = a.DB.Update(func(tx *worker.Tx) error {
		if s, err := tx.Send(key); err != nil || s.State != worker.Done {
			return err
		}
		req := brain.RecallResultRequest{AccountID: a.brainAccount, JobID: rc.JobID, CandidateID: conv.CandidateID}
		return enqueueJSON(tx, "brain/"+key, TargetBrain, KindRecallResult, a.brainAccount, req, "")
	})
	if err == nil {
		a.Log.Info().Str("candidate", conv.CandidateID).Msg("recall sent")
	}
	return err
}
