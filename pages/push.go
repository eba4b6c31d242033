package pages

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"

	"github.com/hunterbot/hunterbot/internal/chatproto"
)

// Push kinds.
const (
	PushMessage = "message" // a new message (text, card, notice)
	PushRead    = "read"    // a read receipt
)

// Push is one event of the site's chat push channel (/chatws), decoded
// from the WebSocket frames the page itself received, as seen through CDP.
// It only says that a conversation changed: the history XHR stays the
// source of truth, and a lost push changes nothing but the delay.
type Push struct {
	Kind string
	From int64  // sender uid (message) or reader uid (read receipt)
	To   int64  // receiver uid (message); 0 for a read receipt
	MID  int64  // the message id, or the last message read
	Time int64  // ms since epoch
	Text string // the message's text, for logs only
}

// pushBuffer is how many decoded pushes wait for the bot before new ones
// are dropped (the bot's safety-net pass catches what was dropped).
const pushBuffer = 128

// pushWatcher decodes the page's push frames into a channel.
type pushWatcher struct {
	cancel context.CancelFunc
	done   chan struct{}
	out    chan Push

	mu      sync.Mutex
	sockets map[proto.NetworkRequestID]bool // the page's /chatws sockets
	dropped int
	bad     int
}

// watchPush subscribes to the page's WebSocket events until Stop or the
// page's context ends.
func watchPush(page *rod.Page, path string) *pushWatcher {
	ctx, cancel := context.WithCancel(page.GetContext())
	w := &pushWatcher{cancel: cancel, done: make(chan struct{}), out: make(chan Push, pushBuffer),
		sockets: map[proto.NetworkRequestID]bool{}}
	wait := page.Context(ctx).EachEvent(
		func(e *proto.NetworkWebSocketCreated) {
			if strings.Contains(e.URL, path) {
				w.mu.Lock()
				w.sockets[e.RequestID] = true
				w.mu.Unlock()
			}
		},
		func(e *proto.NetworkWebSocketClosed) {
			w.mu.Lock()
			delete(w.sockets, e.RequestID)
			w.mu.Unlock()
		},
		func(e *proto.NetworkWebSocketFrameReceived) {
			w.mu.Lock()
			ours := w.sockets[e.RequestID]
			w.mu.Unlock()
			if ours && e.Response != nil {
				w.frame(e.Response)
			}
		},
	)
	go func() {
		defer close(w.done)
		wait()
	}()
	return w
}

// frame decodes one received frame. Binary frames (opcode 2) carry their
// bytes base64-encoded in payloadData.
func (w *pushWatcher) frame(f *proto.NetworkWebSocketFrame) {
	if f.Opcode != 2 {
		return
	}
	raw, err := base64.StdEncoding.DecodeString(f.PayloadData)
	if err != nil {
		w.count(&w.bad)
		return
	}
	frames, err := chatproto.DecodeFrame(raw)
	if err != nil {
		w.count(&w.bad)
	}
	for _, p := range decodePushes(frames) {
		select {
		case w.out <- p:
		default:
			w.count(&w.dropped)
		}
	}
}

func (w *pushWatcher) count(n *int) {
	w.mu.Lock()
	*n++
	w.mu.Unlock()
}

// decodePushes flattens protocol frames into pushes.
func decodePushes(frames []*chatproto.TechwolfChatProtocol) []Push {
	var out []Push
	for _, f := range frames {
		for _, m := range f.GetMessages() {
			out = append(out, Push{Kind: PushMessage, From: m.GetFrom().GetUid(), To: m.GetTo().GetUid(),
				MID: m.GetMid(), Time: m.GetTime(), Text: m.GetBody().GetText()})
		}
		for _, r := range f.GetMessageRead() {
			out = append(out, Push{Kind: PushRead, From: r.GetUserId(), MID: r.GetMessageId(), Time: r.GetReadTime()})
		}
	}
	return out
}

func (w *pushWatcher) stop() {
	w.cancel()
	<-w.done
}

// Pushes delivers the push events the tab receives while it shows a page
// with the push channel (the chat page). The channel is never closed; a
// full buffer drops new events.
func (s *Session) Pushes() <-chan Push { return s.push.out }

// PushConnected reports whether the tab holds an open push socket now.
func (s *Session) PushConnected() bool {
	s.push.mu.Lock()
	defer s.push.mu.Unlock()
	return len(s.push.sockets) > 0
}

// OnChat reports whether the tab shows the chat page.
func (s *Session) OnChat() bool {
	u, err := s.URL()
	if err != nil {
		return false
	}
	return strings.HasPrefix(u, s.base+s.sel.ChatPath) || strings.Contains(u, s.sel.ChatPath)
}

// RowsSince returns the chat list once it shows uid's conversation with a
// last message at or after sinceMS (the page reloads its list when a push
// arrives). When no such list comes within a step it returns the newest
// list it saw: the history read that follows is the source of truth.
func (s *Session) RowsSince(ctx context.Context, uid, sinceMS int64) ([]Row, error) {
	var latest []Row
	fresh := func(rows []Row) bool {
		for _, r := range rows {
			if r.UID == uid && r.LastTime >= sinceMS {
				return true
			}
		}
		return false
	}
	for _, r := range s.watch.Drain(s.sel.XHRFriendList) {
		var list friendList
		if err := DecodeEnvelope(r.Body, &list); err != nil {
			return nil, fmt.Errorf("read chat list: %w", err)
		}
		latest = list.FriendList
	}
	if latest != nil && fresh(latest) {
		return latest, nil
	}
	wctx, cancel := context.WithTimeout(ctx, s.step)
	defer cancel()
	for {
		var list friendList
		err := func() error {
			r, err := s.watch.Next(wctx, s.sel.XHRFriendList)
			if err != nil {
				return err
			}
			return DecodeEnvelope(r.Body, &list)
		}()
		if err != nil {
			if ctx.Err() != nil || (!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrWatchStopped)) {
				return nil, fmt.Errorf("read chat list: %w", err)
			}
			if latest == nil {
				return s.rowsFromDOM(ctx)
			}
			return latest, nil
		}
		latest = list.FriendList
		if fresh(latest) {
			return latest, nil
		}
	}
}
