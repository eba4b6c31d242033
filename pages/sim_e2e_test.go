package pages_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/sim"
)

// simSite starts the simulator with its demo scenario on a manual clock.
func simSite(t *testing.T) (*sim.Sim, *clock.Manual, string) {
	t.Helper()
	s, clk, base, _ := simSiteHeld(t)
	return s, clk, base
}

// simSiteHeld is simSite whose chat page's geekInfo answers (the toolbar's
// source) can be held back.
func simSiteHeld(t *testing.T) (*sim.Sim, *clock.Manual, string, *heldInfo) {
	t.Helper()
	sc := sim.DefaultScenario()
	clk := clock.NewManual(sc.Start)
	s, err := sim.New(sc, clk, 7, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	held := &heldInfo{}
	site := s.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wapi/zpchat/boss/geekInfo" {
			if gate := held.gate(); gate != nil {
				select {
				case <-gate:
				case <-r.Context().Done():
					return
				}
			}
		}
		site.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(held.release) // a held request must not keep srv.Close waiting
	return s, clk, srv.URL, held
}

// heldInfo holds the sim's geekInfo answers between hold and release.
type heldInfo struct {
	mu   sync.Mutex
	wait chan struct{} // nil: not holding
}

func (h *heldInfo) hold() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.wait == nil {
		h.wait = make(chan struct{})
	}
}

func (h *heldInfo) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.wait != nil {
		close(h.wait)
		h.wait = nil
	}
}

func (h *heldInfo) gate() chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.wait
}

func newSession(t *testing.T, base string) *pages.Session {
	t.Helper()
	sess, err := pages.NewSession(browsertest.Context(t), pages.Options{BaseURL: base, StepTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	return sess
}

// The page objects drive the whole recruiter flow on the simulator: log in,
// greet from the recommend frame, chat, request WeChat and read it back.
func TestPagesAgainstSim(t *testing.T) {
	s, clk, base, held := simSiteHeld(t)
	acct := s.Scenario().Accounts[0]
	sess := newSession(t, base)
	ctx := testwait.Context(t, nil)

	if _, err := sess.Me(ctx); !errors.Is(err, pages.ErrLoggedOut) {
		t.Fatalf("Me before login = %v, want ErrLoggedOut", err)
	}
	if err := sess.PasswordLogin(ctx, acct.Username, "wrong"); !errors.Is(err, pages.ErrLoginRejected) {
		t.Fatalf("wrong password: %v, want ErrLoginRejected", err)
	}
	if err := sess.PasswordLogin(ctx, acct.Username, acct.Password); err != nil {
		t.Fatal(err)
	}
	me, err := sess.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.UserID != acct.UID {
		t.Fatalf("userId = %d, want %d", me.UserID, acct.UID)
	}

	// The session survives into a fresh browser context through SaveSession.
	blob, err := sess.SaveSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	restored := newSession(t, base)
	if err := restored.RestoreSession(ctx, blob); err != nil {
		t.Fatal(err)
	}
	if me2, err := restored.Me(ctx); err != nil || me2.UserID != acct.UID {
		t.Fatalf("restored session: %+v %v", me2, err)
	}

	rec, geeks, err := sess.OpenRecommend(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(geeks) == 0 || !rec.HasMore() {
		t.Fatalf("first page: %d geeks, hasMore=%v", len(geeks), rec.HasMore())
	}
	more, err := rec.More(ctx)
	if err != nil || len(more) == 0 {
		t.Fatalf("second page: %d geeks, %v", len(more), err)
	}
	all := append(geeks, more...)
	var target pages.Geek
	for _, g := range all {
		if g.Name == "李雷" {
			target = g
		}
	}
	if target.GeekID == 0 {
		t.Fatalf("explicit candidate 李雷 not in the first two pages (%d geeks)", len(all))
	}
	if len(target.Raw) == 0 || target.EncryptGeekID == "" {
		t.Fatalf("geek record incomplete: %+v", target)
	}
	if greeted, err := rec.Greeted(ctx, target.EncryptGeekID); err != nil || greeted {
		t.Fatalf("before greeting: greeted=%v err=%v", greeted, err)
	}
	if err := rec.Greet(ctx, target.EncryptGeekID); err != nil {
		t.Fatal(err)
	}
	if greeted, err := rec.Greeted(ctx, target.EncryptGeekID); err != nil || !greeted {
		t.Fatalf("after greeting: greeted=%v err=%v", greeted, err)
	}

	clk.Advance(time.Minute)
	if err := sess.OpenChat(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := sess.Rows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		found = found || r.UID == target.GeekID
	}
	if !found {
		t.Fatalf("greeted candidate %d not in chat rows %+v", target.GeekID, rows)
	}
	history, err := sess.OpenConversation(ctx, target.GeekID)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) == 0 || history[0].From.UID != acct.UID || history[0].Body.Text != acct.Greeting {
		t.Fatalf("history after greeting = %+v", history)
	}
	clk.Advance(10 * time.Second)
	mid, err := sess.Send(ctx, target.GeekID, "您好，方便聊聊这个Go开发岗位吗？")
	if err != nil || mid <= history[len(history)-1].MID {
		t.Fatalf("send: mid=%d err=%v", mid, err)
	}
	clk.Advance(10 * time.Second)
	made, err := sess.RequestExchange(ctx, target.GeekID, pages.ExchangeWechat)
	if err != nil || !made {
		t.Fatalf("request wechat: made=%v err=%v", made, err)
	}
	if again, err := sess.RequestExchange(ctx, target.GeekID, pages.ExchangeWechat); err != nil || again {
		t.Fatalf("second request: made=%v err=%v, want a no-op", again, err)
	}
	// A reopened conversation's toolbar is drawn from the page's geekInfo
	// answer, which can come after the history: held back here, the toolbar
	// offers 换微信 again for the exchange already requested, and the old
	// code clicked it and requested again (made=true). RequestExchange reads
	// the page's answer itself (let go 2 s into the call) and requests
	// nothing.
	held.hold()
	if _, err := sess.History(ctx, target.GeekID); err != nil {
		t.Fatal(err)
	}
	letGo := time.AfterFunc(2*time.Second, held.release)
	stale, err := sess.RequestExchange(ctx, target.GeekID, pages.ExchangeWechat)
	letGo.Stop()
	held.release()
	if err != nil || stale {
		t.Fatalf("request on a reopened conversation whose toolbar was not drawn yet: made=%v err=%v, want a no-op", stale, err)
	}
	// The persona answers within its reply delay on the sim clock. From
	// here the page's geekInfo requests (the toolbar's source) are held, so
	// the toolbar still offers 换微信 when the history already announces the
	// accepted exchange, as on a busy machine where geekInfo answers after
	// historyMsg.
	held.hold()
	accepted := false
	for i := 0; i < 30 && !accepted; i++ {
		clk.Advance(2 * time.Minute)
		history, err := sess.History(ctx, target.GeekID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range history {
			if kind, ok := pages.AcceptedExchange(m.Body.Text); ok && kind == pages.ExchangeWechat {
				accepted = true
			}
		}
	}
	if !accepted {
		t.Fatal("the persona never accepted the WeChat exchange")
	}
	// ViewExchange must wait for the toolbar rather than answer ErrNotFound
	// from the stale one. geekInfo is let go 2 s into the call: a lookup
	// made once, at the start (the old code), finds 换微信 and fails; the
	// wait (a 10 s step) sees 查看微信 appear.
	release := time.AfterFunc(2*time.Second, held.release)
	defer release.Stop()
	wechat, err := sess.ViewExchange(ctx, target.GeekID, pages.ExchangeWechat)
	if err != nil {
		t.Fatalf("view wechat after the accepted exchange: %v", err)
	}
	truth := s.Truth().Accounts[acct.ID]
	var disclosed string
	for _, d := range truth.Disclosures {
		if d.CandidateID == target.GeekID && d.Type == "wechat" {
			disclosed = d.Value
		}
	}
	if wechat == "" || wechat != disclosed {
		t.Fatalf("tooltip wechat %q, truth disclosed %q", wechat, disclosed)
	}
	if len(truth.Greetings) != 1 || len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("truth: greetings=%d dup greetings=%d dup messages=%d", len(truth.Greetings), len(truth.DuplicateGreetings), len(truth.DuplicateMessages))
	}
}

// QR login: QRCode returns the image once it loaded with the validity
// the site gave it; WaitQRLogin gives up with ErrLoggedOut when nobody
// scans within its window. When the code expires the page is refreshed,
// WaitQRLogin hands over the new code (a different image), and a human
// scanning that one logs the tab in.
func TestQRLoginAgainstSim(t *testing.T) {
	s, clk, base := simSite(t)
	acct := s.Scenario().Accounts[0]
	sess := newSession(t, base)
	ctx := testwait.Context(t, nil)
	qr, err := sess.QRCode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	isPNG := func(b []byte) bool { return len(b) >= 8 && string(b[1:4]) == "PNG" }
	if !isPNG(qr.PNG) || qr.Src == "" || qr.TTL != 2*time.Minute {
		t.Fatalf("QR = %d bytes (png %v), src %q, ttl %v; want a PNG, its URL and the sim's 2m", len(qr.PNG), isPNG(qr.PNG), qr.Src, qr.TTL)
	}
	var refreshed []pages.QR
	keep := func(q pages.QR) { refreshed = append(refreshed, q) }
	if err := sess.WaitQRLogin(ctx, qr, time.Second, keep); !errors.Is(err, pages.ErrLoggedOut) {
		t.Fatalf("WaitQRLogin without a scan = %v, want ErrLoggedOut", err)
	}
	if len(refreshed) != 0 {
		t.Fatalf("a code still valid was reported refreshed: %+v", refreshed[0].Src)
	}
	// The code expires on the site's clock; the page shows its refresh
	// button, WaitQRLogin presses it and reports the new code, which the
	// human then scans.
	clk.Advance(2*time.Minute + time.Second)
	var scanErr error
	err = sess.WaitQRLogin(ctx, qr, 60*time.Second, func(q pages.QR) {
		keep(q)
		if len(refreshed) == 1 {
			scanErr = s.ScanQR(acct.ID)
		}
	})
	if err != nil || scanErr != nil {
		t.Fatalf("WaitQRLogin after the refresh and scan = %v (scan: %v; %d codes reported)", err, scanErr, len(refreshed))
	}
	if len(refreshed) != 1 {
		t.Fatalf("%d refreshed codes reported, want 1", len(refreshed))
	}
	if r := refreshed[0]; r.Src == qr.Src || !isPNG(r.PNG) || r.TTL != 2*time.Minute {
		t.Fatalf("refreshed code: src %q (old %q), png %v, ttl %v", r.Src, qr.Src, isPNG(r.PNG), r.TTL)
	}
	if me, err := sess.Me(ctx); err != nil || me.UserID != acct.UID {
		t.Fatalf("Me after the QR login = %+v, %v", me, err)
	}
}
