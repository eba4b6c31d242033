package llme2e

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	brainserver "github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/demo"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/llm"
	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/sim"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// Invented facts never reach a candidate. The fake model answers every
// chat with an invented salary, a URL, a phone number, or not at all (it
// holds the request past the budget), in turn. The brain's gate replaces
// each invention by the rule text and the budget's expiry by the rule text
// too; the sim's record of every recruiter-side text has none of them.
func TestModelInventionsAreNeverSent(t *testing.T) {
	var calls atomic.Int64
	inventions := []string{"这个岗位月薪能到99K", "详情看 https://jobs.example.cn/apply", "直接打我电话 13800138000"}
	fake := llmtest.New(func(r llmtest.Request) llmtest.Answer {
		n := calls.Add(1)
		if n%4 == 0 {
			return llmtest.Answer{Hang: true}
		}
		return llmtest.Answer{Content: llmtest.JSONReply("normal_chat", inventions[(n-1)%4])}
	})
	defer fake.Close()

	sc := sim.DefaultScenario()
	d, err := demo.Start(context.Background(), demo.Options{AddrBase: "127.0.0.1:0", DataDir: t.TempDir(), Scenario: sc,
		Clock: clock.NewScaled(sc.Start, 120), Seed: 5, Log: zerolog.Nop(), Browser: browsertest.Browser(t),
		HelloSum: 8, AllAtOnce: true,
		BrainHook: func(c *brainserver.Config) {
			c.LLM = llm.Config{BaseURL: fake.BaseURL(), Model: "fake", Allow: []string{"127.0.0.1"}, Timeout: 300 * time.Millisecond}
			if err := demo.FactsFromScenario(sc, c); err != nil {
				t.Fatal(err)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	outcomes := func() map[string]int64 { return d.Brain.LLMStats().Outcomes }
	testwait.Until(t, "the model's salary, URL and phone inventions blocked and a timed-out answer", func() bool {
		o := outcomes()
		return o["gate_salary"] > 0 && o["gate_url"] > 0 && o["gate_phone"] > 0 && o[brainserver.OutcomeTimeout] > 0
	}, func() string { return fmt.Sprintf("outcomes %v, model calls %d", outcomes(), calls.Load()) })
	// One more chat answered after the timeout proves the bot went on.
	sentBefore := len(d.Sim.Truth().Accounts["demo"].Messages)
	testwait.Until(t, "another recruiter message", func() bool {
		return len(d.Sim.Truth().Accounts["demo"].Messages) > sentBefore
	}, func() string { return fmt.Sprintf("%d messages", len(d.Sim.Truth().Accounts["demo"].Messages)) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	truth := d.Sim.Truth().Accounts["demo"]
	for _, m := range truth.Messages {
		for _, bad := range []string{"99K", "jobs.example.cn", "13800138000"} {
			if strings.Contains(m.Text, bad) {
				t.Errorf("sent to candidate %d: %q", m.CandidateID, m.Text)
			}
		}
	}
	if o := outcomes(); o[brainserver.OutcomeModel] != 0 {
		t.Fatalf("a model answer was used: %v", o)
	}
	if len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicate messages: %+v", truth.DuplicateMessages)
	}
	if v := fake.Violations(); len(v) > 0 {
		t.Fatalf("requests broke the chat-completions shape: %v", v)
	}
	t.Logf("model calls %d, outcomes %v, %d recruiter messages", calls.Load(), outcomes(), len(truth.Messages))
}
