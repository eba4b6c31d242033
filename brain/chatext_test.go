package brain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
)

// The extension is optional both ways: a request without it is the
// reference's shape key for key, a reference answer decodes without it,
// and a request with it carries the plan under "hunterbot".
func TestChatExtensionIsOptional(t *testing.T) {
	b, err := json.Marshal(brain.ChatRequest{AccountID: "a", CandidateID: "c", HistoryMsg: []brain.ChatMessage{}})
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	if _, ok := keys["hunterbot"]; ok || len(keys) != 4 {
		t.Fatalf("request without the extension: %s", b)
	}
	var d brain.ChatData
	if err := json.Unmarshal([]byte(`{"nextStep":"normal_chat","nextStepContent":"好的"}`), &d); err != nil || d.Hunterbot != nil {
		t.Fatalf("reference answer: %+v, %v", d, err)
	}
	p := brain.HostingPlan{Prompt: "p", Scenes: []brain.Scene{{ID: "12", Name: "同意面试", Strategy: brain.StrategyCompleteService}}}
	b, _ = json.Marshal(brain.ChatRequest{AccountID: "a", CandidateID: "c", Hunterbot: &brain.ChatExtension{PlanID: "3", Plan: &p}})
	if !strings.Contains(string(b), `"hunterbot":{"planId":"3","plan":{"prompt":"p","scenes":[{"id":"12","name":"同意面试","strategy":"COMPLETE_SERVICE"}]}}`) {
		t.Fatalf("request with the extension: %s", b)
	}
}
