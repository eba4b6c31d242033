package rules

import (
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// ContactType is the kind of an extracted contact.
type ContactType string

// Contact types.
const (
	ContactPhone  ContactType = "phone"
	ContactWeChat ContactType = "wechat"
	ContactQQ     ContactType = "qq"
	ContactEmail  ContactType = "email"
)

// Contact is one contact found in a message. Start and End are rune offsets
// [Start, End) in the ORIGINAL text; Value is normalised (digits only for
// phones and QQ numbers, lower-case emails, WeChat ids as written). Trigger is
// the word that justified the match ("微信", "QQ", "<phone>", "艾特"), empty
// for a bare mobile number.
type Contact struct {
	Type    ContactType `json:"type"`
	Value   string      `json:"value"`
	Start   int         `json:"start"`
	End     int         `json:"end"`
	Trigger string      `json:"trigger,omitempty"`
}

// Extractor finds contacts in candidate messages. The zero value works; use
// NewExtractor to ignore our own texts. Safe for concurrent use.
type Extractor struct {
	own       []string        // our own texts: masked wherever they appear
	ownValues map[string]bool // contacts inside our own texts (our WeChat, our phone)
}

// NewExtractor returns an extractor that ignores ownTexts (greetings and
// follow-up scripts we send): their occurrences in a message are masked, and
// any contact they contain (the recruiter's own WeChat or phone) is never
// reported as the candidate's.
func NewExtractor(ownTexts ...string) *Extractor {
	x := &Extractor{ownValues: map[string]bool{}}
	for _, t := range ownTexts {
		if strings.TrimSpace(t) == "" {
			continue
		}
		x.own = append(x.own, t)
		for _, c := range defaultExtractor.Extract(t) {
			x.ownValues[string(c.Type)+":"+c.Value] = true
		}
	}
	return x
}

var defaultExtractor = &Extractor{}

// Extract returns the contacts in text with the default extractor.
func Extract(text string) []Contact { return defaultExtractor.Extract(text) }

// scratch holds per-call buffers, pooled to keep the hot path allocation-light.
type scratch struct {
	n    normText
	runs []digitRun
	hits []acHit
	out  []Contact
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// Extract returns the contacts in text, ordered by Start, one per
// (type, value).
func (x *Extractor) Extract(text string) []Contact {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	normalize(text, x.mask(text), &s.n)
	out := x.extractNorm(s)
	if len(out) == 0 {
		return nil
	}
	return append([]Contact(nil), out...)
}

// mask finds our own texts inside text, as original rune ranges.
func (x *Extractor) mask(text string) [][2]int {
	if x == nil || len(x.own) == 0 {
		return nil
	}
	var m [][2]int
	for _, o := range x.own {
		from := 0
		for {
			k := strings.Index(text[from:], o)
			if k < 0 {
				break
			}
			startB := from + k
			start := utf8.RuneCountInString(text[:startB])
			m = append(m, [2]int{start, start + utf8.RuneCountInString(o)})
			from = startB + len(o)
		}
	}
	return m
}

// digitRun is a maximal number in the normalised text: digits with at most
// three separators between consecutive digits. bound[k] is true where a
// separator or a change between written digits and Chinese numerals falls
// before digit k: a contact must start and end on such boundaries, which is
// how "15000 13800138000" yields the phone while "2023138001380001" does not.
type digitRun struct {
	d     []byte
	pos   []int32 // normalised index of each digit
	bound []bool  // len(d)+1
	plus  bool    // a '+' right before the first digit
}

func (r *digitRun) start() int { return int(r.pos[0]) }

func buildRuns(n *normText, runs []digitRun) []digitRun {
	runs = runs[:0]
	for i := 0; i < len(n.r); {
		if n.cls[i] == clsOther {
			i++
			continue
		}
		k := len(runs)
		if k < cap(runs) {
			runs = runs[:k+1]
		} else {
			runs = append(runs, digitRun{})
		}
		run := &runs[k]
		run.d, run.pos, run.bound = run.d[:0], run.pos[:0], run.bound[:0]
		run.plus = i > 0 && n.r[i-1] == '+'
		j := i
		for {
			if len(run.d) == 0 {
				run.bound = append(run.bound, true)
			}
			run.d = append(run.d, byte(n.r[j]))
			run.pos = append(run.pos, int32(j))
			// look ahead: next digit directly, or after ≤ 3 separators
			k := j + 1
			for k < len(n.r) && k-j <= 3 && isDigitSep(n.r[k]) {
				k++
			}
			if k < len(n.r) && n.cls[k] != clsOther && k-j <= 4 {
				run.bound = append(run.bound, k > j+1 || n.cls[k] != n.cls[j])
				j = k
				continue
			}
			run.bound = append(run.bound, true)
			i = j + 1
			break
		}
	}
	return runs
}

func isMobile(d []byte) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// mobileAt reports a mobile starting at digit s of run (optionally with the
// 86 country code) that ends on a boundary; it returns the end digit index
// and the 11-digit value.
func mobileAt(run *digitRun, s int) (int, string, bool) {
	if !run.bound[s] {
		return 0, "", false
	}
	d := run.d
	if s+13 <= len(d) && d[s] == '8' && d[s+1] == '6' && isMobile(d[s+2:s+13]) && run.bound[s+13] {
		return s + 13, string(d[s+2 : s+13]), true
	}
	if s+11 <= len(d) && isMobile(d[s:s+11]) && run.bound[s+11] {
		return s + 11, string(d[s : s+11]), true
	}
	return 0, "", false
}

// numberPrefix is the longest boundary-aligned prefix of run with 5..11
// digits and no leading zero (a QQ number, or a number given as WeChat id).
func numberPrefix(run *digitRun) (int, bool) {
	if run.d[0] == '0' {
		return 0, false
	}
	for e := min(len(run.d), 11); e >= 5; e-- {
		if run.bound[e] {
			return e, true
		}
	}
	return 0, false
}

// runAt returns the run whose first digit is at normalised index p.
func runAt(runs []digitRun, p int) *digitRun {
	// runs are in text order: binary search keeps long messages linear-ish
	i := sort.Search(len(runs), func(i int) bool { return runs[i].start() >= p })
	if i < len(runs) && runs[i].start() == p {
		return &runs[i]
	}
	return nil
}

func (n *normText) runSpan(run *digitRun, s, e int) (int, int) {
	ns := int(run.pos[s])
	if s == 0 && run.plus {
		ns--
	}
	return n.span(ns, int(run.pos[e-1])+1)
}

func (x *Extractor) extractNorm(s *scratch) []Contact {
	n := &s.n
	s.out = s.out[:0]
	if len(n.r) == 0 {
		return nil
	}
	s.runs = buildRuns(n, s.runs)
	emails := findEmails(n, s.out)
	s.out = emails
	nEmail := len(s.out)
	overlapsEmail := func(ns, ne int) bool {
		for _, c := range s.out[:nEmail] {
			if ns < c.End && c.Start < ne {
				return true
			}
		}
		return false
	}
	// <phone> markup, then mobiles anywhere (no trigger needed).
	var phones []Contact
	for _, t := range n.tags {
		phones, s.out = tagContact(n, t, phones, s.out)
	}
	for ri := range s.runs {
		run := &s.runs[ri]
		for d := 0; d < len(run.d); d++ {
			e, v, ok := mobileAt(run, d)
			if !ok {
				continue
			}
			st, en := n.runSpan(run, d, e)
			if !overlapsEmail(st, en) && !gluedToLetters(n, run, d, e) {
				phones = append(phones, Contact{Type: ContactPhone, Value: v, Start: st, End: en})
			}
			d = e - 1
		}
	}
	s.out = append(s.out, phones...)
	s.hits = triggerAC.appendHitsRunes(s.hits[:0], n.r)
	for hi, h := range s.hits {
		tw := triggerWords[h.pat]
		end := int(h.end)
		start := end - utf8.RuneCountInString(tw.word)
		if tw.ascii && !asciiTriggerBounded(n, start, end) {
			continue
		}
		// prefer the longest trigger ending here or containing this one
		if longerTriggerCovers(s.hits, hi, start) {
			continue
		}
		trigOrig := string(n.r[start:end])
		switch tw.kind {
		case ContactQQ:
			p := skipFiller(n, end)
			if p < len(n.r) && n.cls[p] != clsOther {
				if run := runAt(s.runs, p); run != nil {
					if e, ok := numberPrefix(run); ok {
						st, en := n.runSpan(run, 0, e)
						if !overlapsEmail(st, en) {
							s.out = append(s.out, Contact{Type: ContactQQ, Value: string(run.d[:e]), Start: st, End: en, Trigger: trigOrig})
						}
					}
				}
			}
		case ContactWeChat:
			if c, ok := wechatNear(n, s.runs, start, end, phones, overlapsEmail, x.isOwn); ok {
				c.Trigger = trigOrig
				s.out = append(s.out, c)
			}
		}
	}
	// "wxid_…" is WeChat's own id format and needs no trigger.
	for i := 0; i+5 <= len(n.r); i++ {
		if (i == 0 || !isIDRune(n.r[i-1])) && strings.EqualFold(string(n.r[i:i+5]), "wxid_") {
			e := i
			for e < len(n.r) && isIDRune(n.r[e]) {
				e++
			}
			if e-i >= 8 && e-i <= 30 {
				st, en := n.span(i, e)
				s.out = append(s.out, Contact{Type: ContactWeChat, Value: string(n.r[i:e]), Start: st, End: en, Trigger: "wxid_"})
			}
			i = e
		}
	}
	return x.finish(s.out)
}

// gluedToLetters reports a number written inside an alphanumeric token
// ("A13812345678B", "a13812345678"): an id, not a phone number.
func gluedToLetters(n *normText, run *digitRun, s, e int) bool {
	b, a := int(run.pos[s])-1, int(run.pos[e-1])+1
	return b >= 0 && isASCIILetter(n.r[b]) || a < len(n.r) && isASCIILetter(n.r[a])
}

// isOwn reports a contact that is ours (from NewExtractor's own texts).
func (x *Extractor) isOwn(c Contact) bool {
	return x != nil && x.ownValues[string(c.Type)+":"+c.Value]
}

// finish drops our own values and duplicates and orders by position.
func (x *Extractor) finish(out []Contact) []Contact {
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		return out[i].Type < out[j].Type
	})
	k := 0
	var seen map[string]bool // only for unusually many contacts
	if len(out) > 16 {
		seen = make(map[string]bool, len(out))
	}
	for i := range out {
		c := out[i]
		if x.isOwn(c) {
			continue
		}
		dup := false
		if seen != nil {
			key := string(c.Type) + ":" + strings.ToLower(c.Value)
			dup = seen[key]
			seen[key] = true
		} else {
			for _, p := range out[:k] {
				if p.Type == c.Type && strings.EqualFold(p.Value, c.Value) {
					dup = true
					break
				}
			}
		}
		if !dup {
			out[k] = c
			k++
		}
	}
	return out[:k]
}

// triggerWord is a word announcing a WeChat id or QQ number.
type triggerWord struct {
	word  string
	kind  ContactType
	ascii bool // needs token boundaries ("wx" must not be inside "wxyz")
}

var triggerWords = []triggerWord{
	{"微信", ContactWeChat, false}, {"威信", ContactWeChat, false}, {"薇信", ContactWeChat, false},
	{"徽信", ContactWeChat, false}, {"维信", ContactWeChat, false}, {"v信", ContactWeChat, false},
	{"加v", ContactWeChat, false}, {"vx", ContactWeChat, true}, {"wx", ContactWeChat, true},
	{"weixin", ContactWeChat, true}, {"wechat", ContactWeChat, true}, {"v:", ContactWeChat, true},
	{"v是", ContactWeChat, true}, {"v号", ContactWeChat, true},
	// slang and homophones: 卫星(号), 绿(色)泡泡, 微x, wei信, 加薇, 薇❤, +v
	{"卫星", ContactWeChat, false}, {"绿泡泡", ContactWeChat, false}, {"绿色泡泡", ContactWeChat, false},
	{"微x", ContactWeChat, false}, {"wei信", ContactWeChat, true}, {"加薇", ContactWeChat, false},
	{"薇❤", ContactWeChat, false}, {"v❤", ContactWeChat, true}, {"+v", ContactWeChat, true}, {"➕v", ContactWeChat, false},
	{"qq", ContactQQ, true}, {"扣扣", ContactQQ, false}, {"企鹅", ContactQQ, false}, {"q:", ContactQQ, true},
}

// maxTriggerLen is the longest trigger word in runes.
var maxTriggerLen = func() int {
	m := 0
	for _, t := range triggerWords {
		m = max(m, utf8.RuneCountInString(t.word))
	}
	return m
}()

var triggerAC = func() *Automaton {
	ws := make([]string, len(triggerWords))
	for i, t := range triggerWords {
		ws[i] = t.word
	}
	return NewAutomaton(ws, true)
}()

func isASCIILetter(r rune) bool { return r < utf8.RuneSelf && (r|0x20) >= 'a' && (r|0x20) <= 'z' }

func isIDRune(r rune) bool {
	return isASCIILetter(r) || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// asciiTriggerBounded checks that an ASCII trigger is a token of its own
// ("wx:", "VX号", "QQ123456") and not part of a word, an id or a domain.
func asciiTriggerBounded(n *normText, start, end int) bool {
	if start > 0 {
		p := n.r[start-1]
		if isASCIILetter(p) || p >= '0' && p <= '9' || p == '@' || p == '.' || p == '_' || p == '-' {
			return false
		}
	}
	if end < len(n.r) && isASCIILetter(n.r[end-1]) {
		q := n.r[end]
		if isASCIILetter(q) || q == '_' || q == '.' || q == '@' {
			return false
		}
	}
	return true
}

// longerTriggerCovers reports a longer trigger spanning hits[i] ("v信" inside
// "加v信"). Hits are ordered by end, and a covering trigger ends at most
// maxTriggerLen runes later, so only neighbours are checked.
func longerTriggerCovers(hits []acHit, i int, start int) bool {
	h := hits[i]
	lo := i
	for lo > 0 && hits[lo-1].end == h.end {
		lo--
	}
	for j := lo; j < len(hits) && int(hits[j].end) <= int(h.end)+maxTriggerLen; j++ {
		o := hits[j]
		if j == i {
			continue
		}
		ow := triggerWords[o.pat]
		os := int(o.end) - utf8.RuneCountInString(ow.word)
		if os <= start && int(o.end) >= int(h.end) && int(o.end)-os > int(h.end)-start {
			return true
		}
	}
	return false
}

// fillerRunes may stand between a trigger and the id it announces:
// "微信号是：abc123", "QQ号码 12345", "vx/电话 138…".
const fillerRunes = " \t:,，-=~>→()[]【】「」\"'“”号码是为叫的就我账户搜索加可以添下一也即/、|…和都电话手机吧在用了吗?？!！。;；"

const maxFiller = 10

func skipFiller(n *normText, p int) int {
	for k := 0; p < len(n.r) && k < maxFiller; k++ {
		r := n.r[p]
		if strings.ContainsRune(fillerRunes, r) {
			p++
			continue
		}
		// "ID:", "id是", "wechat id is …"
		if w := asciiFillerAt(n, p); w > 0 {
			p += w
			continue
		}
		// another contact word sharing the value: "qq号和微信号都是 98765"
		if w := sharedTriggerAt(n, p); w > 0 {
			p += w
			continue
		}
		// a short aside before a colon: "微信详聊：id", "QQ（常用）：123"
		if q, ok := colonAhead(n, p); ok {
			p = q
			continue
		}
		break
	}
	return p
}

// asciiFillerWords may stand between a trigger and its value.
var asciiFillerWords = []string{"id", "is"}

// asciiFillerAt returns the length of an ASCII filler word at p (a token of
// its own), 0 if none.
func asciiFillerAt(n *normText, p int) int {
	for _, w := range asciiFillerWords {
		if matchFold(n.r, p, w) && (p+len(w) >= len(n.r) || !isIDRune(n.r[p+len(w)])) && (p == 0 || !isIDRune(n.r[p-1])) {
			return len(w)
		}
	}
	return 0
}

// sharedTriggers are contact words skipped inside the filler.
var sharedTriggers = []string{"微信", "qq", "扣扣"}

func sharedTriggerAt(n *normText, p int) int {
	for _, w := range sharedTriggers {
		if matchFold(n.r, p, w) {
			k := utf8.RuneCountInString(w)
			if p+k < len(n.r) && isASCIILetter(n.r[p+k]) {
				return 0
			}
			return k
		}
	}
	return 0
}

// colonAhead finds a ':' within 4 runes of p with no clause break or id
// character before it, and returns the index after it.
func colonAhead(n *normText, p int) (int, bool) {
	for k := p; k < len(n.r) && k < p+5; k++ {
		r := n.r[k]
		if r == ':' {
			return k + 1, k > p
		}
		if isIDRune(r) || n.cls[k] != clsOther || strings.ContainsRune("。.!！?？,，;；\n", r) {
			return 0, false
		}
	}
	return 0, false
}

// Words after a WeChat trigger that make it something else than a contact.
var notContactAfter = []string{"公众号", "小程序", "支付", "群", "红包", "转账", "朋友圈", "视频号", "扫码", "登录", "钱包", "搜一搜", "商城", "运营", "推广", "开发", "客服号", "号是多少", "多少"}

// Words after a WeChat trigger saying the id equals the phone number.
var sameAsPhone = []string{"同号", "同手机", "同电话", "也是手机", "就是手机", "是手机", "跟手机", "和手机", "就是电话", "是电话", "即手机",
	"也是这个", "就是这个", "同上", "一样"}

// notIDWords are English words that follow "微信" but are not ids.
var notIDWords = map[string]bool{"wechat": true, "weixin": true, "thanks": true, "thank-you": true, "please": true,
	"number": true, "mobile": true, "resume": true, "online": true, "offline": true, "anytime": true, "friend": true,
	"contact": true, "account": true, "search": true, "thankyou": true, "phone": true}

func hasPrefixRunes(rs []rune, p int, w string) bool {
	for _, c := range w {
		if p >= len(rs) || rs[p] != c {
			return false
		}
		p++
	}
	return true
}

func isWeChatID(s string) bool {
	if len(s) < 6 || len(s) > 20 || !isASCIILetter(rune(s[0])) {
		return false
	}
	for _, c := range s {
		if !isIDRune(c) {
			return false
		}
	}
	return !notIDWords[strings.ToLower(s)]
}

// wechatNear finds the id a WeChat trigger at [start, end) announces:
// after it (an id, or a phone / QQ number), an "同号" reference to the phone
// in the message, or an id right before a trigger that ends the clause
// ("abc123 是我微信").
func wechatNear(n *normText, runs []digitRun, start, end int, phones []Contact, overlapsEmail func(int, int) bool, own func(Contact) bool) (Contact, bool) {
	after := end
	if after < len(n.r) && n.r[after] == '号' {
		after++
	}
	for _, w := range notContactAfter {
		if hasPrefixRunes(n.r, end, w) || hasPrefixRunes(n.r, after, w) {
			return Contact{}, false
		}
	}
	// "WeChat Pay", "WeChat Work": a product, not a contact.
	if q := skipPunct(n, end); matchFold(n.r, q, "pay") || matchFold(n.r, q, "work") {
		return Contact{}, false
	}
	// "你微信是 …", "加您的vx …": the id right after is the other side's (ours),
	// not the candidate's; one more id may follow ("…，我的是 lily_2024").
	theirs := false
	if b := start; b > 0 {
		if n.r[b-1] == '的' {
			b--
		}
		theirs = b > 0 && (n.r[b-1] == '你' || n.r[b-1] == '您')
	}
	same := start > 0 && n.r[start-1] == '同'
	for _, w := range sameAsPhone {
		if hasPrefixRunes(n.r, after, w) || hasPrefixRunes(n.r, skipPunct(n, after), w) {
			same = true
		}
	}
	// Forward. An id that is our own (quoted back to us) is skipped and the
	// search goes on once: "加你微信 <ours> 了，我的是 lily_2024".
	p := skipFiller(n, end)
	// "微信搜手机号…", "微信/手机 …": the filler names the phone number
	if zone := string(n.r[end:p]); strings.Contains(zone, "手机") || strings.Contains(zone, "电话") {
		same = true
	}
	for hop := 0; hop < 2 && p < len(n.r); hop++ {
		var c Contact
		found, next := false, p
		switch {
		case n.cls[p] != clsOther:
			if run := runAt(runs, p); run != nil {
				next = int(run.pos[len(run.pos)-1]) + 1
				if e, v, ok := mobileAt(run, 0); ok {
					st, en := n.runSpan(run, 0, e)
					c, found = Contact{Type: ContactWeChat, Value: v, Start: st, End: en}, !overlapsEmail(st, en)
				} else if e, ok := numberPrefix(run); ok {
					st, en := n.runSpan(run, 0, e)
					c, found = Contact{Type: ContactWeChat, Value: string(run.d[:e]), Start: st, End: en}, !overlapsEmail(st, en)
				}
			}
		case isASCIILetter(n.r[p]):
			e := p
			for e < len(n.r) && isIDRune(n.r[e]) {
				e++
			}
			next = e
			id := string(n.r[p:e])
			st, en := n.span(p, e)
			if isWeChatID(id) && !overlapsEmail(st, en) && !(e < len(n.r) && (n.r[e] == '@' || n.r[e] == '.')) {
				c, found = Contact{Type: ContactWeChat, Value: id, Start: st, End: en}, true
			}
		}
		if !found {
			break
		}
		if (own == nil || !own(c)) && !(theirs && hop == 0) {
			return c, true
		}
		p = skipFiller(n, next)
	}
	if theirs {
		return Contact{}, false
	}
	if same && len(phones) > 0 {
		c := phones[0]
		c.Type = ContactWeChat
		return c, true
	}
	// Backward: "abc_123 是我的微信", "abc123（微信）".
	if after < len(n.r) && !isClauseEnd(n.r[after]) {
		return Contact{}, false
	}
	b := start
	for k := 0; b > 0 && k < 6 && strings.ContainsRune(" (是我的这就为:-即也", n.r[b-1]); k++ {
		b--
	}
	if b == start && b > 0 && isIDRune(n.r[b-1]) {
		return Contact{}, false // "abc微信" glued: not a clause
	}
	e := b
	for b > 0 && isIDRune(n.r[b-1]) {
		b--
	}
	if b == e {
		return Contact{}, false
	}
	id := string(n.r[b:e])
	st, en := n.span(b, e)
	if isWeChatID(id) && !overlapsEmail(st, en) {
		return Contact{Type: ContactWeChat, Value: id, Start: st, End: en}, true
	}
	for _, ph := range phones {
		if ph.End == int(n.src[e-1])+1 {
			ph.Type = ContactWeChat
			ph.Trigger = ""
			return ph, true
		}
	}
	return Contact{}, false
}

func skipPunct(n *normText, p int) int {
	for p < len(n.r) && strings.ContainsRune(" ,，:、", n.r[p]) {
		p++
	}
	return p
}

func isClauseEnd(r rune) bool {
	return strings.ContainsRune(" ,，。.!！?？;；)~\n", r)
}

// tagContact reads the content of <phone>…</phone> (any phone number, also a
// landline) and <copy>…</copy> (a WeChat id) markup.
func tagContact(n *normText, t tagSpan, phones, out []Contact) ([]Contact, []Contact) {
	var digits []byte
	for k := t.start; k < t.end; k++ {
		if n.cls[k] != clsOther {
			digits = append(digits, byte(n.r[k]))
		}
	}
	if t.end <= t.start {
		return phones, out
	}
	content := strings.TrimSpace(string(n.r[t.start:t.end]))
	st, en := n.span(t.start, t.end)
	switch {
	case t.name == "phone" && len(digits) >= 7 && len(digits) <= 13:
		v := string(digits)
		if len(v) == 13 && strings.HasPrefix(v, "86") {
			v = v[2:]
		}
		phones = append(phones, Contact{Type: ContactPhone, Value: v, Start: st, End: en, Trigger: "<phone>"})
	case t.name == "copy" && isWeChatID(content):
		out = append(out, Contact{Type: ContactWeChat, Value: content, Start: st, End: en, Trigger: "<copy>"})
	}
	return phones, out
}
