// Package scenes detects a hosting plan's scenes in candidate messages:
// the scene keywords are the fast path (one Aho-Corasick pass, no model
// call); a scene with a prompt is asked of the model only when no keyword
// fired it and a model is configured. A hit's strategy decides what the
// conversation does next (end hosting until restart, hand to a human);
// Counts keeps the per-scene figures reports need.
package scenes

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/llm"
	"github.com/hunterbot/hunterbot/rules"
)

// Classifier answers a yes/no question (an *llm.Client).
type Classifier interface {
	Classify(ctx context.Context, msgs []llm.Message) (llm.Verdict, error)
}

// Via says how a scene was detected.
type Via string

// Detection paths.
const (
	ViaKeyword Via = "keyword"
	ViaModel   Via = "model"
)

// Hit is one detected scene.
type Hit struct {
	// ID is the scene's id in its plan (brain.Scene.ID; may be empty).
	ID       string `json:"id,omitempty"`
	Scene    string `json:"scene"`
	Via      Via    `json:"via"`
	Strategy string `json:"strategy,omitempty"`
}

// Detector detects one plan's scenes. Build it once per plan (NewDetector
// compiles the keywords); safe for concurrent use.
type Detector struct {
	scenes []brain.Scene
	ac     *rules.Automaton
	owner  [][]int // pattern id -> scene indexes (a keyword may serve several scenes)
	model  Classifier
}

// NewDetector compiles plan's scenes; model may be nil (keywords only).
func NewDetector(plan brain.HostingPlan, model Classifier) *Detector {
	d := &Detector{scenes: plan.Scenes, model: model}
	var pats []string
	first := map[string]int{} // folded keyword -> pattern id
	for i, s := range plan.Scenes {
		for _, k := range s.Keywords {
			if k = strings.TrimSpace(k); k == "" {
				continue
			}
			if id, ok := first[strings.ToLower(k)]; ok {
				d.owner[id] = append(d.owner[id], i)
				continue
			}
			first[strings.ToLower(k)] = len(pats)
			pats = append(pats, k)
			d.owner = append(d.owner, []int{i})
		}
	}
	if len(pats) > 0 {
		d.ac = rules.NewAutomaton(pats, true)
	}
	return d
}

// Empty reports a plan without scenes.
func (d *Detector) Empty() bool { return len(d.scenes) == 0 }

// Detect returns the scenes the candidate's message fires, in plan order.
// context is the conversation so far (for the model), newest last. A model
// error leaves that scene undetected (the keywords still count) and is
// returned alongside the hits so the caller can log it.
func (d *Detector) Detect(ctx context.Context, message string, context []llm.Message) ([]Hit, error) {
	if len(d.scenes) == 0 || strings.TrimSpace(message) == "" {
		return nil, nil
	}
	fired := make([]bool, len(d.scenes))
	var via = make([]Via, len(d.scenes))
	if d.ac != nil {
		for _, p := range d.ac.AppendMatches(nil, message) {
			for _, i := range d.owner[p] {
				fired[i], via[i] = true, ViaKeyword
			}
		}
	}
	var firstErr error
	if d.model != nil {
		// The scenes' questions are independent: ask them at once, so
		// the plan's scene count does not multiply the latency.
		var wg sync.WaitGroup
		errs := make([]error, len(d.scenes))
		for i, s := range d.scenes {
			if fired[i] || strings.TrimSpace(s.Prompt) == "" {
				continue
			}
			msgs := append([]llm.Message{{Role: llm.RoleSystem, Content: classifierPrompt(s)}}, context...)
			msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: "候选人最新消息：" + message})
			wg.Add(1)
			go func() {
				defer wg.Done()
				v, err := d.model.Classify(ctx, msgs)
				if err != nil {
					errs[i] = fmt.Errorf("scene %q: %w", s.Name, err)
					return
				}
				if v.Hit {
					fired[i], via[i] = true, ViaModel
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				firstErr = err
				break
			}
		}
	}
	var out []Hit
	for i, s := range d.scenes {
		if fired[i] {
			out = append(out, Hit{ID: s.ID, Scene: s.Name, Via: via[i], Strategy: s.Strategy})
		}
	}
	return out, firstErr
}

func classifierPrompt(s brain.Scene) string {
	return "你是招聘对话的场景分类器。判断候选人最新的消息是否属于场景「" + s.Name + "」。\n场景说明：" + s.Prompt +
		"\n只输出JSON：{\"hit\": true 或 false, \"reason\": \"一句话理由\"}。"
}

// Action is what the conversation does after a message's scenes.
type Action string

// Actions, strongest last.
const (
	Continue  Action = ""
	HandOver  Action = "hand_over" // need_ensure: a human takes the conversation
	EndUntilR Action = "end"       // noTalk: hosting ends until restarted
)

// Decide folds hits into one action: ending hosting wins over a hand-over,
// which wins over counting only.
func Decide(hits []Hit) Action {
	a := Continue
	for _, h := range hits {
		switch h.Strategy {
		case brain.StrategyEndUntilRestart, brain.StrategyCompleteService:
			return EndUntilR
		case brain.StrategyHandToHuman:
			a = HandOver
		}
	}
	return a
}

// Counts are per-scene figures for reports: GRAND_TOTAL scenes count every
// hit, ONLY scenes count each conversation once. Safe for concurrent use.
type Counts struct {
	mu     sync.Mutex
	method map[string]string
	n      map[string]int64
	seen   map[string]bool // scene \x00 conversation, for ONLY
}

// NewCounts counts plan's scenes.
func NewCounts(plan brain.HostingPlan) *Counts {
	c := &Counts{method: map[string]string{}, n: map[string]int64{}, seen: map[string]bool{}}
	for _, s := range plan.Scenes {
		c.method[s.Name] = s.StatisticalMethod
	}
	return c
}

// Add counts hits of one conversation (conv is any stable key).
func (c *Counts) Add(conv string, hits []Hit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hits {
		if c.method[h.Scene] == brain.StatOnly {
			k := h.Scene + "\x00" + conv
			if c.seen[k] {
				continue
			}
			c.seen[k] = true
		}
		c.n[h.Scene]++
	}
}

// Snapshot returns the counts by scene name.
func (c *Counts) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}
