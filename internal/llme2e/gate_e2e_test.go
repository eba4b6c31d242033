package llme2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/bot/gate"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/demo"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/sim"
)

// inventingBrain rewrites every chat answer of the built-in brain the way
// an external brain with a careless model would: a stranger's phone, a
// URL, a refusal, in turn. Only the bot's send gate stands between them
// and the candidate.
func inventingBrain(n *atomic.Int64) func(string, http.Handler) http.Handler {
	bad := []string{"有事直接打 13800138000", "岗位详情见 http://jobs.example.cn/9", "抱歉，我无法提供这个信息"}
	return func(component string, h http.Handler) http.Handler {
		if component != "brain" {
			return h
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != brain.PathChat {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var env struct {
				Ret  int            `json:"ret"`
				Msg  string         `json:"msg"`
				Data brain.ChatData `json:"data"`
			}
			body := rec.Body.Bytes()
			if json.Unmarshal(body, &env) == nil && env.Ret == 0 && env.Data.NextStepContent != "" {
				env.Data.NextStepContent = bad[(n.Add(1)-1)%int64(len(bad))]
				body, _ = json.Marshal(env)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.Code)
			io.Copy(w, bytes.NewReader(body))
		})
	}
}

// An external brain's inventions never reach a candidate: the worker's
// send gate blocks each one, sends the safe fallback instead (or hands the
// conversation to a human when the fallback was already said), counts the
// block and reports it in the heartbeat.
func TestWorkerGateBlocksAnExternalBrain(t *testing.T) {
	var rewritten atomic.Int64
	sc := sim.DefaultScenario()
	d, err := demo.Start(context.Background(), demo.Options{AddrBase: "127.0.0.1:0", DataDir: t.TempDir(), Scenario: sc,
		Clock: clock.NewScaled(sc.Start, 120), Seed: 9, Log: zerolog.Nop(), Browser: browsertest.Browser(t),
		HelloSum: 8, AllAtOnce: true, Middleware: inventingBrain(&rewritten)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	stats := func() map[gate.Reason]int64 {
		out := map[gate.Reason]int64{}
		for _, a := range d.Runtime.Agents() {
			for k, v := range a.GateStats().Blocked {
				out[k] += v
			}
		}
		return out
	}
	testwait.Until(t, "the worker's gate to block a phone, a URL and a refusal", func() bool {
		s := stats()
		return s[gate.Phone] > 0 && s[gate.URL] > 0 && s[gate.Refusal] > 0
	}, func() string { return fmt.Sprintf("blocked %v, answers rewritten %d", stats(), rewritten.Load()) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	truth := d.Sim.Truth().Accounts["demo"]
	fallbacks := 0
	for _, m := range truth.Messages {
		for _, bad := range []string{"13800138000", "jobs.example.cn", "无法提供"} {
			if strings.Contains(m.Text, bad) {
				t.Errorf("sent to candidate %d: %q", m.CandidateID, m.Text)
			}
		}
		if m.Text == "好的，这个问题我确认一下再回复您" {
			fallbacks++
		}
	}
	if fallbacks == 0 {
		t.Fatal("no fallback text was sent instead of a blocked reply")
	}
	if len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicate messages: %+v", truth.DuplicateMessages)
	}
	t.Logf("rewritten %d, blocked %v, fallbacks sent %d, %d recruiter messages", rewritten.Load(), stats(), fallbacks, len(truth.Messages))
}
