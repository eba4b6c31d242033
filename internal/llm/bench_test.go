package llm_test

import (
	"context"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/llm"
	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
)

// BenchmarkReply is one structured reply from the fake model over
// loopback, without and with a set model delay: the client's own cost is
// the 0ms figure; with a delay the call takes the delay plus that cost
// (plus, on a loaded machine, the wake-up latency of the sleeping
// goroutines).
func BenchmarkReply(b *testing.B) {
	for _, d := range []time.Duration{0, 50 * time.Millisecond} {
		b.Run(d.String(), func(b *testing.B) {
			fake := llmtest.New(func(llmtest.Request) llmtest.Answer {
				return llmtest.Answer{Delay: d, Content: llmtest.JSONReply("normal_chat", "好的")}
			})
			defer fake.Close()
			c, err := llm.New(llm.Config{BaseURL: fake.BaseURL(), Model: "m", Allow: []string{"127.0.0.1"}}, llm.Options{})
			if err != nil {
				b.Fatal(err)
			}
			msgs := []llm.Message{{Role: llm.RoleSystem, Content: "s"}, {Role: llm.RoleUser, Content: "工资多少"}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Reply(context.Background(), msgs, []string{"normal_chat"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
