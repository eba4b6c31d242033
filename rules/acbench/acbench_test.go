// Package acbench compares Aho-Corasick implementations on the sizing case of
// spec conversation-rules §2: 5,000 short Chinese words. It is a separate
// module so the main module does not depend on the libraries that lost; run
// it with `cd rules/acbench && go test -bench . -benchtime=1s -cpu 1`.
// The figures are recorded in docs/rules.md.
package acbench

import (
	"math/rand/v2"
	"runtime"
	"testing"

	anknown "github.com/anknown/ahocorasick"
	cloudflare "github.com/cloudflare/ahocorasick"
	petar "github.com/petar-dambovaliev/aho-corasick"

	"github.com/hunterbot/hunterbot/rules"
)

// The same pool and generator as rules/bench_test.go (frequent characters,
// words of 2-4 characters).
const hanzi = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"

const text = "您好，我对这个岗位很感兴趣，目前在职，月薪一万五，期望二万左右，可以约时间面试吗？我的电话是一三八"

func words() []string {
	r := rand.New(rand.NewPCG(3, 4))
	pool := []rune(hanzi)
	seen := map[string]bool{}
	var out []string
	for len(out) < 5000 {
		n := 2 + r.IntN(3)
		w := make([]rune, n)
		for i := range w {
			w[i] = pool[r.IntN(len(pool))]
		}
		if s := string(w); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// retained builds with build and returns the heap it keeps after a full GC.
func retained[T any](build func() T) (T, float64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	return v, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
}

func BenchmarkHunterbotRunes(b *testing.B) {
	ws := words()
	a, mb := retained(func() *rules.Automaton { return rules.NewAutomaton(ws, false) })
	var dst []int32
	for b.Loop() {
		dst = a.AppendMatches(dst[:0], text)
	}
	b.ReportMetric(mb, "MB-retained")
	runtime.KeepAlive(a)
}

func BenchmarkCloudflare(b *testing.B) {
	ws := words()
	m, mb := retained(func() *cloudflare.Matcher { return cloudflare.NewStringMatcher(ws) })
	in := []byte(text)
	for b.Loop() {
		m.MatchThreadSafe(in)
	}
	b.ReportMetric(mb, "MB-retained")
	runtime.KeepAlive(m)
}

func BenchmarkAnknownDoubleArray(b *testing.B) {
	ws := words()
	rs := make([][]rune, len(ws))
	for i, w := range ws {
		rs[i] = []rune(w)
	}
	m, mb := retained(func() *anknown.Machine {
		m := new(anknown.Machine)
		if err := m.Build(rs); err != nil {
			b.Fatal(err)
		}
		return m
	})
	in := []rune(text)
	for b.Loop() {
		m.MultiPatternSearch(in, false)
	}
	b.ReportMetric(mb, "MB-retained")
	runtime.KeepAlive(m)
}

func benchPetar(b *testing.B, dfa bool) {
	ws := words()
	ac, mb := retained(func() petar.AhoCorasick {
		bl := petar.NewAhoCorasickBuilder(petar.Opts{MatchKind: petar.StandardMatch, DFA: dfa})
		return bl.Build(ws)
	})
	for b.Loop() {
		it := ac.IterOverlapping(text)
		for it.Next() != nil {
		}
	}
	b.ReportMetric(mb, "MB-retained")
	runtime.KeepAlive(ac)
}

func BenchmarkPetarNFA(b *testing.B) { benchPetar(b, false) }
func BenchmarkPetarDFA(b *testing.B) { benchPetar(b, true) }
