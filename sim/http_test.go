package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/config"
)

func TestScenarioValidation(t *testing.T) {
	if sc := DefaultScenario(); len(sc.Accounts) == 0 {
		t.Fatal("default scenario has no accounts")
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", strings.Replace(testScenario, "daily_quota: 3", "daily_qouta: 3", 1), `key "daily_qouta": unknown key`},
		{"unknown persona", strings.Replace(testScenario, "eager: 1", "pirate: 1", 1), "personas.pirate: unknown persona"},
		{"bad salary", strings.Replace(testScenario, "salary: 20-35K", "salary: lots", 1), `accounts[0].jobs[0].salary`},
		{"bad city", strings.Replace(testScenario, "city: 北京", "city: 火星", 1), `accounts[0].jobs[0].city: unknown city`},
		{"no start", strings.Replace(testScenario, "start: 2026-03-02T09:00:00+08:00", "", 1), "start: required"},
		{"bad delays", strings.Replace(testScenario, "reply_delay_min: 1m", "reply_delay_min: 10m", 1), "reply_delay_min <= reply_delay_max"},
		{"explicit on foreign job", testScenario + "    candidates:\n      - {job: 9, persona: eager}\n", "accounts[0].candidates[0].job"},
		{"explicit bad wechat", testScenario + "    candidates:\n      - {job: 1001, persona: eager, wechat: '1x'}\n", "candidates[0].wechat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScenario([]byte(tt.yaml), "s.yaml")
			if err == nil || !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
	// LoadScenario reads every shipped example config, and each builds.
	files, _ := filepath.Glob(filepath.Join("..", "configs", "sim-*.yaml"))
	if len(files) < 2 {
		t.Fatalf("example scenarios: %v", files)
	}
	for _, f := range files {
		sc, err := LoadScenario(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(sc.Accounts) == 0 || sc.Accounts[0].Jobs[0].Candidates == 0 {
			t.Fatalf("%s has no candidates", f)
		}
		if _, err := New(sc, clock.NewManual(sc.Start), 1, zerolog.Nop()); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

func TestLoginSessionAndUserInfo(t *testing.T) {
	h := newHarness(t, 1, nil)
	// Without a session: code 7 and redirects to login.
	if env := call[any](h, "GET", "/wapi/zpuser/wap/getUserInfo.json", nil); env.Code != 7 {
		t.Fatalf("anonymous getUserInfo code = %d, want 7", env.Code)
	}
	for _, p := range []string{"/web/chat/index", "/web/chat/recommend", "/web/frame/recommend/"} {
		resp := h.get(p)
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/web/user/?ka=header-login" {
			t.Fatalf("GET %s anonymous: %d %q", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// The login page carries the password form and the QR switch.
	resp := h.get("/web/user/?ka=header-login")
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, sel := range []string{`class="btn-sign-switch ewm-switch"`, `class="qr-img-box"`, `name="account"`, `name="password"`, `btn-sign-submit`, "我要招聘"} {
		if !bytes.Contains(page, []byte(sel)) {
			t.Errorf("login page lacks %s", sel)
		}
	}
	// Wrong password.
	if env := call[any](h, "POST", "/wapi/zppassport/login/account", url.Values{"account": {"boss"}, "password": {"nope"}}); env.Code == 0 {
		t.Fatal("wrong password logged in")
	}
	// Right password: three HttpOnly cookies.
	req, _ := http.NewRequest("POST", h.srv.URL+"/wapi/zppassport/login/account", strings.NewReader("account=boss&password=secret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp = h.do(req)
	resp.Body.Close()
	got := map[string]bool{}
	for _, c := range resp.Cookies() {
		if !c.HttpOnly || c.MaxAge != 24*3600 {
			t.Errorf("cookie %s: HttpOnly=%v MaxAge=%d", c.Name, c.HttpOnly, c.MaxAge)
		}
		got[c.Name] = true
	}
	for _, n := range []string{"wt2", "wbg", "zp_at"} {
		if !got[n] {
			t.Errorf("login did not set cookie %s", n)
		}
	}
	raw := h.raw("GET", "/wapi/zpuser/wap/getUserInfo.json", nil)
	if raw["code"] != 0.0 || raw["message"] != "Success" {
		t.Fatalf("getUserInfo envelope = %v", raw)
	}
	zp := raw["zpData"].(map[string]any)
	if zp["userId"] != 8800123.0 || zp["name"] != "王经理" || zp["showName"] != "王经理" {
		t.Fatalf("getUserInfo zpData = %v", zp)
	}
	// The chat page shows the 治理公告 popup until it is confirmed.
	if !h.pageContains("/web/chat/index", `<div class="dialog-uninstall-extension">`) {
		t.Fatal("no 治理公告 popup after login")
	}
	if env := call[any](h, "POST", "/wapi/zpuser/notice/confirm", url.Values{}); env.Code != 0 {
		t.Fatal(env.Message)
	}
	if h.pageContains("/web/chat/index", `<div class="dialog-uninstall-extension">`) {
		t.Fatal("popup shown again after 我已知晓")
	}
	// Sessions expire on the sim clock.
	h.advance(23 * time.Hour)
	if env := call[any](h, "GET", "/wapi/zpuser/wap/getUserInfo.json", nil); env.Code != 0 {
		t.Fatalf("session expired early: %d", env.Code)
	}
	h.advance(time.Hour)
	if env := call[any](h, "GET", "/wapi/zpuser/wap/getUserInfo.json", nil); env.Code != 7 {
		t.Fatalf("session still valid after its lifetime: %d", env.Code)
	}
	// And on demand.
	h.login()
	if code, _ := h.control("/__sim/session/expire", map[string]string{"account": "acc"}); code != 200 {
		t.Fatal(code)
	}
	if env := call[any](h, "GET", "/wapi/zpuser/wap/getUserInfo.json", nil); env.Code != 7 {
		t.Fatalf("session survived /__sim/session/expire: %d", env.Code)
	}
}

func (h *harness) pageContains(path, s string) bool {
	h.t.Helper()
	resp := h.get(path)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		h.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	return bytes.Contains(b, []byte(s))
}

func TestQRLogin(t *testing.T) {
	h := newHarness(t, 1, nil)
	if code, _ := h.control("/__sim/qr/scan", map[string]string{"account": "acc"}); code != 404 {
		t.Fatalf("scan with no QR pending: %d, want 404", code)
	}
	env := call[map[string]any](h, "GET", "/wapi/zppassport/qrcode/new", nil)
	uuid := env.ZPData["uuid"].(string)
	img := h.get(env.ZPData["qrUrl"].(string))
	b, _ := io.ReadAll(img.Body)
	img.Body.Close()
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatal("QR image is not a PNG")
	}
	poll := func() string {
		return call[map[string]string](h, "GET", "/wapi/zppassport/qrcode/scan?uuid="+uuid, nil).ZPData["status"]
	}
	if st := poll(); st != "waiting" {
		t.Fatalf("status %q, want waiting", st)
	}
	h.advance(2 * time.Minute)
	if st := poll(); st != "expired" {
		t.Fatalf("status after 2 min %q, want expired", st)
	}
	uuid = call[map[string]any](h, "GET", "/wapi/zppassport/qrcode/new", nil).ZPData["uuid"].(string)
	if code, _ := h.control("/__sim/qr/scan", map[string]string{"account": "acc"}); code != 200 {
		t.Fatal(code)
	}
	if st := poll(); st != "confirmed" {
		t.Fatalf("status after scan %q, want confirmed", st)
	}
	if env := call[UserInfo](h, "GET", "/wapi/zpuser/wap/getUserInfo.json", nil); env.Code != 0 || env.ZPData.UserID != 8800123 {
		t.Fatalf("not logged in after QR scan: %+v", env)
	}
}

// specFields are the fields spec/recruiter-site.md lists for a geekList item.
var (
	itemFields = []string{"encryptGeekId", "isFriend", "haveChatted", "activeTimeDesc", "geekCard", "showEdus", "showWorks", "geekLastWork", "feedback"}
	cardFields = []string{"geekId", "geekName", "encryptGeekId", "securityId", "geekAvatar", "geekGender", "geekWorkYear", "geekDegree",
		"freshGraduate", "geekDesc", "salary", "lowSalary", "highSalary", "expectPositionName", "expectPositionCode", "expectLocationName",
		"expectLocationCode", "applyStatus", "applyStatusDesc", "activeTime", "ageDesc", "geekEdus", "geekWorks", "jobId", "encryptJobId", "lid"}
	eduFields  = []string{"school", "major", "degreeName", "startDate", "endDate"}
	workFields = []string{"company", "positionName", "positionCategory", "responsibility", "workEmphasisList", "startDate", "endDate", "workTime", "current"}
	msgFields  = []string{"mid", "time", "type", "from", "to", "body", "status"}
)

func requireFields(t *testing.T, what string, m map[string]any, fields []string) {
	t.Helper()
	for _, f := range fields {
		if _, ok := m[f]; !ok {
			t.Errorf("%s lacks field %q", what, f)
		}
	}
}

func TestGeekListShapeAndConsistency(t *testing.T) {
	h := newHarness(t, 7, nil)
	h.login()
	raw := h.raw("GET", "/wapi/zpjob/rec/geek/list?jobId=1001&page=1", nil)
	requireFields(t, "envelope", raw, []string{"code", "message", "zpData"})
	zp := raw["zpData"].(map[string]any)
	requireFields(t, "zpData", zp, []string{"geekList", "hasMore"})
	list := zp["geekList"].([]any)
	if len(list) != PageSize || zp["hasMore"] != true {
		t.Fatalf("page 1: %d items, hasMore=%v", len(list), zp["hasMore"])
	}
	for i, it := range list {
		item := it.(map[string]any)
		requireFields(t, fmt.Sprintf("item %d", i), item, itemFields)
		card := item["geekCard"].(map[string]any)
		requireFields(t, fmt.Sprintf("item %d geekCard", i), card, cardFields)
		if _, ok := card["geekDesc"].(map[string]any)["content"]; !ok {
			t.Errorf("item %d geekDesc lacks content", i)
		}
		for _, e := range card["geekEdus"].([]any) {
			requireFields(t, "edu", e.(map[string]any), eduFields)
		}
		for _, w := range card["geekWorks"].([]any) {
			requireFields(t, "work", w.(map[string]any), workFields)
		}
		if _, ok := card["geekId"].(float64); !ok {
			t.Errorf("geekId is not a number: %T", card["geekId"])
		}
		if _, ok := card["activeTime"].(float64); !ok {
			t.Errorf("activeTime is not a number")
		}
	}
	// Typed consistency rules over all pages of both jobs.
	seen := map[int64]bool{}
	for _, job := range []int64{1001, 1002} {
		for page := 1; ; page++ {
			env := h.geekList(job, page)
			if env.Code != 0 {
				t.Fatal(env.Message)
			}
			for _, it := range env.ZPData.GeekList {
				c := it.GeekCard
				if seen[c.GeekID] {
					t.Errorf("geekId %d repeated", c.GeekID)
				}
				seen[c.GeekID] = true
				if c.JobID != job || it.HaveChatted != 0 {
					t.Errorf("jobId %d haveChatted %d", c.JobID, it.HaveChatted)
				}
				checkGeekItem(t, it)
			}
			if !env.ZPData.HasMore {
				break
			}
		}
	}
	if len(seen) != 24 {
		t.Fatalf("saw %d candidates over both jobs, want 24", len(seen))
	}
	// Page 2 of job 1001 holds the last 5 and ends the list.
	if env := h.geekList(1001, 2); len(env.ZPData.GeekList) != 5 || env.ZPData.HasMore {
		t.Fatalf("page 2: %d items hasMore=%v", len(env.ZPData.GeekList), env.ZPData.HasMore)
	}
	if env := h.geekList(999, 1); env.Code == 0 {
		t.Fatal("unknown jobId accepted")
	}
}

// checkGeekItem applies the spec's consistency rules to one record.
func checkGeekItem(t *testing.T, it GeekItem) {
	t.Helper()
	c := it.GeekCard
	validDegrees := "初中及以下 中专/中技 高中 大专 本科 硕士 博士"
	if c.Salary != fmt.Sprintf("%d-%dK", c.LowSalary, c.HighSalary) || c.LowSalary > c.HighSalary {
		t.Errorf("salary %q vs %d/%d", c.Salary, c.LowSalary, c.HighSalary)
	}
	if !jsonEqual(c.GeekEdus, it.ShowEdus) || !jsonEqual(c.GeekWorks, it.ShowWorks) {
		t.Errorf("%s: geekCard edus/works differ from showEdus/showWorks", c.GeekName)
	}
	if len(c.GeekWorks) > 0 && !jsonEqual(it.GeekLastWork, c.GeekWorks[0]) {
		t.Errorf("%s: geekLastWork is not the first work", c.GeekName)
	}
	if it.EncryptGeekID != c.EncryptGeekID || len(c.EncryptGeekID) != 28 {
		t.Errorf("encryptGeekId %q / %q", it.EncryptGeekID, c.EncryptGeekID)
	}
	if !strings.Contains(validDegrees, c.GeekDegree) || c.GeekDegree != c.GeekEdus[0].DegreeName {
		t.Errorf("degree %q / edu %q", c.GeekDegree, c.GeekEdus[0].DegreeName)
	}
	if (c.GeekWorkYear == "应届生") != (c.FreshGraduate == 1) || (c.FreshGraduate == 1) != (len(c.GeekWorks) == 0) {
		t.Errorf("%s: workYear %q fresh %d works %d", c.GeekName, c.GeekWorkYear, c.FreshGraduate, len(c.GeekWorks))
	}
	if c.GeekGender != 0 && c.GeekGender != 1 {
		t.Errorf("gender %d", c.GeekGender)
	}
	if n := len([]rune(c.GeekName)); n < 2 || n > 3 {
		t.Errorf("name %q", c.GeekName)
	}
	age, _ := strconv.Atoi(strings.TrimSuffix(c.AgeDesc, "岁"))
	if age < 20 || age > 45 {
		t.Errorf("age %q", c.AgeDesc)
	}
	if c.ExpectLocationCode != cityCodes[c.ExpectLocationName] {
		t.Errorf("location %s code %d", c.ExpectLocationName, c.ExpectLocationCode)
	}
	// Work starts after graduation; entries run newest first
	// without overlapping.
	prevStart := "9999.99"
	for _, w := range c.GeekWorks {
		if w.StartDate < c.GeekEdus[0].EndDate || (w.EndDate != "" && w.EndDate > prevStart) || w.StartDate > prevStart {
			t.Errorf("%s: work %s–%s vs graduation %s / next job %s", c.GeekName, w.StartDate, w.EndDate, c.GeekEdus[0].EndDate, prevStart)
		}
		prevStart = w.StartDate
	}
	if c.ApplyStatusDesc != applyDescs[c.ApplyStatus] {
		t.Errorf("applyStatus %d desc %q", c.ApplyStatus, c.ApplyStatusDesc)
	}
}

// TestGeneratedCandidatesAcrossSeeds checks every candidate of the demo
// scenario under several seeds.
func TestGeneratedCandidatesAcrossSeeds(t *testing.T) {
	for _, seed := range []int64{1, 2, 99, -5} {
		sc := DefaultScenario()
		s, err := New(sc, clock.NewManual(sc.Start), seed, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		personas := map[string]int{}
		for _, c := range s.cands {
			checkGeekItem(t, c.item)
			personas[c.persona]++
			if !wechatRe.MatchString(c.wechat) || !phoneRe.MatchString(c.phone) {
				t.Errorf("seed %d: contacts %q %q", seed, c.wechat, c.phone)
			}
		}
		if len(s.cands) != 77 || len(personas) < 8 {
			t.Fatalf("seed %d: %d candidates, personas %v", seed, len(s.cands), personas)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestGreetFriendsAndHistory(t *testing.T) {
	h := newHarness(t, 3, nil)
	h.login()
	items := h.geekList(1001, 1).ZPData.GeekList
	c := items[0]
	env := h.greet(c)
	if env.Code != 0 || env.ZPData.Status != 1 {
		t.Fatalf("greet: %+v", env)
	}
	if got := h.geekList(1001, 1).ZPData.GeekList[0]; got.HaveChatted != 1 {
		t.Fatal("haveChatted not 1 after greeting")
	}
	// Greeting again is a duplicate: recorded, no second message.
	if env := h.greet(c); env.Code != 0 || env.ZPData.Status != 2 {
		t.Fatalf("second greet: %+v", env)
	}
	// The friend list row.
	raw := h.raw("GET", "/wapi/zprelation/friend/getBossFriendListV2.json", nil)
	fl := raw["zpData"].(map[string]any)["friendList"].([]any)
	if len(fl) != 1 {
		t.Fatalf("friend list has %d rows", len(fl))
	}
	requireFields(t, "friend", fl[0].(map[string]any), []string{"uid", "encryptUid", "securityId", "name", "jobName", "lastMsg", "lastTime", "unreadCount"})
	// historyMsg shape, field by field.
	hraw := h.raw("GET", fmt.Sprintf("/wapi/zpchat/boss/historyMsg?gid=%d&securityId=%s&page=1&c=20&src=0", c.GeekCard.GeekID, c.GeekCard.SecurityID), nil)
	hz := hraw["zpData"].(map[string]any)
	requireFields(t, "history", hz, []string{"messages", "hasMore", "minMsgId"})
	msgs := hz["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("history has %d messages, want the greeting", len(msgs))
	}
	m := msgs[0].(map[string]any)
	requireFields(t, "message", m, msgFields)
	requireFields(t, "from", m["from"].(map[string]any), []string{"uid", "name", "source"})
	requireFields(t, "to", m["to"].(map[string]any), []string{"uid", "name", "source"})
	requireFields(t, "body", m["body"].(map[string]any), []string{"type", "text"})
	hist := h.history(c.GeekCard.GeekID, 0).ZPData
	g := hist.Messages[0]
	if g.From.UID != 8800123 || g.To.UID != c.GeekCard.GeekID || g.Body.Text != "您好，方便聊聊吗？" || g.Body.Type != BodyText || g.Status != 1 {
		t.Fatalf("greeting message = %+v", g)
	}
	if g.Time != h.clk.Now().UnixMilli() {
		t.Fatalf("message time %d, want sim now %d", g.Time, h.clk.Now().UnixMilli())
	}
	// The eager candidate answers after its delay; the reply is unread.
	h.advance(10 * time.Minute)
	hist = h.history(c.GeekCard.GeekID, 0).ZPData
	if len(hist.Messages) != 2 || hist.Messages[1].From.UID != c.GeekCard.GeekID || hist.Messages[1].Status != 1 || hist.Messages[0].Status != 2 {
		t.Fatalf("after the reply delay: %+v", hist.Messages)
	}
	if hist.Messages[1].MID <= hist.Messages[0].MID || hist.Messages[1].Time <= hist.Messages[0].Time {
		t.Fatal("mids/times not increasing")
	}
	fr := call[FriendList](h, "GET", "/wapi/zprelation/friend/getBossFriendListV2.json", nil).ZPData
	if fr.UnreadAll != 1 || fr.FriendList[0].Unread != 1 || !fr.FriendList[0].BothTalked {
		t.Fatalf("friend list after reply: %+v", fr)
	}
	if env := call[any](h, "POST", "/wapi/zpchat/boss/readMsg", url.Values{"gid": {fmt.Sprint(c.GeekCard.GeekID)}}); env.Code != 0 {
		t.Fatal(env.Message)
	}
	if fr := call[FriendList](h, "GET", "/wapi/zprelation/friend/getBossFriendListV2.json", nil).ZPData; fr.UnreadAll != 0 {
		t.Fatal("readMsg did not clear unread")
	}
	// History of a stranger is refused.
	if env := h.history(items[1].GeekCard.GeekID, 0); env.Code == 0 {
		t.Fatal("history of a non-friend returned code 0")
	}
	tr := h.sim.Truth().Accounts["acc"]
	if len(tr.Greetings) != 1 || len(tr.DuplicateGreetings) != 1 || tr.Greetings[0].CandidateID != c.GeekCard.GeekID || tr.Greetings[0].JobID != 1001 {
		t.Fatalf("truth greetings: %+v / %+v", tr.Greetings, tr.DuplicateGreetings)
	}
	if len(tr.Messages) != 1 || tr.Messages[0].Kind != KindGreeting || tr.Messages[0].By != ByBot {
		t.Fatalf("truth messages: %+v", tr.Messages)
	}
}

func TestDailyQuota(t *testing.T) {
	h := newHarness(t, 3, nil) // daily_quota: 3
	h.login()
	items := h.geekList(1001, 1).ZPData.GeekList
	for i := 0; i < 3; i++ {
		if env := h.greet(items[i]); env.Code != 0 {
			t.Fatalf("greet %d: %d %s", i, env.Code, env.Message)
		}
	}
	raw := h.raw("POST", "/wapi/zpjob/chat/start", url.Values{"gid": {fmt.Sprint(items[3].GeekCard.GeekID)}})
	if raw["code"] != 1.0 || !strings.Contains(raw["message"].(string), "上限") || raw["zpData"].(map[string]any)["blockType"] != "business" {
		t.Fatalf("4th greet: %v, want the quota refusal", raw)
	}
	if got := h.geekList(1001, 1).ZPData.GeekList[3]; got.HaveChatted != 0 {
		t.Fatal("refused greet was performed")
	}
	if !h.pageContains("/web/frame/recommend/?jobId=1001", "business-block-dialog") {
		t.Fatal("frame lacks the quota dialog")
	}
	// The quota resets on the next Shanghai day.
	h.advance(24 * time.Hour)
	h.login() // the 24h session ended too
	if env := h.greet(items[3]); env.Code != 0 {
		t.Fatalf("greet next day: %d %s", env.Code, env.Message)
	}
	tr := h.sim.Truth().Accounts["acc"]
	if len(tr.Greetings) != 4 || len(tr.QuotaBlocked) != 1 {
		t.Fatalf("truth: %d greetings, %d quota blocks", len(tr.Greetings), len(tr.QuotaBlocked))
	}
}

func TestHistoryPaging(t *testing.T) {
	h := newHarness(t, 5, nil)
	h.login()
	c := h.geekList(1001, 1).ZPData.GeekList[0].GeekCard
	for i := 0; i < 45; i++ {
		if err := h.sim.Inject("acc", c.GeekID, fmt.Sprintf("消息%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var all []Message
	var cursor int64
	for pages := 0; ; pages++ {
		env := h.history(c.GeekID, cursor)
		if env.Code != 0 || pages > 5 {
			t.Fatalf("paging: %+v", env)
		}
		all = append(env.ZPData.Messages, all...)
		if !env.ZPData.HasMore {
			break
		}
		cursor = env.ZPData.MinMsgID
		if cursor != env.ZPData.Messages[0].MID {
			t.Fatal("minMsgId is not the oldest mid of the page")
		}
	}
	if len(all) != 45 {
		t.Fatalf("paged %d messages, want 45", len(all))
	}
	for i, m := range all {
		if m.Body.Text != fmt.Sprintf("消息%d", i) || (i > 0 && m.MID <= all[i-1].MID) {
			t.Fatalf("message %d = %+v", i, m)
		}
	}
	// An injected conversation is a 新招呼.
	if fr := call[FriendList](h, "GET", "/wapi/zprelation/friend/getBossFriendListV2.json", nil).ZPData; !fr.FriendList[0].IsNew || fr.UnreadAll != 45 {
		t.Fatalf("friend row: %+v", fr.FriendList[0])
	}
}

// personaHarness pins candidates of job 1002 to personas.
func personaHarness(t *testing.T, seed int64, personas ...ExplicitCandidate) (*harness, []GeekItem) {
	h := newHarness(t, seed, func(sc *Scenario) {
		sc.Accounts[0].Candidates = personas
		sc.Accounts[0].Jobs[1].Candidates = 0
		sc.Accounts[0].DailyQuota = 100
	})
	h.login()
	return h, h.geekList(1002, 1).ZPData.GeekList
}

func TestExchangeAccepted(t *testing.T) {
	h, items := personaHarness(t, 9, ExplicitCandidate{Job: 1002, Persona: PersonaEager, WeChat: "lilei_go2026"},
		ExplicitCandidate{Job: 1002, Persona: PersonaEager, Phone: "13912345678"})
	wc, ph := items[0].GeekCard, items[1].GeekCard
	h.greet(items[0])
	h.greet(items[1])
	if env := h.exchange(wc.GeekID, "wechat"); env.Code != 0 {
		t.Fatal(env.Message)
	}
	if env := h.exchange(ph.GeekID, "phone"); env.Code != 0 {
		t.Fatal(env.Message)
	}
	info := call[GeekInfo](h, "GET", fmt.Sprintf("/wapi/zpchat/boss/geekInfo?gid=%d", wc.GeekID), nil).ZPData
	if info.Exchange["wechat"].State != ExRequested || info.Exchange["wechat"].Value != "" {
		t.Fatalf("before the answer: %+v", info.Exchange)
	}
	h.advance(10 * time.Minute)
	info = call[GeekInfo](h, "GET", fmt.Sprintf("/wapi/zpchat/boss/geekInfo?gid=%d", wc.GeekID), nil).ZPData
	if info.Exchange["wechat"].State != ExAccepted || info.Exchange["wechat"].Value != "lilei_go2026" {
		t.Fatalf("after the answer: %+v", info.Exchange)
	}
	texts := historyTexts(h, wc.GeekID)
	for _, want := range []string{"我想要和您交换微信，您是否同意", "接受与您交换微信", "的微信号：lilei_go2026"} {
		if !strings.Contains(texts, want) {
			t.Errorf("history lacks %q: %s", want, texts)
		}
	}
	if texts := historyTexts(h, ph.GeekID); !strings.Contains(texts, "<phone>13912345678</phone>") {
		t.Errorf("phone history lacks the <phone> markup: %s", texts)
	}
	fr := call[FriendList](h, "GET", "/wapi/zprelation/friend/getBossFriendListV2.json", nil).ZPData
	for _, f := range fr.FriendList {
		if f.UID == wc.GeekID && !f.WeChatExch || f.UID == ph.GeekID && !f.PhoneExchange {
			t.Errorf("friend row %+v lacks the exchange flag", f)
		}
	}
	tr := h.sim.Truth().Accounts["acc"]
	if len(tr.ExchangeRequests) != 2 || tr.ExchangeRequests[0].Outcome != OutcomeAccepted {
		t.Fatalf("exchange requests: %+v", tr.ExchangeRequests)
	}
	want := map[string]Disclosure{
		"wechat": {CandidateID: wc.GeekID, Type: DisclosureWeChat, Value: "lilei_go2026", How: HowExchange},
		"phone":  {CandidateID: ph.GeekID, Type: DisclosurePhone, Value: "13912345678", How: HowExchange},
	}
	if len(tr.Disclosures) != 2 {
		t.Fatalf("disclosures: %+v", tr.Disclosures)
	}
	for _, d := range tr.Disclosures {
		w := want[d.Type]
		if d.CandidateID != w.CandidateID || d.Value != w.Value || d.How != w.How {
			t.Errorf("disclosure %+v, want %+v", d, w)
		}
	}
}

func historyTexts(h *harness, gid int64) string {
	var b strings.Builder
	for _, m := range h.history(gid, 0).ZPData.Messages {
		b.WriteString(m.Body.Text + "\n")
	}
	return b.String()
}

func TestPersonasAnswerTextRequests(t *testing.T) {
	h, items := personaHarness(t, 11,
		ExplicitCandidate{Job: 1002, Persona: PersonaEager, WeChat: "plain_wx01"},
		ExplicitCandidate{Job: 1002, Persona: PersonaObfuscator, Phone: "13800138000", Disclose: DisclosurePhone},
		ExplicitCandidate{Job: 1002, Persona: PersonaOptOut},
		ExplicitCandidate{Job: 1002, Persona: PersonaRefuser},
		ExplicitCandidate{Job: 1002, Persona: PersonaCVSender},
		ExplicitCandidate{Job: 1002, Persona: PersonaSlow, WeChat: "slow_wx001"},
		ExplicitCandidate{Job: 1002, Persona: PersonaSilent},
	)
	for _, it := range items {
		if env := h.greet(it); env.Code != 0 {
			t.Fatal(env.Message)
		}
	}
	h.advance(10 * time.Minute)
	for _, it := range items {
		if env := h.send(it.GeekCard.GeekID, "方便加个微信吗？或者留个联系方式"); env.Code != 0 {
			t.Fatal(env.Message)
		}
	}
	h.advance(10 * time.Minute)
	id := func(i int) int64 { return items[i].GeekCard.GeekID }
	if txt := historyTexts(h, id(0)); !strings.Contains(txt, "plain_wx01") {
		t.Errorf("eager did not write its WeChat: %s", txt)
	}
	obf := historyTexts(h, id(1))
	if strings.Contains(obf, "13800138000") || !strings.Contains(digitsOf(obf), "13800138000") {
		t.Errorf("obfuscator wrote %q", obf)
	}
	if txt := historyTexts(h, id(2)); !strings.Contains(txt, OptOutText) {
		t.Errorf("opt_out wrote %q", txt)
	}
	if txt := historyTexts(h, id(3)); strings.Contains(txt, "微信号") || len(h.history(id(3), 0).ZPData.Messages) != 4 {
		t.Errorf("refuser: %q", txt)
	}
	// cv_sender offers an attachment card; 同意 delivers a real PDF.
	var card Message
	for _, m := range h.history(id(4), 0).ZPData.Messages {
		if m.Body.Type == BodyDialog && m.From.UID == id(4) {
			card = m
		}
	}
	if card.Body.Dialog == nil || card.Body.Dialog.Kind != "resume" || card.Body.Text != "对方想发送附件简历给您，您是否同意" {
		t.Fatalf("cv_sender card: %+v", card)
	}
	if env := call[any](h, "POST", "/wapi/zpchat/exchange/accept", url.Values{"gid": {fmt.Sprint(id(4))}, "mid": {fmt.Sprint(card.MID)}, "agree": {"1"}}); env.Code != 0 {
		t.Fatal(env.Message)
	}
	var link string
	for _, m := range h.history(id(4), 0).ZPData.Messages {
		if m.Body.Type == BodyHyperlink {
			link = m.Body.URL
		}
	}
	resp := h.get(link)
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Fatalf("résumé download: %s %q…", resp.Header.Get("Content-Type"), pdf[:min(20, len(pdf))])
	}
	checkPDFXref(t, pdf)
	// slow answers nothing before its 3rd recruiter message.
	if n := len(h.history(id(5), 0).ZPData.Messages); n != 2 {
		t.Errorf("slow answered early: %d messages", n)
	}
	h.send(id(5), "在吗？加个微信聊聊")
	h.advance(10 * time.Minute)
	if txt := historyTexts(h, id(5)); !strings.Contains(txt, "slow_wx001") {
		t.Errorf("slow after 3 messages: %q", txt)
	}
	if n := len(h.history(id(6), 0).ZPData.Messages); n != 2 {
		t.Errorf("silent answered: %d messages", n)
	}
	// Bot messages after the opt-out, and after a human typed, are flagged.
	h.send(id(2), "考虑一下吧")
	if code, _ := h.control("/__sim/human", map[string]any{"account": "acc", "candidate_id": id(0), "text": "我是招聘负责人，我来跟进"}); code != 200 {
		t.Fatal(code)
	}
	h.advance(time.Minute)
	h.send(id(0), "请问什么时候方便面试？")
	tr := h.sim.Truth().Accounts["acc"]
	// opt_out answered the greeting with its opt-out, so both later texts count.
	if len(tr.MessagesAfterOptOut) != 2 || tr.MessagesAfterOptOut[1].CandidateID != id(2) || tr.MessagesAfterOptOut[1].Text != "考虑一下吧" {
		t.Errorf("messages_after_opt_out: %+v", tr.MessagesAfterOptOut)
	}
	if len(tr.MessagesAfterHuman) != 1 || tr.MessagesAfterHuman[0].CandidateID != id(0) {
		t.Errorf("messages_after_human: %+v", tr.MessagesAfterHuman)
	}
	hows := map[string]string{}
	for _, d := range tr.Disclosures {
		hows[fmt.Sprint(d.CandidateID)] = d.Type + "/" + d.How
	}
	for i, want := range map[int]string{0: "wechat/text", 1: "phone/text_obfuscated", 4: "cv/attachment", 5: "wechat/text"} {
		if got := hows[fmt.Sprint(id(i))]; got != want {
			t.Errorf("candidate %d disclosure %q, want %q", i, got, want)
		}
	}
	for _, c := range tr.Candidates {
		if c.ID == id(2) && !c.OptedOut {
			t.Error("opt_out candidate not marked opted_out")
		}
	}
}

// checkPDFXref verifies that every xref offset points at its object.
func checkPDFXref(t *testing.T, pdf []byte) {
	t.Helper()
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no startxref")
	}
	off, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[off:], []byte("xref\n")) {
		t.Fatal("startxref does not point at xref")
	}
	entries := regexp.MustCompile(`(\d{10}) 00000 n`).FindAllSubmatch(pdf[off:], -1)
	for i, e := range entries {
		o, _ := strconv.Atoi(string(e[1]))
		if !bytes.HasPrefix(pdf[o:], []byte(fmt.Sprintf("%d 0 obj", i+1))) {
			t.Fatalf("xref entry %d points at %q", i+1, pdf[o:o+10])
		}
	}
}

func TestDuplicateMessages(t *testing.T) {
	h, items := personaHarness(t, 2, ExplicitCandidate{Job: 1002, Persona: PersonaSilent})
	gid := items[0].GeekCard.GeekID
	h.greet(items[0])
	h.advance(time.Minute)
	h.send(gid, "在吗")
	h.advance(30 * time.Minute)
	h.send(gid, "在吗") // duplicate: same text, < 1h, no candidate message between
	h.advance(2 * time.Hour)
	h.send(gid, "在吗") // > 1h after the previous: not a duplicate
	if err := h.sim.Inject("acc", gid, "在的"); err != nil {
		t.Fatal(err)
	}
	h.advance(time.Minute)
	h.send(gid, "在吗") // a candidate message came in between
	tr := h.sim.Truth().Accounts["acc"]
	if len(tr.DuplicateMessages) != 1 || tr.DuplicateMessages[0].Time != h.sim.sc.Start.Add(31*time.Minute) {
		t.Fatalf("duplicate_messages: %+v", tr.DuplicateMessages)
	}
}

func TestPacingRiskAndControl(t *testing.T) {
	h := newHarness(t, 4, func(sc *Scenario) {
		sc.Pacing = Pacing{MinGreetInterval: 30 * time.Second, MaxActionsPerMinute: 100}
	})
	h.login()
	items := h.geekList(1001, 1).ZPData.GeekList
	if env := h.greet(items[0]); env.Code != 0 {
		t.Fatal(env.Message)
	}
	h.advance(10 * time.Second)
	if env := h.greet(items[1]); env.Code != 37 {
		t.Fatalf("greet 10s later: code %d, want 37", env.Code)
	}
	// While the risk is active: pages go to the verify page, XHRs answer 37.
	resp := h.get("/web/chat/index")
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/web/user/safe/verify-slider" {
		t.Fatalf("page under risk: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = h.get("/web/user/safe/verify-slider")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, s := range []string{`id="nc_mask"`, "nc-container", "安全验证"} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("verify page lacks %s", s)
		}
	}
	if env := h.geekList(1001, 1); env.Code != 37 {
		t.Fatalf("XHR under risk: %d", env.Code)
	}
	if env := call[map[string]any](h, "GET", "/wapi/zpsafe/verify/status", nil); env.ZPData["verified"] != false {
		t.Fatal("verify status says verified under risk")
	}
	if code, _ := h.control("/__sim/risk/clear", map[string]string{"account": "acc"}); code != 200 {
		t.Fatal(code)
	}
	if env := h.geekList(1001, 1); env.Code != 0 || env.ZPData.GeekList[1].HaveChatted != 0 {
		t.Fatalf("after clear: %d, refused greet performed=%v", env.Code, env.ZPData.GeekList[1].HaveChatted)
	}
	// Forced captcha: page renders with the overlay.
	if code, _ := h.control("/__sim/risk", map[string]string{"account": "acc", "kind": "captcha"}); code != 200 {
		t.Fatal(code)
	}
	if !h.pageContains("/web/chat/index", `id="nc_mask"`) {
		t.Fatal("no captcha overlay")
	}
	h.control("/__sim/risk/clear", map[string]string{"account": "acc"})
	// Forced rate limit: code 9.
	h.control("/__sim/risk", map[string]string{"account": "acc", "kind": "rate"})
	if env := h.geekList(1001, 1); env.Code != 9 {
		t.Fatalf("rate risk: code %d, want 9", env.Code)
	}
	h.control("/__sim/risk/clear", map[string]string{"account": "acc"})
	// Forced account check: pages and XHRs 302 to the passport verify page.
	h.control("/__sim/risk", map[string]string{"account": "acc", "kind": "account"})
	for _, p := range []string{"/web/chat/index", "/wapi/zpjob/rec/geek/list?jobId=1001&page=1"} {
		resp := h.get(p)
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/web/passport/zp/verify.html" {
			t.Fatalf("GET %s under account risk: %d %q", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if !h.pageContains("/web/passport/zp/verify.html", "账号异常") {
		t.Fatal("account verify page lacks 账号异常")
	}
	h.control("/__sim/risk/clear", map[string]string{"account": "acc"})
	tr := h.sim.Truth().Accounts["acc"]
	if len(tr.RiskEvents) != 4 || tr.RiskEvents[0].Reason != "greet_interval" || tr.RiskEvents[1].Kind != RiskCaptcha || tr.RiskEvents[2].Kind != RiskRate {
		t.Fatalf("risk events: %+v", tr.RiskEvents)
	}
	for _, e := range tr.RiskEvents {
		if e.ClearedAt.IsZero() {
			t.Errorf("risk %+v not cleared", e)
		}
	}
	// Per-minute cap.
	h2 := newHarness(t, 4, func(sc *Scenario) { sc.Pacing = Pacing{MaxActionsPerMinute: 2} })
	h2.login()
	c := h2.geekList(1001, 1).ZPData.GeekList[0]
	h2.greet(c)
	h2.send(c.GeekCard.GeekID, "一")
	if env := h2.send(c.GeekCard.GeekID, "二"); env.Code != 9 {
		t.Fatalf("3rd action in a minute: code %d, want 9", env.Code)
	}
}

func TestControlAPIErrors(t *testing.T) {
	h := newHarness(t, 1, nil)
	cases := []struct {
		path string
		body any
		want int
	}{
		{"/__sim/risk", map[string]string{"account": "nobody"}, 404},
		{"/__sim/risk", map[string]string{"account": "acc", "kind": "meteor"}, 400},
		{"/__sim/risk", map[string]string{"acount": "acc"}, 400},
		{"/__sim/inject", map[string]any{"account": "acc", "candidate_id": 1, "text": "x"}, 404},
		{"/__sim/inject", map[string]any{"account": "acc", "candidate_id": 1}, 400},
		{"/__sim/clock/advance", map[string]string{"duration": "soon"}, 400},
		{"/__sim/clock/advance", map[string]string{"duration": "90m"}, 200},
	}
	for _, c := range cases {
		if code, body := h.control(c.path, c.body); code != c.want {
			t.Errorf("POST %s %v: %d %v, want %d", c.path, c.body, code, body, c.want)
		}
	}
	if !h.clk.Now().Equal(h.sim.sc.Start.Add(90 * time.Minute)) {
		t.Fatal("clock/advance did not move the clock")
	}
	resp := h.get("/__sim/truth")
	var tr Truth
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(tr.Accounts["acc"].Candidates) != 24 || !tr.Now.Equal(h.clk.Now()) {
		t.Fatalf("truth: %d candidates now %v", len(tr.Accounts["acc"].Candidates), tr.Now)
	}
	// A real clock cannot be advanced.
	s, err := New(parseTestScenario(t, nil), clock.Real{}, 1, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Advance(time.Hour); !errors.Is(err, ErrNotAdvancer) {
		t.Fatalf("Advance on a real clock: %v", err)
	}
}

// scriptedRun performs a fixed action sequence and returns the truth JSON.
func scriptedRun(t *testing.T, seed int64) []byte {
	h := newHarness(t, seed, func(sc *Scenario) {
		sc.Personas = map[string]int{PersonaEager: 2, PersonaObfuscator: 2, PersonaAsker: 1, PersonaExchanger: 1, PersonaGhost: 1, PersonaCVSender: 1, PersonaPhoneOnly: 1}
		sc.Accounts[0].DailyQuota = 100
	})
	h.login()
	items := h.geekList(1001, 1).ZPData.GeekList
	for i, it := range items {
		h.greet(it)
		h.advance(time.Duration(40+i) * time.Second)
	}
	h.advance(30 * time.Minute)
	for i, it := range items {
		gid := it.GeekCard.GeekID
		h.send(gid, "方便留个微信吗？")
		if i%3 == 0 {
			h.exchange(gid, []string{"wechat", "phone", "resume"}[i%2])
		}
		h.advance(7 * time.Second)
	}
	h.advance(3 * time.Hour)
	tr := h.sim.Truth()
	b, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeterminism(t *testing.T) {
	a, b := scriptedRun(t, 42), scriptedRun(t, 42)
	if !bytes.Equal(a, b) {
		t.Fatal("same seed and actions gave different truths")
	}
	var tr Truth
	_ = json.Unmarshal(a, &tr)
	if at := tr.Accounts["acc"]; len(at.Disclosures) < 3 || len(at.Messages) < 30 {
		t.Fatalf("scripted run too quiet to compare: %d disclosures, %d messages", len(at.Disclosures), len(at.Messages))
	}
	if c := scriptedRun(t, 43); bytes.Equal(a, c) {
		t.Fatal("different seeds gave identical truths")
	}
}

func TestPagesRenderSpecSelectors(t *testing.T) {
	h := newHarness(t, 1, nil)
	h.login()
	checks := map[string][]string{
		"/web/chat/recommend":              {`iframe name="recommendFrame"`, "menu-chat"},
		"/web/frame/recommend/?jobId=1002": {"ui-dropmenu", `class="job-list"`, `class="curr"`, "card-list", "btn-greet", "button-chat", "btn-sure-v2", "已向牛人发送招呼", "business-block-dialog", "主动沟通", "tooltip-wrap suitable", "first-reason-item"},
		"/web/chat/index": {"chat-label-item", `title="新招呼"`, "已交换电话", "已交换微信", "已获取简历", "chat-message-filter-left", "未读",
			"geek-item", "span.time", "push-text", "badge-count", "name-box", "chat-message-list", "item-myself", "item-friend", "item-system",
			"item-resume", "message-card-wrap", "message-card-buttons", "card-btn", `id="boss-chat-editor-input" contenteditable="true"`,
			`class="submit">发送`, "operate-btn", "求简历", "换电话", "换微信", "boss-btn-primary", "查看微信", "查看电话", "exchange-tooltip", "exchanged"},
	}
	for path, want := range checks {
		resp := h.get(path)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		for _, s := range want {
			s = strings.TrimPrefix(s, "span.")
			if !bytes.Contains(b, []byte(s)) {
				t.Errorf("%s lacks %q", path, s)
			}
		}
	}
}

func TestCandidatesAnswerQuestions(t *testing.T) {
	h, items := personaHarness(t, 13, ExplicitCandidate{Job: 1002, Persona: PersonaEager})
	c := items[0].GeekCard
	h.greet(items[0])
	h.advance(10 * time.Minute)
	h.send(c.GeekID, "请问您的期望薪资是多少？")
	h.advance(10 * time.Minute)
	msgs := h.history(c.GeekID, 0).ZPData.Messages
	last := msgs[len(msgs)-1]
	if last.From.UID != c.GeekID || !strings.Contains(last.Body.Text, c.Salary) {
		t.Fatalf("answer to a salary question: %+v", last)
	}
	h.send(c.GeekID, "您目前在职吗？")
	h.advance(10 * time.Minute)
	msgs = h.history(c.GeekID, 0).ZPData.Messages
	if last = msgs[len(msgs)-1]; !strings.Contains(last.Body.Text, c.ApplyStatusDesc) {
		t.Fatalf("answer to a status question: %+v", last)
	}
}

func TestActionXHRShapes(t *testing.T) {
	h := newHarness(t, 8, nil)
	h.login()
	c := h.geekList(1001, 1).ZPData.GeekList[0].GeekCard
	gid := fmt.Sprint(c.GeekID)
	greet := h.raw("POST", "/wapi/zpjob/chat/start", url.Values{"encryptGeekId": {c.EncryptGeekID}, "jobId": {"1001"}, "securityId": {c.SecurityID}})
	requireFields(t, "greet envelope", greet, []string{"code", "message", "zpData"})
	requireFields(t, "greet", greet["zpData"].(map[string]any), []string{"status", "geekId", "securityId"})
	send := h.raw("POST", "/wapi/zpchat/boss/sendMsg", url.Values{"gid": {gid}, "securityId": {c.SecurityID}, "text": {"你好"}})
	requireFields(t, "send", send["zpData"].(map[string]any), []string{"mid", "time"})
	if send["zpData"].(map[string]any)["time"] != float64(h.clk.Now().UnixMilli()) {
		t.Errorf("send time %v", send["zpData"])
	}
	// JSON bodies work like forms.
	req, _ := http.NewRequest("POST", h.srv.URL+"/wapi/zpchat/boss/sendMsg", strings.NewReader(fmt.Sprintf(`{"gid":%d,"securityId":"x","text":"JSON 消息"}`, c.GeekID)))
	req.Header.Set("Content-Type", "application/json")
	resp := h.do(req)
	var env Envelope[SendResult]
	_ = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if env.Code != 0 || env.ZPData.MID == 0 {
		t.Fatalf("JSON send: %+v", env)
	}
	if e := h.send(c.GeekID, "   "); e.Code == 0 {
		t.Fatal("blank text accepted")
	}
	info := h.raw("GET", "/wapi/zpchat/boss/geekInfo?gid="+gid, nil)["zpData"].(map[string]any)
	requireFields(t, "geekInfo", info, []string{"uid", "name", "jobName", "exchange"})
	ex := info["exchange"].(map[string]any)
	for _, k := range []string{"wechat", "phone", "resume"} {
		requireFields(t, "exchange."+k, ex[k].(map[string]any), []string{"state"})
	}
	if e := h.exchange(c.GeekID, "qq"); e.Code == 0 {
		t.Fatal("unknown exchange type accepted")
	}
	// An exchange request is a recruiter-side system notice (type 4, card 7).
	h.exchange(c.GeekID, "resume")
	msgs := h.history(c.GeekID, 0).ZPData.Messages
	last := msgs[len(msgs)-1]
	if last.Type != MsgTypeSystem || last.Body.Type != BodyDialog || last.From.UID != 8800123 || last.Body.Text != "方便发一份简历过来吗？" {
		t.Fatalf("resume request message %+v", last)
	}
}

func TestIntentTipIsOptIn(t *testing.T) {
	h := newHarness(t, 1, nil)
	h.login()
	if h.pageContains("/web/chat/index", `class="boss-popup intent-tip"`) {
		t.Fatal("intent tip shown without intent_tip")
	}
	h = newHarness(t, 1, func(sc *Scenario) { sc.IntentTip = true })
	h.login()
	if !h.pageContains("/web/chat/index", `<div class="boss-popup__close"`) || !h.pageContains("/web/chat/index", "我知道了") {
		t.Fatal("intent tip missing")
	}
	if env := call[any](h, "POST", "/wapi/zpuser/notice/confirm?type=intent", url.Values{}); env.Code != 0 {
		t.Fatal(env.Message)
	}
	if h.pageContains("/web/chat/index", `class="boss-popup intent-tip"`) {
		t.Fatal("intent tip shown after 我知道了")
	}
	if !h.pageContains("/web/chat/index", `<div class="dialog-uninstall-extension">`) {
		t.Fatal("closing the tip closed the 治理公告 too")
	}
}

func TestNotInterested(t *testing.T) {
	h := newHarness(t, 6, nil)
	h.login()
	items := h.geekList(1001, 1).ZPData.GeekList
	drop := items[2].GeekCard
	if env := call[any](h, "POST", "/wapi/zpjob/rec/geek/unsuitable", url.Values{"gid": {fmt.Sprint(drop.GeekID)}, "reasonCode": {"99"}}); env.Code == 0 {
		t.Fatal("unknown reason accepted")
	}
	if env := call[any](h, "POST", "/wapi/zpjob/rec/geek/unsuitable", url.Values{"gid": {fmt.Sprint(drop.GeekID)}, "jobId": {"1001"}, "reasonCode": {"2"}}); env.Code != 0 {
		t.Fatal(env.Message)
	}
	p1, p2 := h.geekList(1001, 1).ZPData, h.geekList(1001, 2).ZPData
	if len(p1.GeekList) != 14 || !p1.HasMore || len(p2.GeekList) != 5 || p2.GeekList[0].GeekCard.GeekID != h.sim.accts[0].jobCands[1001][15].id {
		t.Fatalf("after 不合适: page 1 %d items, page 2 %d items", len(p1.GeekList), len(p2.GeekList))
	}
	for _, it := range p1.GeekList {
		if it.GeekCard.GeekID == drop.GeekID {
			t.Fatal("dropped candidate still listed")
		}
	}
	ni := h.sim.Truth().Accounts["acc"].NotInterested
	if len(ni) != 1 || ni[0].CandidateID != drop.GeekID || ni[0].Reason != "期望薪资过高" || ni[0].JobID != 1001 {
		t.Fatalf("truth not_interested %+v", ni)
	}
}

func TestWorkHistoryFitsThePositionCategory(t *testing.T) {
	sc, err := LoadScenario(filepath.Join("..", "configs", "sim-fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(sc, clock.NewManual(sc.Start), 3, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	sales := 0
	for _, c := range s.byID["sh-sales"].jobCands[2101] {
		for _, w := range c.item.GeekCard.GeekWorks {
			sales++
			if w.PositionCategory != "销售" || strings.Contains(w.Responsibility, "系统的设计与开发") {
				t.Fatalf("sales candidate work %+v", w)
			}
			for _, e := range w.WorkEmphasisList {
				if !strings.Contains(strings.Join(emphasis["销售"], ","), e) {
					t.Fatalf("sales skill %q", e)
				}
			}
		}
	}
	if sales == 0 {
		t.Fatal("no sales work history generated")
	}
}

// digitsOf undoes the sim's obfuscations: full-width, Chinese and circled
// digits become ASCII, everything else is dropped.
func digitsOf(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c >= '０' && c <= '９':
			b.WriteRune('0' + c - '０')
		case c == '⓪':
			b.WriteRune('0')
		case c >= '①' && c <= '⑨':
			b.WriteRune('1' + c - '①')
		default:
			if i := strings.IndexRune("零一二三四五六七八九", c); i >= 0 {
				b.WriteRune('0' + rune(len([]rune("零一二三四五六七八九"[:i]))))
			} else if i := strings.IndexRune("零壹贰叁肆伍陆柒捌玖", c); i >= 0 {
				b.WriteRune('0' + rune(len([]rune("零壹贰叁肆伍陆柒捌玖"[:i]))))
			}
		}
	}
	return b.String()
}

func TestObfuscatedContactsRoundTrip(t *testing.T) {
	phone, wechat := "13912345678", "lilei_go2026"
	seenPhone, seenWeChat := map[string]bool{}, map[string]bool{}
	for seed := uint64(0); seed < 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 1))
		p := contactText(r, DisclosurePhone, phone, true)
		if strings.Contains(p, phone) || digitsOf(p) != phone {
			t.Fatalf("phone form %q normalises to %q", p, digitsOf(p))
		}
		seenPhone[string([]rune(p)[:2])] = true // each form has its own lead-in
		w := contactText(r, DisclosureWeChat, wechat, true)
		plain := strings.NewReplacer("\u200b", "").Replace(w)
		if !strings.Contains(plain, wechat) && !strings.Contains(w, fullWidth(wechat)) {
			t.Fatalf("wechat form %q lost the id", w)
		}
		seenWeChat[w] = true
	}
	if len(seenPhone) < 5 || len(seenWeChat) < 6 {
		t.Fatalf("too few obfuscation forms: %d phone, %d wechat", len(seenPhone), len(seenWeChat))
	}
}

func TestContactGivenOnce(t *testing.T) {
	h, items := personaHarness(t, 17, ExplicitCandidate{Job: 1002, Persona: PersonaEager, WeChat: "once_only1"})
	gid := items[0].GeekCard.GeekID
	h.greet(items[0])
	for i := 0; i < 2; i++ {
		h.advance(10 * time.Minute)
		h.send(gid, fmt.Sprintf("方便加个微信吗？(%d)", i))
	}
	h.advance(10 * time.Minute)
	if d := h.sim.Truth().Accounts["acc"].Disclosures; len(d) != 1 || d[0].Value != "once_only1" {
		t.Fatalf("disclosures %+v", d)
	}
	if txt := historyTexts(h, gid); !strings.Contains(txt, "上面已经发过了") {
		t.Fatalf("second answer: %s", txt)
	}
}
