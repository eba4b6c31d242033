package pages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// DefaultStepTimeout bounds one short page step (finding an element, a
// click, waiting for one XHR) when Options.StepTimeout is zero.
const DefaultStepTimeout = 15 * time.Second

// ErrNotFound means an expected element or candidate is not on the page.
var ErrNotFound = errors.New("not on the page")

// Options configures a Session.
type Options struct {
	// BaseURL is the site's origin, e.g. "https://www.zhipin.com" or the
	// simulator's "http://127.0.0.1:7001".
	BaseURL string
	// Selectors; the zero value means DefaultSelectors().
	Selectors *Selectors
	// StepTimeout bounds each short step [DefaultStepTimeout].
	StepTimeout time.Duration
}

// Session is one recruiter account's tab in its own browser context. It is
// not safe for concurrent use: one account does one thing at a time.
type Session struct {
	browser *rod.Browser // the account's isolated browser context
	page    *rod.Page
	base    string
	sel     Selectors
	step    time.Duration
	watch   *Watcher
	push    *pushWatcher // push.go
	opened  openedInfo   // toolbar.go
}

// NewSession opens a tab in the account's browser context and starts
// observing the site's XHRs on it.
func NewSession(ctxBrowser *rod.Browser, opts Options) (*Session, error) {
	sel := DefaultSelectors()
	if opts.Selectors != nil {
		sel = *opts.Selectors
	}
	if err := sel.Validate(); err != nil {
		return nil, err
	}
	if opts.StepTimeout <= 0 {
		opts.StepTimeout = DefaultStepTimeout
	}
	page, err := ctxBrowser.Page(proto.TargetCreateTarget{URL: "about:blank"})
	if err != nil {
		return nil, fmt.Errorf("open tab: %w", err)
	}
	if page, err = shareHelpers(page, opts.StepTimeout); err != nil {
		_ = page.Close()
		return nil, fmt.Errorf("open tab: %w", err)
	}
	s := &Session{browser: ctxBrowser, page: page, base: strings.TrimRight(opts.BaseURL, "/"),
		sel: sel, step: opts.StepTimeout}
	s.watch = Watch(page, sel.XHRUserInfo, sel.XHRGeekList, sel.XHRHistoryMsg, sel.XHRFriendList, sel.XHRQRNew, sel.XHRGeekInfo)
	s.push = watchPush(page, sel.PushPath)
	return s, nil
}

// shareHelpers returns a copy of page whose copies share rod's cache of the
// JavaScript helpers it injects into the page (element lookups, waits).
// Every step here runs on a copy bound to a context (p: Context, Timeout);
// a copy only shares the cache when the page it was made from already has
// one, which a fresh tab never gets because nothing runs on it directly,
// so each step injected the helpers anew: two or three more CDP round
// trips and a script compile per element lookup (3-4 times slower in a
// loop of lookups). One lookup on a copy creates the cache; the session
// keeps that copy. The cache gains an entry per page load (a few hundred
// bytes), freed with the tab.
func shareHelpers(page *rod.Page, step time.Duration) (*rod.Page, error) {
	ctx, cancel := context.WithTimeout(page.GetContext(), step)
	defer cancel()
	warm := page.Context(ctx)
	if _, err := warm.Element("html"); err != nil {
		return page, fmt.Errorf("prepare tab: %w", err)
	}
	return warm.Context(page.GetContext()), nil
}

// Close stops observing and closes the tab (not the browser context).
func (s *Session) Close() error {
	s.watch.Stop()
	s.push.stop()
	return s.page.Close()
}

// Page exposes the tab for diagnostics (screenshots in tests).
func (s *Session) Page() *rod.Page { return s.page }

// Selectors returns the selectors in use.
func (s *Session) Selectors() Selectors { return s.sel }

// p returns the tab bound to ctx with a step timeout.
func (s *Session) p(ctx context.Context) *rod.Page {
	return s.page.Context(ctx).Timeout(s.step)
}

// act bounds one action on el (typing, a click) by its own step timeout:
// an element found through p keeps p's deadline, and a form's several
// steps under one deadline add up past it on a busy machine.
func (s *Session) act(ctx context.Context, el *rod.Element) *rod.Element {
	return el.Context(ctx).Timeout(s.step)
}

// navigate loads path and waits for the document.
func (s *Session) navigate(ctx context.Context, path string) error {
	p := s.page.Context(ctx).Timeout(2 * s.step)
	if err := p.Navigate(s.base + path); err != nil {
		return fmt.Errorf("navigate %s: %w", path, err)
	}
	if err := p.WaitLoad(); err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	return nil
}

// URL is the tab's current URL.
func (s *Session) URL() (string, error) {
	info, err := s.page.Info()
	if err != nil {
		return "", err
	}
	return info.URL, nil
}

// Check classifies what the tab shows right now (risk page, captcha,
// login redirect, quota dialog, or nothing).
func (s *Session) Check(ctx context.Context) (Risk, error) {
	return Inspect(s.page.Context(ctx), s.sel)
}

// checkErr turns a risky page into its sentinel error, or returns nil.
func (s *Session) checkErr(ctx context.Context) error {
	r, err := s.Check(ctx)
	if err != nil {
		return err
	}
	return r.Err()
}

// nextXHR waits (one step) for the next observed response of fragment and
// decodes its envelope into v.
func (s *Session) nextXHR(ctx context.Context, fragment string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, s.step)
	defer cancel()
	r, err := s.watch.Next(ctx, fragment)
	if err != nil {
		return err
	}
	return DecodeEnvelope(r.Body, v)
}

// dismissPopups clicks the close buttons of the announcement popups the
// site shows on arrival, if any are visible.
func (s *Session) dismissPopups(ctx context.Context) error {
	for _, sel := range s.sel.PopupCloses {
		has, el, err := s.page.Context(ctx).Has(sel)
		if err != nil {
			return err
		}
		if !has {
			continue
		}
		if vis, _ := el.Visible(); !vis {
			continue
		}
		if err := s.act(ctx, el).Click(proto.InputMouseButtonLeft, 1); err != nil {
			return fmt.Errorf("dismiss popup %s: %w", sel, err)
		}
	}
	return nil
}

// sessionBlob is what SaveSession persists: cookies and local storage.
type sessionBlob struct {
	Cookies      []*proto.NetworkCookie `json:"cookies"`
	LocalStorage map[string]string      `json:"local_storage"`
}

// SaveSession returns the account's cookies and local storage as an opaque
// blob for worker.db. It is a secret: never log it.
func (s *Session) SaveSession(ctx context.Context) ([]byte, error) {
	cookies, err := s.browser.Context(ctx).GetCookies()
	if err != nil {
		return nil, fmt.Errorf("read cookies: %w", err)
	}
	blob := sessionBlob{Cookies: cookies, LocalStorage: map[string]string{}}
	if res, err := s.page.Context(ctx).Eval(`() => { const o = {}; try { for (let i = 0; i < localStorage.length; i++) { const k = localStorage.key(i); o[k] = localStorage.getItem(k); } } catch (e) {} return o; }`); err == nil {
		for k, v := range res.Value.Map() {
			blob.LocalStorage[k] = v.String()
		}
	}
	return json.Marshal(blob)
}

// RestoreSession puts saved cookies back into the browser context and
// local storage into the site's origin.
func (s *Session) RestoreSession(ctx context.Context, data []byte) error {
	var blob sessionBlob
	if err := json.Unmarshal(data, &blob); err != nil {
		return fmt.Errorf("decode saved session: %w", err)
	}
	params := make([]*proto.NetworkCookieParam, 0, len(blob.Cookies))
	for _, c := range blob.Cookies {
		params = append(params, &proto.NetworkCookieParam{
			Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, Secure: c.Secure,
			HTTPOnly: c.HTTPOnly, SameSite: c.SameSite, Expires: c.Expires,
		})
	}
	if len(params) > 0 {
		if err := s.browser.Context(ctx).SetCookies(params); err != nil {
			return fmt.Errorf("restore cookies: %w", err)
		}
	}
	if len(blob.LocalStorage) == 0 {
		return nil
	}
	// Local storage belongs to the origin: load a page of it first.
	if err := s.navigate(ctx, s.sel.LoginPath); err != nil {
		return err
	}
	_, err := s.page.Context(ctx).Eval(`(items) => { for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v); }`, blob.LocalStorage)
	if err != nil {
		return fmt.Errorf("restore local storage: %w", err)
	}
	return nil
}
