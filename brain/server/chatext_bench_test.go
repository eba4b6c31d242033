package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
)

// BenchmarkChatLatencyPlan is BenchmarkChatLatency for a plan-hosted chat:
// the request carries a seed-002 plan (two scenes), so with a model the
// brain asks the scenes' questions, the reply and the summary of the
// answer extension (scenes and summary at once, the reply after the
// scenes); without one it adds the rule-based mood and summary. Every
// model call is held for the set delay. Figures: docs/brain.md.
func BenchmarkChatLatencyPlan(b *testing.B) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
		model bool
		ext   bool
	}{{"rules", 0, false, false}, {"rules_plan", 0, false, true}, {"model_0ms", 0, true, false}, {"model_0ms_plan", 0, true, true},
		{"model_50ms", 50 * time.Millisecond, true, false}, {"model_50ms_plan", 50 * time.Millisecond, true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			srv, c := benchBrain(b, tc.model, func(r llmtest.Request) llmtest.Answer {
				a := llmtest.Answer{Delay: tc.delay, Content: llmtest.JSONReply("normal_chat", "薪资15-20K，13薪")}
				if r.ResponseFormat != nil && r.ResponseFormat.JSONSchema != nil {
					switch r.ResponseFormat.JSONSchema.Name {
					case "scene_verdict":
						a.Content = `{"hit":false,"reason":"no"}`
					case "member_summary":
						a.Content = `{"mood":"一般","summary":"候选人询问薪资"}`
					}
				}
				return a
			})
			var ext *brain.ChatExtension
			if tc.ext {
				p := marketingPlan()
				ext = &brain.ChatExtension{PlanID: "3", MemberID: "5", Plan: &p}
			}
			hist := []brain.ChatMessage{{Speaker: "robot", Msg: "您好，看了您的经历，方便聊聊吗？"}, {Speaker: "user", Msg: "你好"},
				{Speaker: "robot", Msg: "您好"}, {Speaker: "user", Msg: "请问薪资多少？"}}
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d, err := c.Chat(ctx, brain.ChatRequest{AccountID: acct, JobID: job1, CandidateID: fmt.Sprint("b", i), HistoryMsg: hist, Hunterbot: ext})
				if err != nil || d.NextStepContent == "" || (tc.ext && (d.Hunterbot == nil || d.Hunterbot.Summary == "")) {
					b.Fatalf("chat %+v %v", d, err)
				}
			}
			b.StopTimer()
			if tc.model && tc.ext && srv.LLMStats().Outcomes["summary"] == 0 {
				b.Fatal("the model's summary was not used")
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/chat")
		})
	}
}
