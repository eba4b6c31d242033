package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/rules"
	"github.com/hunterbot/hunterbot/state/worker"
)

// NextStep is the brain's chat decision (spec brain-protocol.md).
type NextStep string

// Brain nextStep values.
const (
	StepNormalChat   NextStep = "normal_chat"
	StepNeedContact  NextStep = "need_contact"
	StepNoTalk       NextStep = "noTalk"
	StepFinish       NextStep = "finish"
	StepAlgoAbnormal NextStep = "algo_abnormal"
	StepNeedEnsure   NextStep = "need_ensure"
	// StepNeedContactNoWechat (reference v3.0) asks for a contact other
	// than WeChat; StepInit carries text like normal_chat.
	StepNeedContactNoWechat NextStep = brain.StepNeedContactNoWechat
	StepInit                NextStep = brain.StepInit
)

// chatPass reads the chat list and handles every conversation whose last
// message changed since the bot last looked.
func (a *Agent) chatPass(ctx context.Context) error {
	if handled, err := a.pushChatPass(ctx); handled || err != nil {
		return err
	}
	if err := a.gov.Wait(ctx, ActBrowse); err != nil {
		return err
	}
	if err := a.Site.OpenChat(ctx); err != nil {
		return err
	}
	rows, err := a.Site.Rows(ctx)
	if err != nil {
		return err
	}
	a.Log.Debug().Int("rows", len(rows)).Msg("chat pass")
	for _, row := range rows {
		cid := strconv.FormatInt(row.UID, 10)
		conv, known, err := a.loadConversation(cid)
		if err != nil {
			return err
		}
		changed := !known || row.Unread > 0 || rowMark(row) != conv.LastRowText
		retryDue := !conv.RetryAt.IsZero() && !a.Clock.Now().Before(conv.RetryAt)
		if !changed && !retryDue {
			continue
		}
		if err := a.gov.Wait(ctx, ActBrowse); err != nil {
			return err
		}
		if err := a.handleConversation(ctx, row, conv); err != nil {
			if accountWide(err) || ctx.Err() != nil {
				return fmt.Errorf("conversation %s: %w", cid, err)
			}
			// One conversation failing (a page that did not answer in
			// time) must not hold up the others; it is retried next pass.
			a.Log.Warn().Err(err).Str("candidate", cid).Msg("conversation skipped this pass")
			if err := a.revisit(cid); err != nil {
				return err
			}
		}
	}
	return nil
}

// revisitAfter is how long a conversation that failed mid-visit waits
// before the chat pass opens it again.
const revisitAfter = time.Minute

// revisit makes the chat pass come back to a conversation whose visit
// failed after its record was saved (a send the site refused, a download
// that failed): its chat-list row no longer looks changed, so without a
// due RetryAt the unanswered message and the intended send would wait for
// the candidate's next message.
func (a *Agent) revisit(cid string) error {
	err := a.DB.Update(func(tx *worker.Tx) error {
		var c Conversation
		if err := tx.Conversation(a.cfg.ID, cid, &c); err != nil {
			return err
		}
		c.RetryAt = tx.Now().Add(revisitAfter)
		c.UpdatedAt = tx.Now()
		return a.putConversation(tx, c)
	})
	if errors.Is(err, worker.ErrNotFound) {
		return nil // never saved: its row still looks new
	}
	return err
}

func (a *Agent) loadConversation(cid string) (Conversation, bool, error) {
	var c Conversation
	err := a.DB.View(func(tx *worker.Tx) error { return tx.Conversation(a.cfg.ID, cid, &c) })
	if errors.Is(err, worker.ErrNotFound) {
		uid, _ := strconv.ParseInt(cid, 10, 64)
		return Conversation{CandidateID: cid, UID: uid, Status: StatusInService}, false, nil
	}
	return c, err == nil, err
}

func (a *Agent) saveConversation(c Conversation) error {
	return a.DB.Update(func(tx *worker.Tx) error {
		c.UpdatedAt = tx.Now()
		return a.putConversation(tx, c)
	})
}

// handleConversation processes the new messages of one conversation:
// settles pending sends, detects a human recruiter, records replies and
// opt-outs, captures contacts, and answers through the brain.
func (a *Agent) handleConversation(ctx context.Context, row pages.Row, conv Conversation) error {
	msgs, err := a.Site.OpenConversation(ctx, row.UID)
	if err != nil {
		return err
	}
	if conv.Name == "" {
		conv.Name = row.Name
	}
	if conv.Position == "" {
		conv.Position = row.Job
	}
	conv.UID = row.UID
	if conv.BrainJobID == "" && row.JobID != 0 {
		conv.BrainJobID = a.brainJobID(strconv.FormatInt(row.JobID, 10))
	}
	turns := Classify(msgs, a.me.UserID)
	if a.AdoptHistory && conv.UpdatedAt.IsZero() { // never saved here (adopt.go)
		a.adoptHistory(&conv, turns)
	}
	notifying, err := a.settleSends(ctx, &conv, turns)
	if err != nil {
		return err
	}

	before := conv
	var fresh []Turn
	for _, t := range turns {
		if t.MID > conv.LastSeenMID {
			fresh = append(fresh, t)
		}
	}
	firstOwn := true
	for _, t := range turns {
		if t.Speaker != Robot {
			continue
		}
		isFirst := firstOwn
		firstOwn = false
		if t.MID <= conv.LastSeenMID || conv.sentByBot(t.Text) || pages.IsSiteEmitted(t.Text) {
			continue
		}
		// A notification part a crashed worker typed but did not record:
		// notifyPass settles it from the history; it is ours, not a human's.
		if intendedNotify(notifying, t) {
			continue
		}
		// The site's own greeting text opens conversations the bot greeted.
		if isFirst && !conv.GreetedAt.IsZero() {
			continue
		}
		a.planHumanWrote(&conv) // plan.go
		if a.hosting(&conv).ReplyStrategy == StrategyContinueAfterReply {
			// The policy lets the bot keep hosting next to the human; the
			// human's text is ours from now on (not an echo, not a reply).
			conv.rememberSent(t.Text)
			continue
		}
		if !conv.HandedOver {
			conv.HandedOver = true
			conv.Status = StatusIntervened
			a.Log.Info().Str("candidate", conv.CandidateID).Msg("a human recruiter wrote here; the bot stays silent")
		}
	}
	a.readCandidateTurns(&conv, fresh)
	planHeard(&conv, fresh) // plan.go
	if err := a.captureExchanges(ctx, &conv, fresh); err != nil {
		return err
	}
	for _, t := range turns {
		if t.MID > conv.LastSeenMID {
			conv.LastSeenMID = t.MID
		}
	}
	conv.LastRowText = rowMark(row)
	a.planContact(before, &conv) // plan.go
	// A due RetryAt is this visit: answer sets a new one if it defers
	// again. Kept, a visit with nothing to answer (the candidate opted out
	// or the bot spoke last meanwhile) would leave it due for ever, and
	// idle would return at once and reopen the conversation every cycle.
	if !conv.RetryAt.IsZero() && !a.Clock.Now().Before(conv.RetryAt) {
		conv.RetryAt = time.Time{}
	}
	if err := a.commitConversation(before, &conv, msgs); err != nil {
		return err
	}
	return a.answer(ctx, &conv, turns)
}

// accountWide reports errors that stop the whole account, not one
// conversation: risk control, a lost session, or a store failure.
func accountWide(err error) bool {
	return errors.Is(err, pages.ErrRisk) || errors.Is(err, pages.ErrLoggedOut) || errors.Is(err, ErrDailyCap) || errors.Is(err, ErrPaused) ||
		errors.Is(err, worker.ErrSchema) || errors.Is(err, worker.ErrInvalid)
}

// rowMark identifies the last message a chat-list row shows.
func rowMark(r pages.Row) string {
	return strconv.FormatInt(r.LastTime, 10) + "|" + r.LastText
}

// readCandidateTurns records replies and opt-outs and extracts contacts
// from the candidate's new text messages (never from our own, never from
// echoes of our texts).
func (a *Agent) readCandidateTurns(conv *Conversation, fresh []Turn) {
	x := rules.NewExtractor(conv.SentTexts...)
	for _, t := range fresh {
		if t.Speaker != User || IsEcho(t.Text, conv.SentTexts) {
			continue
		}
		if !conv.Replied {
			conv.Replied, conv.ReplyText, conv.RepliedAt = true, t.Text, t.Time
			a.count(func(s *Status) { s.Replies++ })
			a.tally(func(d *wire.DayCount) { d.Replies++ })
		}
		if rules.IsOptOut(t.Text) && !conv.OptedOut {
			conv.OptedOut = true
			conv.Status = StatusTerminated
			a.Log.Info().Str("candidate", conv.CandidateID).Msg("candidate opted out")
		}
		for _, c := range x.Extract(t.Text) {
			switch c.Type {
			case rules.ContactWeChat:
				if conv.Wechat == "" {
					conv.Wechat = c.Value
				}
			case rules.ContactPhone:
				if conv.Phone == "" {
					conv.Phone = c.Value
				}
			}
		}
	}
}

// captureExchanges reads exchanged contacts from the toolbar tooltip after
// the site reports an accepted exchange, and downloads attachment résumés.
func (a *Agent) captureExchanges(ctx context.Context, conv *Conversation, fresh []Turn) error {
	for _, t := range fresh {
		var accepted pages.Exchange
		// Only the site's notices announce a completed exchange: the bot's
		// own "方便留一下您的微信号吗" or a candidate's "我的微信号…" match
		// the same words, and for them the toolbar never offers 查看微信 (the
		// lookup would wait out a whole page step for nothing).
		if t.Speaker == System {
			accepted, _ = pages.AcceptedExchange(t.Text)
		}
		switch {
		case accepted == pages.ExchangeWechat:
			if conv.Wechat == "" {
				if v, err := a.Site.ViewExchange(ctx, conv.UID, pages.ExchangeWechat); err == nil {
					conv.Wechat = v
				} else if !errors.Is(err, pages.ErrNotFound) {
					return err
				}
			}
		case accepted == pages.ExchangePhone:
			if conv.Phone == "" {
				if v, err := a.Site.ViewExchange(ctx, conv.UID, pages.ExchangePhone); err == nil {
					conv.Phone = rules.NormalizeMobile(v)
				} else if !errors.Is(err, pages.ErrNotFound) {
					return err
				}
			}
		case (t.Body == pages.BodyHyperlink || t.Body == pages.BodyResume) && t.URL != "" && conv.CVFile == "":
			data, err := a.Site.Download(ctx, t.URL)
			if err != nil {
				return err
			}
			path := filepath.Join(a.DataDir, "cv", a.cfg.ID, conv.CandidateID+".pdf")
			if err := writePrivate(path, data); err != nil {
				return err
			}
			conv.CVFile = path
		}
	}
	return nil
}

// commitConversation saves the record and, in the same transaction, queues
// the reports its changes call for, including the keyword rule hits of the
// messages it marks as seen. conv is updated in place (status, UpdatedAt)
// so the caller goes on with what was stored: answering with a stale copy
// would write the old status back.
func (a *Agent) commitConversation(before Conversation, conv *Conversation, msgs []pages.Message) error {
	newWechat := conv.Wechat != "" && conv.Wechat != before.Wechat
	newPhone := conv.Phone != "" && conv.Phone != before.Phone
	newCV := conv.CVFile != "" && conv.CVFile != before.CVFile
	err := a.DB.Update(func(tx *worker.Tx) error {
		conv.UpdatedAt = tx.Now()
		if conv.Status == "" || conv.Status == StatusNotReached {
			conv.Status = StatusInService
		}
		if err := a.putConversation(tx, *conv); err != nil {
			return err
		}
		if err := a.enqueueKeywordHits(tx, conv, msgs, before.LastSeenMID); err != nil {
			return err
		}
		if err := a.enqueueTranscript(tx, before, msgs); err != nil { // transcript.go
			return err
		}
		base := resultPayload{AccountID: a.brainAccount, JobID: conv.BrainJobID, CandidateID: conv.CandidateID,
			CandidateName: conv.Name}
		if newWechat {
			p := base
			p.Wechat = conv.Wechat
			if err := enqueueResult(tx, p, ""); err != nil {
				return err
			}
		}
		if newPhone {
			p := base
			p.Phone = conv.Phone
			if err := enqueueResult(tx, p, ""); err != nil {
				return err
			}
		}
		if newCV {
			p := base
			p.Filename = conv.Name + "的简历.pdf"
			if err := enqueueResult(tx, p, conv.CVFile); err != nil {
				return err
			}
		}
		if conv.Replied && !before.Replied {
			if err := a.replyRecord(tx, *conv); err != nil {
				return err
			}
		}
		if newWechat || newPhone || newCV || conv.Replied != before.Replied || conv.Name != before.Name {
			return enqueueContact(tx, a.contactInput(*conv))
		}
		return nil
	})
	if err != nil {
		return err
	}
	n := 0
	for _, b := range []bool{newWechat, newPhone, newCV} {
		if b {
			n++
		}
	}
	if n > 0 {
		a.count(func(s *Status) { s.Contacts += n })
		a.tally(func(d *wire.DayCount) { d.Contacts += int64(n) })
		a.Log.Info().Str("candidate", conv.CandidateID).Int("new_contacts", n).Msg("contact captured")
	}
	return nil
}

// hosting returns the conversation policy of conv's job.
func (a *Agent) hosting(conv *Conversation) Hosting {
	h := a.cfg.Hosting.merged(DefaultHosting())
	for _, j := range a.cfg.Jobs {
		if j.BrainJobID == conv.BrainJobID {
			h = j.Hosting.merged(h)
		}
	}
	return a.planHosting(conv, h) // plan.go: a plan-task member follows its plan
}

// answer asks the brain what to say when the candidate spoke last and acts
// on its nextStep, following the job's hosting policy: it waits ReplyDelay
// after the candidate's latest message, then answers everything unanswered
// at once (UnifiedReply) or message by message.
func (a *Agent) answer(ctx context.Context, conv *Conversation, turns []Turn) error {
	if conv.silent() {
		return nil
	}
	h := a.hosting(conv)
	var pending []Turn // candidate messages not answered yet
	var lastRobot int64
	for _, t := range turns {
		switch {
		case t.Speaker == User && !IsEcho(t.Text, conv.SentTexts) && t.MID > conv.LastAnsweredMID:
			pending = append(pending, t)
		case t.Speaker == Robot:
			lastRobot = t.MID
		}
	}
	if len(pending) == 0 || pending[len(pending)-1].MID < lastRobot {
		return nil
	}
	if h.ReplyStrategy == StrategyEndAfterReply {
		conv.Done, conv.DoneAt, conv.Status = true, a.Clock.Now(), StatusComplete
		a.Log.Info().Str("candidate", conv.CandidateID).Msg("candidate replied; hosting ends (AI_HOSTING_END_AFTER_REPLY)")
		return a.saveConversation(*conv)
	}
	now := a.Clock.Now()
	if due := pending[len(pending)-1].Time.Add(h.ReplyDelay); now.Before(due) {
		// Debounce: more messages may follow; come back when the delay is over.
		conv.RetryAt = due
		return a.saveConversation(*conv)
	}
	if !conv.RetryAt.IsZero() && now.Before(conv.RetryAt) {
		return nil
	}
	conv.RetryAt = time.Time{}
	if h.unified() {
		pending = pending[len(pending)-1:]
	}
	for _, p := range pending {
		var upTo []Turn
		for _, t := range turns {
			if t.MID <= p.MID {
				upTo = append(upTo, t)
			}
		}
		stop, err := a.answerTurn(ctx, conv, upTo, p.MID, h)
		if err != nil || stop {
			return err
		}
	}
	return nil
}

// brainRetry and brainRetryMax bound the wait before a conversation whose
// brain chat call failed is visited again.
const (
	brainRetry    = 2 * time.Minute
	brainRetryMax = 16 * time.Minute
)

// brainRetryDelay is the wait after a failed brain chat call: 2 minutes
// after a refusal (parking.go hands the conversation over after a few);
// for an outage it doubles with every failure in a row up to 16 minutes,
// because each retry reopens the conversation on the site, and at a fixed
// 2 minutes an 80-minute outage reopened every waiting conversation 40
// times (the demo's outage test spent most of its time doing that).
func brainRetryDelay(conv *Conversation, err error) time.Duration {
	if errors.Is(brainRejection(err), ErrRejectedData) {
		return brainRetry
	}
	conv.BrainFailures++
	d := brainRetry
	for i := 1; i < conv.BrainFailures && d < brainRetryMax; i++ {
		d *= 2
	}
	return min(d, brainRetryMax)
}

// answerTurn makes one brain call for the history up to the candidate
// message lastUser and acts on the reply. It reports whether the
// conversation should not be answered further now.
func (a *Agent) answerTurn(ctx context.Context, conv *Conversation, turns []Turn, lastUser int64, h Hosting) (bool, error) {
	reply, err := a.Brain.Chat(ctx, brain.ChatRequest{
		AccountID: a.brainAccount, JobID: conv.BrainJobID, CandidateID: conv.CandidateID,
		CandidateName: conv.Name, HistoryMsg: toBrainHistory(BrainHistory(turns, conv.SentTexts)),
		Hunterbot: a.planChatExtension(conv), // plan.go
	})
	if err != nil {
		// The brain is down: try again on a later pass.
		a.Log.Warn().Err(err).Str("candidate", conv.CandidateID).Msg("brain chat failed")
		conv.RetryAt = a.Clock.Now().Add(brainRetryDelay(conv, err))
		a.chatRefused(conv, err) // parking.go
		return true, a.saveConversation(*conv)
	}
	conv.BrainRefusals, conv.BrainFailures = 0, 0
	if a.planAnswered(conv, lastUser, reply.Hunterbot) { // plan.go: a scene ended hosting
		conv.LastAnsweredMID = lastUser
		return true, a.saveConversation(*conv)
	}
	lines := h.segments(reply.NextStepContent)
	step := NextStep(reply.NextStep)
	switch step {
	case StepNormalChat, StepNeedContact, StepNeedContactNoWechat, StepInit:
		if len(lines) == 0 {
			a.Log.Warn().Str("candidate", conv.CandidateID).Str("step", reply.NextStep).Msg("brain returned no text; sending nothing")
		}
		var handOver bool
		if lines, handOver = a.gateLines(conv, lines); handOver {
			a.setPlanStatus(conv, wire.MemberCustomerServiceIntervene, ReasonPlanGateHuman) // plan.go
			conv.HandedOver = true
			conv.Status = StatusIntervened
			a.Log.Warn().Bool("alert", true).Str("candidate", conv.CandidateID).Msg("send gate: no safe reply; conversation handed to a human")
			conv.LastAnsweredMID = lastUser
			return true, a.saveConversation(*conv)
		}
		// All lines are intended together, so lines left unsent by a crash
		// are found and sent (after checking the history) on the next visit.
		keys := make([]string, len(lines))
		err := a.DB.Update(func(tx *worker.Tx) error {
			for i, line := range lines {
				keys[i] = fmt.Sprintf("chat/%s/%s/%d/%02d", a.cfg.ID, conv.CandidateID, lastUser, i)
				if _, _, err := tx.IntendSend(worker.Send{Key: keys[i], AccountID: a.cfg.ID, CandidateID: conv.CandidateID,
					Kind: "chat", Text: line, After: lastUser}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return true, err
		}
		for i, line := range lines {
			if err := a.spaceReply(ctx, conv, h); err != nil {
				return true, err
			}
			if err := a.sendLine(ctx, conv, keys[i], "chat", line, lastUser); err != nil {
				return true, err
			}
		}
		if step == StepNeedContact || step == StepNeedContactNoWechat {
			if err := a.requestContacts(ctx, conv, lastUser, step == StepNeedContactNoWechat); err != nil {
				return true, err
			}
		}
	case StepNoTalk, StepFinish:
		conv.Done = true
		conv.DoneAt = a.Clock.Now()
		conv.Status = StatusComplete
		if conv.contact() == "" {
			conv.Status = StatusTerminated
		}
	case StepNeedEnsure:
		a.setPlanStatus(conv, wire.MemberCustomerServiceIntervene, ReasonPlanBrainHuman) // plan.go
		conv.HandedOver = true
		conv.Status = StatusIntervened
		a.Log.Warn().Bool("alert", true).Str("candidate", conv.CandidateID).Msg("brain asks for a human (need_ensure)")
	case StepAlgoAbnormal:
		conv.RetryAt = a.Clock.Now().Add(10 * time.Minute)
		a.Log.Warn().Str("candidate", conv.CandidateID).Msg("brain algo_abnormal; will ask again later")
		return true, a.saveConversation(*conv)
	default:
		a.Log.Warn().Str("candidate", conv.CandidateID).Str("step", reply.NextStep).Msg("unknown nextStep; sending nothing")
	}
	conv.LastAnsweredMID = lastUser
	return conv.silent(), a.saveConversation(*conv)
}

// spaceReply waits until MinReplyInterval has passed since our previous
// message in the conversation.
func (a *Agent) spaceReply(ctx context.Context, conv *Conversation, h Hosting) error {
	if conv.LastSentAt.IsZero() || h.MinReplyInterval <= 0 {
		return nil
	}
	wait := conv.LastSentAt.Add(h.MinReplyInterval).Sub(a.Clock.Now())
	if wait <= 0 {
		return nil
	}
	return a.Clock.Sleep(ctx, wait)
}

func toBrainHistory(items []HistoryItem) []brain.ChatMessage {
	out := make([]brain.ChatMessage, len(items))
	for i, it := range items {
		out[i] = brain.ChatMessage{Speaker: string(it.Speaker), Msg: it.Msg, Time: brain.MsgTime(it.Time)}
	}
	return out
}

// sendLine sends one message exactly once: intended in the ledger before
// typing, done after the site shows it; an unknown outcome is settled by
// reading the history, never by typing again.
func (a *Agent) sendLine(ctx context.Context, conv *Conversation, key, kind, text string, after int64) error {
	var s worker.Send
	var created bool
	err := a.DB.Update(func(tx *worker.Tx) (err error) {
		s, created, err = tx.IntendSend(worker.Send{Key: key, AccountID: a.cfg.ID, CandidateID: conv.CandidateID,
			Kind: kind, Text: text, After: after})
		return err
	})
	if err != nil {
		return err
	}
	if !created && s.State != worker.Intended {
		return nil // sent (or given up) before
	}
	if kind == "followup" || kind == "recall" {
		// Scripts pass the send gate here (brain replies in answerTurn;
		// manual sends are the operator's own decision and are not gated).
		if ok, err := a.gateScript(conv, key, kind, text); !ok || err != nil {
			return err
		}
	}
	if err := a.mayAct(ctx, ActMessage); err != nil {
		return err
	}
	_, serr := a.Site.Send(ctx, conv.UID, text)
	if pages.IsUnknownOutcome(serr) && ctx.Err() == nil {
		if msgs, err := a.Site.History(ctx, conv.UID); err == nil && hasOwnText(msgs, a.me.UserID, text, after) {
			serr = nil
		}
	}
	if serr != nil {
		return serr // stays intended; reconciled on the next visit
	}
	if err := a.markSent(conv, key, text); err != nil {
		return err
	}
	a.tally(func(d *wire.DayCount) {
		d.Messages++
		if kind == "followup" {
			d.Followups++
		}
	})
	return nil
}

func (a *Agent) markSent(conv *Conversation, key, text string) error {
	conv.rememberSent(text)
	conv.LastSentAt = a.Clock.Now()
	return a.DB.Update(func(tx *worker.Tx) error {
		if _, err := tx.SettleSend(key, worker.Done, ""); err != nil {
			return err
		}
		conv.UpdatedAt = tx.Now()
		return a.putConversation(tx, *conv)
	})
}

func hasOwnText(msgs []pages.Message, own int64, text string, after int64) bool {
	for _, m := range msgs {
		if m.MID > after && m.From.UID == own && strings.TrimSpace(m.Body.Text) == text {
			return true
		}
	}
	return false
}

// settleSends reconciles this conversation's intended sends with its
// history: present means done; absent means the message never left, so it
// is sent now unless the conversation went silent meanwhile. It returns the
// intended notification parts, which it leaves to notifyPass.
func (a *Agent) settleSends(ctx context.Context, conv *Conversation, turns []Turn) (notifying []worker.Send, err error) {
	var pending []worker.Send
	err = a.DB.View(func(tx *worker.Tx) (err error) {
		all, err := tx.PendingSends(a.cfg.ID)
		for _, s := range all {
			if s.CandidateID == conv.CandidateID {
				pending = append(pending, s)
			}
		}
		return err
	})
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	for _, s := range pending {
		if strings.HasPrefix(s.Kind, sendKindNotify) {
			notifying = append(notifying, s)
			continue // notifyPass settles its own lines (notify.go)
		}
		// An exchange request is reconciled against the toolbar (a requested
		// exchange shows a disabled button), a text against the history.
		present := false
		for _, t := range turns {
			if s.Kind != "exchange" && t.Own && t.MID > s.After && t.Text == s.Text {
				present = true
				break
			}
		}
		switch {
		case present:
			err = a.markSent(conv, s.Key, s.Text)
		case conv.silent():
			err = a.DB.Update(func(tx *worker.Tx) error {
				_, err := tx.SettleSend(s.Key, worker.Abandoned, "conversation went silent before the send")
				return err
			})
		case s.Kind == "exchange":
			err = a.requestExchange(ctx, conv, s.Key, pages.Exchange(s.Text), s.After)
		default:
			err = a.sendLine(ctx, conv, s.Key, s.Kind, s.Text, s.After)
		}
		if err != nil {
			return nil, err
		}
	}
	return notifying, nil
}

// intendedNotify reports whether t, an own message, is one of the intended
// notification parts (text, or an image for an image part) after its mark.
func intendedNotify(parts []worker.Send, t Turn) bool {
	for _, s := range parts {
		if t.MID <= s.After {
			continue
		}
		if s.Kind == sendKindNotifyImage && t.Body == pages.BodyImage || s.Kind != sendKindNotifyImage && t.Text == s.Text {
			return true
		}
	}
	return false
}

// requestContacts clicks the configured toolbar requests once each.
//
// noWechat (the reference's need_contact_without_wx) leaves out the WeChat
// request; when nothing else is configured it asks for the phone.
func (a *Agent) requestContacts(ctx context.Context, conv *Conversation, after int64, noWechat bool) error {
	kinds := a.cfg.ContactRequests
	if noWechat {
		kinds = nil
		for _, k := range a.cfg.ContactRequests {
			if pages.Exchange(k) != pages.ExchangeWechat {
				kinds = append(kinds, k)
			}
		}
		if len(kinds) == 0 {
			kinds = []string{string(pages.ExchangePhone)}
		}
	}
	for _, k := range kinds {
		kind := pages.Exchange(k)
		if (kind == pages.ExchangeWechat && conv.Wechat != "") || (kind == pages.ExchangePhone && conv.Phone != "") ||
			(kind == pages.ExchangeResume && conv.CVFile != "") {
			continue
		}
		key := fmt.Sprintf("exchange/%s/%s/%s", a.cfg.ID, conv.CandidateID, k)
		if err := a.requestExchange(ctx, conv, key, kind, after); err != nil {
			return err
		}
	}
	return nil
}

func (a *Agent) requestExchange(ctx context.Context, conv *Conversation, key string, kind pages.Exchange, after int64) error {
	var s worker.Send
	var created bool
	err := a.DB.Update(func(tx *worker.Tx) (err error) {
		s, created, err = tx.IntendSend(worker.Send{Key: key, AccountID: a.cfg.ID, CandidateID: conv.CandidateID,
			Kind: "exchange", Text: string(kind), After: after})
		return err
	})
	if err != nil || (!created && s.State != worker.Intended) {
		return err
	}
	if err := a.mayAct(ctx, ActMessage); err != nil {
		return err
	}
	_, rerr := a.Site.RequestExchange(ctx, conv.UID, kind)
	if errors.Is(rerr, pages.ErrExchangeDone) {
		rerr = nil
	}
	if rerr != nil {
		return rerr
	}
	return a.DB.Update(func(tx *worker.Tx) error {
		_, err := tx.SettleSend(key, worker.Done, "")
		return err
	})
}
