package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/state"
)

// The fake robots below check requests against each vendor's documented
// shapes and signature algorithms, written from the vendor docs (cited in
// docs/operations.md), not from api/im.go:
//   - WeCom: POST .../cgi-bin/webhook/send?key=KEY, {"msgtype":"markdown",
//     "markdown":{"content":...}} (content at most 4096 bytes); answer
//     {"errcode":0,"errmsg":"ok"}.
//   - DingTalk: POST .../robot/send?access_token=T&timestamp=MS&sign=S where
//     S = Base64(HmacSHA256(key=secret, data=MS+"\n"+secret)), URL-encoded;
//     MS within an hour; {"msgtype":"markdown","markdown":{"title","text"}};
//     answer {"errcode":0,"errmsg":"ok"} (310000 on a bad sign).
//   - Feishu: POST .../open-apis/bot/v2/hook/TOKEN with "timestamp" (seconds,
//     a string) and "sign" = Base64(HmacSHA256(key=TS+"\n"+secret, data=""))
//     in the body, "msg_type":"interactive" and a "card"; answer
//     {"code":0,"msg":"success"} (19021 on a bad sign).

type robotMsg struct {
	Kind  string // wecom, dingtalk, feishu
	Title string
	Text  string
}

type fakeRobots struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	got      []robotMsg
	refused  []string
	failNext int // answer this many requests with a vendor error
}

const (
	wecomKey       = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
	dingToken      = "dingtoken123"
	dingSecret     = "SECabc123secret"
	feishuToken    = "feishu-hook-token"
	feishuSecret   = "feishu-secret-xyz"
	withinOneHour  = time.Hour
	wecomMaxMDSize = 4096
)

func newFakeRobots(t *testing.T) *fakeRobots {
	f := &fakeRobots{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cgi-bin/webhook/send", f.wecom)
	mux.HandleFunc("POST /robot/send", f.dingtalk)
	mux.HandleFunc("POST /open-apis/bot/v2/hook/{token}", f.feishu)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRobots) record(m robotMsg, refusal string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if refusal != "" {
		f.refused = append(f.refused, m.Kind+": "+refusal)
		return false
	}
	if f.failNext > 0 {
		f.failNext--
		f.refused = append(f.refused, m.Kind+": injected failure")
		return false
	}
	f.got = append(f.got, m)
	return true
}

func (f *fakeRobots) messages() []robotMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]robotMsg(nil), f.got...)
}

func decode(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func freshTimestamp(ts string, unit time.Duration) bool {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := time.Since(time.Unix(0, n*int64(unit)))
	return d < withinOneHour && d > -withinOneHour
}

func (f *fakeRobots) wecom(w http.ResponseWriter, r *http.Request) {
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	refusal := ""
	switch {
	case r.URL.Query().Get("key") != wecomKey:
		refusal = "bad key"
	case decode(r, &body) != nil || body.MsgType != "markdown" || body.Markdown.Content == "":
		refusal = "not a markdown message"
	case len(body.Markdown.Content) > wecomMaxMDSize:
		refusal = "markdown over 4096 bytes"
	}
	if f.record(robotMsg{Kind: "wecom", Text: body.Markdown.Content}, refusal) {
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
		return
	}
	io.WriteString(w, `{"errcode":40058,"errmsg":"invalid request"}`)
}

func (f *fakeRobots) dingtalk(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ts := q.Get("timestamp")
	mac := hmac.New(sha256.New, []byte(dingSecret))
	mac.Write([]byte(ts + "\n" + dingSecret))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	var body struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
	}
	refusal := ""
	switch {
	case q.Get("access_token") != dingToken:
		refusal = "bad access_token"
	case !freshTimestamp(ts, time.Millisecond):
		refusal = "timestamp not within an hour (milliseconds)"
	case q.Get("sign") != want:
		refusal = "sign not match"
	case decode(r, &body) != nil || body.MsgType != "markdown" || body.Markdown.Title == "" || body.Markdown.Text == "":
		refusal = "not a markdown message with title and text"
	}
	if f.record(robotMsg{Kind: "dingtalk", Title: body.Markdown.Title, Text: body.Markdown.Text}, refusal) {
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
		return
	}
	io.WriteString(w, `{"errcode":310000,"errmsg":"sign not match"}`)
}

func (f *fakeRobots) feishu(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
		MsgType   string `json:"msg_type"`
		Card      struct {
			Header struct {
				Title struct {
					Tag     string `json:"tag"`
					Content string `json:"content"`
				} `json:"title"`
			} `json:"header"`
			Elements []struct {
				Tag  string `json:"tag"`
				Text struct {
					Tag     string `json:"tag"`
					Content string `json:"content"`
				} `json:"text"`
			} `json:"elements"`
		} `json:"card"`
	}
	err := decode(r, &body)
	mac := hmac.New(sha256.New, []byte(body.Timestamp+"\n"+feishuSecret))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	refusal := ""
	switch {
	case err != nil || r.PathValue("token") != feishuToken:
		refusal = "bad request"
	case !freshTimestamp(body.Timestamp, time.Second):
		refusal = "timestamp not within an hour (seconds)"
	case body.Sign != want:
		refusal = "sign match fail"
	case body.MsgType != "interactive" || body.Card.Header.Title.Content == "" || len(body.Card.Elements) == 0 ||
		body.Card.Elements[0].Tag != "div" || body.Card.Elements[0].Text.Tag != "lark_md":
		refusal = "not an interactive card"
	}
	text := ""
	if len(body.Card.Elements) > 0 {
		text = body.Card.Elements[0].Text.Content
	}
	if f.record(robotMsg{Kind: "feishu", Title: body.Card.Header.Title.Content, Text: text}, refusal) {
		io.WriteString(w, `{"code":0,"msg":"success","data":{}}`)
		return
	}
	io.WriteString(w, `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`)
}

func (f *fakeRobots) routes() []api.AlertRoute {
	return []api.AlertRoute{
		{Name: "wecom-ops", Type: api.RobotWeCom, URL: f.srv.URL + "/cgi-bin/webhook/send?key=" + wecomKey},
		{Name: "ding-ops", Type: api.RobotDingTalk, URL: f.srv.URL + "/robot/send?access_token=" + dingToken, Secret: dingSecret},
		{Name: "feishu-ops", Type: api.RobotFeishu, URL: f.srv.URL + "/open-apis/bot/v2/hook/" + feishuToken, Secret: feishuSecret},
	}
}

func deliverRobots(t *testing.T, s *api.Server, cfg api.AlertsConfig) {
	t.Helper()
	if _, err := s.DeliverRobots(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
}

// TestRobotsNativeFormatsAndSignatures: a needs_login alert reaches all
// three robots in their formats, signed as documented, with the QR link.
func TestRobotsNativeFormatsAndSignatures(t *testing.T) {
	e := newEnv(t)
	f := newFakeRobots(t)
	cfg := api.AlertsConfig{Routes: f.routes()}
	deliverRobots(t, e.api, cfg) // the routes start here: earlier alerts are not replayed
	e.beat("boss-a", "running", "")
	e.beat("boss-a", "needs_login", "cookies expired [x](http://evil)")
	deliverRobots(t, e.api, cfg)
	got := f.messages()
	if len(got) != 3 || len(f.refused) != 0 {
		t.Fatalf("robots got %+v, refused %v", got, f.refused)
	}
	for _, m := range got {
		if !strings.Contains(m.Text, "boss-a") || !strings.Contains(m.Text, e.srv.URL+"/ui/accounts/boss-a") {
			t.Errorf("%s message lacks the account or the QR link: %q", m.Kind, m.Text)
		}
		if strings.Contains(m.Text, "](http://evil)") {
			t.Errorf("%s message carries a link from the page text: %q", m.Kind, m.Text)
		}
	}
	// Delivered once: a second pass sends nothing.
	deliverRobots(t, e.api, cfg)
	if n := len(f.messages()); n != 3 {
		t.Fatalf("%d messages after a second pass, want 3", n)
	}
}

// TestRobotsBatchBurstsPerKind: within the batch window a second alert of
// the same kind waits and goes out with the others as one message; another
// kind is not held back.
func TestRobotsBatchBurstsPerKind(t *testing.T) {
	e := newEnv(t)
	f := newFakeRobots(t)
	cfg := api.AlertsConfig{Routes: f.routes()[:1]}
	deliverRobots(t, e.api, cfg)
	e.beat("a1", "paused_risk", "verify")
	deliverRobots(t, e.api, cfg)
	e.clk.Advance(10 * time.Second)
	e.beat("a2", "paused_risk", "verify")
	e.beat("a3", "paused_risk", "verify")
	e.beat("a4", "quota_reached", "")
	soon, err := e.api.DeliverRobots(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := f.messages()
	if len(got) != 2 || !strings.Contains(got[1].Text, "a4") || !soon {
		t.Fatalf("within the window: %+v (due soon %v); want the first risk and the quota alert only", got, soon)
	}
	e.clk.Advance(51 * time.Second)
	deliverRobots(t, e.api, cfg)
	got = f.messages()
	if len(got) != 3 || !strings.Contains(got[2].Text, "a2") || !strings.Contains(got[2].Text, "a3") || strings.Contains(got[2].Text, "a1") {
		t.Fatalf("after the window: %+v; want one message with a2 and a3", got)
	}
}

// TestRobotsRetryAcrossRestart: a robot that refuses is retried with
// backoff, and the queued message survives a restart of the control plane.
func TestRobotsRetryAcrossRestart(t *testing.T) {
	e := newEnv(t)
	f := newFakeRobots(t)
	cfg := api.AlertsConfig{Routes: f.routes()[1:2]} // DingTalk
	deliverRobots(t, e.api, cfg)
	e.beat("boss-a", "error", "chromium crashed")
	f.failNext = 1
	deliverRobots(t, e.api, cfg)
	if len(f.messages()) != 0 || len(f.refused) != 1 {
		t.Fatalf("first attempt: got %v refused %v", f.messages(), f.refused)
	}
	deliverRobots(t, e.api, cfg) // not due yet: no second attempt
	if len(f.refused) != 1 {
		t.Fatalf("retried before its backoff: %v", f.refused)
	}

	// Restart: close the store, reopen the same file under a new server.
	path := filepath.Join(e.data, "control.db")
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := state.Open(path, state.Options{Clock: e.clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s2, err := api.NewServer(api.Options{Outbound: loopbackAllowed, Store: db, Clock: e.clk, DataDir: e.data, PublicURL: e.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(10 * time.Second)
	deliverRobots(t, s2, cfg)
	got := f.messages()
	if len(got) != 1 || !strings.Contains(got[0].Text, "chromium crashed") || got[0].Kind != "dingtalk" {
		t.Fatalf("after restart: %+v, refused %v", got, f.refused)
	}
}

// TestRobotsRouting: kinds and account groups select what a route gets.
func TestRobotsRouting(t *testing.T) {
	e := newEnv(t)
	f := newFakeRobots(t)
	r := f.routes()
	r[0].Groups, r[0].Kinds = []string{"beijing"}, []string{"paused_risk"}
	cfg := api.AlertsConfig{Routes: r[:1], Groups: map[string][]string{"beijing": {"bj-*"}}}
	deliverRobots(t, e.api, cfg)
	e.beat("sh-1", "paused_risk", "")
	e.beat("bj-1", "quota_reached", "")
	e.beat("bj-2", "paused_risk", "")
	deliverRobots(t, e.api, cfg)
	got := f.messages()
	if len(got) != 1 || !strings.Contains(got[0].Text, "bj-2") || strings.Contains(got[0].Text, "sh-1") {
		t.Fatalf("routed: %+v", got)
	}
}

// TestRobotsSSRFGuard: without outbound.allow a loopback robot is refused
// at dial time and the alert stays queued for retry.
func TestRobotsSSRFGuard(t *testing.T) {
	e := newEnvWith(t, func(o *api.Options) { o.Outbound = api.OutboundConfig{} })
	f := newFakeRobots(t)
	cfg := api.AlertsConfig{Routes: f.routes()[:1]}
	deliverRobots(t, e.api, cfg)
	e.beat("boss-a", "error", "x")
	soon, err := e.api.DeliverRobots(context.Background(), cfg)
	if err != nil || !soon || len(f.messages()) != 0 {
		t.Fatalf("guarded: soon %v err %v got %v", soon, err, f.messages())
	}
}

// TestAlertRoutesConfig: bad route keys are named.
func TestAlertRoutesConfig(t *testing.T) {
	ok := api.AlertRoute{Name: "r", Type: "wecom", URL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
	for _, c := range []struct {
		mut  func(*api.AlertsConfig)
		want string
	}{
		{func(c *api.AlertsConfig) { c.Routes[0].Type = "slack" }, "alerts.routes[0].type"},
		{func(c *api.AlertsConfig) { c.Routes[0].URL = "ftp://x" }, "alerts.routes[0].url"},
		{func(c *api.AlertsConfig) { c.Routes[0].Secret = "s" }, "alerts.routes[0].secret"},
		{func(c *api.AlertsConfig) { c.Routes[0].Kinds = []string{"nope"} }, "alerts.routes[0].kinds[0]"},
		{func(c *api.AlertsConfig) { c.Routes[0].Groups = []string{"g"} }, "alerts.routes[0].groups[0]"},
		{func(c *api.AlertsConfig) { c.Routes = append(c.Routes, c.Routes[0]) }, "alerts.routes[1].name"},
		{func(c *api.AlertsConfig) { c.Routes[0].URL, c.Routes[0].URLEnv = "", "HUNTERBOT_TEST_UNSET_URL" }, "alerts.routes[0].url_env"},
		{func(c *api.AlertsConfig) { c.Groups = map[string][]string{"g": {"["}} }, "alerts.groups.g[0]"},
	} {
		cfg := api.Config{Alerts: api.AlertsConfig{Routes: []api.AlertRoute{ok}}}
		c.mut(&cfg.Alerts)
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("want an error naming %s, got %v", c.want, err)
		}
	}
	cfg := api.Config{Alerts: api.AlertsConfig{Routes: []api.AlertRoute{ok}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestRobotsSplitLongBurstsWithinLimits: a burst whose texts exceed the
// WeCom markdown limit (4096 bytes, checked by the fake) goes out as
// several messages, one per window, each alert exactly once.
func TestRobotsSplitLongBurstsWithinLimits(t *testing.T) {
	e := newEnv(t)
	f := newFakeRobots(t)
	cfg := api.AlertsConfig{Routes: f.routes()[:1]}
	deliverRobots(t, e.api, cfg)
	long := strings.Repeat("验证页面出现，请人工处理。", 30) // 360 runes, ~1 KB
	var keys []string
	for i := range 12 {
		k := "acct-" + strconv.Itoa(100+i)
		keys = append(keys, k)
		e.beat(k, "paused_risk", long)
	}
	for range 20 {
		soon, err := e.api.DeliverRobots(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !soon {
			break
		}
		e.clk.Advance(time.Minute)
	}
	got := f.messages()
	if len(f.refused) != 0 || len(got) < 3 {
		t.Fatalf("%d messages, refused %v", len(got), f.refused)
	}
	all := ""
	for _, m := range got {
		all += m.Text
	}
	for _, k := range keys {
		if n := strings.Count(all, "**"+k+"**"); n != 1 {
			t.Errorf("%s listed %d times over %d messages", k, n, len(got))
		}
	}
}

// TestRobotsHoldNewAlertsWhileRetrying: while a message of a kind waits
// for its retry, new alerts of that kind do not hit the failing robot one
// by one; they go out with the retry as one message.
func TestRobotsHoldNewAlertsWhileRetrying(t *testing.T) {
	e := newEnv(t)
	f := newFakeRobots(t)
	cfg := api.AlertsConfig{Routes: f.routes()[2:3]} // Feishu
	deliverRobots(t, e.api, cfg)
	e.beat("a1", "error", "x")
	f.failNext = 1
	deliverRobots(t, e.api, cfg)
	e.beat("a2", "error", "y")
	e.beat("a3", "error", "z")
	deliverRobots(t, e.api, cfg)
	if len(f.refused) != 1 || len(f.messages()) != 0 {
		t.Fatalf("during the backoff: refused %v, got %v", f.refused, f.messages())
	}
	e.clk.Advance(5 * time.Second)
	deliverRobots(t, e.api, cfg)
	got := f.messages()
	if len(got) != 1 || !strings.Contains(got[0].Text, "a1") || !strings.Contains(got[0].Text, "a3") {
		t.Fatalf("after the backoff: %+v", got)
	}
}
