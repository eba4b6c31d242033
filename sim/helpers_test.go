package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// testScenario is a small world: one account, two jobs, no pacing limits
// unless a test sets them.
const testScenario = `
start: 2026-03-02T09:00:00+08:00
personas: {eager: 1}
behaviour: {reply_delay_min: 1m, reply_delay_max: 5m}
accounts:
  - id: acc
    name: 王经理
    username: boss
    password: secret
    uid: 8800123
    greeting: 您好，方便聊聊吗？
    daily_quota: 3
    session_lifetime: 24h
    jobs:
      - {id: 1001, name: Go开发工程师, city: 北京, salary: 20-35K, candidates: 20}
      - {id: 1002, name: 测试工程师, city: 上海, salary: 12-20K, candidates: 4}
`

type harness struct {
	t   *testing.T
	sim *Sim
	clk *clock.Manual
	srv *httptest.Server
	cl  *http.Client
}

func parseTestScenario(t testing.TB, extra func(*Scenario)) *Scenario {
	t.Helper()
	sc, err := ParseScenario([]byte(testScenario), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if extra != nil {
		extra(sc)
	}
	return sc
}

func newHarness(t *testing.T, seed int64, extra func(*Scenario)) *harness {
	t.Helper()
	sc := parseTestScenario(t, extra)
	clk := clock.NewManual(sc.Start)
	s, err := New(sc, clk, seed, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, sim: s, clk: clk, srv: srv, cl: newClient(t)}
}

// newClient returns a client with a cookie jar that does not follow
// redirects, so tests can see them.
func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (h *harness) do(req *http.Request) *http.Response {
	h.t.Helper()
	resp, err := h.cl.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp
}

func (h *harness) get(path string) *http.Response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	return h.do(req)
}

// raw decodes a /wapi/ response into a generic map (for shape checks).
func (h *harness) raw(method, path string, form url.Values) map[string]any {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp := h.do(req)
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return out
}

// call decodes a /wapi/ response into a typed envelope.
func call[T any](h *harness, method, path string, form url.Values) Envelope[T] {
	h.t.Helper()
	b, _ := json.Marshal(h.raw(method, path, form))
	var env Envelope[T]
	if err := json.Unmarshal(b, &env); err != nil {
		h.t.Fatal(err)
	}
	return env
}

func (h *harness) login() {
	h.t.Helper()
	env := call[map[string]string](h, "POST", "/wapi/zppassport/login/account", url.Values{"account": {"boss"}, "password": {"secret"}})
	if env.Code != 0 {
		h.t.Fatalf("login: code %d %s", env.Code, env.Message)
	}
}

func (h *harness) control(path string, body any) (int, map[string]any) {
	h.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(h.srv.URL+path, "application/json", strings.NewReader(string(b)))
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (h *harness) geekList(job int64, page int) Envelope[GeekList] {
	h.t.Helper()
	return call[GeekList](h, "GET", fmt.Sprintf("/wapi/zpjob/rec/geek/list?jobId=%d&page=%d", job, page), nil)
}

func (h *harness) greet(c GeekItem) Envelope[GreetResult] {
	h.t.Helper()
	return call[GreetResult](h, "POST", "/wapi/zpjob/chat/start", url.Values{
		"gid": {fmt.Sprint(c.GeekCard.GeekID)}, "jobId": {fmt.Sprint(c.GeekCard.JobID)},
		"securityId": {c.GeekCard.SecurityID}, "lid": {c.GeekCard.Lid}})
}

func (h *harness) history(gid int64, maxMID int64) Envelope[History] {
	h.t.Helper()
	p := fmt.Sprintf("/wapi/zpchat/boss/historyMsg?gid=%d&securityId=x&page=1&c=20&src=0", gid)
	if maxMID > 0 {
		p += fmt.Sprintf("&maxMsgId=%d", maxMID)
	}
	return call[History](h, "GET", p, nil)
}

func (h *harness) send(gid int64, text string) Envelope[SendResult] {
	h.t.Helper()
	return call[SendResult](h, "POST", "/wapi/zpchat/boss/sendMsg", url.Values{"gid": {fmt.Sprint(gid)}, "text": {text}})
}

func (h *harness) exchange(gid int64, kind string) Envelope[any] {
	h.t.Helper()
	return call[any](h, "POST", "/wapi/zpchat/exchange/request", url.Values{"gid": {fmt.Sprint(gid)}, "type": {kind}})
}

func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	if err := h.sim.Advance(d); err != nil {
		h.t.Fatal(err)
	}
}
