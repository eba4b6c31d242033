package eval_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/eval"
	"github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
)

const brainYAML = `
jobs:
  - platformType: boss
    platformID: "1001"
    name: 心理咨询师
    jd: 负责线上心理咨询
    facts:
      salary_min_k: 15
      salary_max_k: 20
      salary: 15-20K，13薪
      location: 北京朝阳区望京SOHO
      hours: 9:30-18:30，双休
      benefits: 五险一金，餐补20元/天
accounts:
  - platformType: boss
    platformID: "7"
    jobs: [job_boss_1001]
`

const llmBlock = `
llm:
  base_url: BASE
  model: fake
  allow: [127.0.0.1]
`

func loadConvs(t *testing.T) []eval.Conversation {
	t.Helper()
	f, err := os.Open("testdata/personas.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	convs, err := eval.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return convs
}

func runEval(t *testing.T, yaml string) (eval.Report, *server.Server) {
	t.Helper()
	var cfg server.Config
	if err := config.Decode(strings.NewReader(yaml), "brain.yaml", &cfg); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{DataDir: t.TempDir(), Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	c, err := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eval.Run(context.Background(), loadConvs(t), eval.Options{Brain: c, AccountID: "account_boss_7",
		Facts: map[string]brain.JobFacts{"job_boss_1001": cfg.Jobs[0].Facts}, JDs: map[string]string{"job_boss_1001": cfg.Jobs[0].JD},
		DefaultJob: "job_boss_1001", ContactWithin: 2})
	if err != nil {
		t.Fatal(err)
	}
	return rep, srv
}

func rate(t *testing.T, rep eval.Report, check string) float64 {
	t.Helper()
	r := rep.Result(check)
	if r.Total == 0 {
		t.Fatalf("%s: nothing scored", check)
	}
	return r.Rate
}

// The rule-based brain with a facts sheet: asks for a contact on the
// first turn, answers salary and location from the facts, invents nothing.
func TestEvalRuleBrain(t *testing.T) {
	rep, _ := runEval(t, brainYAML)
	for _, c := range []string{eval.CheckContact, eval.CheckSalary, eval.CheckLocation, eval.CheckNoInvent, eval.CheckAnswered} {
		if r := rate(t, rep, c); r != 1 {
			t.Errorf("%s = %.2f; failures %+v", c, r, rep.Failures)
		}
	}
	// The canned salary answer, asked twice (asker-3), repeats itself: the
	// bot's gate would drop the second one. That is the rule brain's one
	// gate failure.
	if r := rep.Result(eval.CheckGatePass); r.Total-r.Pass != 1 || rep.GateBlocks["repeated"] != 1 {
		t.Errorf("gate_pass %+v blocks %v", r, rep.GateBlocks)
	}
	if rep.Conversations != 14 || rep.Replies < 14 {
		t.Fatalf("report %+v", rep)
	}
}

// A model that invents a salary, a URL and a phone: the brain's gate
// replaces each invention by the rule text, so the replies stay clean, and
// the brain counts what it blocked.
func TestEvalInventingModelIsContained(t *testing.T) {
	n := 0
	bad := []string{"薪资30-40K", "看看 https://x.example.cn", "打 13800138000 问", "作为AI我不确定"}
	fake := llmtest.New(func(llmtest.Request) llmtest.Answer {
		n++
		return llmtest.Answer{Content: llmtest.JSONReply("normal_chat", bad[n%len(bad)])}
	})
	defer fake.Close()
	rep, srv := runEval(t, brainYAML+strings.Replace(llmBlock, "BASE", fake.BaseURL(), 1))
	if r := rate(t, rep, eval.CheckNoInvent); r != 1 {
		t.Fatalf("no_invented_facts = %.2f: %+v", r, rep.Failures)
	}
	out := srv.LLMStats().Outcomes
	blocked := out["gate_salary"] + out["gate_url"] + out["gate_phone"] + out["gate_meta"]
	if blocked == 0 || out[server.OutcomeModel] != 0 {
		t.Fatalf("outcomes %v", out)
	}
}

// A good model answering from the facts passes every check.
func TestEvalGoodModel(t *testing.T) {
	fake := llmtest.New(func(r llmtest.Request) llmtest.Answer {
		q := r.LastUser()
		var parts []string
		if strings.ContainsAny(q, "薪工待") {
			parts = append(parts, "薪资15-20K，13薪")
		}
		if strings.Contains(q, "哪") || strings.Contains(q, "地点") {
			parts = append(parts, "我们在北京朝阳区望京SOHO")
		}
		parts = append(parts, "方便加个微信细聊吗？")
		return llmtest.Answer{Content: llmtest.JSONReply("need_contact", strings.Join(parts, "\n"))}
	})
	defer fake.Close()
	rep, srv := runEval(t, brainYAML+strings.Replace(llmBlock, "BASE", fake.BaseURL(), 1))
	for _, c := range []string{eval.CheckContact, eval.CheckSalary, eval.CheckLocation, eval.CheckNoInvent} {
		if r := rate(t, rep, c); r != 1 {
			t.Errorf("%s = %.2f; failures %+v", c, r, rep.Failures)
		}
	}
	if srv.LLMStats().Outcomes[server.OutcomeModel] == 0 {
		t.Fatal("the model was not used")
	}
}

// An external brain without a gate that invents facts fails the checks:
// the evaluation sees it.
type inventingBrain struct{}

func (inventingBrain) Chat(context.Context, brain.ChatRequest) (brain.ChatData, error) {
	return brain.ChatData{NextStep: "normal_chat", NextStepContent: "月薪3万，详见 www.jobs.cn"}, nil
}

func TestEvalCatchesAnInventingBrain(t *testing.T) {
	rep, err := eval.Run(context.Background(), loadConvs(t), eval.Options{Brain: inventingBrain{}, DefaultJob: "j",
		Facts: map[string]brain.JobFacts{"j": {SalaryMinK: 15, SalaryMaxK: 20, Salary: "15-20K", Location: "望京SOHO"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Result(eval.CheckNoInvent); r.Pass != 0 || r.Total == 0 {
		t.Fatalf("no_invented_facts %+v", r)
	}
	if rep.GateBlocks["url"] == 0 || rep.Result(eval.CheckContact).Rate != 0 || rep.Result(eval.CheckSalary).Rate != 0 {
		t.Fatalf("report %+v", rep)
	}
}

func TestLoadErrorsNameTheLine(t *testing.T) {
	for in, want := range map[string]string{
		`{"id":"a","turns":[{"speaker":"bot","msg":"x"}]}`:   "line 1: turns[0].speaker",
		`{"id":"","turns":[{"speaker":"user","msg":"x"}]}`:   "line 1: id",
		"\n" + `{"id":"a","turns":[],"extra":1}`:             "line 2",
		`{"id":"a","turns":[{"speaker":"robot","msg":"x"}]}`: "no user turn",
	} {
		if _, err := eval.Load(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", in, err)
		}
	}
}
