package bot

import (
	"context"
	"testing"

	"github.com/hunterbot/hunterbot/internal/metrics"
	"github.com/hunterbot/hunterbot/internal/metrics/scrape"
	"github.com/hunterbot/hunterbot/pages"
)

// TestRuntimeMetricsFollowAGreetPass: a worker's /metrics, scraped over
// HTTP, moves when an agent greets (ledger totals, today's counts, the
// outbox backlog its reports leave) and when its state changes.
func TestRuntimeMetricsFollowAGreetPass(t *testing.T) {
	h := newHarness(t).login()
	rt := testRuntime(&fakePlane{}, h)
	rt.opts.Clock = h.clk
	reg := metrics.NewRegistry()
	reg.MustRegister(metrics.NewWorkerCollector(rt, nil))
	srv, err := metrics.Listen(metrics.Config{Addr: "127.0.0.1:0"}, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr() + "/metrics"
	value := func(f scrape.Families, name string, labels map[string]string) float64 {
		t.Helper()
		v, ok := f.Value(name, labels)
		if !ok {
			t.Fatalf("%s%v missing; series %v", name, labels, f.Labels(name))
		}
		return v
	}
	acc := map[string]string{"account": "acc1"}
	before, err := scrape.Get(url, "")
	if err != nil {
		t.Fatal(err)
	}
	if v := value(before, "hunterbot_account_greetings_total", acc); v != 0 {
		t.Fatalf("greetings before = %v", v)
	}

	h.planGreetings(3, false, []pages.Geek{geekOf(601, "甲"), geekOf(602, "乙"), geekOf(603, "丙")})
	if err := h.agent.greetPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.agent.setState(StatePausedRisk, errBoom)
	after, err := scrape.Get(url, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.outbox(TargetBrain)) < 3 {
		t.Fatalf("brain outbox %v: the greetings left no reports", h.kinds(TargetBrain))
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"hunterbot_account_greetings_total", acc, 3},
		{"hunterbot_account_greetings_today", acc, 3},
		{"hunterbot_account_greetings_planned_today", acc, 3},
		{"hunterbot_account_state", map[string]string{"account": "acc1", "state": "paused_risk"}, 1},
		{"hunterbot_account_state", map[string]string{"account": "acc1", "state": "running"}, 0},
		// The reports the greetings left in the outbox (nothing delivers
		// them here).
		{"hunterbot_outbox_items", map[string]string{"target": TargetBrain}, float64(len(h.outbox(TargetBrain)))},
		{"hunterbot_outbox_items", map[string]string{"target": TargetControl}, float64(len(h.outbox(TargetControl)))},
		{"hunterbot_worker_sample_errors", nil, 0},
	} {
		if v := value(after, c.name, c.labels); v != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, v, c.want)
		}
	}
}
