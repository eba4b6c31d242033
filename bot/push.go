package bot

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/pages"
)

// Reacting to the site's push channel. The chat page holds a WebSocket to
// /chatws; pages.Session decodes the frames Chromium reports and delivers
// them as pages.Push. A push wakes the agent, which opens exactly the
// conversations that changed. The full chat-list pass becomes a slow
// safety net (ChatSafetyPoll): it runs first, whenever the page's push
// socket is down, and every ChatSafetyPoll, and it catches whatever a lost
// push hid. Pushes only say where to look: the conversation's history,
// read by its XHR, stays the source of truth, so a lost, repeated or
// reordered push changes nothing but the delay.

// PushSite is what the agent needs from a site with a push channel.
// pages.Session (through PageSite) implements it; a Site without it is
// polled as before.
type PushSite interface {
	Pushes() <-chan pages.Push
	PushConnected() bool
	OnChat() bool
	RowsSince(ctx context.Context, uid, sinceMS int64) ([]pages.Row, error)
}

// defaultChatSafetyPoll is the full chat-list pass period while pushes
// flow, when the account config leaves it unset.
const defaultChatSafetyPoll = 3 * time.Minute

// pushState is the agent's bookkeeping of pushes not handled yet and of
// conversations waiting for their RetryAt.
type pushState struct {
	mu       sync.Mutex
	pending  map[int64]pages.Push // candidate uid -> newest pushed message
	retries  map[int64]time.Time  // candidate uid -> RetryAt
	lastFull time.Time            // last full chat-list pass
}

// pushSite returns the site's push side, unless the account turned
// pushes off.
func (a *Agent) pushSite() (PushSite, bool) {
	if a.cfg.DisablePush {
		return nil, false
	}
	ps, ok := a.Site.(PushSite)
	return ps, ok
}

// notePush records a push that concerns the bot: a message written to the
// recruiter by someone else. Direction is by sender uid, as in the
// history: the recruiter's own messages (the bot's, or a human's, which
// the next history read reveals) and read receipts wake nothing.
func (a *Agent) notePush(p pages.Push) bool {
	if p.Kind != pages.PushMessage || a.me.UserID == 0 || p.From == a.me.UserID || p.To != a.me.UserID {
		return false
	}
	a.push.mu.Lock()
	defer a.push.mu.Unlock()
	if a.push.pending == nil {
		a.push.pending = map[int64]pages.Push{}
	}
	if old, ok := a.push.pending[p.From]; !ok || p.MID > old.MID {
		a.push.pending[p.From] = p
	}
	a.Log.Debug().Int64("candidate", p.From).Int64("mid", p.MID).Msg("push: new message")
	return true
}

// noteRetry keeps the agent's view of a conversation's RetryAt (called
// wherever a conversation is stored).
func (a *Agent) noteRetry(c Conversation) {
	a.push.mu.Lock()
	defer a.push.mu.Unlock()
	if c.RetryAt.IsZero() {
		delete(a.push.retries, c.UID)
		return
	}
	if a.push.retries == nil {
		a.push.retries = map[int64]time.Time{}
	}
	a.push.retries[c.UID] = c.RetryAt
}

// nextRetry returns the earliest RetryAt known (zero when none).
func (a *Agent) nextRetry() time.Time {
	a.push.mu.Lock()
	defer a.push.mu.Unlock()
	var next time.Time
	for _, t := range a.push.retries {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next
}

// idle waits for the next cycle: ChatPoll, or less when a push arrives or
// a conversation's RetryAt falls due first. It returns only ctx's error.
func (a *Agent) idle(ctx context.Context) error {
	ps, ok := a.pushSite()
	if !ok {
		return a.Clock.Sleep(ctx, a.cfg.ChatPoll)
	}
	pushes := ps.Pushes()
	woken := false
	for drained := false; !drained; {
		select {
		case p := <-pushes:
			woken = a.notePush(p) || woken
		default:
			drained = true
		}
	}
	d := a.cfg.ChatPoll
	if next := a.nextRetry(); !next.IsZero() {
		d = min(d, next.Sub(a.Clock.Now()))
	}
	if woken || d <= 0 {
		return ctx.Err()
	}
	wake := make(chan struct{}, 1)
	ictx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ictx.Done():
				return
			case p := <-pushes:
				if a.notePush(p) {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			}
		}
	}()
	err := clock.SleepOrWake(ctx, a.Clock, d, wake)
	cancel()
	wg.Wait()
	return err
}

// pushChatPass runs instead of the full chat pass while pushes flow: it
// visits the conversations pushed since the last pass and those whose
// RetryAt is due. It reports false when the full pass must run (no push
// channel, its socket down, or the safety-net period over).
func (a *Agent) pushChatPass(ctx context.Context) (bool, error) {
	ps, ok := a.pushSite()
	if !ok {
		return false, nil
	}
	now := a.Clock.Now()
	safety := a.cfg.ChatSafetyPoll
	if safety <= 0 {
		safety = defaultChatSafetyPoll
	}
	a.push.mu.Lock()
	full := a.push.lastFull.IsZero() || now.Sub(a.push.lastFull) >= safety || !ps.PushConnected()
	var todo []int64
	since := map[int64]pages.Push{} // zero Push: a due retry
	if full {
		// The full pass reads every row: it covers what was pushed.
		a.push.lastFull = now
		a.push.pending = nil
	} else {
		for uid, p := range a.push.pending {
			todo = append(todo, uid)
			since[uid] = p
		}
		a.push.pending = nil
		for uid, t := range a.push.retries {
			if !now.Before(t) {
				// Visited now; a visit that defers again stores a new
				// RetryAt, which noteRetry records afresh.
				delete(a.push.retries, uid)
				if _, dup := since[uid]; !dup {
					todo = append(todo, uid)
					since[uid] = pages.Push{}
				}
			}
		}
	}
	a.push.mu.Unlock()
	if full {
		return false, nil
	}
	sort.Slice(todo, func(i, j int) bool { return since[todo[i]].Time < since[todo[j]].Time })
	for _, uid := range todo {
		if err := a.visitPushed(ctx, ps, uid, since[uid]); err != nil {
			return true, err
		}
	}
	return true, nil
}

// visitPushed opens one conversation a push (or its due RetryAt) pointed
// at. A conversation the bot knows needs no list read: its chat-list row is
// rebuilt from the record and the push (the row shows the last message's
// time and text, which the push carries). A new one waits for the list the
// page reloads on the push.
func (a *Agent) visitPushed(ctx context.Context, ps PushSite, uid int64, p pages.Push) error {
	if !ps.OnChat() {
		if err := a.Site.OpenChat(ctx); err != nil {
			return err
		}
	}
	cid := strconv.FormatInt(uid, 10)
	conv, known, err := a.loadConversation(cid)
	if err != nil {
		return err
	}
	var row *pages.Row
	if known {
		row = &pages.Row{UID: uid, Name: conv.Name, Job: conv.Position}
		if p.MID != 0 {
			row.LastTime, row.LastText = p.Time, p.Text
		} else if t, text, ok := strings.Cut(conv.LastRowText, "|"); ok {
			// A due retry: keep the mark the last visit stored.
			row.LastTime, _ = strconv.ParseInt(t, 10, 64)
			row.LastText = text
		}
	} else {
		rows, err := ps.RowsSince(ctx, uid, p.Time)
		if err != nil {
			return err
		}
		for i := range rows {
			if rows[i].UID == uid {
				row = &rows[i]
				break
			}
		}
	}
	if row == nil {
		// Not in the list (yet): the safety-net pass will see it.
		a.Log.Debug().Str("candidate", cid).Msg("push: conversation not in the chat list")
		return nil
	}
	if err := a.gov.Wait(ctx, ActBrowse); err != nil {
		return err
	}
	if err := a.handleConversation(ctx, *row, conv); err != nil {
		if accountWide(err) || ctx.Err() != nil {
			return err
		}
		a.Log.Warn().Err(err).Str("candidate", cid).Msg("conversation skipped this pass")
		return a.revisit(cid)
	}
	return nil
}

// parkOnChat brings the tab back to the chat page after a cycle that left
// it (greeting happens on the recommend page), so the push socket is open
// while the agent idles.
func (a *Agent) parkOnChat(ctx context.Context) error {
	ps, ok := a.pushSite()
	if !ok || ps.OnChat() {
		return nil
	}
	return a.Site.OpenChat(ctx)
}
