package rules

import (
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
