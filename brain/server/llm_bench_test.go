package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
)

// BenchmarkChatLatency measures one candidate/chat over loopback HTTP:
// the rule-based brain, and the brain answering through a fake
// OpenAI-compatible model that holds each answer for a set delay (the
// model's own latency; a real one is 0.5–3 s). The difference between
// "model_0ms" and "rules" is the model path's own cost (prompt building,
// the HTTP round trip, validation, the gate); the delays show it adds
// nothing but the model's time. Figures: docs/brain.md.
func BenchmarkChatLatency(b *testing.B) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
		model bool
	}{{"rules", 0, false}, {"model_0ms", 0, true}, {"model_50ms", 50 * time.Millisecond, true}, {"model_200ms", 200 * time.Millisecond, true}} {
		b.Run(tc.name, func(b *testing.B) {
			srv, c := benchBrain(b, tc.model, func(llmtest.Request) llmtest.Answer {
				return llmtest.Answer{Delay: tc.delay, Content: llmtest.JSONReply("need_contact", "薪资15-20K，13薪\n方便加个微信细聊吗？")}
			})
			hist := []brain.ChatMessage{{Speaker: "robot", Msg: "您好，看了您的经历，方便聊聊吗？"}, {Speaker: "user", Msg: "你好"},
				{Speaker: "robot", Msg: "您好"}, {Speaker: "user", Msg: "请问薪资多少？"}}
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d, err := c.Chat(ctx, brain.ChatRequest{AccountID: acct, JobID: job1, CandidateID: fmt.Sprint("b", i), HistoryMsg: hist})
				if err != nil || d.NextStepContent == "" {
					b.Fatalf("chat %+v %v", d, err)
				}
			}
			b.StopTimer()
			if tc.model && srv.LLMStats().Outcomes[server.OutcomeModel] == 0 {
				b.Fatal("the model was not used")
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/chat")
		})
	}
}

// benchBrain serves the brain of llmConfig over loopback HTTP, answering
// through a fake OpenAI-compatible model (answer) when model is set and by
// its rules otherwise, and returns it with a client that does not retry.
// Everything is closed when b ends.
func benchBrain(b *testing.B, model bool, answer func(llmtest.Request) llmtest.Answer) (*server.Server, *brain.Client) {
	b.Helper()
	fake := llmtest.New(answer)
	b.Cleanup(fake.Close)
	y := strings.NewReplacer("BASE", fake.BaseURL(), "BUDGET", "5s").Replace(llmConfig)
	if !model {
		y = strings.NewReplacer("llm:\n  base_url: "+fake.BaseURL()+"\n  model: fake-1\n  api_key_env: FAKE_LLM_KEY\n  timeout: 5s\n  allow: [127.0.0.1]\n", "").Replace(y)
	}
	var cfg server.Config
	if err := config.Decode(strings.NewReader(y), "bench.yaml", &cfg); err != nil {
		b.Fatal(err)
	}
	srv, err := server.New(server.Options{DataDir: b.TempDir(), Config: &cfg, Getenv: func(string) string { return "sk-bench" }})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(func() { ts.Close(); srv.Close() })
	c, err := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1, Timeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	return srv, c
}
