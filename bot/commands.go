package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/state/worker"
)

// Control-plane outbox kinds for acknowledgements and statuses.
const (
	KindSendAck      = "send_ack"
	KindCommandAck   = "command_ack"
	KindConversation = "conversation_status"
)

// sendAck is the outbox payload acknowledging a manual send.
type sendAck struct {
	ID     uint64    `json:"id"`
	Sent   bool      `json:"sent"`
	SentAt time.Time `json:"sent_at,omitzero"`
	Reason string    `json:"reason,omitempty"`
}

// commandAck is the outbox payload acknowledging an operator command.
type commandAck struct {
	ID     uint64 `json:"id"`
	Done   bool   `json:"done"`
	Reason string `json:"reason,omitempty"`
}

// putConversation writes a conversation record and, when its status
// changed, queues the new status for the control plane in the same
// transaction.
func (a *Agent) putConversation(tx *worker.Tx, c Conversation) error {
	var old Conversation
	err := tx.Conversation(a.cfg.ID, c.CandidateID, &old)
	if err != nil && !errors.Is(err, worker.ErrNotFound) {
		return err
	}
	if err := a.planTransitions(tx, old, &c); err != nil { // plan.go
		return err
	}
	if err := tx.PutConversation(a.cfg.ID, c.CandidateID, c); err != nil {
		return err
	}
	a.noteRetry(c)
	if c.Status == "" || c.Status == old.Status {
		return nil
	}
	st := wire.ConversationStatus{Account: a.cfg.ID, CandidateID: c.CandidateID, Name: c.Name, Status: c.Status,
		UpdatedAt: tx.Now()}
	key := fmt.Sprintf("control/conv/%s/%s/%s/%d", a.cfg.ID, c.CandidateID, c.Status, tx.Now().UnixNano())
	return enqueueJSON(tx, key, TargetControl, KindConversation, a.cfg.ID, st, "")
}

// SetManualSends hands the agent the manual sends the control plane has
// queued for its account (the complete current list).
func (a *Agent) SetManualSends(sends []wire.Send) {
	a.mu.Lock()
	a.manual = append([]wire.Send(nil), sends...)
	a.mu.Unlock()
}

// AddCommands hands the agent operator commands for its account; they are
// applied at the start of its next cycle, in its own goroutine.
func (a *Agent) AddCommands(cmds []wire.Command) {
	a.mu.Lock()
	for _, c := range cmds {
		dup := false
		for _, p := range a.commands {
			dup = dup || p.ID == c.ID
		}
		if !dup {
			a.commands = append(a.commands, c)
		}
	}
	a.mu.Unlock()
}

// applyCommands carries out queued operator commands.
func (a *Agent) applyCommands() error {
	a.mu.Lock()
	cmds := a.commands
	a.commands = nil
	a.mu.Unlock()
	for _, cmd := range cmds {
		done, reason := true, ""
		err := a.DB.Update(func(tx *worker.Tx) error {
			switch cmd.Kind {
			case "release":
				var c Conversation
				if err := tx.Conversation(a.cfg.ID, cmd.CandidateID, &c); errors.Is(err, worker.ErrNotFound) {
					done, reason = false, "no such conversation on this worker"
				} else if err != nil {
					return err
				} else {
					c.HandedOver = false
					if c.Status == StatusIntervened {
						c.Status = StatusInService
					}
					c.UpdatedAt = tx.Now()
					if err := a.putConversation(tx, c); err != nil {
						return err
					}
				}
			case wire.CommandReplayParked:
				n, err := tx.Replay(a.cfg.ID, a.brainAccount)
				if err != nil {
					return err
				}
				reason = fmt.Sprintf("%d parked item(s) replayed", n)
			default:
				done, reason = false, "unknown command kind "+strconv.Quote(string(cmd.Kind))
			}
			key := fmt.Sprintf("control/cmdack/%d", cmd.ID)
			return enqueueJSON(tx, key, TargetControl, KindCommandAck, a.cfg.ID, commandAck{ID: cmd.ID, Done: done, Reason: reason}, "")
		})
		if err != nil {
			return err
		}
		a.Log.Info().Uint64("command", cmd.ID).Str("kind", string(cmd.Kind)).Str("candidate", cmd.CandidateID).Bool("done", done).Msg("operator command")
	}
	return nil
}

// manualPass delivers the operator's manual sends exactly once each and
// acknowledges them through the outbox.
func (a *Agent) manualPass(ctx context.Context) error {
	a.mu.Lock()
	sends := a.manual
	a.manual = nil
	a.mu.Unlock()
	for _, ms := range sends {
		key := fmt.Sprintf("manual/%s/%d", a.cfg.ID, ms.ID)
		var led worker.Send
		var conv Conversation
		err := a.DB.View(func(tx *worker.Tx) error {
			var err error
			if led, err = tx.Send(key); err != nil && !errors.Is(err, worker.ErrNotFound) {
				return err
			}
			if err := tx.Conversation(a.cfg.ID, ms.CandidateID, &conv); err != nil && !errors.Is(err, worker.ErrNotFound) {
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		switch {
		case led.State == worker.Done:
			err = a.ackSend(ms.ID, true, led.DoneAt, "")
		case led.State == worker.Abandoned:
			err = a.ackSend(ms.ID, false, time.Time{}, led.Note)
		case conv.CandidateID == "":
			err = a.ackSend(ms.ID, false, time.Time{}, "no conversation with this candidate on the account")
		case conv.OptedOut:
			err = a.ackSend(ms.ID, false, time.Time{}, "the candidate opted out")
		default:
			err = a.sendManual(ctx, &conv, key, ms)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (a *Agent) sendManual(ctx context.Context, conv *Conversation, key string, ms wire.Send) error {
	msgs, err := a.Site.OpenConversation(ctx, conv.UID)
	if err != nil {
		return err
	}
	var after int64
	for _, m := range msgs {
		if m.MID > after {
			after = m.MID
		}
	}
	// A manual send is the operator's decision: it goes out even where the
	// bot itself stays silent (human takeover, conversation done).
	if err := a.sendLine(ctx, conv, key, "manual", ms.Content, after); err != nil {
		return err
	}
	return a.ackSend(ms.ID, true, a.Clock.Now(), "")
}

func (a *Agent) ackSend(id uint64, sent bool, at time.Time, reason string) error {
	return a.DB.Update(func(tx *worker.Tx) error {
		key := fmt.Sprintf("control/sendack/%d", id)
		return enqueueJSON(tx, key, TargetControl, KindSendAck, a.cfg.ID, sendAck{ID: id, Sent: sent, SentAt: at, Reason: reason}, "")
	})
}
