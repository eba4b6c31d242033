package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/rules"
)

// TestWorkerKeywordRules pulls the rule set by version, evaluates a message
// locally and pushes the hit back (twice: idempotent).
func TestWorkerKeywordRules(t *testing.T) {
	ctx := context.Background()
	db, clk, base := setup(t)
	w := client.NewWorker(base, workerToken, 5*time.Second)

	snap, changed, err := w.KeywordRules(ctx, 0)
	if err != nil || !changed || snap.Version != 0 || len(snap.Rules) != 0 {
		t.Fatalf("empty pull = %+v %v %v", snap, changed, err)
	}
	r, err := db.CreateKeywordRule(rules.Rule{Name: "联系方式", Semantics: &rules.Semantics{SemanticsList: []rules.Semantic{rules.SemPhone}},
		ApplicableRange: &rules.ApplicableRange{MsgScope: rules.MsgScopeReceived}})
	if err != nil {
		t.Fatal(err)
	}
	snap, changed, err = w.KeywordRules(ctx, 0)
	if err != nil || !changed || snap.Version != 1 || len(snap.Rules) != 1 {
		t.Fatalf("pull = %+v %v %v", snap, changed, err)
	}
	if _, changed, err := w.KeywordRules(ctx, snap.Version); err != nil || changed {
		t.Fatalf("pull at current version: changed=%v err=%v", changed, err)
	}
	set, err := rules.Compile(snap.Rules, snap.Version)
	if err != nil {
		t.Fatal(err)
	}
	hits := set.Evaluate(&rules.Message{Text: "我的电话 138 1234 5678"}, nil)
	if len(hits) != 1 || hits[0].RuleID != r.RuleID {
		t.Fatalf("local hits %+v", hits)
	}
	in := []wire.KeywordHitInput{{RuleID: hits[0].RuleID, Name: hits[0].Name, Keywords: hits[0].Keywords, Semantics: hits[0].Semantics,
		MsgID: "mid-1", Text: "我的电话 138 1234 5678", Direction: "received", AccountID: "boss-a", CandidateID: "geek-1", MsgTime: clk.Now()}}
	for i := 0; i < 2; i++ {
		out, err := w.PushKeywordHits(ctx, in)
		if err != nil || len(out) != 1 || out[0].ID != 1 || out[0].WorkerID != "w1" {
			t.Fatalf("push %d = %+v, %v", i, out, err)
		}
	}
	if _, err := w.PushKeywordHits(ctx, []wire.KeywordHitInput{{RuleID: "x"}}); err == nil {
		t.Error("invalid hit accepted")
	}
}
