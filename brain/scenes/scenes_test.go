package scenes

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/llm"
)

// fakeModel answers hit when the system prompt names a scene it is told
// to fire, and counts calls.
type fakeModel struct {
	fire  map[string]bool
	err   error
	mu    sync.Mutex
	calls int
}

func (m *fakeModel) Classify(_ context.Context, msgs []llm.Message) (llm.Verdict, error) {
	m.mu.Lock()
	m.calls++
	m.mu.Unlock()
	if m.err != nil {
		return llm.Verdict{}, m.err
	}
	for name := range m.fire {
		if strings.Contains(msgs[0].Content, "「"+name+"」") {
			return llm.Verdict{Hit: true}, nil
		}
	}
	return llm.Verdict{}, nil
}

var plan = brain.HostingPlan{Scenes: []brain.Scene{
	{Name: "给了微信", Keywords: []string{"微信", "vx"}, StatisticalMethod: brain.StatOnly, Strategy: brain.StrategyEndUntilRestart},
	{Name: "问薪资", Keywords: []string{"薪资", "工资"}, Prompt: "候选人询问薪资待遇", StatisticalMethod: brain.StatGrandTotal},
	{Name: "投诉", Prompt: "候选人表达不满或威胁投诉", Strategy: brain.StrategyHandToHuman},
	{Name: "问工资也算", Keywords: []string{"工资"}},
}}

func TestDetect(t *testing.T) {
	cases := []struct {
		name   string
		msg    string
		fire   map[string]bool
		model  bool
		want   []string
		action Action
		calls  int
	}{
		{"keyword fast path, no model", "我的VX是abc123", nil, false, []string{"给了微信"}, EndUntilR, 0},
		{"shared keyword fires both scenes", "工资多少", nil, false, []string{"问薪资", "问工资也算"}, Continue, 0},
		{"nothing", "你好", nil, false, nil, Continue, 0},
		{"model only for prompt scenes without a keyword hit", "待遇怎么样", map[string]bool{"问薪资": true}, true, []string{"问薪资"}, Continue, 2},
		{"keyword hit skips the model for that scene", "薪资多少", map[string]bool{"投诉": true}, true, []string{"问薪资", "投诉"}, HandOver, 1},
		{"end wins over hand-over", "再骚扰我就投诉，微信也别加了", map[string]bool{"投诉": true}, true, []string{"给了微信", "投诉"}, EndUntilR, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m *fakeModel
			var d *Detector
			if tc.model {
				m = &fakeModel{fire: tc.fire}
				d = NewDetector(plan, m)
			} else {
				d = NewDetector(plan, nil)
			}
			hits, err := d.Detect(context.Background(), tc.msg, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.Scene)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("hits %v, want %v", got, tc.want)
			}
			if a := Decide(hits); a != tc.action {
				t.Fatalf("action %q, want %q", a, tc.action)
			}
			if m != nil && m.calls != tc.calls {
				t.Fatalf("model calls %d, want %d", m.calls, tc.calls)
			}
		})
	}
}

// A failing model costs its scenes, not the keyword hits.
func TestModelErrorKeepsKeywordHits(t *testing.T) {
	d := NewDetector(plan, &fakeModel{err: llm.ErrTransport})
	hits, err := d.Detect(context.Background(), "加微信聊", nil)
	if !errors.Is(err, llm.ErrTransport) || len(hits) != 1 || hits[0].Via != ViaKeyword {
		t.Fatalf("hits %+v err %v", hits, err)
	}
}

func TestCounts(t *testing.T) {
	c := NewCounts(plan)
	c.Add("a", []Hit{{Scene: "给了微信"}, {Scene: "问薪资"}})
	c.Add("a", []Hit{{Scene: "给了微信"}, {Scene: "问薪资"}})
	c.Add("b", []Hit{{Scene: "给了微信"}})
	got := c.Snapshot()
	if got["给了微信"] != 2 || got["问薪资"] != 2 {
		t.Fatalf("counts %v (ONLY counts conversations, GRAND_TOTAL hits)", got)
	}
}

func TestPlanValidate(t *testing.T) {
	for want, p := range map[string]brain.HostingPlan{
		"scenes[0].name":              {Scenes: []brain.Scene{{Keywords: []string{"x"}}}},
		"scenes[1].name":              {Scenes: []brain.Scene{{Name: "a", Keywords: []string{"x"}}, {Name: "a", Keywords: []string{"y"}}}},
		"scenes[0].statisticalMethod": {Scenes: []brain.Scene{{Name: "a", Keywords: []string{"x"}, StatisticalMethod: "SUM"}}},
		"scenes[0].strategy":          {Scenes: []brain.Scene{{Name: "a", Keywords: []string{"x"}, Strategy: "EXPLODE"}}},
		"scenes[0].keywords":          {Scenes: []brain.Scene{{Name: "a"}}},
	} {
		if err := p.Validate("plan."); err == nil || !strings.Contains(err.Error(), "plan."+want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}
