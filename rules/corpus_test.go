package rules

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

type corpusItem struct {
	Text     string `json:"text"`
	Contacts []struct {
		Type  ContactType `json:"type"`
		Value string      `json:"value"`
	} `json:"contacts"`
}

func loadCorpus(t testing.TB, name string) ([]corpusItem, []string) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var items []corpusItem
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var it corpusItem
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&it); err != nil {
			t.Fatalf("%s:%d: %v", name, line, err)
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	own, err := os.ReadFile("testdata/own_texts.txt")
	if err != nil {
		t.Fatal(err)
	}
	return items, strings.Split(strings.TrimSpace(string(own)), "\n")
}

type prf struct{ tp, fp, fn int }

func (s prf) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s prf) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

// score compares predicted and expected (type, value) pairs of one message;
// withType=false ignores the type (for the baseline, which cannot type).
func score(s *prf, want, got []Contact, withType bool) (missing, extra []Contact) {
	key := func(c Contact) string {
		v := strings.ToLower(c.Value)
		if withType {
			return string(c.Type) + ":" + v
		}
		return v
	}
	w := map[string]int{}
	for _, c := range want {
		w[key(c)]++
	}
	for _, c := range got {
		if w[key(c)] > 0 {
			w[key(c)]--
			s.tp++
		} else {
			s.fp++
			extra = append(extra, c)
		}
	}
	for _, c := range want {
		if w[key(c)] > 0 {
			w[key(c)]--
			s.fn++
			missing = append(missing, c)
		}
	}
	return missing, extra
}

// referenceBrain is the reference brain's rule (spec/brain-protocol.md): the
// first run of 6-20 [A-Za-z0-9_-] characters is "the contact"; 11 digits are
// a phone only when a WeChat is already known, which a single message never
// establishes, so everything is reported as a WeChat id.
var refRun = regexp.MustCompile(`[A-Za-z0-9_-]+`)

func referenceBrain(text string) []Contact {
	for _, m := range refRun.FindAllString(text, -1) {
		if n := len(m); n >= 6 && n <= 20 {
			return []Contact{{Type: ContactWeChat, Value: m}}
		}
	}
	return nil
}

// TestCorpusPrecisionRecall scores extraction on the labelled corpus:
// contacts.jsonl (written while developing) and contacts_holdout.jsonl
// (written before the extractor was run on it). Both must reach 0.98.
func TestCorpusPrecisionRecall(t *testing.T) {
	total := 0
	for _, name := range []string{"testdata/contacts.jsonl", "testdata/contacts_holdout.jsonl", "testdata/contacts_holdout2.jsonl", "testdata/contacts_holdout3.jsonl", "testdata/contacts_holdout4.jsonl", "testdata/contacts_holdout5.jsonl"} {
		items, own := loadCorpus(t, name)
		total += len(items)
		ours, base, baseAny := evalCorpus(t, items, own)
		t.Logf("%s: %d messages, %d expected contacts", name, len(items), ours.tp+ours.fn)
		t.Logf("  hunterbot rules: precision %.4f recall %.4f (tp %d fp %d fn %d)", ours.precision(), ours.recall(), ours.tp, ours.fp, ours.fn)
		t.Logf("  reference brain (type+value): precision %.4f recall %.4f (tp %d fp %d fn %d)", base.precision(), base.recall(), base.tp, base.fp, base.fn)
		t.Logf("  reference brain (value only): precision %.4f recall %.4f", baseAny.precision(), baseAny.recall())
		if ours.precision() < 0.98 || ours.recall() < 0.98 {
			t.Errorf("%s: precision %.4f / recall %.4f below 0.98", name, ours.precision(), ours.recall())
		}
	}
	if total < 300 {
		t.Fatalf("corpus has %d messages, want ≥ 300", total)
	}
}

func evalCorpus(t *testing.T, items []corpusItem, own []string) (ours, base, baseAny prf) {
	x := NewExtractor(own...)
	for _, it := range items {
		var want []Contact
		for _, c := range it.Contacts {
			want = append(want, Contact{Type: c.Type, Value: c.Value})
		}
		got := x.Extract(it.Text)
		if missing, extra := score(&ours, want, got, true); len(missing)+len(extra) > 0 {
			t.Logf("mismatch %q: missing %v, extra %v", it.Text, missing, extra)
		}
		ref := referenceBrain(it.Text)
		score(&base, want, ref, true)
		score(&baseAny, want, ref, false)
		checkSpans(t, it.Text, got)
	}
	return ours, base, baseAny
}

// checkSpans verifies that every contact's [Start, End) points at the text
// that holds it in the original message.
func checkSpans(t *testing.T, text string, cs []Contact) {
	t.Helper()
	rs := []rune(text)
	for _, c := range cs {
		if c.Start < 0 || c.End > len(rs) || c.Start >= c.End {
			t.Errorf("%q: bad span %+v", text, c)
			continue
		}
		norm, _ := Normalize(string(rs[c.Start:c.End]))
		switch {
		case c.Type == ContactEmail:
			if !strings.Contains(strings.ToLower(norm), strings.SplitN(c.Value, "@", 2)[0]) {
				t.Errorf("%q: span %q does not hold %+v", text, norm, c)
			}
		case isDigits(c.Value):
			if d := digitsOnly(norm); !strings.HasSuffix(d, c.Value) {
				t.Errorf("%q: span %q does not hold %+v", text, norm, c)
			}
		default:
			if norm != c.Value {
				t.Errorf("%q: span %q does not hold %+v", text, norm, c)
			}
		}
	}
}

func TestExtractExamples(t *testing.T) {
	tests := []struct {
		text string
		want []Contact
	}{
		{"电话：13800138000", []Contact{{Type: ContactPhone, Value: "13800138000", Start: 3, End: 14}}},
		{"+86 138 0013 8000", []Contact{{Type: ContactPhone, Value: "13800138000", Start: 0, End: 17}}},
		{"ａ微信：ｌｉｎａ＿０８２３", []Contact{{Type: ContactWeChat, Value: "lina_0823", Start: 4, End: 13, Trigger: "微信"}}},
		{"<phone>13800138000</phone>", []Contact{{Type: ContactPhone, Value: "13800138000", Start: 7, End: 18, Trigger: "<phone>"}}},
		{"邮箱 abc艾特qq点com", []Contact{{Type: ContactEmail, Value: "abc@qq.com", Start: 3, End: 14, Trigger: "艾特"}}},
		{"扣扣 一二三四五六", []Contact{{Type: ContactQQ, Value: "123456", Start: 3, End: 9, Trigger: "扣扣"}}},
		{"1️⃣3️⃣8️⃣0️⃣0️⃣1️⃣3️⃣8️⃣0️⃣0️⃣0️⃣", []Contact{{Type: ContactPhone, Value: "13800138000", Start: 0, End: 31}}},
	}
	for _, tt := range tests {
		got := Extract(tt.text)
		if len(got) != len(tt.want) {
			t.Errorf("Extract(%q) = %+v, want %+v", tt.text, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Extract(%q)[%d] = %+v, want %+v", tt.text, i, got[i], tt.want[i])
			}
		}
		if n := utf8.RuneCountInString(tt.text); len(got) > 0 && got[len(got)-1].End > n {
			t.Errorf("span beyond text")
		}
	}
}
