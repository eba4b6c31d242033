package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// Notification tasks (seed 002 群通知任务) on the worker: the control plane
// hands each account the members it should message now (contents already
// rendered); the agent sends them through the site's chat under its
// governor, exactly once across crashes, and reports each member's outcome
// through the outbox.
//
// Per member: the local checks (a conversation exists, the candidate did
// not opt out, no human took it over) → the governor's gap → a claim at
// the control plane (refused once the task was terminated or its window
// ended, so a termination stops everything not already being typed) →
// each part under its own ledger key notify/<account>/<task>/<seq>/<part>
// (intended before typing, done once the page shows it; after a crash an
// intended part is settled from the history, never typed blindly again) →
// the acknowledgement, once every part is done.

// KindNotifyAck is the outbox kind of a member's outcome.
const KindNotifyAck = "notify_ack"

// Ledger kinds of notification parts (settleSends leaves them to
// notifyPass, which knows their content).
const (
	sendKindNotify      = "notify"
	sendKindNotifyImage = "notify_image"
)

// Failure reasons a worker reports for a member.
const (
	ReasonNotifyNoConversation = "no conversation with this candidate on the account"
	ReasonNotifyOptedOut       = "the candidate opted out"
	ReasonNotifyTakenOver      = "a human took over the conversation"
	ReasonNotifyNoImage        = "this site cannot send images"
	// ReasonNotifyGate prefixes the send gate's reason (gate.Reason).
	ReasonNotifyGate = "blocked by the send gate: "
)

// maxNotifyImage bounds an image a worker downloads for a notification.
const maxNotifyImage = 10 << 20

// NotifyControl is the control plane's notification API as a worker uses
// it. *client.Worker implements it; a Control without it simply runs no
// notification tasks.
type NotifyControl interface {
	NotifyDeliveries(ctx context.Context) ([]wire.NotifyDelivery, error)
	ClaimNotify(ctx context.Context, taskID, seq, epoch uint64) (wire.NotifyClaimResponse, error)
	FetchFile(ctx context.Context, id uint64, dst io.Writer, max int64) (string, error)
}

// notifyAcker is the outbox's side: *client.Worker implements it.
type notifyAcker interface {
	AckNotify(ctx context.Context, acks []wire.NotifyAck) error
}

// imageSender is a Site that can send images (PageSite through
// pages.Session.SendImage).
type imageSender interface {
	SendImage(ctx context.Context, uid int64, path string) (int64, error)
}

// notifyState is an agent's notification work (guarded by Agent.mu).
type notifyState struct {
	queue []wire.NotifyDelivery
	ctl   NotifyControl
	epoch func() uint64
	fetch sync.Mutex // one image download at a time per agent
}

// SetNotifyDeliveries hands the agent the members its account should
// message now (the complete current list), the client to claim them with
// and the account's lease epoch.
func (a *Agent) SetNotifyDeliveries(ds []wire.NotifyDelivery, ctl NotifyControl, epoch func() uint64) {
	a.mu.Lock()
	a.notify.queue = append([]wire.NotifyDelivery(nil), ds...)
	a.notify.ctl, a.notify.epoch = ctl, epoch
	a.mu.Unlock()
}

// pullNotify fetches the notification deliveries of this worker's
// accounts and hands them to their agents.
func (rt *Runtime) pullNotify(ctx context.Context) {
	nc, ok := rt.ctrl.(NotifyControl)
	if !ok {
		return
	}
	ds, err := nc.NotifyDeliveries(ctx)
	if err != nil {
		if ctx.Err() == nil {
			rt.opts.Log.Warn().Err(err).Msg("pull notification deliveries")
		}
		return
	}
	for _, a := range rt.liveAgents() {
		var mine []wire.NotifyDelivery
		for _, d := range ds {
			if d.Account == a.cfg.ID {
				mine = append(mine, d)
			}
		}
		key := a.cfg.ID
		a.SetNotifyDeliveries(mine, nc, func() uint64 { return rt.epochOf(key) })
	}
}

// notifyPass delivers the queued notification members.
func (a *Agent) notifyPass(ctx context.Context) error {
	a.mu.Lock()
	queue, ctl, epoch := a.notify.queue, a.notify.ctl, a.notify.epoch
	a.notify.queue = nil
	a.mu.Unlock()
	for _, d := range queue {
		if err := a.notifyMember(ctx, ctl, epoch, d); err != nil {
			return err
		}
	}
	return nil
}

// notifyLine is one message of a member's notification.
type notifyLine struct {
	key    string
	kind   string
	text   string // TEXT line, or the image's placeholder
	fileID uint64
}

func notifyLines(acc string, d wire.NotifyDelivery) []notifyLine {
	var out []notifyLine
	for i, p := range d.Parts {
		base := fmt.Sprintf("notify/%s/%d/%d/%d", acc, d.TaskID, d.Seq, i)
		switch p.ContentType {
		case wire.ContentImage:
			out = append(out, notifyLine{key: base, kind: sendKindNotifyImage, text: pages.ImageText, fileID: p.FileID})
		default:
			// The site sends one line per message; a multi-line text goes
			// out line by line.
			j := 0
			for _, l := range strings.Split(p.ContentValue, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, notifyLine{key: base + "." + strconv.Itoa(j), kind: sendKindNotify, text: l})
					j++
				}
			}
		}
	}
	return out
}

// lineLedger is what worker.db knows of a member's lines (a notification
// or a plan's greetings): each line's send record, whether any of them was
// intended, how many are done, and when the first went out.
type lineLedger struct {
	sends     []worker.Send
	started   bool
	done      int
	firstDone time.Time
}

func readLineLedger(tx *worker.Tx, lines []notifyLine) (lineLedger, error) {
	l := lineLedger{sends: make([]worker.Send, len(lines))}
	for i, line := range lines {
		s, err := tx.Send(line.key)
		if err != nil && !errors.Is(err, worker.ErrNotFound) {
			return l, err
		}
		l.sends[i] = s
		l.started = l.started || s.State != ""
		if s.State == worker.Done {
			l.done++
			if l.firstDone.IsZero() || s.DoneAt.Before(l.firstDone) {
				l.firstDone = s.DoneAt
			}
		}
	}
	return l, nil
}

// linesBlocked is the check a member's lines pass before the first is
// typed: an image needs a site that can send images, and every rendered
// text passes the send gate like any text the bot sends (a member variable
// may carry a URL or someone else's phone). It returns the reason the
// member fails, "" when nothing blocks; noImage is the caller's reason for
// a site without images.
func (a *Agent) linesBlocked(conv *Conversation, lines []notifyLine, noImage string) string {
	if _, ok := a.Site.(imageSender); !ok {
		for _, l := range lines {
			if l.kind == sendKindNotifyImage {
				return noImage
			}
		}
	}
	for _, l := range lines {
		if l.kind != sendKindNotify {
			continue
		}
		if v := a.gateCheck(conv, sendKindNotify, l.text); v.Blocked() {
			return ReasonNotifyGate + string(v.Reason)
		}
	}
	return ""
}

func (a *Agent) notifyMember(ctx context.Context, ctl NotifyControl, epoch func() uint64, d wire.NotifyDelivery) error {
	lines := notifyLines(a.cfg.ID, d)
	var conv Conversation
	var ledger lineLedger
	err := a.DB.View(func(tx *worker.Tx) (err error) {
		if ledger, err = readLineLedger(tx, lines); err != nil {
			return err
		}
		if err := tx.Conversation(a.cfg.ID, d.CandidateID, &conv); err != nil && !errors.Is(err, worker.ErrNotFound) {
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	led, started, done, firstDone := ledger.sends, ledger.started, ledger.done, ledger.firstDone
	if len(lines) > 0 && done == len(lines) {
		return a.ackNotify(d, true, firstDone, "")
	}
	if !started {
		// The checks run before the first line only: once a member's
		// message is under way it is finished (a half-sent notification
		// helps nobody).
		switch {
		case conv.CandidateID == "":
			return a.ackNotify(d, false, time.Time{}, ReasonNotifyNoConversation)
		case conv.OptedOut:
			return a.ackNotify(d, false, time.Time{}, ReasonNotifyOptedOut)
		case conv.HandedOver:
			return a.ackNotify(d, false, time.Time{}, ReasonNotifyTakenOver)
		}
		// A blocked member fails whole, before anything is typed.
		if reason := a.linesBlocked(&conv, lines, ReasonNotifyNoImage); reason != "" {
			return a.ackNotify(d, false, time.Time{}, reason)
		}
		if err := a.mayAct(ctx, ActMessage); err != nil {
			return err
		}
	}
	if ctl == nil {
		return nil
	}
	var ep uint64
	if epoch != nil {
		ep = epoch()
	}
	claim, err := ctl.ClaimNotify(ctx, d.TaskID, d.Seq, ep)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.Log.Warn().Err(err).Uint64("task", d.TaskID).Uint64("member", d.Seq).Msg("notification claim failed; retrying at the next pull")
		return nil
	}
	if !claim.OK {
		a.Log.Info().Uint64("task", d.TaskID).Uint64("member", d.Seq).Str("reason", claim.Reason).Msg("notification member not sent")
		return nil
	}
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
	// A resumed member whose lines this worker.db does not know (the
	// account moved here from a worker that died mid-member) is settled
	// from the history: its rendered texts, and an own image after them,
	// are already on the site.
	var foundAfter int64 = -1
	if claim.Resumed && !started {
		foundAfter = 0
	}
	for i, l := range lines {
		if led[i].State == worker.Done {
			continue
		}
		if foundAfter >= 0 {
			if mid := ownNotifyLineMID(msgs, a.me.UserID, l, foundAfter); mid > 0 {
				if err := a.DB.Update(func(tx *worker.Tx) error {
					_, _, err := tx.IntendSend(worker.Send{Key: l.key, AccountID: a.cfg.ID, CandidateID: conv.CandidateID,
						Kind: l.kind, Text: l.text, After: foundAfter})
					return err
				}); err != nil {
					return err
				}
				if err := a.markNotifySent(&conv, l); err != nil {
					return err
				}
				foundAfter = mid
				continue
			}
			foundAfter = -1 // the rest was never sent
		}
		if led[i].State == worker.Intended && hasOwnNotifyLine(msgs, a.me.UserID, l, led[i].After) {
			if err := a.markNotifySent(&conv, l); err != nil {
				return err
			}
			continue
		}
		if led[i].State == "" && i > 0 {
			if err := a.mayAct(ctx, ActMessage); err != nil {
				return err
			}
		}
		if err := a.sendNotifyLine(ctx, &conv, l, after); err != nil {
			return err
		}
		if firstDone.IsZero() {
			firstDone = a.Clock.Now()
		}
	}
	a.Log.Info().Uint64("task", d.TaskID).Uint64("member", d.Seq).Str("candidate", d.CandidateID).Msg("notification delivered")
	return a.ackNotify(d, true, firstDone, "")
}

// sendNotifyLine intends, sends and confirms one line (text or image).
func (a *Agent) sendNotifyLine(ctx context.Context, conv *Conversation, l notifyLine, after int64) error {
	err := a.DB.Update(func(tx *worker.Tx) error {
		_, _, err := tx.IntendSend(worker.Send{Key: l.key, AccountID: a.cfg.ID, CandidateID: conv.CandidateID,
			Kind: l.kind, Text: l.text, After: after})
		return err
	})
	if err != nil {
		return err
	}
	var serr error
	if l.kind == sendKindNotifyImage {
		path, err := a.notifyImage(ctx, l.fileID)
		if err != nil {
			return err // stays intended; retried at the next pull
		}
		_, serr = a.Site.(imageSender).SendImage(ctx, conv.UID, path)
	} else {
		_, serr = a.Site.Send(ctx, conv.UID, l.text)
	}
	if pages.IsUnknownOutcome(serr) && ctx.Err() == nil {
		if msgs, err := a.Site.History(ctx, conv.UID); err == nil && hasOwnNotifyLine(msgs, a.me.UserID, l, after) {
			serr = nil
		}
	}
	if serr != nil {
		return serr // stays intended; settled from the history next time
	}
	return a.markNotifySent(conv, l)
}

func (a *Agent) markNotifySent(conv *Conversation, l notifyLine) error {
	// Remembering the text (the image's placeholder too) keeps the chat
	// pass from taking the bot's own message for a human's.
	conv.rememberSent(l.text)
	conv.LastSentAt = a.Clock.Now()
	return a.DB.Update(func(tx *worker.Tx) error {
		if _, err := tx.SettleSend(l.key, worker.Done, ""); err != nil {
			return err
		}
		var cur Conversation
		if err := tx.Conversation(a.cfg.ID, conv.CandidateID, &cur); err == nil {
			// Keep what the chat pass learned meanwhile; add our text.
			cur.rememberSent(l.text)
			cur.LastSentAt = conv.LastSentAt
			cur.UpdatedAt = tx.Now()
			return a.putConversation(tx, cur)
		}
		conv.UpdatedAt = tx.Now()
		return a.putConversation(tx, *conv)
	})
}

// hasOwnNotifyLine reports whether the history shows the line as our own
// message after mid after.
func hasOwnNotifyLine(msgs []pages.Message, own int64, l notifyLine, after int64) bool {
	return ownNotifyLineMID(msgs, own, l, after) > 0
}

// ownNotifyLineMID returns the mid of the first own message after mid
// after that is the line (its text, or an image for an image line), or 0.
func ownNotifyLineMID(msgs []pages.Message, own int64, l notifyLine, after int64) int64 {
	for _, m := range msgs {
		if m.MID <= after || m.From.UID != own {
			continue
		}
		if l.kind == sendKindNotifyImage && m.Body.Type == pages.BodyImage {
			return m.MID
		}
		if l.kind != sendKindNotifyImage && m.Body.Type != pages.BodyImage && strings.TrimSpace(m.Body.Text) == l.text {
			return m.MID
		}
	}
	return 0
}

// notifyImage returns the local copy of an uploaded image, downloading it
// from the control plane once (DataDir/notify-images, 0600).
func (a *Agent) notifyImage(ctx context.Context, id uint64) (string, error) {
	a.notify.fetch.Lock()
	defer a.notify.fetch.Unlock()
	dir := filepath.Join(a.DataDir, "notify-images")
	for _, ext := range []string{".png", ".jpg", ".gif", ".webp"} {
		p := filepath.Join(dir, strconv.FormatUint(id, 10)+ext)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	// Plan greetings' images (plan.go) come from the same file API.
	var ctl interface {
		FetchFile(ctx context.Context, id uint64, dst io.Writer, max int64) (string, error)
	}
	a.mu.Lock()
	if a.notify.ctl != nil {
		ctl = a.notify.ctl
	} else if a.planHost.ctl != nil {
		ctl = a.planHost.ctl
	}
	a.mu.Unlock()
	if ctl == nil {
		return "", fmt.Errorf("notification image %d: no control plane client", id)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".download-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	ctype, err := ctl.FetchFile(ctx, id, tmp, maxNotifyImage)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("notification image %d: %w", id, err)
	}
	ext := map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}[ctype]
	if ext == "" {
		return "", fmt.Errorf("notification image %d: %w: not an image (%s)", id, ErrPermanent, ctype)
	}
	p := filepath.Join(dir, strconv.FormatUint(id, 10)+ext)
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", err
	}
	return p, nil
}

// ackNotify queues a member's outcome for the control plane (once per
// member: the outbox key dedupes replays).
func (a *Agent) ackNotify(d wire.NotifyDelivery, sent bool, at time.Time, reason string) error {
	return a.DB.Update(func(tx *worker.Tx) error {
		key := fmt.Sprintf("control/notifyack/%d/%d", d.TaskID, d.Seq)
		return enqueueJSON(tx, key, TargetControl, KindNotifyAck, a.cfg.ID,
			wire.NotifyAck{TaskID: d.TaskID, Seq: d.Seq, Sent: sent, At: at, Reason: reason}, "")
	})
}

// deliverNotifyAck is the outbox delivery of KindNotifyAck.
func deliverNotifyAck(ctx context.Context, c ControlPusher, it worker.OutboxItem, epochOf func(string) uint64) error {
	var ack wire.NotifyAck
	if err := json.Unmarshal(it.Payload, &ack); err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	na, ok := c.(notifyAcker)
	if !ok {
		return fmt.Errorf("%w: the control client cannot acknowledge notifications", ErrPermanent)
	}
	ack.Epoch = epochOf(it.AccountID)
	return na.AckNotify(ctx, []wire.NotifyAck{ack})
}
