package pages

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// Row is one conversation in the chat list.
type Row struct {
	UID      int64  `json:"uid"`    // the candidate's uid (geekId)
	Source   int    `json:"source"` // the suffix of data-id
	Name     string `json:"name"`
	Job      string `json:"jobName"`
	JobID    int64  `json:"jobId"`
	LastText string `json:"lastMsg"`
	LastTime int64  `json:"lastTime"` // ms since epoch; 0 when read from the DOM
	Unread   int    `json:"unreadCount"`
}

// friendList is zpData of the chat page's conversation-list XHR.
type friendList struct {
	FriendList []Row `json:"friendList"`
}

// Exchange kinds of the toolbar.
type Exchange string

// The toolbar's exchange requests.
const (
	ExchangeWechat Exchange = "wechat"
	ExchangePhone  Exchange = "phone"
	ExchangeResume Exchange = "resume"
)

// request/view labels of the toolbar buttons per kind.
var exchangeLabels = map[Exchange][2]string{
	ExchangeWechat: {"换微信", "查看微信"},
	ExchangePhone:  {"换电话", "查看电话"},
	ExchangeResume: {"求简历", ""},
}

// ErrExchangeDone means the exchange already completed (the toolbar offers
// 查看… instead of a request).
var ErrExchangeDone = errors.New("exchange already completed")

// OpenChat loads the chat (沟通) page.
func (s *Session) OpenChat(ctx context.Context) error {
	s.watch.Drain(s.sel.XHRFriendList)
	if err := s.navigate(ctx, s.sel.ChatPath); err != nil {
		return err
	}
	if err := s.checkErr(ctx); err != nil {
		return err
	}
	return s.dismissPopups(ctx)
}

const rowsJS = `(sel) => Array.from(document.querySelectorAll(sel.row)).map(el => {
  const text = (q) => { const e = el.querySelector(q); return e ? e.innerText.trim() : ''; };
  return {id: el.getAttribute('data-id') || '', name: text(sel.name), job: text(sel.job),
          last: text(sel.last), unread: parseInt(text(sel.unread) || '0', 10) || 0};
})`

// Rows lists the conversations of the chat page, from the page's own
// conversation-list response (the newest one observed, or the next one);
// when the page loads none, from the DOM.
func (s *Session) Rows(ctx context.Context) ([]Row, error) {
	var list friendList
	if got := s.watch.Drain(s.sel.XHRFriendList); len(got) > 0 {
		if err := DecodeEnvelope(got[len(got)-1].Body, &list); err != nil {
			return nil, fmt.Errorf("read chat list: %w", err)
		}
		return list.FriendList, nil
	}
	err := s.nextXHR(ctx, s.sel.XHRFriendList, &list)
	if err == nil {
		return list.FriendList, nil
	}
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		return nil, fmt.Errorf("read chat list: %w", err)
	}
	return s.rowsFromDOM(ctx)
}

func (s *Session) rowsFromDOM(ctx context.Context) ([]Row, error) {
	res, err := s.p(ctx).Eval(rowsJS, map[string]string{
		"row": s.sel.ConversationRow, "name": s.sel.RowName, "job": "span.source-job",
		"last": "span.push-text", "unread": s.sel.RowUnread,
	})
	if err != nil {
		return nil, fmt.Errorf("read chat list: %w", err)
	}
	var rows []Row
	for _, v := range res.Value.Arr() {
		id := v.Get("id").String()
		uidPart, srcPart, _ := strings.Cut(id, "-")
		uid, err := strconv.ParseInt(uidPart, 10, 64)
		if err != nil {
			continue // not a candidate row
		}
		src, _ := strconv.Atoi(srcPart)
		rows = append(rows, Row{UID: uid, Source: src, Name: v.Get("name").String(), Job: v.Get("job").String(),
			LastText: v.Get("last").String(), Unread: v.Get("unread").Int()})
	}
	return rows, nil
}

func (s *Session) historyFragment(uid int64) string {
	return s.sel.XHRHistoryMsg + "?gid=" + strconv.FormatInt(uid, 10) + "&"
}

// OpenConversation clicks the candidate's row and returns the latest page of
// its history, read from the page's own historyMsg response, in mid order.
func (s *Session) OpenConversation(ctx context.Context, uid int64) ([]Message, error) {
	frag := s.historyFragment(uid)
	s.watch.Drain(frag)
	sel := fmt.Sprintf(`%s[data-id^="%d-"]`, s.sel.ConversationRow, uid)
	if _, err := s.p(ctx).Element(sel); err != nil {
		if cerr := s.checkErr(ctx); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("conversation %d: %w", uid, ErrNotFound)
	}
	// The page re-renders its list when it polls or a push arrives; a row
	// found a moment ago may be replaced before the click lands, so look it
	// up afresh per try (a replaced row fails at once: clickAttached).
	s.expectGeekInfo(uid)
	var err error
	for try := 0; try < 5; try++ {
		var row *rod.Element
		if row, err = s.page.Context(ctx).Timeout(3 * time.Second).Element(sel); err == nil {
			if err = clickAttached(row); err == nil {
				if err = s.waitOpened(ctx, uid); err == nil {
					return s.readHistory(ctx, frag)
				}
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("open conversation %d: %w", uid, err)
}

// openedWait bounds the wait for a clicked row to become the open one. The
// page marks it in its click handler, so it is there when the click
// returns; the bound only matters when the click opened another row.
const openedWait = 2 * time.Second

// errOtherOpened means a row click did not open the conversation meant: the
// list moved under the mouse (a message re-sorted it between the hit test
// and the press) and the press landed on another row, whose history the
// page then loads instead.
var errOtherOpened = errors.New("the click opened another conversation")

// waitOpened waits until uid's row is the selected one; another selected
// row ends the wait at once with errOtherOpened.
func (s *Session) waitOpened(ctx context.Context, uid int64) error {
	want := strconv.FormatInt(uid, 10)
	err := waitUntil(ctx, openedWait, func(ctx context.Context) (bool, error) {
		res, err := s.page.Context(ctx).Eval(`(sel) => { const el = document.querySelector(sel);
			return el ? el.getAttribute('data-id') : ''; }`, s.sel.ConversationRow+".selected")
		if err != nil {
			return false, nil
		}
		id := res.Value.String()
		switch uidPart, _, _ := strings.Cut(id, "-"); {
		case id == "":
			return false, nil
		case uidPart == want:
			return true, nil
		}
		return true, errOtherOpened
	})
	if errors.Is(err, errWaitTimedOut) {
		return errOtherOpened
	}
	return err
}

// History re-reads the conversation's latest messages: it opens the
// conversation again, which makes the page load its history now (with the
// push channel up the page refreshes an open conversation only on a push
// or every 30 s).
func (s *Session) History(ctx context.Context, uid int64) ([]Message, error) {
	return s.OpenConversation(ctx, uid)
}

func (s *Session) readHistory(ctx context.Context, frag string) ([]Message, error) {
	var h History
	if err := s.nextXHR(ctx, frag, &h); err != nil {
		if cerr := s.checkErr(ctx); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("read history: %w", err)
	}
	sort.Slice(h.Messages, func(i, j int) bool { return h.Messages[i].MID < h.Messages[j].MID })
	return h.Messages, nil
}

// maxOwnMID returns the highest data-mid among the open conversation's own
// bubbles (0 when none).
func (s *Session) maxOwnMID(ctx context.Context) (int64, error) {
	res, err := s.p(ctx).Eval(`(sel) => { let m = 0; document.querySelectorAll(sel.item).forEach(el => {
		if (el.querySelector(sel.mine)) { const v = parseInt(el.getAttribute('data-mid') || '0', 10); if (v > m) m = v; } }); return m; }`,
		map[string]string{"item": s.sel.MessageItem, "mine": "div.item-myself"})
	if err != nil {
		return 0, err
	}
	return int64(res.Value.Int()), nil
}

// Send types text into the open conversation with the candidate and sends
// it. It returns the new message's mid once the site shows the text as an
// own bubble newer than every earlier one and the editor is empty. A
// timeout (IsUnknownOutcome) means the outcome is unknown: reconcile with
// the history, never resend blindly.
func (s *Session) Send(ctx context.Context, uid int64, text string) (int64, error) {
	text = strings.TrimSpace(text)
	if text == "" || strings.ContainsAny(text, "\r\n") {
		return 0, fmt.Errorf("send: text must be one non-empty line")
	}
	if err := s.ensureOpen(ctx, uid); err != nil {
		return 0, err
	}
	before, err := s.maxOwnMID(ctx)
	if err != nil {
		return 0, fmt.Errorf("send: %w", err)
	}
	editor, err := s.p(ctx).Element(s.sel.Editor)
	if err != nil {
		return 0, fmt.Errorf("send: editor: %w", err)
	}
	if _, err := s.act(ctx, editor).Eval(`() => { this.innerHTML = ''; }`); err != nil {
		return 0, fmt.Errorf("send: clear editor: %w", err)
	}
	if err := s.act(ctx, editor).Input(text); err != nil {
		return 0, fmt.Errorf("send: type: %w", err)
	}
	submit, err := s.p(ctx).Element(s.sel.SendButton)
	if err != nil {
		return 0, fmt.Errorf("send: button: %w", err)
	}
	if err := s.act(ctx, submit).Click(proto.InputMouseButtonLeft, 1); err != nil {
		return 0, fmt.Errorf("send: click: %w", err)
	}
	const confirmJS = `(a) => {
		const ed = document.querySelector(a.editor);
		if (ed && ed.innerText.trim() !== '') return 0;
		let found = 0;
		document.querySelectorAll(a.item).forEach(el => {
			const mine = el.querySelector(a.mine);
			const mid = parseInt(el.getAttribute('data-mid') || '0', 10);
			if (mine && mid > a.before && mine.innerText.replace(/\s+/g, ' ').includes(a.text)) found = mid;
		});
		return found;
	}`
	args := map[string]any{"editor": s.sel.Editor, "item": s.sel.MessageItem, "mine": "div.item-myself",
		"before": before, "text": collapseSpaces(text)}
	mid, err := s.waitOwnMessage(ctx, confirmJS, args)
	if errors.Is(err, errWaitTimedOut) {
		return 0, fmt.Errorf("send to %d: not confirmed: %w", uid, err)
	}
	return mid, err
}

// waitOwnMessage waits until confirmJS(args) finds our new message on the
// page and returns its id; a risk page ends the wait with the risk's error.
func (s *Session) waitOwnMessage(ctx context.Context, confirmJS string, args map[string]any) (int64, error) {
	var mid int64
	err := waitUntil(ctx, s.step, func(ctx context.Context) (bool, error) {
		res, err := s.page.Context(ctx).Eval(confirmJS, args)
		if err == nil && res.Value.Int() > 0 {
			mid = int64(res.Value.Int())
			return true, nil
		}
		if risk, err := s.Check(ctx); err == nil && risk.Kind != RiskNone {
			return true, risk.Err()
		}
		return false, nil
	})
	return mid, err
}

var spaces = regexp.MustCompile(`\s+`)

func collapseSpaces(s string) string { return spaces.ReplaceAllString(s, " ") }

// ensureOpen makes sure the candidate's conversation is the open one.
func (s *Session) ensureOpen(ctx context.Context, uid int64) error {
	sel := fmt.Sprintf(`%s.selected[data-id^="%d-"]`, s.sel.ConversationRow, uid)
	if has, _, err := s.page.Context(ctx).Has(sel); err == nil && has {
		return nil
	}
	_, err := s.OpenConversation(ctx, uid)
	return err
}

// toolbarButton finds the toolbar button whose text is exactly label.
func (s *Session) toolbarButton(ctx context.Context, label string) (bool, bool, error) {
	res, err := s.p(ctx).Eval(`(a) => { for (const b of document.querySelectorAll(a.sel)) {
		if (b.innerText.trim() === a.label) return {found: true, disabled: b.classList.contains('disabled')}; }
		return {found: false, disabled: false}; }`, map[string]string{"sel": s.sel.ToolbarButton, "label": label})
	if err != nil {
		return false, false, err
	}
	return res.Value.Get("found").Bool(), res.Value.Get("disabled").Bool(), nil
}

// RequestExchange clicks 换微信 / 换电话 / 求简历 in the open conversation and
// confirms. It reports whether a new request was made: false when the
// button is disabled (already requested). ErrExchangeDone means the
// exchange already completed.
func (s *Session) RequestExchange(ctx context.Context, uid int64, kind Exchange) (bool, error) {
	labels, ok := exchangeLabels[kind]
	if !ok {
		return false, fmt.Errorf("request exchange: unknown kind %q", kind)
	}
	if err := s.ensureOpen(ctx, uid); err != nil {
		return false, err
	}
	// Until the page's geekInfo answer is drawn, the toolbar offers the
	// request for an exchange already requested or done (toolbar.go).
	states, known, err := s.exchangeStates(ctx, uid)
	if err != nil {
		return false, fmt.Errorf("request exchange %s: %w", kind, err)
	}
	if known {
		switch st := states[string(kind)].State; {
		case st == exchangeAccepted && labels[1] != "":
			return false, ErrExchangeDone
		case st == exchangeRequested || st == exchangeAccepted:
			return false, nil // the button is disabled
		}
	}
	// The toolbar reflects the conversation's state once the page loaded it.
	if _, err := s.p(ctx).Element(s.sel.ToolbarButton); err != nil {
		return false, fmt.Errorf("request exchange: toolbar: %w", err)
	}
	if labels[1] != "" {
		if found, _, err := s.toolbarButton(ctx, labels[1]); err != nil {
			return false, err
		} else if found {
			return false, ErrExchangeDone
		}
	}
	found, disabled, err := s.toolbarButton(ctx, labels[0])
	if err != nil {
		return false, err
	}
	if !found {
		return false, fmt.Errorf("request exchange %s: button %s: %w", kind, labels[0], ErrNotFound)
	}
	if disabled {
		return false, nil
	}
	btn, err := s.p(ctx).ElementR(s.sel.ToolbarButton, "^"+regexp.QuoteMeta(labels[0])+"$")
	if err != nil {
		return false, fmt.Errorf("request exchange: %w", err)
	}
	if err := btn.Click(proto.InputMouseButtonLeft, 1); err != nil {
		return false, fmt.Errorf("request exchange: click: %w", err)
	}
	ok2, err := s.p(ctx).Element(s.sel.ConfirmButton)
	if err != nil {
		return false, fmt.Errorf("request exchange: confirm: %w", err)
	}
	if err := ok2.WaitVisible(); err != nil {
		return false, fmt.Errorf("request exchange: confirm: %w", err)
	}
	if err := ok2.Click(proto.InputMouseButtonLeft, 1); err != nil {
		return false, fmt.Errorf("request exchange: confirm: %w", err)
	}
	// Confirmed when the button turns disabled (requested) or flips to 查看….
	err = waitUntil(ctx, s.step, func(ctx context.Context) (bool, error) {
		if _, dis, err := s.toolbarButton(ctx, labels[0]); err == nil && dis {
			return true, nil
		}
		if labels[1] != "" {
			if found, _, err := s.toolbarButton(ctx, labels[1]); err == nil && found {
				return true, nil
			}
		}
		if risk, err := s.Check(ctx); err == nil && risk.Kind != RiskNone {
			return true, risk.Err()
		}
		return false, nil
	})
	if errors.Is(err, errWaitTimedOut) {
		return false, fmt.Errorf("request exchange %s: not confirmed: %w", kind, err)
	}
	return err == nil, err
}

// ViewExchange clicks 查看微信 / 查看电话 in the open conversation and returns
// the value the tooltip shows. ErrNotFound when the toolbar does not offer
// the value within a step (the exchange has not completed).
//
// The caller knows from the history that the exchange was accepted, but
// the page draws the toolbar from a request of its own (geekInfo) that may
// answer after the history: until then the toolbar shows 换微信 for an
// exchange already done, so the view button is waited for, not looked up
// once (looked up once, a busy machine lost the candidate's WeChat).
func (s *Session) ViewExchange(ctx context.Context, uid int64, kind Exchange) (string, error) {
	labels, ok := exchangeLabels[kind]
	if !ok || labels[1] == "" {
		return "", fmt.Errorf("view exchange: kind %q has no value to view", kind)
	}
	if err := s.ensureOpen(ctx, uid); err != nil {
		return "", err
	}
	err := waitUntil(ctx, s.step, func(ctx context.Context) (bool, error) {
		found, _, err := s.toolbarButton(ctx, labels[1])
		return found, err
	})
	if errors.Is(err, errWaitTimedOut) {
		return "", fmt.Errorf("view exchange %s: %w", kind, ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	btn, err := s.p(ctx).ElementR(s.sel.ToolbarButton, "^"+regexp.QuoteMeta(labels[1])+"$")
	if err != nil {
		return "", fmt.Errorf("view exchange: %w", err)
	}
	if err := btn.Click(proto.InputMouseButtonLeft, 1); err != nil {
		return "", fmt.Errorf("view exchange: click: %w", err)
	}
	val, err := s.p(ctx).Element(s.sel.ExchangeValue)
	if err != nil {
		return "", fmt.Errorf("view exchange: tooltip: %w", err)
	}
	text, err := val.Text()
	if err != nil {
		return "", fmt.Errorf("view exchange: tooltip: %w", err)
	}
	return strings.TrimSpace(text), nil
}

// Download fetches a same-origin resource (an attachment résumé link) with
// the account's cookies, as the page's download link would.
func (s *Session) Download(ctx context.Context, url string) ([]byte, error) {
	res, err := s.page.Context(ctx).Timeout(2*s.step).Eval(`(u) => fetch(u, {credentials: 'same-origin'}).then(r => {
		if (!r.ok) throw new Error('HTTP ' + r.status);
		return r.arrayBuffer();
	}).then(b => { let s = ''; const a = new Uint8Array(b); for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); return btoa(s); })`, url)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", url, err)
	}
	data, err := base64.StdEncoding.DecodeString(res.Value.String())
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", url, err)
	}
	return data, nil
}
