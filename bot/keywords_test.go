package bot

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/rules"
)

// compileRules compiles seed-004 rules given as JSON.
func compileRules(t *testing.T, version uint64, js string) *rules.RuleSet {
	t.Helper()
	var rs []rules.Rule
	if err := json.Unmarshal([]byte(js), &rs); err != nil {
		t.Fatal(err)
	}
	set, err := rules.Compile(rs, version)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// hits lists the keyword hits queued for the control plane as
// "<rule>/<direction>/<text>".
func (h *harness) hits() []string {
	h.t.Helper()
	var out []string
	for _, it := range h.outbox(TargetControl) {
		if it.Kind != KindKeywordHit {
			continue
		}
		var in wire.KeywordHitInput
		if err := json.Unmarshal(it.Payload, &in); err != nil {
			h.t.Fatal(err)
		}
		if in.AccountID != "acc1" || in.CandidateID != "501" || in.JobID != 101 || in.MsgID == "" || in.MsgTime.IsZero() {
			h.t.Fatalf("hit without its context: %+v", in)
		}
		out = append(out, in.RuleID+"/"+in.Direction+"/"+in.Text)
	}
	return out
}

const testRules = `[
 {"rule_id":"salary","name":"问薪资","keyword":{"word_list":["薪资"]},"applicable_range":{"msg_scope":2}},
 {"rule_id":"our-phone","name":"我方发手机号","semantics":{"semantics_list":[2]},"applicable_range":{"msg_scope":1}},
 {"rule_id":"welcome","name":"招呼语","semantics":{"semantics_list":[12]},"applicable_range":{"msg_scope":1}},
 {"rule_id":"other-job","name":"别的岗位","keyword":{"word_list":["薪资"]},"applicable_range":{"msg_scope":1,"target_type":{"type_list":[1]},"department":{"id_list":[999]}}},
 {"rule_id":"this-job","name":"本岗位面议","keyword":{"word_list":["面议"]},"applicable_range":{"msg_scope":1,"target_type":{"type_list":[1]},"department":{"id_list":[101]}}}
]`

func TestEveryNewMessageIsEvaluatedOnce(t *testing.T) {
	// The reply carries the account's own phone, which the send gate lets
	// through only when it is declared as ours.
	h := newHarness(t, func(a *AccountConfig) { a.Hosting.Gate.OwnContacts = []string{"13912345678"} }).login()
	engine := rules.NewEngine(nil)
	h.agent.Keywords = engine
	h.greeted(cand, "张女士")
	h.site.say(cand, cand, "你好") // read before any rule exists: never evaluated
	h.chat()
	engine.Swap(compileRules(t, 1, testRules))
	h.site.say(cand, cand, "请问薪资多少？")
	h.clk.advance(11 * time.Second)
	h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: "薪资面议，电话 13912345678 联系我"}}
	for range 3 {
		h.chat()
	}
	want := []string{"salary/received/请问薪资多少？", "our-phone/sent/薪资面议，电话 13912345678 联系我",
		"this-job/sent/薪资面议，电话 13912345678 联系我"}
	if got := h.hits(); !slices.Equal(got, want) {
		t.Fatalf("hits %q, want %q", got, want)
	}
}

func TestWelcomeAndNoRules(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.chat() // no engine at all: nothing evaluated, nothing queued
	if got := h.hits(); len(got) != 0 {
		t.Fatalf("hits %q without rules", got)
	}

	h = newHarness(t).login()
	h.agent.Keywords = rules.NewEngine(compileRules(t, 1, testRules))
	h.greeted(cand, "张女士")
	h.chat()
	if got, want := h.hits(), []string{"welcome/sent/您好，看了您的简历，方便聊聊吗？"}; !slices.Equal(got, want) {
		t.Fatalf("hits %q, want %q (the greeting is the welcome message)", got, want)
	}
}
