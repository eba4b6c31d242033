package rules

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// commonHanzi is a pool of frequent characters for synthetic keywords.
const commonHanzi = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"

func randWord(r *rand.Rand, hanzi []rune) string {
	n := 2 + r.IntN(3)
	w := make([]rune, n)
	for i := range w {
		w[i] = hanzi[r.IntN(len(hanzi))]
	}
	return string(w)
}

// benchRules builds n rules of 20 keywords each; every fourth rule also asks
// for behaviours and carries exclusion lists, so all detectors run.
func benchRules(n int) []Rule {
	r := rand.New(rand.NewPCG(1, 2))
	hanzi := []rune(commonHanzi)
	rs := make([]Rule, n)
	for i := range rs {
		words := map[string]bool{}
		for len(words) < MaxWords {
			words[randWord(r, hanzi)] = true
		}
		wl := make([]string, 0, MaxWords)
		for w := range words {
			wl = append(wl, w)
		}
		rule := Rule{RuleID: fmt.Sprintf("r%d", i), Name: fmt.Sprintf("规则%d", i),
			Keyword:         &Keyword{WordList: wl, IsCaseSensitive: ip(i % 2)},
			ApplicableRange: &ApplicableRange{MsgScope: MsgScopeBoth}}
		if i%4 == 0 {
			rule.Semantics = &Semantics{SemanticsList: []Semantic{SemPhone, SemEmail, SemBankCard, SemIDCard, SemLink}}
			rule.ApplicableRange.ExcludeMobile = &MobileList{MobileList: []string{"13912340000"}}
			rule.ApplicableRange.ExcludeKeyword = &WordList{WordList: []string{randWord(r, hanzi)}}
		}
		if i%10 == 0 {
			rule.Keyword.MatchRule = ip(1)
		}
		rs[i] = rule
	}
	return rs
}

// BenchmarkProcess: 200 rules × 20 words, all detectors and contact
// extraction, over the labelled corpus' messages. Reports messages/s on one
// goroutine (run with -cpu 1).
func BenchmarkProcess(b *testing.B) {
	set, err := Compile(benchRules(MaxRules), 1)
	if err != nil {
		b.Fatal(err)
	}
	items, own := loadCorpus(b, "testdata/contacts.jsonl")
	msgs := make([]Message, len(items))
	for i, it := range items {
		msgs[i] = Message{Text: it.Text}
	}
	x := NewExtractor(own...)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		set.Process(&msgs[n%len(msgs)], x)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkEvaluateKeywordsOnly is the keyword path alone (no behaviour
// rules), for comparison.
func BenchmarkEvaluateKeywordsOnly(b *testing.B) {
	rs := benchRules(MaxRules)
	for i := range rs {
		rs[i].Semantics = nil
		rs[i].ApplicableRange.ExcludeMobile = nil
	}
	set, err := Compile(rs, 1)
	if err != nil {
		b.Fatal(err)
	}
	items, _ := loadCorpus(b, "testdata/contacts.jsonl")
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		set.Evaluate(&Message{Text: items[n%len(items)].Text}, nil)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkRetainedMemory reports the heap retained by a compiled 200 × 20
// rule set plus the extractor state after a full GC.
func BenchmarkRetainedMemory(b *testing.B) {
	rules := benchRules(MaxRules)
	var sets []*RuleSet
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		set, err := Compile(rules, 1)
		if err != nil {
			b.Fatal(err)
		}
		set.Process(&Message{Text: "微信 lily_2024 电话13812345678"}, nil)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MB-retained")
		b.ReportMetric(float64(after.HeapAlloc)/(1<<20), "MB-heap-total")
		sets = append(sets[:0], set)
	}
	runtime.KeepAlive(sets)
}

// BenchmarkAutomaton5000 measures this package's automaton on 5,000 short
// Chinese words (the sizing case of spec §2); see rules/acbench for the
// same measurement on third-party libraries.
func BenchmarkAutomaton5000(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	hanzi := []rune(commonHanzi)
	seen := map[string]bool{}
	var words []string
	for len(words) < 5000 {
		w := randWord(r, hanzi)
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	text := "您好，我对这个岗位很感兴趣，目前在职，月薪一万五，期望二万左右，可以约时间面试吗？我的电话是一三八"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a := NewAutomaton(words, false)
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	var dst []int32
	for b.Loop() {
		dst = a.AppendMatches(dst[:0], text)
	}
	b.SetBytes(int64(len(text)))
	b.ReportMetric(retained, "MB-retained")
	b.ReportMetric(float64(a.MemoryBytes())/(1<<20), "MB-arrays")
	b.ReportMetric(float64(len(a.nodes)), "nodes")
	runtime.KeepAlive(a)
}
