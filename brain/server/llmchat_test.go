package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
)

// llmConfig is a job with a facts sheet and a plan, answered by the fake
// model at BASE.
const llmConfig = `
llm:
  base_url: BASE
  model: fake-1
  api_key_env: FAKE_LLM_KEY
  timeout: BUDGET
  allow: [127.0.0.1]
jobs:
  - platformType: boss
    platformID: "1001"
    name: 心理咨询师
    jd: 负责线上心理咨询，三年以上经验
    facts:
      salary_min_k: 15
      salary_max_k: 20
      salary: 15-20K，13薪
      location: 北京朝阳区望京SOHO
      hours: 9:30-18:30，双休
      benefits: 五险一金，餐补20元/天
      process: 两轮面试，一周内出结果
    plan:
      prompt: 热情专业，先回答问题再引导加微信
      backgroundInfo: 公司是一家心理健康平台
      timeInfo: 本周六可以安排面试
      referenceCase: 候选人问薪资时，先说范围再问期望
      scenes:
        - name: 拒绝
          keywords: [不考虑, 不需要]
          statisticalMethod: ONLY
          strategy: AI_SERVICE_END_UNTIL_RESTART
        - name: 投诉
          keywords: [投诉, 举报]
          strategy: CUSTOMER_SERVICE_INTERVENES
        - name: 问薪资
          keywords: [薪资, 工资]
          statisticalMethod: GRAND_TOTAL
accounts:
  - platformType: boss
    platformID: "27175761"
    jobs: [job_boss_1001]
`

type llmEnv struct {
	srv  *server.Server
	c    *brain.Client
	fake *llmtest.Server
}

func newLLMEnv(t *testing.T, budget string, script llmtest.Script) *llmEnv {
	t.Helper()
	fake := llmtest.New(script)
	t.Cleanup(fake.Close)
	var cfg server.Config
	y := strings.NewReplacer("BASE", fake.BaseURL(), "BUDGET", budget).Replace(llmConfig)
	if err := config.Decode(strings.NewReader(y), "test.yaml", &cfg); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{DataDir: t.TempDir(), Config: &cfg,
		Getenv: func(k string) string { return map[string]string{"FAKE_LLM_KEY": "sk-fake"}[k] }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	c, err := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return &llmEnv{srv: srv, c: c, fake: fake}
}

var candSeq atomic.Int64

func (e *llmEnv) chat(t *testing.T, hist ...string) brain.ChatData {
	t.Helper()
	var h []brain.ChatMessage
	for i := 0; i < len(hist); i += 2 {
		h = append(h, brain.ChatMessage{Speaker: hist[i], Msg: hist[i+1]})
	}
	d, err := e.c.Chat(context.Background(), brain.ChatRequest{AccountID: acct, JobID: job1,
		CandidateID: fmt.Sprint("c", candSeq.Add(1)), CandidateName: "候选人", HistoryMsg: h})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func reply(step, content string) llmtest.Script {
	return func(llmtest.Request) llmtest.Answer { return llmtest.Answer{Content: llmtest.JSONReply(step, content)} }
}

// A good model answer is used as it is, and the request grounds the model
// on the plan, the JD and the approved facts.
func TestModelAnswersGroundedOnPlanAndFacts(t *testing.T) {
	e := newLLMEnv(t, "5s", reply("need_contact", "薪资15-20K，13薪\n方便加个微信细聊吗？"))
	d := e.chat(t, "robot", "您好", "user", "你好，薪资多少？")
	if d.NextStep != "need_contact" || d.NextStepContent != "薪资15-20K，13薪\n方便加个微信细聊吗？" {
		t.Fatalf("chat = %+v", d)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 1 || len(e.fake.Violations()) > 0 {
		t.Fatalf("requests %d violations %v", len(reqs), e.fake.Violations())
	}
	sys := reqs[0].System()
	for _, want := range []string{"热情专业", "心理健康平台", "本周六", "先说范围", "三年以上经验", "15-20K，13薪", "望京SOHO", "9:30-18:30", "餐补20元", "两轮面试"} {
		if !strings.Contains(sys, want) {
			t.Errorf("system prompt lacks %q", want)
		}
	}
	if reqs[0].LastUser() != "你好，薪资多少？" || reqs[0].Auth != "Bearer sk-fake" {
		t.Fatalf("last user %q auth %q", reqs[0].LastUser(), reqs[0].Auth)
	}
	if got := e.srv.LLMStats().Outcomes[server.OutcomeModel]; got != 1 {
		t.Fatalf("outcomes %v", e.srv.LLMStats().Outcomes)
	}
}

// Invented facts, refusals and broken answers never leave the brain: the
// rule-based text (here the facts-based salary answer) goes instead, and
// the reason is counted.
func TestBadModelAnswersFallBackToRules(t *testing.T) {
	cases := []struct {
		name    string
		answer  llmtest.Answer
		outcome string
	}{
		{"invented salary", llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "薪资能给到30K")}, "gate_salary"},
		{"invented url", llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "详情见 https://jobs.example.cn/1001")}, "gate_url"},
		{"invented phone", llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "直接打 13800138000")}, "gate_phone"},
		{"meta talk", llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "作为AI助手，我无法确定")}, "gate_meta"},
		{"refusal", llmtest.Answer{Refusal: "I can't help with that."}, server.OutcomeRefusal},
		{"unknown step", llmtest.Answer{Content: llmtest.JSONReply("send_offer", "恭喜")}, server.OutcomeInvalid},
		{"not json", llmtest.Answer{Content: "薪资15-20K"}, server.OutcomeInvalid},
		{"empty text", llmtest.Answer{Content: llmtest.JSONReply("normal_chat", " ")}, server.OutcomeEmpty},
		{"server error", llmtest.Answer{Status: 400, ErrType: "invalid_request_error"}, server.OutcomeError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newLLMEnv(t, "5s", func(llmtest.Request) llmtest.Answer { return tc.answer })
			d := e.chat(t, "robot", "您好", "user", "你好，薪资多少？")
			want := "薪资15-20K，13薪，具体根据经验定\n方便加个微信或者告知联系方式，咱们细聊"
			if d.NextStep != "need_contact" || d.NextStepContent != want {
				t.Fatalf("chat = %+v, want the rule-based answer", d)
			}
			if got := e.srv.LLMStats().Outcomes; got[tc.outcome] != 1 || got[server.OutcomeModel] != 0 {
				t.Fatalf("outcomes %v, want one %s", got, tc.outcome)
			}
		})
	}
}

// A model that does not answer within the budget costs the budget: the
// brain answers with the rules' text (the fake holds the request until the
// client gives up, so the fallback cannot come from the model).
func TestSlowModelFallsBackWithinTheBudget(t *testing.T) {
	e := newLLMEnv(t, "200ms", func(llmtest.Request) llmtest.Answer { return llmtest.Answer{Hang: true} })
	d := e.chat(t, "robot", "您好", "user", "在哪里上班？")
	if d.NextStep != "need_contact" || !strings.HasPrefix(d.NextStepContent, "工作地点在北京朝阳区望京SOHO") {
		t.Fatalf("chat = %+v", d)
	}
	if got := e.srv.LLMStats().Outcomes[server.OutcomeTimeout]; got != 1 {
		t.Fatalf("outcomes %v", e.srv.LLMStats().Outcomes)
	}
}

// Scenes: keywords fire without the model; AI_SERVICE_END_UNTIL_RESTART
// ends hosting (noTalk), CUSTOMER_SERVICE_INTERVENES asks for a human (need_ensure);
// counts follow GRAND_TOTAL / ONLY.
func TestScenesStrategiesAndCounts(t *testing.T) {
	e := newLLMEnv(t, "5s", reply("normal_chat", "好的"))
	if d := e.chat(t, "robot", "您好", "user", "我要投诉你们"); d.NextStep != brain.StepNeedEnsure {
		t.Fatalf("hand to human: %+v", d)
	}
	if d := e.chat(t, "robot", "您好", "user", "暂时不考虑，谢谢"); d.NextStep != brain.StepNoTalk {
		t.Fatalf("end: %+v", d)
	}
	e.chat(t, "robot", "您好", "user", "薪资多少", "robot", "15-20K", "user", "工资能谈吗")
	e.chat(t, "robot", "您好", "user", "薪资多少")
	if n := len(e.fake.Requests()); n != 2 {
		t.Fatalf("model asked %d times; scenes with a strategy must not ask it", n)
	}
	got := e.srv.LLMStats().Scenes[job1]
	if got["投诉"] != 1 || got["拒绝"] != 1 || got["问薪资"] != 2 {
		t.Fatalf("scene counts %v", got)
	}
}

// Without a model the facts sheet still answers salary and location.
func TestFactsAnswerWithoutAModel(t *testing.T) {
	var cfg server.Config
	y := strings.NewReplacer("llm:\n  base_url: BASE\n  model: fake-1\n  api_key_env: FAKE_LLM_KEY\n  timeout: BUDGET\n  allow: [127.0.0.1]\n", "").Replace(llmConfig)
	if err := config.Decode(strings.NewReader(y), "test.yaml", &cfg); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{DataDir: t.TempDir(), Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer func() { ts.Close(); srv.Close() }()
	c, _ := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1, Timeout: 10 * time.Second})
	d, err := c.Chat(context.Background(), brain.ChatRequest{AccountID: acct, JobID: job1, CandidateID: "x1",
		HistoryMsg: []brain.ChatMessage{{Speaker: "robot", Msg: "您好"}, {Speaker: "user", Msg: "工资多少，在哪"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.NextStepContent, "15-20K，13薪") || !strings.Contains(d.NextStepContent, "望京SOHO") {
		t.Fatalf("chat = %+v", d)
	}
	// Keyword scenes work without a model too, counted once per chat.
	d, err = c.Chat(context.Background(), brain.ChatRequest{AccountID: acct, JobID: job1, CandidateID: "x2",
		HistoryMsg: []brain.ChatMessage{{Speaker: "robot", Msg: "您好"}, {Speaker: "user", Msg: "再发我就举报"}}})
	if err != nil || d.NextStep != brain.StepNeedEnsure {
		t.Fatalf("chat = %+v, %v", d, err)
	}
	if got := srv.LLMStats().Scenes[job1]; got["投诉"] != 1 || got["问薪资"] != 1 {
		t.Fatalf("scene counts %v", got)
	}
}

// A model asked for a contact while an exchange is under way is corrected.
func TestModelDoesNotAskForAContactAgain(t *testing.T) {
	e := newLLMEnv(t, "5s", reply("need_contact", "好的，方便加个微信吗"))
	d := e.chat(t, "robot", "您好", "user", "好", "robot", "方便加个微信吗", "system", "对方同意交换微信", "user", "在哪上班")
	if d.NextStep != brain.StepNormalChat {
		t.Fatalf("chat = %+v", d)
	}
}

// One budget covers the scene verdicts and the reply: with a prompt scene
// and a model that never answers, the chat still answers (the rules'
// text), and both the scene question and the reply were asked.
//
// The reply is asked in what the scene verdict left of the budget, so that
// half must be long enough for a loopback request to reach the fake model
// on a busy machine: with 300 ms (150 ms for the reply) the reply's
// request was cancelled before the fake read it in 2 of 30 runs at load 50
// ("model asked 1 times"). The budget's size is not what the test checks.
func TestSceneAndReplyShareTheBudget(t *testing.T) {
	fake := llmtest.New(func(llmtest.Request) llmtest.Answer { return llmtest.Answer{Hang: true} })
	t.Cleanup(fake.Close)
	y := strings.NewReplacer("BASE", fake.BaseURL(), "BUDGET", "4s",
		"keywords: [投诉, 举报]", "keywords: [投诉, 举报]\n          prompt: 候选人表达强烈不满").Replace(llmConfig)
	var cfg server.Config
	if err := config.Decode(strings.NewReader(y), "test.yaml", &cfg); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{DataDir: t.TempDir(), Config: &cfg, Getenv: func(string) string { return "k" }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	// The brain client's own timeout is far above the budget: the answer
	// must come from the brain's fallback, not from the client giving up.
	c, _ := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1, Timeout: time.Minute})
	d, err := c.Chat(context.Background(), brain.ChatRequest{AccountID: acct, JobID: job1, CandidateID: "s1",
		HistoryMsg: []brain.ChatMessage{{Speaker: "robot", Msg: "您好"}, {Speaker: "user", Msg: "在哪里上班"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d.NextStep != "need_contact" || !strings.Contains(d.NextStepContent, "望京SOHO") {
		t.Fatalf("chat = %+v", d)
	}
	// The fake records a request once it has read it, which on a busy
	// machine can be after the brain gave up on it: wait for the second
	// one (until the test deadline), then check there are exactly two.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for len(fake.Requests()) < 2 {
		if dl, ok := t.Deadline(); ok && time.Until(dl) < 10*time.Second {
			break
		}
		<-tick.C
	}
	if n := len(fake.Requests()); n != 2 {
		t.Fatalf("model asked %d times, want the scene and the reply (violations %v)", n, fake.Violations())
	}
	if srv.LLMStats().Outcomes[server.OutcomeTimeout] != 1 {
		t.Fatalf("outcomes %v", srv.LLMStats().Outcomes)
	}
}
