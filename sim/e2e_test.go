package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"

	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/testwait"
)

// step bounds one browser step by what is left of the test binary's
// deadline (less a margin for the failure to be reported): a step waits on
// its condition (an element, a predicate, a load), and a loaded machine
// only makes it take longer. A fixed per-step budget (it was 15 s) failed
// good runs at load 30-40.
func step(t *testing.T) time.Duration {
	t.Helper()
	return max(time.Until(testwait.Guard(t)), time.Second)
}

// waitJS polls js until it returns true. Predicates must not throw while
// the page is still rendering (use ?. on elements that may not exist yet):
// an exception ends the wait at once.
func waitJS(t *testing.T, p *rod.Page, what, js string, args ...any) {
	t.Helper()
	if err := p.Timeout(step(t)).Wait(rod.Eval(js, args...)); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func element(t *testing.T, p *rod.Page, sel string) *rod.Element {
	t.Helper()
	el, err := p.Timeout(step(t)).Element(sel)
	if err != nil {
		t.Fatalf("element %s: %v", sel, err)
	}
	return el.CancelTimeout()
}

func elementR(t *testing.T, p *rod.Page, sel, text string) *rod.Element {
	t.Helper()
	el, err := p.Timeout(step(t)).ElementR(sel, text)
	if err != nil {
		t.Fatalf("element %s /%s/: %v", sel, text, err)
	}
	return el.CancelTimeout()
}

func click(t *testing.T, el *rod.Element, what string) {
	t.Helper()
	if err := el.Timeout(step(t)).Click(proto.InputMouseButtonLeft, 1); err != nil {
		t.Fatalf("click %s: %v", what, err)
	}
}

func text(t *testing.T, el *rod.Element) string {
	t.Helper()
	s, err := el.Timeout(step(t)).Text()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEndToEndInChromium drives a real headless Chromium through the sim on
// a manual clock: password login, popup, recommend frame with infinite
// scroll, greet, chat, send, WeChat exchange, tooltip — then checks the
// truth over HTTP.
func TestEndToEndInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test skipped in -short mode")
	}
	h := newHarness(t, 21, func(sc *Scenario) {
		sc.Accounts[0].Candidates = []ExplicitCandidate{{Job: 1001, Name: "李雷", Gender: "male", Persona: PersonaEager, WeChat: "lilei_go2026"}}
	})
	p := browsertest.Page(t)
	base := h.srv.URL

	// Log in with the password form.
	if err := p.Timeout(step(t)).Navigate(base + "/web/user/?ka=header-login"); err != nil {
		t.Fatal(err)
	}
	if err := element(t, p, "input[name=account]").Timeout(step(t)).Input("boss"); err != nil {
		t.Fatal(err)
	}
	if err := element(t, p, "input[name=password]").Timeout(step(t)).Input("secret"); err != nil {
		t.Fatal(err)
	}
	click(t, element(t, p, "button.btn-sign-submit"), "登录")
	waitJS(t, p, "the chat page", `() => location.pathname === "/web/chat/index"`)

	// Dismiss the 治理公告 popup.
	click(t, element(t, p, ".dialog-uninstall-extension .confirm-btn"), "我已知晓")
	waitJS(t, p, "the popup to go", `() => !document.querySelector(".dialog-uninstall-extension")`)

	// Recommend: the list lives in the frame; scrolling loads page 2.
	if err := p.Timeout(step(t)).Navigate(base + "/web/chat/recommend"); err != nil {
		t.Fatal(err)
	}
	frameEl := element(t, p, `iframe[name="recommendFrame"]`)
	frame, err := frameEl.Timeout(step(t)).Frame()
	if err != nil {
		t.Fatal(err)
	}
	// The frame inherits the finder's (cancelled) timeout context; give it
	// the test page's.
	frame = frame.Context(p.GetContext())
	waitJS(t, frame, "page 1 of cards", `() => document.querySelectorAll("ul.card-list > li.card-item").length === 15`)
	if _, err := frame.Timeout(step(t)).Eval(`() => window.scrollTo(0, document.body.scrollHeight)`); err != nil {
		t.Fatal(err)
	}
	waitJS(t, frame, "page 2 of cards", `() => document.querySelectorAll("ul.card-list > li.card-item").length === 21`)

	// Greet the first card (李雷), confirm the popup, see 继续沟通.
	first := element(t, frame, "ul.card-list > li.card-item div.card-inner")
	enc, err := first.Attribute("data-geek")
	if err != nil || enc == nil {
		t.Fatalf("data-geek: %v", err)
	}
	if name := text(t, element(t, frame, "li.card-item span.name")); name != "李雷" {
		t.Fatalf("first card is %q", name)
	}
	if _, err := frame.Timeout(step(t)).Eval(`() => window.scrollTo(0, 0)`); err != nil {
		t.Fatal(err)
	}
	click(t, element(t, frame, "li.card-item div.operate-side button.btn-greet"), "打招呼")
	sure := element(t, frame, "div.dialog-wrap button.btn-sure-v2")
	if err := sure.Timeout(step(t)).WaitVisible(); err != nil {
		t.Fatal(err)
	}
	click(t, sure, "知道了")
	chatBtn := element(t, frame, fmt.Sprintf(`div.card-inner[data-geek=%q] div.operate-side div.button-chat`, *enc))
	if got := text(t, chatBtn); got != "继续沟通" {
		t.Fatalf("card button reads %q", got)
	}

	// The conversation on the chat page.
	tr := h.sim.Truth().Accounts["acc"]
	if len(tr.Greetings) != 1 {
		t.Fatalf("truth greetings after the click: %+v", tr.Greetings)
	}
	gid := tr.Greetings[0].CandidateID
	// The candidate answers the greeting: an unread badge on its row and
	// in the menu, and the row passes the 未读 filter.
	h.advance(10 * time.Minute)
	if err := p.Timeout(step(t)).Navigate(base + "/web/chat/index"); err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`div.geek-item[data-id="%d-0"]`, gid)
	if got := text(t, element(t, p, row+" span.badge-count")); got != "1" {
		t.Fatalf("row badge %q", got)
	}
	if got := text(t, element(t, p, "span.menu-chat-badge")); got != "1" {
		t.Fatalf("menu badge %q", got)
	}
	click(t, elementR(t, p, "div.chat-message-filter-left > span", "未读"), "未读")
	waitJS(t, p, "the unread filter", `(row) => document.querySelector("div.chat-message-filter-left > span.active")?.textContent === "未读" && !!document.querySelector(row)`, row)
	click(t, element(t, p, row), "the conversation row")
	waitJS(t, p, "the badges to clear", `() => !document.querySelector("span.badge-count") && !document.querySelector("span.menu-chat-badge")`)
	waitJS(t, p, "the header", `() => document.querySelector("span.name-box")?.textContent === "李雷"`)
	waitJS(t, p, "the greeting in history", `() => !!document.querySelector("div.chat-message-list div.item-myself")`)

	// Send a message through the contenteditable input.
	const msg = "您好，我是王经理，想和您聊聊这个岗位"
	if err := element(t, p, "#boss-chat-editor-input").Timeout(step(t)).Input(msg); err != nil {
		t.Fatal(err)
	}
	click(t, element(t, p, "div.submit"), "发送")
	waitJS(t, p, "the sent message", `(m) => document.querySelector("#boss-chat-editor-input")?.textContent === "" &&
		[...document.querySelectorAll("div.item-myself")].some(e => e.textContent.includes(m))`, msg)

	// 换微信 + 确定: the button turns disabled.
	click(t, elementR(t, p, "span.operate-btn", "换微信"), "换微信")
	click(t, element(t, p, "span.boss-btn-primary"), "确定")
	waitJS(t, p, "the disabled 换微信", `() => [...document.querySelectorAll("span.operate-btn")].some(e => e.textContent === "换微信" && e.classList.contains("disabled"))`)

	// The candidate accepts once the sim clock passes its reply delay.
	h.advance(10 * time.Minute)
	view := elementR(t, p, "span.operate-btn", "查看微信")
	click(t, view, "查看微信")
	wechat := text(t, element(t, p, "div.exchange-tooltip > span.exchanged > span"))
	waitJS(t, p, "the system notice", `() => [...document.querySelectorAll("div.item-system")].some(e => e.textContent.includes("的微信号"))`)

	// Judge against the truth, over HTTP like an outside test would.
	resp, err := http.Get(base + "/__sim/truth")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var truth Truth
	if err := json.NewDecoder(resp.Body).Decode(&truth); err != nil {
		t.Fatal(err)
	}
	at := truth.Accounts["acc"]
	var disclosed *Disclosure
	for i, d := range at.Disclosures {
		if d.CandidateID == gid && d.Type == DisclosureWeChat {
			disclosed = &at.Disclosures[i]
		}
	}
	if disclosed == nil || disclosed.Value != wechat || disclosed.How != HowExchange || wechat != "lilei_go2026" {
		t.Fatalf("tooltip %q vs truth disclosures %+v", wechat, at.Disclosures)
	}
	var sent bool
	for _, m := range at.Messages {
		sent = sent || (m.CandidateID == gid && m.Text == msg && m.By == ByBot && m.Kind == KindText)
	}
	if !sent || len(at.Greetings) != 1 || len(at.DuplicateGreetings) != 0 || len(at.DuplicateMessages) != 0 {
		t.Fatalf("truth messages %+v greetings %+v", at.Messages, at.Greetings)
	}
	if len(at.ExchangeRequests) != 1 || at.ExchangeRequests[0].Kind != "wechat" || at.ExchangeRequests[0].Outcome != OutcomeAccepted {
		t.Fatalf("exchange requests %+v", at.ExchangeRequests)
	}
	if !strings.HasPrefix(truth.Now.Format(time.RFC3339), "2026-03-02T09:20") {
		t.Fatalf("truth clock %v", truth.Now)
	}
}

// TestQRLoginInChromium switches the login page to QR mode, "scans" the code
// through the control API and lands on the chat page.
func TestQRLoginInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test skipped in -short mode")
	}
	h := newHarness(t, 1, nil)
	p := browsertest.Page(t)
	if err := p.Timeout(step(t)).Navigate(h.srv.URL + "/web/user/"); err != nil {
		t.Fatal(err)
	}
	click(t, element(t, p, "div.btn-sign-switch.ewm-switch"), "扫码")
	waitJS(t, p, "the QR image", `() => { const i = document.querySelector("div.qr-img-box > img"); return i && i.complete && i.naturalWidth > 0 && i.src.includes("/qrcode/img") }`)
	// Let the code expire, then refresh it.
	h.advance(3 * time.Minute)
	refresh := element(t, p, "div.qr-img-box button.btn-refresh")
	if err := refresh.Timeout(step(t)).WaitVisible(); err != nil {
		t.Fatal(err)
	}
	old, err := element(t, p, "div.qr-img-box > img").Property("src")
	if err != nil {
		t.Fatal(err)
	}
	click(t, refresh, "刷新")
	waitJS(t, p, "the refreshed QR", `(old) => { const i = document.querySelector("div.qr-img-box > img"), x = document.querySelector(".qr-expired");
		return !!i && !!x && i.src !== old && getComputedStyle(x).display === "none" }`, old.Str())
	if code, body := h.control("/__sim/qr/scan", map[string]string{"account": "acc"}); code != 200 {
		t.Fatalf("scan: %d %v", code, body)
	}
	waitJS(t, p, "the chat page", `() => location.pathname === "/web/chat/index"`)
	h.sim.mu.Lock()
	n := len(h.sim.sessions)
	h.sim.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d sessions after the QR login", n)
	}
}

// loginUI logs in through the password form and dismisses the 治理公告.
func loginUI(t *testing.T, p *rod.Page, base string) {
	t.Helper()
	if err := p.Timeout(step(t)).Navigate(base + "/web/user/?ka=header-login"); err != nil {
		t.Fatal(err)
	}
	if err := element(t, p, "input[name=account]").Timeout(step(t)).Input("boss"); err != nil {
		t.Fatal(err)
	}
	if err := element(t, p, "input[name=password]").Timeout(step(t)).Input("secret"); err != nil {
		t.Fatal(err)
	}
	click(t, element(t, p, "button.btn-sign-submit"), "登录")
	waitJS(t, p, "the chat page", `() => location.pathname === "/web/chat/index"`)
	click(t, element(t, p, ".dialog-uninstall-extension .confirm-btn"), "我已知晓")
	waitJS(t, p, "the popup to go", `() => !document.querySelector(".dialog-uninstall-extension")`)
}

// TestQuotaRiskAndResumeInChromium covers the quota dialog, the verify page
// and its recovery, and the attachment-résumé card in a real browser.
func TestQuotaRiskAndResumeInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test skipped in -short mode")
	}
	h := newHarness(t, 5, func(sc *Scenario) {
		sc.Accounts[0].DailyQuota = 1
		sc.Accounts[0].Candidates = []ExplicitCandidate{{Job: 1001, Name: "韩梅梅", Gender: "female", Persona: PersonaCVSender}}
	})
	p := browsertest.Page(t)
	loginUI(t, p, h.srv.URL)

	// Quota: the first greet passes, the second shows the business dialog.
	if err := p.Timeout(step(t)).Navigate(h.srv.URL + "/web/chat/recommend"); err != nil {
		t.Fatal(err)
	}
	frame, err := element(t, p, `iframe[name="recommendFrame"]`).Timeout(step(t)).Frame()
	if err != nil {
		t.Fatal(err)
	}
	frame = frame.Context(p.GetContext())
	waitJS(t, frame, "the cards", `() => document.querySelectorAll("li.card-item").length === 15`)
	click(t, element(t, frame, "li.card-item:nth-child(1) button.btn-greet"), "打招呼 1")
	click(t, element(t, frame, "div.dialog-wrap button.btn-sure-v2"), "知道了")
	click(t, element(t, frame, "li.card-item:nth-child(2) button.btn-greet"), "打招呼 2")
	quota := element(t, frame, ".business-block-dialog")
	if err := quota.Timeout(step(t)).WaitVisible(); err != nil {
		t.Fatal(err)
	}
	if txt := text(t, quota); !strings.Contains(txt, "主动沟通") || !strings.Contains(txt, "上限") {
		t.Fatalf("quota dialog text %q", txt)
	}
	click(t, element(t, frame, ".business-block-dialog .btn-close"), "quota 知道了")
	// 不合适 with a reason removes the third card.
	click(t, element(t, frame, "li.card-item:nth-child(3) div.tooltip-wrap.suitable .suitable-text"), "不合适")
	click(t, elementR(t, frame, "li.card-item:nth-child(3) span.first-reason-item", "期望薪资过高"), "期望薪资过高")
	waitJS(t, frame, "the card to leave", `() => document.querySelectorAll("li.card-item").length === 14`)
	if tr := h.sim.Truth().Accounts["acc"]; len(tr.Greetings) != 1 || len(tr.QuotaBlocked) != 1 || len(tr.NotInterested) != 1 {
		t.Fatalf("truth: %d greetings, %d quota blocks, %d not interested", len(tr.Greetings), len(tr.QuotaBlocked), len(tr.NotInterested))
	}

	// The greeted cv_sender is asked for a résumé and offers its card.
	gid := h.sim.Truth().Accounts["acc"].Greetings[0].CandidateID
	if err := h.sim.HumanMessage("acc", gid, "方便发一份简历吗？"); err != nil {
		t.Fatal(err)
	}
	h.advance(10 * time.Minute)
	if err := p.Timeout(step(t)).Navigate(fmt.Sprintf("%s/web/chat/index?id=%d", h.srv.URL, gid)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, p, "the open conversation", `() => document.querySelector("span.name-box")?.textContent === "韩梅梅"`)
	click(t, elementR(t, p, "div.item-friend div.message-card-wrap div.message-card-buttons span.card-btn", "同意"), "同意")
	element(t, p, "div.item-resume a.resume-link")
	res, err := p.Timeout(step(t)).Evaluate(rod.Eval(`async () => {
		const a = document.querySelector("div.item-resume a.resume-link");
		const r = await fetch(a.href, {credentials: "same-origin"});
		const head = new TextDecoder().decode((await r.arrayBuffer()).slice(0, 8));
		return r.headers.get("content-type") + " " + head;
	}`).ByPromise())
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Value.Str(); !strings.HasPrefix(got, "application/pdf %PDF-1.4") {
		t.Fatalf("résumé link serves %q", got)
	}
	waitJS(t, p, "the 已获取简历 tab to list the row", `() => { document.querySelector('div.chat-label-item[title="已获取简历"]')?.click();
		return !!document.querySelector('div.geek-item[data-id="`+fmt.Sprint(gid)+`-0"]') }`)

	// Risk: the chat page goes to the verify page and comes back once solved.
	if err := h.sim.ForceRisk("acc", RiskSlider); err != nil {
		t.Fatal(err)
	}
	if err := p.Timeout(step(t)).Navigate(h.srv.URL + "/web/chat/index"); err != nil {
		t.Fatal(err)
	}
	waitJS(t, p, "the verify page", `() => location.pathname === "/web/user/safe/verify-slider" && !!document.querySelector("#nc_mask") && document.body.innerText.includes("安全验证")`)
	if err := h.sim.ClearRisk("acc"); err != nil {
		t.Fatal(err)
	}
	waitJS(t, p, "the way back to the chat", `() => location.pathname === "/web/chat/index"`)
	if tr := h.sim.Truth().Accounts["acc"]; len(tr.Disclosures) != 1 || tr.Disclosures[0].How != HowAttachment || len(tr.RiskEvents) != 1 {
		t.Fatalf("truth: disclosures %+v risk %+v", tr.Disclosures, tr.RiskEvents)
	}
}
