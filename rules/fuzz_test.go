package rules

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExtract checks that extraction never panics and that every span lies
// inside the original text, whatever the input.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{"电话：13800138000", "微信：abc_123", "qq 12345", "a艾特b点com", "<phone>1</phone>",
		"➀➂➇", "\u200b", "微信微信vx:", "+86 1 3 8", "wxid_", "<copy>abcdef</copy>", "一二三四五六七八九十", "@@@..##"} {
		f.Add(s)
	}
	x := NewExtractor("我的微信是 hr_own_1", "打13912340000")
	f.Fuzz(func(t *testing.T, s string) {
		n := utf8.RuneCountInString(s)
		for _, c := range x.Extract(s) {
			if c.Start < 0 || c.End > n || c.Start >= c.End || c.Value == "" {
				t.Fatalf("%q: bad contact %+v", s, c)
			}
		}
		x.Analyze(s)
		IsOptOut(s)
	})
}

// TestLongMessages runs pathological long inputs through the extractor:
// they must finish (the scans are linear or n·log n) and stay correct.
func TestLongMessages(t *testing.T) {
	inputs := []string{
		strings.Repeat("微信", 20000),
		strings.Repeat("qq1 ", 20000),
		strings.Repeat("a@", 20000),
		strings.Repeat("1 ", 40000),
		strings.Repeat("13800138000 ", 5000),
		strings.Repeat("一", 50000),
	}
	for _, in := range inputs {
		cs := Extract(in)
		if strings.HasPrefix(in, "138") && (len(cs) != 1 || cs[0].Value != "13800138000") {
			t.Errorf("repeated phone: %d contacts", len(cs))
		}
	}
}

// FuzzRuleMatching compiles arbitrary seed-004 rule JSON and evaluates
// arbitrary messages against it: compilation either fails with an error or
// yields a set whose hits name only its own rules and only keywords a rule
// lists; nothing panics.
func FuzzRuleMatching(f *testing.F) {
	for _, c := range []struct{ rules, text string }{
		{`[{"rule_id":"r1","name":"留联系方式","keyword":{"word_list":["微信","vx","QQ"],"is_case_sensitive":0},"semantics":{"semantics_list":[2,3]}}]`, "我的VX是 abc_123"},
		{`[{"name":"拒绝","keyword":{"word_list":["不需要","别发了"]},"applicable_range":{"msg_scope":2}}]`, "不需要了谢谢"},
		{`[{"name":"ack","keyword":{"word_list":["收到","好的"],"match_rule":1,"is_trim_msg":1}}]`, "  好的\n"},
		{`[{"name":"phone","semantics":{"semantics_list":[2]},"applicable_range":{"exclude_mobile":{"mobile_list":["+8613912340000"]},"exclude_keyword":{"word_list":["公众号"]}}}]`, "电话 13800138000"},
		{`[{"name":"x","keyword":{"word_list":["a"]}},{"name":"y","keyword":{"word_list":["A"],"is_case_sensitive":0}}]`, "AaA"},
		{`[]`, ""},
		{`[{"name":""}]`, "x"},
	} {
		f.Add(c.rules, c.text, uint8(0), uint8(0))
	}
	f.Fuzz(func(t *testing.T, rulesJSON, text string, kind, dir uint8) {
		var rs []Rule
		if json.Unmarshal([]byte(rulesJSON), &rs) != nil {
			return
		}
		set, err := Compile(rs, 1)
		if err != nil {
			return
		}
		words := map[string]map[string]bool{}
		for i, r := range rs {
			id := r.RuleID
			if id == "" {
				id = "rule-" + strconv.Itoa(i+1)
			}
			words[id] = map[string]bool{}
			if r.Keyword != nil {
				for _, w := range r.Keyword.WordList {
					words[id][w] = true
				}
			}
		}
		msg := &Message{Text: text, Kind: Kind(kind % 8), Direction: Direction(dir % 3), AccountID: "acc", CandidateID: "c"}
		e := NewEngine(set)
		for _, h := range e.Evaluate(msg) {
			ws, ok := words[h.RuleID]
			if !ok {
				t.Fatalf("hit of unknown rule %q", h.RuleID)
			}
			for _, k := range h.Keywords {
				if !ws[k] {
					t.Fatalf("rule %q hit on keyword %q it does not list", h.RuleID, k)
				}
			}
		}
		e.Process(msg)
	})
}
