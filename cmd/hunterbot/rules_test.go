package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/internal/config"
)

func runExtract(t *testing.T, input string, args ...string) ([]extractLine, error) {
	t.Helper()
	var out strings.Builder
	err := rulesMain(context.Background(), append([]string{"extract"}, args...), strings.NewReader(input), &out)
	var lines []extractLine
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var l extractLine
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if e := dec.Decode(&l); e != nil {
			t.Fatalf("bad output line %q: %v", sc.Text(), e)
		}
		lines = append(lines, l)
	}
	return lines, err
}

func TestRulesExtractContacts(t *testing.T) {
	lines, err := runExtract(t, "电话：13800138000\n\n微信支付很方便\n我的vx是 lily_2024，邮箱 lily艾特qq点com\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 4 {
		t.Fatalf("%d output lines, want 4 (one per input line)", len(lines))
	}
	c := lines[0].Contacts
	if len(c) != 1 || c[0].Type != "phone" || c[0].Value != "13800138000" || c[0].Start != 3 || c[0].End != 14 {
		t.Errorf("line 1 contacts %+v", c)
	}
	if len(lines[1].Contacts) != 0 || len(lines[2].Contacts) != 0 || len(lines[0].Hits) != 0 {
		t.Errorf("unexpected contacts/hits: %+v", lines)
	}
	if got := lines[3].Contacts; len(got) != 2 || got[0].Value != "lily_2024" || got[1].Value != "lily@qq.com" {
		t.Errorf("line 4 contacts %+v", got)
	}
	// the raw JSON keeps the documented shape even when empty
	var out strings.Builder
	if err := rulesMain(context.Background(), []string{"extract"}, strings.NewReader("你好\n"), &out); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(out.String()); got != `{"text":"你好","contacts":[],"hits":[]}` {
		t.Errorf("output %s", got)
	}
}

func TestRulesExtractWithRuleFile(t *testing.T) {
	lines, err := runExtract(t, "不需要了，别发了\n电话13912340000\n电话13812345678\n  收到 \n微信支付很方便\n",
		"--rules", "../../configs/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"opted-out"}, nil, {"contact-shared"}, {"short-ack"}, nil}
	for i, l := range lines {
		var ids []string
		for _, h := range l.Hits {
			ids = append(ids, h.RuleID)
		}
		if strings.Join(ids, ",") != strings.Join(want[i], ",") {
			t.Errorf("line %d %q: hits %v, want %v", i+1, l.Text, ids, want[i])
		}
	}
	if h := lines[0].Hits[0]; h.Name != "明确拒绝" || strings.Join(h.Keywords, ",") != "不需要,别发了" {
		t.Errorf("hit %+v", h)
	}
	if h := lines[2].Hits[0]; len(h.Semantics) != 1 || h.Semantics[0] != 2 {
		t.Errorf("semantics %+v", h)
	}
}

func TestRulesExtractBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		file, body, want string
	}{
		{"unknown.yaml", "rules:\n  - name: x\n    keywords: {word_list: [a]}\n", `"keywords"`},
		{"long.json", `{"rules":[{"name":"x","keyword":{"word_list":["` + strings.Repeat("长", 33) + `"]}}]}`, "rules[0].keyword.word_list[0]"},
		{"empty.yaml", "rules:\n  - name: x\n", "rules[0].keyword.word_list"},
		{"scope.yaml", "rules:\n  - name: x\n    semantics: {semantics_list: [2]}\n    applicable_range: {msg_scope: 9}\n", "rules[0].applicable_range.msg_scope"},
	}
	for _, tt := range tests {
		_, err := runExtract(t, "x\n", "--rules", write(tt.file, tt.body))
		if err == nil || !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want config.ErrInvalid naming %s", tt.file, err, tt.want)
		}
	}
	if _, err := runExtract(t, "", "--direction", "up"); err == nil {
		t.Error("bad --direction accepted")
	}
	var out strings.Builder
	if err := rulesMain(context.Background(), []string{"compile"}, strings.NewReader(""), &out); err == nil {
		t.Error("unknown subcommand accepted")
	}
}

func TestRulesExtractOwnTexts(t *testing.T) {
	own := filepath.Join(t.TempDir(), "own.txt")
	if err := os.WriteFile(own, []byte("您好，我的微信是 xc_hr_wang，欢迎来聊\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, err := runExtract(t, "加你微信 xc_hr_wang 了，我的是 lily_2024\n", "--own", own)
	if err != nil {
		t.Fatal(err)
	}
	if c := lines[0].Contacts; len(c) != 1 || c[0].Value != "lily_2024" {
		t.Errorf("contacts %+v, want only lily_2024", c)
	}
}
