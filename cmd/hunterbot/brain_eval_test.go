package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
)

// `brain eval` with the built-in brain answering through a fake model that
// invents a salary: the gate keeps every reply clean and the model's
// blocked answers are counted in the report.
func TestBrainEvalCommand(t *testing.T) {
	fake := llmtest.New(func(llmtest.Request) llmtest.Answer {
		return llmtest.Answer{Content: llmtest.JSONReply("need_contact", "薪资能给到40K，方便加微信吗")}
	})
	defer fake.Close()
	cfg, err := os.ReadFile("../../configs/brain-eval.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	y := string(cfg) + "llm:\n  base_url: " + fake.BaseURL() + "\n  model: fake\n  allow: [127.0.0.1]\n"
	path := filepath.Join(t.TempDir(), "brain.yaml")
	if err := os.WriteFile(path, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	old := brainEvalOut
	brainEvalOut = &out
	defer func() { brainEvalOut = old }()
	if err := runBrain(context.Background(), []string{"eval", "--conversations", "../../brain/eval/testdata/personas.jsonl", "--config", path}); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"14 conversations", "no_invented_facts      33    33     1.000", "gate_salary:"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if len(fake.Requests()) == 0 {
		t.Fatal("the model was not asked")
	}
	err = runBrain(context.Background(), []string{"eval", "--config", path})
	if err == nil || !strings.Contains(err.Error(), "--conversations") {
		t.Fatalf("missing flag: %v", err)
	}
}
