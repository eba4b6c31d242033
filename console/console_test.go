package console_test

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-rod/rod/lib/proto"
	"github.com/xuri/excelize/v2"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// evilName is a candidate name that would run script if it were not
// escaped.
const evilName = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">李雷`

// evilMessage is a candidate's message that would run script if it were
// not escaped.
const evilMessage = `<script>window.pwned=3</script><img src=x onerror="window.pwned=4">我的微信是 lilei_88`

// fixtures fills the store as a worker would: one account with counters,
// two contacts (one with a hostile name, one with a formula), a
// taken-over conversation and a scripted follow-up the candidate replied to.
func fixtures(t *testing.T, e *env) {
	t.Helper()
	db := e.db
	if _, err := db.Heartbeat("w1", []wire.AccountStatus{{Key: "acct-a", Name: "招聘专员A", State: "running",
		Counters: map[string]int64{"greeted": 12, "planned": 40, "replies": 3, "contacts": 2}}}); err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	if _, err := db.UpsertContacts("w1", []wire.ContactInput{
		{Account: "acct-a", CandidateID: "c1", Name: evilName, Position: "Go 工程师", Phone: "13800000000", Replied: true, ContactedAt: &now},
		{Account: "acct-a", CandidateID: "c2", Name: "韩梅梅", Position: "=1+1", ContactedAt: &now},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertConversations("w1", []wire.ConversationStatus{
		{Account: "acct-a", CandidateID: "c1", Name: evilName, Status: wire.ConvIntervened, UpdatedAt: now},
		{Account: "acct-a", CandidateID: "c2", Name: "韩梅梅", Status: wire.ConvInService, UpdatedAt: now},
	}); err != nil {
		t.Fatal(err)
	}
	name, pos, active := "Go 跟进", "Go 工程师", true
	cfg, err := db.CreateConfig(wire.ConfigPatch{Name: &name, Position: &pos, IsActive: &active})
	if err != nil {
		t.Fatal(err)
	}
	content, day := "您好，方便聊聊这个岗位吗？", 1
	sc, err := db.CreateScript(wire.ScriptPatch{ConfigID: &cfg.ID, DayNumber: &day, Content: &content})
	if err != nil {
		t.Fatal(err)
	}
	sent, replied := now.Add(-time.Hour), now.Add(-30*time.Minute)
	if _, err := db.UpsertRecords("w1", []wire.RecordInput{{UID: "r1", Account: "acct-a", CandidateID: "c1",
		ConfigID: &cfg.ID, ScriptID: &sc.ID, DayNumber: 1, Content: content, SentAt: &sent,
		GotReply: true, ReplyContent: "<b>好的</b>，明天下午可以", RepliedAt: &replied}}); err != nil {
		t.Fatal(err)
	}
	// The transcript a worker read from the site: the follow-up and the
	// reply again (shown once), a site card, a hostile candidate message
	// and a human recruiter's text; and a long history for paging.
	tm := func(id string, at time.Time, a wire.Author, text, typ string) wire.TranscriptMessage {
		return wire.TranscriptMessage{MsgID: id, At: at, Author: a, Text: text, Type: typ}
	}
	if _, err := db.AddTranscripts("w1", []wire.TranscriptInput{{Account: "acct-a", CandidateID: "c1", Messages: []wire.TranscriptMessage{
		tm("1", sent.Add(time.Second), wire.AuthorBot, content, "text"),
		tm("2", replied, wire.AuthorCandidate, "<b>好的</b>，明天下午可以", "text"),
		tm("3", replied.Add(time.Minute), wire.AuthorSite, "对方已同意交换微信", "card"),
		tm("4", replied.Add(2*time.Minute), wire.AuthorCandidate, evilMessage, "text"),
		tm("5", replied.Add(3*time.Minute), wire.AuthorHuman, "我是招聘经理，直接在平台回复", "text"),
	}}}); err != nil {
		t.Fatal(err)
	}
	long := make([]wire.TranscriptMessage, 120)
	for i := range long {
		long[i] = tm(fmt.Sprint(i+1), now.Add(time.Duration(i-200)*time.Minute), wire.AuthorCandidate, fmt.Sprintf("第%d条", i+1), "text")
	}
	if _, err := db.AddTranscripts("w1", []wire.TranscriptInput{{Account: "acct-a", CandidateID: "c2", Messages: long[:100]},
		{Account: "acct-a", CandidateID: "c2", Messages: long[100:]}}); err != nil {
		t.Fatal(err)
	}
}

// The operator's day in the console, in Chromium against a real
// control.db: log in, see the fleet, open the taken-over conversation
// (the hostile name renders as text), hand it back, send a message, find
// and export contacts, view the report, log out.
func TestOperatorFlowsInBrowser(t *testing.T) {
	e := newEnv(t, nil)
	fixtures(t, e)
	page := browsertest.Page(t)
	login(t, page, e.url)

	row := page.MustElement(`#fleet-rows tr[data-key="acct-a"]`)
	if got := row.MustText(); !strings.Contains(got, "12 / 40") || !strings.Contains(got, "运行中") {
		t.Fatalf("fleet row = %q, want greeted/plan 12 / 40 and state 运行中", got)
	}
	shot(t, page, "02-fleet")

	// Conversations: the taken-over one is marked; its page escapes the name.
	page.MustNavigate(e.url + "/ui/conversations?status=" + string(wire.ConvIntervened)).MustWaitLoad()
	if got := text(page, "#conv-total"); got != "1" {
		t.Fatalf("taken-over conversations = %s, want 1", got)
	}
	follow(t, page, "a.conv-link")
	if got := text(page, "#cand-name"); got != evilName {
		t.Fatalf("candidate name shown as %q, want the literal %q", got, evilName)
	}
	if v := page.MustEval(`() => String(window.pwned)`).String(); v != "undefined" {
		t.Fatalf("candidate text ran as script: window.pwned = %s", v)
	}
	if n := page.MustEval(`() => document.querySelectorAll("main script, main img").length`).Int(); n != 0 {
		t.Fatalf("%d script/img elements injected into the page", n)
	}
	msgs := text(page, "#messages")
	for _, want := range []string{"机器人", "您好，方便聊聊这个岗位吗？", "候选人", "<b>好的</b>，明天下午可以",
		"平台", "对方已同意交换微信", evilMessage, "人工", "我是招聘经理，直接在平台回复"} {
		if !strings.Contains(msgs, want) {
			t.Fatalf("messages %q lack %q", msgs, want)
		}
	}
	// The follow-up and its reply are in the control plane's records and
	// in the site's transcript: each shows once, with its author.
	for text, who := range map[string]string{"您好，方便聊聊这个岗位吗？": "bot", "<b>好的</b>，明天下午可以": "candidate",
		"对方已同意交换微信": "site", evilMessage: "candidate", "我是招聘经理，直接在平台回复": "human"} {
		got := page.MustEval(`t => [...document.querySelectorAll("#messages li")].filter(li => li.querySelector(".text").textContent === t).map(li => li.dataset.who).join(",")`, text).String()
		if got != who {
			t.Fatalf("message %q shown as %q, want once as %s", text, got, who)
		}
	}
	shot(t, page, "04-conversation")

	// A long history pages from the newest end: 50 a page, newest last.
	page.MustNavigate(e.url + "/ui/conversations/acct-a/c2").MustWaitLoad()
	lis := page.MustElements("#messages li .text")
	if got := text(page, "#msg-total"); got != "120" || len(lis) != 50 || lis[49].MustText() != "第120条" || lis[0].MustText() != "第71条" {
		t.Fatalf("last page: total %s, %d lines, %q..%q", got, len(lis), lis[0].MustText(), lis[len(lis)-1].MustText())
	}
	follow(t, page, "#msg-older")
	follow(t, page, "#msg-older")
	if lis = page.MustElements("#messages li .text"); len(lis) != 20 || lis[0].MustText() != "第1条" {
		t.Fatalf("first page: %d lines from %q", len(lis), lis[0].MustText())
	}
	if has, _, _ := page.Has("#msg-older"); has {
		t.Fatal("the oldest page links to older messages")
	}
	page.MustNavigate(e.url + "/ui/conversations/acct-a/c2?page=4").MustWaitLoad()
	if got := text(page, "#error-msg"); !strings.Contains(got, "page") {
		t.Fatalf("a page past the last: %q, want an error naming page", got)
	}
	page.MustNavigate(e.url + "/ui/conversations/acct-a/c1").MustWaitLoad()

	// Release: a command for the worker that owns the account.
	follow(t, page, "#release")
	page.MustElement("#flash")
	cmds, err := e.db.PendingCommands("w1")
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 1 || cmds[0].Kind != wire.CommandRelease || cmds[0].CandidateID != "c1" || cmds[0].RequestedBy != testUser {
		t.Fatalf("pending commands after release = %+v, want one release of c1 by %s", cmds, testUser)
	}

	// Manual send: queued for the worker, shown as a human message.
	page.MustElement("#send-content").MustInput("我是招聘负责人，稍后电话联系您")
	follow(t, page, "#send")
	var sends []wire.Send
	waitFor(t, "the manual send to be queued", func() bool {
		var err error
		if sends, err = e.db.PendingSends("w1"); err != nil {
			t.Fatal(err)
		}
		return len(sends) > 0
	})
	if len(sends) != 1 || sends[0].Content != "我是招聘负责人，稍后电话联系您" || sends[0].CandidateID != "c1" {
		t.Fatalf("pending sends = %+v", sends)
	}
	waitFor(t, "the manual message on the page", func() bool {
		msgs := text(page, "#messages")
		return strings.Contains(msgs, "人工") && strings.Contains(msgs, "排队中")
	})

	// Contacts: search through the index, the name stays text, export.
	page.MustNavigate(e.url + "/ui/contacts").MustWaitLoad()
	if got := text(page, "#contacts-total"); got != "2" {
		t.Fatalf("contacts total = %s, want 2", got)
	}
	page.MustElement("#search").MustInput("李雷")
	follow(t, page, "#filter")
	waitFor(t, "filtered contacts", func() bool { return text(page, "#contacts-total") == "1" })
	if got := text(page, "td.cname"); got != evilName {
		t.Fatalf("contact name shown as %q", got)
	}
	shot(t, page, "05-contacts")
	page.MustNavigate(e.url + "/ui/contacts").MustWaitLoad()
	dl := t.TempDir()
	wait := page.Browser().WaitDownload(dl)
	page.MustElement("#export").MustClick()
	info := wait()
	book, err := excelize.OpenFile(filepath.Join(dl, info.GUID))
	if err != nil {
		t.Fatalf("exported file: %v", err)
	}
	rows, err := book.GetRows("联系记录")
	book.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][1] != "姓名" || rows[1][1] != evilName || rows[2][2] != "'=1+1" {
		t.Fatalf("export rows = %q, want header + 2 contacts, the formula made inert", rows)
	}

	// Report: the funnel is an inline SVG with the account's figures.
	page.MustNavigate(e.url + "/ui/reports").MustWaitLoad()
	if got := page.MustElement("#chart-account").MustEval(`() => this.textContent`).String(); !strings.Contains(got, "acct-a") || !strings.Contains(got, "1 (50.0%)") {
		t.Fatalf("account funnel = %q", got)
	}
	shot(t, page, "06-reports")

	// English, then log out: the session token stops working.
	follow(t, page, "#lang")
	if got := text(page, "#logout"); got != "Log out" {
		t.Fatalf("after the language toggle the logout button reads %q", got)
	}
	var token string
	for _, ck := range page.MustCookies() {
		if ck.Name == "hb_session" {
			token = ck.Value
			if !ck.HTTPOnly || ck.SameSite != proto.NetworkCookieSameSiteStrict {
				t.Fatalf("session cookie = %+v, want HttpOnly and SameSite=Strict", ck)
			}
		}
	}
	if _, err := e.db.CheckAccessToken(token); err != nil {
		t.Fatalf("session token not valid before logout: %v", err)
	}
	follow(t, page, "#logout")
	page.MustElement("#login-form")
	if _, err := e.db.CheckAccessToken(token); err == nil {
		t.Fatal("session token still valid after logout")
	}
	page.MustNavigate(e.url + "/ui/contacts").MustWaitLoad()
	page.MustElement("#login-form")
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// client is a cookie-keeping HTTP client that does not follow redirects.
func client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func getCSRF(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	m := csrfRe.FindStringSubmatch(b.String())
	if m == nil {
		t.Fatalf("no CSRF token on %s (status %d)", u, res.StatusCode)
	}
	return m[1]
}

func post(t *testing.T, c *http.Client, u string, form url.Values, origin string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// Every POST needs the session's CSRF token (login included, bound to a
// pre-session cookie); a refused POST changes nothing; sessions expire.
func TestCSRFAndSessionExpiry(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC))
	e := newEnv(t, clk)
	c := client(t)
	loginCSRF := getCSRF(t, c, e.url+"/ui/login")
	creds := url.Values{"username": {testUser}, "password": {testPass}}
	if got := post(t, c, e.url+"/ui/login", creds, ""); got != http.StatusForbidden {
		t.Fatalf("login without CSRF = %d, want 403", got)
	}
	creds.Set("csrf", loginCSRF)
	if got := post(t, c, e.url+"/ui/login", creds, ""); got != http.StatusSeeOther {
		t.Fatalf("login = %d, want 303", got)
	}
	u, _ := url.Parse(e.url + "/ui/")
	var sess *http.Cookie
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "hb_session" {
			sess = ck
		}
	}
	if sess == nil {
		t.Fatal("no session cookie after login")
	}
	token := getCSRF(t, c, e.url+"/ui/fleet")
	create := url.Values{"key": {"acct-new"}, "name": {"新账号"}}
	if got := post(t, c, e.url+"/ui/accounts", create, ""); got != http.StatusForbidden {
		t.Fatalf("POST without CSRF token = %d, want 403", got)
	}
	create.Set("csrf", strings.Repeat("0", len(token)))
	if got := post(t, c, e.url+"/ui/accounts", create, ""); got != http.StatusForbidden {
		t.Fatalf("POST with a wrong CSRF token = %d, want 403", got)
	}
	create.Set("csrf", token)
	if got := post(t, c, e.url+"/ui/accounts", create, "http://evil.example"); got != http.StatusForbidden {
		t.Fatalf("cross-origin POST = %d, want 403", got)
	}
	if accs, _ := e.db.ListAccounts(); len(accs) != 0 {
		t.Fatalf("refused POSTs created %d accounts", len(accs))
	}
	if got := post(t, c, e.url+"/ui/accounts", create, e.url); got != http.StatusSeeOther {
		t.Fatalf("POST with the token = %d, want 303", got)
	}
	if _, err := e.db.ManagedAccount("acct-new"); err != nil {
		t.Fatalf("account not created: %v", err)
	}
	// Bad input names the field and changes nothing.
	bad := url.Values{"csrf": {token}, "desired": {"sideways"}}
	if got := post(t, c, e.url+"/ui/accounts/acct-new/desired", bad, ""); got != http.StatusBadRequest {
		t.Fatalf("bad desired = %d, want 400", got)
	}

	// The session ends with its TTL (the store's clock).
	clk.Advance(2 * time.Hour)
	res, err := c.Get(e.url + "/ui/fleet")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/ui/login") {
		t.Fatalf("expired session: %d %s, want 303 to the login page", res.StatusCode, res.Header.Get("Location"))
	}
	if got := post(t, c, e.url+"/ui/accounts", create, ""); got != http.StatusUnauthorized {
		t.Fatalf("POST with an expired session = %d, want 401", got)
	}
}
