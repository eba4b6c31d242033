package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
)

// marketingPlan is a seed-002 plan as the control plane stores it, with
// two scenes: 同意面试 completes the service, 问薪资 is counted only.
func marketingPlan() brain.HostingPlan {
	data := wire.MNPlanData{Prompt: "你是杭州门店的招聘顾问，语气亲切", BackgroundInfo: "门店在西湖区", TimeInfo: "周六面试",
		ReferenceCase: "先答后问", SceneIDs: []uint64{11, 12},
		MonitoringStrategy: []wire.MNMonitoring{{SceneID: 12, Strategy: []string{wire.StrategyCompleteService}}}}
	scenes := []wire.MNScene{
		{ID: 11, Name: "问薪资", StatisticalMethod: wire.SceneGrandTotal, Prompt: "候选人在问薪资", SceneType: wire.SceneCustom},
		{ID: 12, Name: "同意面试", StatisticalMethod: wire.SceneOnly, Prompt: "候选人同意来面试", SceneType: wire.SceneCustom},
	}
	return brain.HostingPlanFromMarketing(data, scenes)
}

func extChat(t *testing.T, c *brain.Client, ext *brain.ChatExtension, hist ...string) brain.ChatData {
	t.Helper()
	var h []brain.ChatMessage
	for i := 0; i < len(hist); i += 2 {
		h = append(h, brain.ChatMessage{Speaker: hist[i], Msg: hist[i+1]})
	}
	d, err := c.Chat(context.Background(), brain.ChatRequest{AccountID: acct, JobID: job1,
		CandidateID: fmt.Sprint("x", candSeq.Add(1)), CandidateName: "候选人", HistoryMsg: h, Hunterbot: ext})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// With a model, a request carrying a plan is grounded on that plan (not
// the job's), its scenes are asked of the model, and the answer carries
// the scenes with their ids and strategies and the model's mood and
// summary; the COMPLETE_SERVICE scene ends the conversation (noTalk).
func TestChatExtensionWithModel(t *testing.T) {
	e := newLLMEnv(t, "5s", func(r llmtest.Request) llmtest.Answer {
		switch {
		case r.ResponseFormat != nil && r.ResponseFormat.JSONSchema != nil && r.ResponseFormat.JSONSchema.Name == "member_summary":
			return llmtest.Answer{Content: `{"mood":"满意","summary":"候选人同意周六面试"}`}
		case r.ResponseFormat != nil && r.ResponseFormat.JSONSchema != nil && r.ResponseFormat.JSONSchema.Name == "scene_verdict":
			hit := strings.Contains(r.System(), "同意面试") && strings.Contains(r.LastUser(), "面试")
			return llmtest.Answer{Content: fmt.Sprintf(`{"hit":%v,"reason":"r"}`, hit)}
		}
		return llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "好的，周六见")}
	})
	p := marketingPlan()
	d := extChat(t, e.c, &brain.ChatExtension{PlanID: "3", MemberID: "5", Plan: &p},
		"robot", "您好", "user", "好的，周六可以来面试")
	if d.NextStep != brain.StepNoTalk {
		t.Fatalf("step %q, want noTalk (a COMPLETE_SERVICE scene ends hosting)", d.NextStep)
	}
	x := d.Hunterbot
	if x == nil || len(x.Scenes) != 1 || x.Scenes[0] != (brain.SceneHit{ID: "12", Name: "同意面试", Strategy: brain.StrategyCompleteService}) {
		t.Fatalf("extension %+v, want scene 12 with its strategy", x)
	}
	if x.Mood != brain.MoodSatisfied || x.Summary != "候选人同意周六面试" {
		t.Fatalf("mood/summary %q/%q, want the model's", x.Mood, x.Summary)
	}
	// A plain question: the reply is grounded on the request's plan.
	d = extChat(t, e.c, &brain.ChatExtension{PlanID: "3", MemberID: "6", Plan: &p}, "robot", "您好", "user", "你们在哪")
	if d.NextStep != brain.StepNormalChat || d.NextStepContent != "好的，周六见" || d.Hunterbot == nil || len(d.Hunterbot.Scenes) != 0 {
		t.Fatalf("chat = %+v", d)
	}
	var grounded bool
	for _, r := range e.fake.Requests() {
		if r.ResponseFormat != nil && r.ResponseFormat.JSONSchema != nil && r.ResponseFormat.JSONSchema.Name == "chat_reply" {
			sys := r.System()
			if strings.Contains(sys, "热情专业") || strings.Contains(sys, "心理健康平台") {
				t.Fatalf("the job's plan leaked into a plan-hosted chat:\n%s", sys)
			}
			grounded = strings.Contains(sys, "你是杭州门店的招聘顾问") && strings.Contains(sys, "门店在西湖区") &&
				strings.Contains(sys, "周六面试") && strings.Contains(sys, "先答后问") && strings.Contains(sys, "15-20K")
		}
	}
	if !grounded {
		t.Fatal("no reply request grounded on the request's plan and the job's facts")
	}
	if v := e.fake.Violations(); len(v) > 0 {
		t.Fatalf("requests off the documented shape: %v", v)
	}
	st := e.srv.LLMStats()
	if st.Scenes["plan:3"]["同意面试"] != 1 || st.Outcomes["summary"] != 2 {
		t.Fatalf("stats %+v, want the plan's scene counted under plan:3 and two summaries", st)
	}
}

// A bad summary (invalid mood) falls back to the rule-based one.
func TestChatExtensionSummaryFallback(t *testing.T) {
	e := newLLMEnv(t, "5s", func(r llmtest.Request) llmtest.Answer {
		if r.ResponseFormat != nil && r.ResponseFormat.JSONSchema != nil && r.ResponseFormat.JSONSchema.Name == "member_summary" {
			return llmtest.Answer{Content: `{"mood":"ecstatic","summary":"x"}`}
		}
		return llmtest.Answer{Content: `{"hit":false,"reason":""}`}
	})
	p := marketingPlan()
	d := extChat(t, e.c, &brain.ChatExtension{PlanID: "3", Plan: &p}, "robot", "您好", "user", "不考虑了，别发了")
	if d.Hunterbot == nil || d.Hunterbot.Mood != brain.MoodUnsatisfied || !strings.Contains(d.Hunterbot.Summary, "不考虑") {
		t.Fatalf("extension %+v, want the rule-based mood and summary", d.Hunterbot)
	}
	if got := e.srv.LLMStats().Outcomes["summary_failed"]; got != 1 {
		t.Fatalf("summary_failed = %d", got)
	}
}

// Without a model: the request's plan's keyword scenes, and a rule-based
// mood and summary; a request without the extension answers without it
// (the reference brain's shape, byte for byte the keys it knows).
func TestChatExtensionWithoutModel(t *testing.T) {
	e := newEnv(t, "2026-03-05 10:00")
	p := brain.HostingPlan{Prompt: "x", Scenes: []brain.Scene{
		{ID: "21", Name: "转人工", Keywords: []string{"人工"}, Strategy: brain.StrategyHandToHuman},
		{ID: "22", Name: "问薪资", Keywords: []string{"薪资"}}}}
	d := extChat(t, e.c, &brain.ChatExtension{PlanID: "4", Plan: &p}, "robot", "您好", "user", "薪资多少？")
	if d.Hunterbot == nil || len(d.Hunterbot.Scenes) != 1 || d.Hunterbot.Scenes[0].ID != "22" ||
		d.Hunterbot.Mood != brain.MoodNeutral || !strings.Contains(d.Hunterbot.Summary, "候选人询问了薪资") {
		t.Fatalf("extension %+v", d.Hunterbot)
	}
	d = extChat(t, e.c, &brain.ChatExtension{PlanID: "4", Plan: &p}, "robot", "您好", "user", "好的，帮我转人工")
	if d.NextStep != brain.StepNeedEnsure || d.Hunterbot.Scenes[0].Strategy != brain.StrategyHandToHuman || d.Hunterbot.Mood != brain.MoodSatisfied {
		t.Fatalf("chat = %+v %+v", d, d.Hunterbot)
	}

	body := `{"accountID":"` + acct + `","jobID":"` + job1 + `","candidateID":"plain1","candidateName":"x","historyMsg":[{"speaker":"user","msg":"薪资多少"}]}`
	req, _ := http.NewRequest(http.MethodPost, e.url+brain.PathChat, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if strings.Contains(string(out["data"]), "hunterbot") {
		t.Fatalf("answer without a request extension carries one: %s", raw)
	}
}
