package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/config"
)

const (
	acct  = "account_boss_27175761"
	job1  = "job_boss_1001"
	job2  = "job_boss_1002"
	token = "test-token"
)

const testConfig = `
server:
  token: test-token
jobs:
  - platformType: boss
    platformID: "1001"
    name: 心理咨询师
    texts:
      salary: 薪资12-20K
      location: 望京SOHO
    filter_args:
      degree_min: 本科
  - platformType: boss
    platformID: "1002"
    name: 销售顾问
    texts:
      salary: 底薪8K加提成
accounts:
  - platformType: boss
    platformID: "27175761"
    jobs: [job_boss_1001, job_boss_1002]
    tasks:
      job_boss_1001:
        helloSum: 50
        timeMount: [{time: "09:00", mount: 25}, {time: "16:00", mount: 25}]
        filter: true
        touch_msg: 您好
  - platformType: boss
    platformID: "999"
    jobs: [job_boss_1001]
`

type env struct {
	srv  *server.Server
	c    *brain.Client
	clk  *clock.Manual
	url  string
	dir  string
	ctx  context.Context
	stop func()
}

func shanghai(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", s, clock.Shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func newEnv(t *testing.T, start string) *env {
	t.Helper()
	var cfg server.Config
	if err := config.Decode(strings.NewReader(testConfig), "test.yaml", &cfg); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clk := clock.NewManual(shanghai(t, start))
	srv, err := server.New(server.Options{DataDir: dir, Config: &cfg, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	c, err := brain.New(brain.Options{BaseURL: ts.URL, Token: token, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return &env{srv: srv, c: c, clk: clk, url: ts.URL, dir: dir, ctx: context.Background()}
}

func (e *env) report(t *testing.T, key string, cands ...string) {
	t.Helper()
	var opts []brain.CallOption
	if key != "" {
		opts = append(opts, brain.WithIdempotencyKey(key))
	}
	err := e.c.ReportTask(e.ctx, brain.TaskReportRequest{AccountID: acct, TaskStatus: []brain.TaskStatus{
		{TaskType: brain.TaskTypeBatchTouch, Details: brain.TaskDetails{CandidateList: cands}}}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) fetch(t *testing.T) brain.Task {
	t.Helper()
	tasks, err := e.c.FetchTasks(e.ctx, brain.TaskFetchRequest{AccountID: acct})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0].JobID != job1 {
		t.Fatalf("tasks = %+v; want one for %s (job2 has no task config)", tasks, job1)
	}
	return tasks[0]
}

func TestTaskFetchWorkedExampleOverHTTP(t *testing.T) {
	e := newEnv(t, "2026-11-23 08:00")
	if got := e.fetch(t); got.HelloSum != 50 || len(got.TimeMount) != 2 || !got.Filter.Ask || got.TouchMsg != "您好" {
		t.Fatalf("morning task = %+v", got)
	}
	e.clk.Set(shanghai(t, "2026-11-23 10:00"))
	var ten []string
	for i := range 10 {
		ten = append(ten, "c"+string(rune('a'+i)))
	}
	e.report(t, "", ten...)
	e.report(t, "", "ca", "x1", "x2", "x3") // "ca" again the same day counts once
	e.clk.Set(shanghai(t, "2026-11-23 12:00"))
	got := e.fetch(t)
	want := `{"jobID":"job_boss_1001","taskType":"batchTouch","helloSum":37,"timeMount":[{"time":"16:00","mount":37}],"filter":true,"touch_msg":"您好"}`
	if raw, _ := json.Marshal(got); string(raw) != want {
		t.Fatalf("task at 12:00 = %s\nwant %s", raw, want)
	}
	// A new day in Asia/Shanghai starts from zero (00:30 there is 16:30 UTC).
	e.clk.Set(shanghai(t, "2026-11-24 00:30"))
	if got := e.fetch(t); got.HelloSum != 50 || len(got.TimeMount) != 2 {
		t.Fatalf("next day task = %+v", got)
	}
}

func TestTaskReportIdempotencyKey(t *testing.T) {
	e := newEnv(t, "2026-11-23 08:00")
	e.report(t, "greet-batch-1", "a", "b")
	e.report(t, "greet-batch-1", "c") // a replay under the same key is not applied again
	e.report(t, "greet-batch-2", "d")
	if got := e.fetch(t); got.HelloSum != 47 {
		t.Fatalf("helloSum = %d, want 50-3", got.HelloSum)
	}
}

func geek(id int, degree string) json.RawMessage {
	raw, _ := json.Marshal(map[string]any{"geekCard": map[string]any{"geekId": id, "geekDegree": degree}})
	return raw
}

func TestFilterDecisionsAndDedupe(t *testing.T) {
	e := newEnv(t, "2026-11-23 09:00")
	touch, err := e.c.Filter(e.ctx, brain.FilterRequest{AccountID: acct, CandidateInfo: geek(7, "硕士")})
	if err != nil || !touch {
		t.Fatalf("filter = %v, %v", touch, err)
	}
	touch, _ = e.c.Filter(e.ctx, brain.FilterRequest{AccountID: acct, CandidateInfo: geek(8, "大专")})
	if touch {
		t.Fatal("大专 passed degree_min 本科")
	}
	// Another account chats with candidate 7 for the same job: nobody greets 7 again.
	if _, err := e.c.Chat(e.ctx, brain.ChatRequest{AccountID: "account_boss_999", CandidateID: "7", CandidateName: "甲",
		HistoryMsg: []brain.ChatMessage{{Speaker: "robot", Msg: "您好"}, {Speaker: "user", Msg: "你好"}}}); err != nil {
		t.Fatal(err)
	}
	if touch, _ := e.c.Filter(e.ctx, brain.FilterRequest{AccountID: acct, CandidateInfo: geek(7, "硕士")}); touch {
		t.Fatal("candidate with a chat for this job was approved again")
	}
	// A greeting reported by task/report also counts.
	e.report(t, "", "9")
	if touch, _ := e.c.Filter(e.ctx, brain.FilterRequest{AccountID: "account_boss_999", CandidateInfo: geek(9, "硕士")}); touch {
		t.Fatal("greeted candidate approved again")
	}

	req, _ := http.NewRequest(http.MethodGet, e.url+"/debug/decisions?accountID="+acct+"&limit=10", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("debug without token: HTTP %d", resp.StatusCode)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Ret  int               `json:"ret"`
		Data []server.Decision `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if len(env.Data) != 3 {
		t.Fatalf("decisions = %+v; want 3 for %s", env.Data, acct)
	}
	newest, oldest := env.Data[0], env.Data[2]
	if newest.CandidateID != "7" || newest.Touch || newest.Checks[0].Name != "already_contacted" ||
		!strings.Contains(newest.Checks[0].Detail, "account_boss_999") {
		t.Errorf("newest decision = %+v", newest)
	}
	if oldest.CandidateID != "7" || !oldest.Touch || oldest.Checks[0].Name != "degree" {
		t.Errorf("oldest decision = %+v", oldest)
	}
	if d := env.Data[1]; d.Touch || d.Checks[0].OK || !strings.Contains(d.Checks[0].Detail, "大专") {
		t.Errorf("大专 decision = %+v", d)
	}
}

func TestAuthRequired(t *testing.T) {
	e := newEnv(t, "2026-11-23 09:00")
	anon, _ := brain.New(brain.Options{BaseURL: e.url, MaxRetries: -1})
	_, err := anon.QueryAccount(e.ctx, "boss", "27175761")
	var ae *brain.APIError
	if !errors.As(err, &ae) || ae.Reason != "unauthorized" {
		t.Fatalf("anonymous call: %v", err)
	}
	resp, err := http.Get(e.url + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestRegistrationAndQueries(t *testing.T) {
	e := newEnv(t, "2026-11-23 09:00")
	id, err := e.c.RegisterJob(e.ctx, brain.JobRegisterRequest{PlatformType: "boss", PlatformID: "2001", JobName: "文员", RobotAPI: "x"})
	if err != nil || id != "job_boss_2001" {
		t.Fatalf("register = %q, %v", id, err)
	}
	_, err = e.c.RegisterJob(e.ctx, brain.JobRegisterRequest{PlatformType: "boss", PlatformID: "2001", JobName: "文员"})
	if !errors.Is(err, brain.ErrRejected) {
		t.Fatalf("duplicate job: %v", err)
	}
	if _, err := e.c.RegisterJob(e.ctx, brain.JobRegisterRequest{PlatformType: "boss", JobName: "x"}); !errors.Is(err, brain.ErrRejected) || !strings.Contains(err.Error(), "platformID") {
		t.Fatalf("missing platformID: %v", err)
	}
	if _, err := e.c.RegisterJob(e.ctx, brain.JobRegisterRequest{PlatformType: "boss", PlatformID: "2002", JobName: "x",
		JobConfig: &brain.JobConfig{FilterArgs: brain.FilterArgs{DegreeMin: "学士"}}}); err == nil || !strings.Contains(err.Error(), "degree_min") {
		t.Fatalf("bad filter_args: %v", err)
	}
	if _, err := e.c.QueryJob(e.ctx, "boss", "404"); !errors.Is(err, brain.ErrNoRet) {
		t.Fatalf("unknown job: %v", err)
	}
	if id, err := e.c.QueryJob(e.ctx, "boss", "2001"); err != nil || id != "job_boss_2001" {
		t.Fatalf("query = %q, %v", id, err)
	}
	_, err = e.c.RegisterAccount(e.ctx, brain.AccountRegisterRequest{PlatformType: "boss", PlatformID: "1", Jobs: []string{"job_boss_nope"}})
	if !errors.Is(err, brain.ErrRejected) || !strings.Contains(err.Error(), "jobs[0]") {
		t.Fatalf("account with unknown job: %v", err)
	}
	aid, err := e.c.RegisterAccount(e.ctx, brain.AccountRegisterRequest{PlatformType: "boss", PlatformID: "1", Jobs: []string{"job_boss_2001"},
		TaskConfig: map[string]brain.TaskConfig{"job_boss_2001": {HelloSum: 5, TimeMount: []brain.TimeMount{{Time: "25:00", Mount: 1}}}}})
	if !errors.Is(err, brain.ErrRejected) || !strings.Contains(err.Error(), "timeMount[0].time") {
		t.Fatalf("bad task config: %q, %v", aid, err)
	}
	if aid, err := e.c.QueryAccount(e.ctx, "boss", "1"); !errors.Is(err, brain.ErrNoRet) {
		t.Fatalf("rejected account was stored: %q, %v", aid, err)
	}
	if _, err := e.c.FetchTasks(e.ctx, brain.TaskFetchRequest{AccountID: "account_boss_404"}); !errors.Is(err, brain.ErrNoRet) {
		t.Fatalf("unknown account: %v", err)
	}
	if _, err := e.c.FetchTasks(e.ctx, brain.TaskFetchRequest{}); !errors.Is(err, brain.ErrRejected) || !strings.Contains(err.Error(), "accountID为空") {
		t.Fatalf("empty account: %v", err)
	}
}

func chatOnce(t *testing.T, e *env, jobID, cand string, hist ...string) brain.ChatData {
	t.Helper()
	var h []brain.ChatMessage
	for i := 0; i < len(hist); i += 2 {
		h = append(h, brain.ChatMessage{Speaker: hist[i], Msg: hist[i+1]})
	}
	d, err := e.c.Chat(e.ctx, brain.ChatRequest{AccountID: acct, JobID: jobID, CandidateID: cand, CandidateName: "候选人", HistoryMsg: h})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestChatJobFallbackResultAndWechatQueue(t *testing.T) {
	e := newEnv(t, "2026-11-23 09:00")
	// First chat names job2; later requests without jobID stay on job2.
	if d := chatOnce(t, e, job2, "c1", "robot", "您好", "user", "工资多少"); d.NextStep != brain.StepNeedContact || !strings.Contains(d.NextStepContent, "底薪8K") {
		t.Fatalf("job2 chat = %+v", d)
	}
	if d := chatOnce(t, e, "", "c1", "robot", "您好", "user", "工资多少", "robot", "x", "user", "提成怎么算"); !strings.Contains(d.NextStepContent, "底薪8K") {
		t.Fatalf("chat without jobID used another job: %+v", d)
	}
	// A candidate never seen defaults to the account's first job.
	if d := chatOnce(t, e, "", "c2", "robot", "您好", "user", "工资多少"); !strings.Contains(d.NextStepContent, "12-20K") {
		t.Fatalf("default job chat = %+v", d)
	}

	// Result: fields merge, empty never overwrites; the CV lands under cv/ with a safe name.
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.c.SubmitResult(e.ctx, brain.ResultRequest{AccountID: acct, CandidateID: "c1", CandidateName: "张三", Phone: "13800000000"}))
	must(e.c.SubmitResult(e.ctx, brain.ResultRequest{AccountID: acct, CandidateID: "c1", Wechat: "zhangsan_wx",
		Filename: "../../etc/passwd.pdf", CV: []byte("%PDF-1.4 cv")}, brain.WithIdempotencyKey("r2")))
	must(e.c.SubmitResult(e.ctx, brain.ResultRequest{AccountID: acct, CandidateID: "c1", Wechat: "zhangsan_wx",
		Filename: "../../etc/passwd.pdf", CV: []byte("%PDF-1.4 cv")}, brain.WithIdempotencyKey("r2")))
	if err := e.c.SubmitResult(e.ctx, brain.ResultRequest{AccountID: acct, CandidateID: "c1"}); !errors.Is(err, brain.ErrRejected) {
		t.Fatalf("empty result accepted: %v", err)
	}
	files, _ := os.ReadDir(filepath.Join(e.dir, "cv"))
	if len(files) != 1 {
		t.Fatalf("cv dir = %v; want one file", files)
	}
	fi, _ := files[0].Info()
	if fi.Mode().Perm() != 0o600 || strings.Contains(fi.Name(), "..") || !strings.HasSuffix(fi.Name(), ".pdf") {
		t.Fatalf("cv file %s mode %v", fi.Name(), fi.Mode())
	}
	if st, _ := os.Stat(filepath.Join(e.dir, "brain.db")); st.Mode().Perm() != 0o600 {
		t.Fatalf("brain.db mode %v", st.Mode())
	}
	// The contact is stored: the conversation is over.
	if d := chatOnce(t, e, "", "c1", "robot", "您好", "user", "在吗"); d.NextStep != brain.StepNoTalk {
		t.Fatalf("chat after result = %+v", d)
	}

	// WeChat queue: add_friend (once, despite the replayed result) -> report -> intro send_msg -> report -> empty.
	tasks, err := e.c.WechatTaskToDo(e.ctx, acct)
	must(err)
	if len(tasks) != 1 || tasks[0].TaskType != brain.WechatAddFriend || len(tasks[0].Content) != 1 ||
		tasks[0].Content[0].SearchID != "zhangsan_wx" || tasks[0].Content[0].AliasID != "c1" {
		t.Fatalf("tasks = %+v", tasks)
	}
	if err := e.c.WechatAddFriendReport(e.ctx, brain.WechatAddFriendReport{AccountID: acct, AliasID: "nobody"}); !errors.Is(err, brain.ErrRejected) {
		t.Fatalf("report for unknown alias: %v", err)
	}
	must(e.c.WechatAddFriendReport(e.ctx, brain.WechatAddFriendReport{AccountID: acct, SearchID: "zhangsan_wx", AliasID: "c1"}))
	must(e.c.WechatAddFriendReport(e.ctx, brain.WechatAddFriendReport{AccountID: acct, SearchID: "zhangsan_wx", AliasID: "c1"})) // replay: ok, no second intro
	tasks, err = e.c.WechatTaskToDo(e.ctx, acct)
	must(err)
	if len(tasks) != 1 || tasks[0].TaskType != brain.WechatSendMsg || len(tasks[0].Content) != 1 || tasks[0].Content[0].Msg == "" {
		t.Fatalf("tasks after add = %+v", tasks)
	}
	must(e.c.WechatMsgSendReport(e.ctx, brain.WechatMsgSendReport{AccountID: acct, AliasID: "c1", MsgSend: tasks[0].Content[0].Msg}))
	tasks, err = e.c.WechatTaskToDo(e.ctx, acct)
	must(err)
	if len(tasks) != 0 {
		t.Fatalf("tasks after send = %+v", tasks)
	}
	reply, err := e.c.WechatUserMsg(e.ctx, brain.WechatUserMsg{AccountID: acct, AliasID: "c1", MsgReceive: "工资怎么算"})
	if err != nil || reply != "底薪8K加提成" {
		t.Fatalf("userMsg = %q, %v", reply, err)
	}
	// The seed's spelling of the path answers too.
	req, _ := http.NewRequest(http.MethodPost, e.url+brain.PathWechatUserMsgAlt,
		strings.NewReader(`{"account_id":"`+acct+`","alias_id":"c1","msg_receive":"在哪上班"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	must(err)
	defer resp.Body.Close()
	var out struct {
		Ret  int               `json:"ret"`
		Data brain.WechatReply `json:"data"`
	}
	must(json.NewDecoder(resp.Body).Decode(&out))
	if out.Ret != 0 || out.Data.Msg == "" {
		t.Fatalf("userMsguser = %+v", out)
	}
}

func TestChatRefusalIsRemembered(t *testing.T) {
	e := newEnv(t, "2026-11-23 09:00")
	if d := chatOnce(t, e, "", "c9", "robot", "您好", "user", "不考虑了"); d.NextStep != brain.StepNoTalk {
		t.Fatalf("refusal = %+v", d)
	}
	if d := chatOnce(t, e, "", "c9", "robot", "您好", "user", "不考虑了", "user", "工资多少"); d.NextStep != brain.StepNoTalk {
		t.Fatalf("after refusal = %+v", d)
	}
	if _, err := e.c.Chat(e.ctx, brain.ChatRequest{AccountID: acct, CandidateID: "c9", HistoryMsg: []brain.ChatMessage{{Speaker: "bot", Msg: "x"}}}); !errors.Is(err, brain.ErrRejected) || !strings.Contains(err.Error(), "historyMsg[0].speaker") {
		t.Fatalf("bad speaker: %v", err)
	}
}

func recalls(t *testing.T, e *env, read []string, ids ...string) map[string]string {
	t.Helper()
	list, err := e.c.RecallList(e.ctx, brain.RecallListRequest{AccountID: acct, CandidateIDs: ids, CandidateIDsRead: read})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range list {
		if !r.NeedRecall || r.JobID != job1 || r.CandidateName != "候选人" {
			t.Errorf("recall item %+v", r)
		}
		out[r.CandidateID] = r.RecallMsg
	}
	return out
}

func TestRecallWindowsAcrossDays(t *testing.T) {
	e := newEnv(t, "2026-11-23 10:00")
	chatOnce(t, e, "", "r1", "robot", "您好", "user", "你好")
	chatOnce(t, e, "", "r2", "robot", "您好", "user", "你好")
	chatOnce(t, e, "", "withcontact", "robot", "您好", "user", "你好")
	if err := e.c.SubmitResult(e.ctx, brain.ResultRequest{AccountID: acct, CandidateID: "withcontact", Phone: "13900000000"}); err != nil {
		t.Fatal(err)
	}
	ids := []string{"r1", "r2", "withcontact", "never-chatted"}
	recall := func(id, key string) {
		t.Helper()
		if err := e.c.RecallResult(e.ctx, brain.RecallResultRequest{AccountID: acct, CandidateID: id}, brain.WithIdempotencyKey(key)); err != nil {
			t.Fatal(err)
		}
	}

	if got := recalls(t, e, nil, ids...); len(got) != 0 {
		t.Fatalf("same day: %v", got)
	}
	// candidateIDs_read skips the window (still no contact, < 3 recalls).
	if got := recalls(t, e, []string{"r2", "withcontact"}, ids...); len(got) != 1 || !strings.HasPrefix(got["r2"], "哈喽 哈喽") {
		t.Fatalf("read ids: %v", got)
	}
	e.clk.Set(shanghai(t, "2026-11-24 09:00")) // day 1
	got := recalls(t, e, nil, ids...)
	if len(got) != 2 || !strings.HasPrefix(got["r1"], "哈喽 哈喽 不知道看到消息了么？最近是在忙？") {
		t.Fatalf("day 1: %v", got)
	}
	recall("r1", "r1-0")
	recall("r1", "r1-0") // replayed by an outbox: counted once
	if got := recalls(t, e, nil, ids...); len(got) != 1 || got["r2"] == "" {
		t.Fatalf("day 1 after recall: %v", got)
	}
	e.clk.Set(shanghai(t, "2026-11-25 09:00")) // day 2: r1 one day after its recall
	if got := recalls(t, e, nil, "r1"); !strings.HasPrefix(got["r1"], "hi 亲，您对我们感兴趣的话") {
		t.Fatalf("second recall text: %v", got)
	}
	recall("r1", "r1-1")
	e.clk.Set(shanghai(t, "2026-11-26 09:00")) // third recall needs 2+ days
	if got := recalls(t, e, nil, "r1"); len(got) != 0 {
		t.Fatalf("third recall too early: %v", got)
	}
	// r2 was last updated on day 0: 3 days is the end of its window.
	if got := recalls(t, e, nil, "r2"); got["r2"] == "" {
		t.Fatalf("r2 at 3 days: %v", got)
	}
	e.clk.Set(shanghai(t, "2026-11-27 09:00"))
	if got := recalls(t, e, nil, "r1", "r2"); len(got) != 1 || !strings.HasPrefix(got["r1"], "哈喽 亲 看给你发消息一直没有回复") {
		t.Fatalf("day 4 (r2 expired, r1 third): %v", got)
	}
	recall("r1", "r1-2")
	e.clk.Set(shanghai(t, "2026-11-30 09:00"))
	if got := recalls(t, e, []string{"r1"}, "r1"); len(got) != 0 {
		t.Fatalf("after three recalls: %v", got)
	}
	if err := e.c.RecallResult(e.ctx, brain.RecallResultRequest{AccountID: acct, CandidateID: "never-chatted"}); !errors.Is(err, brain.ErrRejected) {
		t.Fatalf("recallResult for unknown candidate: %v", err)
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(shanghai(t, "2026-11-23 10:00"))
	cfg := &server.Config{
		Jobs:     []server.JobSpec{{PlatformType: "boss", PlatformID: "1", Name: "岗位"}},
		Accounts: []server.AccountSpec{{PlatformType: "boss", PlatformID: "2", Jobs: []string{"job_boss_1"}, Tasks: map[string]brain.TaskConfig{"job_boss_1": {HelloSum: 10, TimeMount: []brain.TimeMount{{Time: "20:00", Mount: 1}}}}}},
	}
	run := func(fn func(c *brain.Client)) {
		srv, err := server.New(server.Options{DataDir: dir, Config: cfg, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		defer func() { ts.Close(); srv.Close() }()
		c, _ := brain.New(brain.Options{BaseURL: ts.URL})
		fn(c)
	}
	run(func(c *brain.Client) {
		if err := c.ReportTask(context.Background(), brain.TaskReportRequest{AccountID: "account_boss_2",
			TaskStatus: []brain.TaskStatus{{TaskType: "batchTouch", Details: brain.TaskDetails{CandidateList: []string{"a", "b"}}}}}); err != nil {
			t.Fatal(err)
		}
	})
	run(func(c *brain.Client) {
		tasks, err := c.FetchTasks(context.Background(), brain.TaskFetchRequest{AccountID: "account_boss_2"})
		if err != nil || len(tasks) != 1 || tasks[0].HelloSum != 8 {
			t.Fatalf("after restart: %+v, %v", tasks, err)
		}
	})
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"unknown key":         "jobs:\n  - platformType: boss\n    platformID: \"1\"\n    name: x\n    filter_args:\n      age_mni: 3\n",
		"accounts[0].jobs[0]": "jobs:\n  - {platformType: boss, platformID: \"1\", name: x}\naccounts:\n  - {platformType: boss, platformID: \"2\", jobs: [job_boss_9]}\n",
		"accounts[0].tasks.job_boss_1.timeMount[0].time":               "jobs:\n  - {platformType: boss, platformID: \"1\", name: x}\naccounts:\n  - platformType: boss\n    platformID: \"2\"\n    jobs: [job_boss_1]\n    tasks:\n      job_boss_1: {helloSum: 3, timeMount: [{time: \"9am\", mount: 1}]}\n",
		"jobs[0].filter_args.degree_min":                               "jobs:\n  - platformType: boss\n    platformID: \"1\"\n    name: x\n    filter_args: {degree_min: 学士}\n",
		"jobs[1].platformID: duplicate":                                "jobs:\n  - {platformType: boss, platformID: \"1\", name: x}\n  - {platformType: boss, platformID: \"1\", name: y}\n",
		"jobs[0].name":                                                 "jobs:\n  - {platformType: boss, platformID: \"1\"}\n",
		"accounts[0].tasks.job_boss_2: not one of this account's jobs": "jobs:\n  - {platformType: boss, platformID: \"1\", name: x}\n  - {platformType: boss, platformID: \"2\", name: y}\naccounts:\n  - platformType: boss\n    platformID: \"2\"\n    jobs: [job_boss_1]\n    tasks:\n      job_boss_2: {helloSum: 3}\n",
	}
	for want, yaml := range cases {
		var cfg server.Config
		err := config.Decode(strings.NewReader(yaml), "brain.yaml", &cfg)
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
	var cfg server.Config
	if err := config.LoadFile("../../configs/brain.example.yaml", &cfg); err != nil {
		t.Fatalf("example config: %v", err)
	}
	if _, err := server.New(server.Options{DataDir: t.TempDir(), Config: &cfg}); err != nil {
		t.Fatalf("example config does not start: %v", err)
	}
}
