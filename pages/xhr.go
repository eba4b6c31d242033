package pages

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// Response is one XHR response the page itself received, as observed
// through CDP network events (hunterbot reads the site's own traffic instead
// of issuing requests from page context).
type Response struct {
	URL    string
	Status int
	Body   []byte
}

// Watcher collects the page's responses whose URL contains one of a set of
// fragments. Start it before the action that triggers the request.
type Watcher struct {
	page      *rod.Page
	fragments []string
	cancel    context.CancelFunc
	done      chan struct{}

	mu      sync.Mutex
	pending map[proto.NetworkRequestID]Response // seen, body not loaded yet
	got     []Response
	notify  chan struct{}
	seen    map[string]bool // fragments some response has matched
}

// Watch starts collecting responses of page whose URL contains any of
// fragments. Stop it (or cancel the page's context) to end the subscription.
func Watch(page *rod.Page, fragments ...string) *Watcher {
	ctx, cancel := context.WithCancel(page.GetContext())
	w := &Watcher{
		page: page, fragments: fragments, cancel: cancel, done: make(chan struct{}),
		pending: map[proto.NetworkRequestID]Response{}, notify: make(chan struct{}),
		seen: map[string]bool{},
	}
	p := page.Context(ctx)
	wait := p.EachEvent(
		func(e *proto.NetworkResponseReceived) {
			if e.Type != proto.NetworkResourceTypeXHR && e.Type != proto.NetworkResourceTypeFetch {
				return
			}
			f, ok := w.match(e.Response.URL)
			if !ok {
				return
			}
			w.mu.Lock()
			w.pending[e.RequestID] = Response{URL: e.Response.URL, Status: e.Response.Status}
			w.seen[f] = true
			w.mu.Unlock()
		},
		func(e *proto.NetworkLoadingFinished) {
			w.mu.Lock()
			r, ok := w.pending[e.RequestID]
			delete(w.pending, e.RequestID)
			w.mu.Unlock()
			if !ok {
				return
			}
			// Fetch the body off the event loop so events keep flowing.
			go w.load(p, e.RequestID, r)
		},
	)
	go func() {
		defer close(w.done)
		wait()
	}()
	return w
}

// match returns the first of the watcher's fragments url contains.
func (w *Watcher) match(url string) (string, bool) {
	for _, f := range w.fragments {
		if strings.Contains(url, f) {
			return f, true
		}
	}
	return "", false
}

// Seen reports whether the page has answered a request matching fragment
// (one of the watcher's) since the watcher started, read or not: whether
// this site's page makes that request at all.
func (w *Watcher) Seen(fragment string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen[fragment]
}

func (w *Watcher) load(p *rod.Page, id proto.NetworkRequestID, r Response) {
	res, err := proto.NetworkGetResponseBody{RequestID: id}.Call(p)
	if err != nil {
		return // the page navigated away; the response is gone
	}
	body := []byte(res.Body)
	if res.Base64Encoded {
		if body, err = base64.StdEncoding.DecodeString(res.Body); err != nil {
			return
		}
	}
	r.Body = body
	w.mu.Lock()
	// Pages poll (the chat page refreshes every ~1.5 s): keep only the newest
	// responses so an unread buffer cannot grow without bound.
	if len(w.got) >= maxBuffered {
		w.got = append(w.got[:0], w.got[len(w.got)-maxBuffered+1:]...)
	}
	w.got = append(w.got, r)
	close(w.notify)
	w.notify = make(chan struct{})
	w.mu.Unlock()
}

// maxBuffered caps the responses a Watcher keeps unread.
const maxBuffered = 64

// Next waits for the next collected response whose URL contains fragment
// and removes it from the buffer; earlier responses are returned first.
func (w *Watcher) Next(ctx context.Context, fragment string) (Response, error) {
	for {
		w.mu.Lock()
		for i, r := range w.got {
			if strings.Contains(r.URL, fragment) {
				w.got = append(w.got[:i], w.got[i+1:]...)
				w.mu.Unlock()
				return r, nil
			}
		}
		notify := w.notify
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return Response{}, fmt.Errorf("waiting for %s response: %w", fragment, ctx.Err())
		case <-w.done:
			return Response{}, fmt.Errorf("waiting for %s response: %w", fragment, ErrWatchStopped)
		case <-notify:
		}
	}
}

// Drain returns and clears every collected response whose URL contains
// fragment.
func (w *Watcher) Drain(fragment string) []Response {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out, kept []Response
	for _, r := range w.got {
		if strings.Contains(r.URL, fragment) {
			out = append(out, r)
		} else {
			kept = append(kept, r)
		}
	}
	w.got = kept
	return out
}

// Stop ends the subscription and waits for it to finish.
func (w *Watcher) Stop() {
	w.cancel()
	<-w.done
}

// ErrWatchStopped means the watcher's subscription ended (Stop, or the
// page's context was cancelled) while waiting.
var ErrWatchStopped = errors.New("xhr watcher stopped")

// SiteError is a non-zero `code` in the site's {code, message, zpData}
// envelope. Use errors.Is with ErrRisk / ErrLoggedOut to classify it.
type SiteError struct {
	Code    int
	Message string
}

// Error implements error.
func (e *SiteError) Error() string { return fmt.Sprintf("site code %d: %s", e.Code, e.Message) }

// Is maps site codes onto the package's sentinel errors.
func (e *SiteError) Is(target error) bool {
	switch target {
	case ErrRisk:
		return e.Code == 9 || e.Code == 36 || e.Code == 37 || e.Code == 121
	case ErrLoggedOut:
		return e.Code == 7 || e.Code == 100 || e.Code == 101 || strings.Contains(e.Message, "登录状态已失效")
	case ErrQuota:
		return strings.Contains(e.Message, "今日沟通已达上限")
	}
	return false
}

// Sentinel errors of the page layer.
var (
	// ErrRisk: the site shows a verification / risk page or answered a risk
	// code. The account must pause until a human clears it.
	ErrRisk = errors.New("site risk control")
	// ErrLoggedOut: the session is gone; log in again.
	ErrLoggedOut = errors.New("logged out")
	// ErrQuota: the daily greeting quota is reached.
	ErrQuota = errors.New("daily quota reached")
)

// DecodeEnvelope decodes a {code, message, zpData} body into zpData (when
// non-nil) and returns a *SiteError for a non-zero code.
func DecodeEnvelope(body []byte, zpData any) error {
	var env struct {
		Code    *int            `json:"code"`
		Message string          `json:"message"`
		ZPData  json.RawMessage `json:"zpData"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("decode site response: %w", err)
	}
	if env.Code == nil {
		return fmt.Errorf("decode site response: no code field")
	}
	if *env.Code != 0 {
		return &SiteError{Code: *env.Code, Message: env.Message}
	}
	if zpData != nil && len(env.ZPData) > 0 {
		if err := json.Unmarshal(env.ZPData, zpData); err != nil {
			return fmt.Errorf("decode site zpData: %w", err)
		}
	}
	return nil
}
