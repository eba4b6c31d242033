package rules

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Hit is one rule a message matched.
type Hit struct {
	RuleID    string     `json:"rule_id"`
	Name      string     `json:"name"`
	Keywords  []string   `json:"keywords"`
	Semantics []Semantic `json:"semantics"`
}

// RuleSet is an immutable compiled rule set. Build it with Compile (off the
// hot path) and publish it with Engine.Swap.
type RuleSet struct {
	version uint64
	rules   []compiledRule
	// one automaton per case mode over the distinct contains-words and
	// exclusion words; refs[pattern] lists who owns each pattern.
	sens, fold         *Automaton
	sensRefs, foldRefs [][]patRef
	// exact-match words: key [fold][trim] -> word -> owning (rule, word).
	exact   [2][2]map[string][]patRef
	hasSem  bool // some rule needs text detectors
	hasMeta bool
}

type patRef struct {
	rule    int32
	word    int16
	exclude bool
}

type compiledRule struct {
	src       *Rule
	words     []string
	sem       uint32
	scope     int
	targets   uint8 // bit TargetStaff / TargetCustomer; 0 = both
	chatTypes uint8 // bit ChatSingle / ChatGroup; 0 = both
	sessions  uint8 // bit SessionInternal / SessionExternal; 0 = both
	users     map[string]bool
	jobs      map[int64]bool
	cands     map[string]bool
	chats     map[string]bool
	exMobile  map[string]bool
	exEmail   map[string]bool
	exCard    map[string]bool
	hasExWord bool
	simple    bool // no range restriction besides msg_scope: applies() is one comparison
	needsText bool // text detectors or entity whitelists matter for this rule
}

// Version is the number given to Compile; workers use it to fetch a rule
// set only when it changed.
func (rs *RuleSet) Version() uint64 {
	if rs == nil {
		return 0
	}
	return rs.version
}

// Len is the number of rules in the set.
func (rs *RuleSet) Len() int {
	if rs == nil {
		return 0
	}
	return len(rs.rules)
}

func bitsOf(v []int) uint8 {
	var b uint8
	for _, x := range v {
		b |= 1 << uint(x)
	}
	return b
}

func strSet(v []string, norm func(string) string) map[string]bool {
	if len(v) == 0 {
		return nil
	}
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[norm(s)] = true
	}
	return m
}

func same(s string) string { return s }

// Compile validates rules (see ValidateSet) and builds the matchers. Rules
// keep their order; a rule without rule_id gets "rule-<index+1>".
func Compile(rules []Rule, version uint64) (*RuleSet, error) {
	if err := ValidateSet(rules); err != nil {
		return nil, err
	}
	rs := &RuleSet{version: version, rules: make([]compiledRule, len(rules))}
	var sensPats, foldPats []string
	sensIdx, foldIdx := map[string]int{}, map[string]int{}
	addPat := func(w string, fold bool, ref patRef) {
		pats, idx, refs := &sensPats, sensIdx, &rs.sensRefs
		if fold {
			pats, idx, refs = &foldPats, foldIdx, &rs.foldRefs
			w = strings.Map(foldRune, w)
		}
		id, ok := idx[w]
		if !ok {
			id = len(*pats)
			idx[w] = id
			*pats = append(*pats, w)
			*refs = append(*refs, nil)
		}
		(*refs)[id] = append((*refs)[id], ref)
	}
	for i := range rules {
		r := rules[i]
		if r.RuleID == "" {
			r.RuleID = fmt.Sprintf("rule-%d", i+1)
		}
		cr := compiledRule{src: &r, scope: DefaultMsgScope}
		fold, exact, trim := false, false, false
		if k := r.Keyword; k != nil {
			cr.words = slices.Clone(k.WordList) // hits report these; the caller may reuse its slices
			fold = k.IsCaseSensitive != nil && *k.IsCaseSensitive == 0
			exact = k.MatchRule != nil && *k.MatchRule == MatchExact
			trim = exact && k.IsTrimMsg != nil && *k.IsTrimMsg == 1
			for wi, w := range k.WordList {
				ref := patRef{rule: int32(i), word: int16(wi)}
				if !exact {
					addPat(w, fold, ref)
					continue
				}
				key := w
				if fold {
					key = strings.Map(foldRune, w)
				}
				m := &rs.exact[b2i(fold)][b2i(trim)]
				if *m == nil {
					*m = map[string][]patRef{}
				}
				(*m)[key] = append((*m)[key], ref)
			}
		}
		if s := r.Semantics; s != nil {
			for _, v := range s.SemanticsList {
				cr.sem |= semBit(v)
			}
		}
		if a := r.ApplicableRange; a != nil {
			if a.MsgScope != 0 {
				cr.scope = a.MsgScope
			}
			if a.TargetType != nil {
				cr.targets = bitsOf(a.TargetType.TypeList)
			}
			if a.ChatType != nil {
				cr.chatTypes = bitsOf(a.ChatType.TypeList)
			}
			if a.SessionType != nil {
				cr.sessions = bitsOf(a.SessionType.SessionTypeList)
			}
			if a.User != nil {
				cr.users = strSet(a.User.IDList, same)
			}
			if a.Department != nil && len(a.Department.IDList) > 0 {
				cr.jobs = make(map[int64]bool, len(a.Department.IDList))
				for _, j := range a.Department.IDList {
					cr.jobs[j] = true
				}
			}
			if a.ExternalContact != nil {
				cr.cands = strSet(a.ExternalContact.IDList, same)
			}
			if a.Chat != nil {
				cr.chats = strSet(a.Chat.IDList, same)
			}
			if a.ExcludeMobile != nil {
				cr.exMobile = strSet(a.ExcludeMobile.MobileList, NormalizeMobile)
			}
			if a.ExcludeEmail != nil {
				cr.exEmail = strSet(a.ExcludeEmail.EmailList, func(s string) string { return strings.ToLower(strings.TrimSpace(s)) })
			}
			if a.ExcludeBankCard != nil {
				cr.exCard = strSet(a.ExcludeBankCard.BankCardList, digitsOnly)
			}
			if a.ExcludeKeyword != nil {
				// exclusion words match as "contains", with the rule's case mode
				for wi, w := range a.ExcludeKeyword.WordList {
					addPat(w, fold, patRef{rule: int32(i), word: int16(wi), exclude: true})
					cr.hasExWord = true
				}
			}
		}
		cr.needsText = cr.sem&^metaSemMask != 0 || cr.exMobile != nil || cr.exEmail != nil || cr.exCard != nil
		cr.simple = cr.targets == 0 && cr.chatTypes == 0 && cr.sessions == 0 && cr.users == nil && cr.jobs == nil &&
			cr.cands == nil && cr.chats == nil
		if cr.needsText {
			rs.hasSem = true
		}
		if cr.sem&metaSemMask != 0 {
			rs.hasMeta = true
		}
		rs.rules[i] = cr
	}
	if len(sensPats) > 0 {
		rs.sens = NewAutomaton(sensPats, false)
	}
	if len(foldPats) > 0 {
		rs.fold = NewAutomaton(foldPats, true)
	}
	return rs, nil
}

const metaSemMask = 1<<SemRedPacket | 1<<SemWeChatCard | 1<<SemQRImage | 1<<SemRecall | 1<<SemFile |
	1<<SemMiniProgram | 1<<SemWelcome

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// applies checks the rule's applicable range against the message (seed 004
// semantics, see docs/rules.md).
func (cr *compiledRule) applies(m *Message) bool {
	if cr.simple {
		return cr.scope == MsgScopeBoth || (cr.scope == MsgScopeSent) == (m.Direction == DirSent)
	}
	switch cr.scope {
	case MsgScopeSent:
		if m.Direction != DirSent {
			return false
		}
	case MsgScopeReceived:
		if m.Direction != DirReceived {
			return false
		}
	}
	if m.Direction == DirSent { // the sender is staff (our account)
		if cr.targets != 0 && cr.targets&(1<<TargetStaff) == 0 {
			return false
		}
		if (cr.users != nil || cr.jobs != nil) && !cr.users[m.AccountID] && !cr.jobs[m.JobID] {
			return false
		}
	} else { // the sender is the candidate
		if cr.targets != 0 && cr.targets&(1<<TargetCustomer) == 0 {
			return false
		}
		if cr.cands != nil && !cr.cands[m.CandidateID] {
			return false
		}
	}
	if m.Group {
		if cr.chatTypes != 0 && cr.chatTypes&(1<<ChatGroup) == 0 {
			return false
		}
		if cr.chats != nil && !cr.chats[m.ChatID] {
			return false
		}
	} else if cr.chatTypes != 0 && cr.chatTypes&(1<<ChatSingle) == 0 {
		return false
	}
	if cr.sessions != 0 {
		want := SessionExternal
		if m.Internal {
			want = SessionInternal
		}
		if cr.sessions&(1<<uint(want)) == 0 {
			return false
		}
	}
	return true
}

// evalScratch is per-evaluation working memory.
type evalScratch struct {
	ids     []int32
	kw      []patRef
	applies []bool
	exclude []bool
	matched []bool
}

var evalPool = sync.Pool{New: func() any { return new(evalScratch) }}

// Result is what Process returns for one message.
type Result struct {
	Contacts []Contact
	Hits     []Hit
	Analysis Analysis
}

// Evaluate returns the rules msg hits. x supplies the contact/behaviour
// detectors (nil = default extractor); they run only when some applicable
// rule needs them.
func (rs *RuleSet) Evaluate(msg *Message, x *Extractor) []Hit {
	hits, _ := rs.eval(msg, x, nil)
	return hits
}

// Process analyses msg (contacts and behaviours) and evaluates the rules in
// one pass.
func (rs *RuleSet) Process(msg *Message, x *Extractor) Result {
	if x == nil {
		x = defaultExtractor
	}
	a := x.Analyze(msg.Text)
	hits, _ := rs.eval(msg, x, &a)
	return Result{Contacts: a.Contacts, Hits: hits, Analysis: a}
}

func (rs *RuleSet) eval(msg *Message, x *Extractor, a *Analysis) ([]Hit, *Analysis) {
	if rs == nil || len(rs.rules) == 0 {
		return nil, a
	}
	if x == nil {
		x = defaultExtractor
	}
	s := evalPool.Get().(*evalScratch)
	defer evalPool.Put(s)
	n := len(rs.rules)
	s.applies = resetBools(s.applies, n)
	s.exclude = resetBools(s.exclude, n)
	s.matched = resetBools(s.matched, n)
	anyApplies, needSem := false, false
	for i := range rs.rules {
		if rs.rules[i].applies(msg) {
			s.applies[i], anyApplies = true, true
		}
	}
	if !anyApplies {
		return nil, a
	}
	s.kw = s.kw[:0]
	collect := func(refs [][]patRef) {
		for _, id := range s.ids {
			for _, ref := range refs[id] {
				if !s.applies[ref.rule] {
					continue
				}
				if ref.exclude {
					s.exclude[ref.rule] = true
				} else {
					s.kw = append(s.kw, ref)
				}
			}
		}
	}
	if rs.sens != nil {
		s.ids = rs.sens.AppendMatches(s.ids[:0], msg.Text)
		collect(rs.sensRefs)
	}
	if rs.fold != nil {
		s.ids = rs.fold.AppendMatches(s.ids[:0], msg.Text)
		collect(rs.foldRefs)
	}
	for f := 0; f < 2; f++ {
		for t := 0; t < 2; t++ {
			m := rs.exact[f][t]
			if m == nil {
				continue
			}
			key := msg.Text
			if t == 1 {
				key = strings.Trim(key, " \t\r\n")
			}
			if f == 1 {
				key = strings.Map(foldRune, key)
			}
			for _, ref := range m[key] {
				if s.applies[ref.rule] {
					s.kw = append(s.kw, ref)
				}
			}
		}
	}
	for _, ref := range s.kw {
		s.matched[ref.rule] = true
	}
	meta := msg.metaSemantics()
	for i := range rs.rules {
		if rs.rules[i].needsText && s.applies[i] && !s.exclude[i] {
			needSem = true
			break
		}
	}
	var textSem uint32
	if needSem {
		if a == nil {
			an := x.Analyze(msg.Text)
			a = &an
		}
		textSem = a.semantics()
	}
	detected := meta | textSem
	count := 0
	for i := range rs.rules {
		cr := &rs.rules[i]
		s.matched[i] = s.matched[i] || cr.sem&detected != 0
		if s.applies[i] && !s.exclude[i] && s.matched[i] && (a == nil || !cr.whitelisted(a)) {
			count++
		} else {
			s.matched[i] = false
		}
	}
	if count == 0 {
		return nil, a
	}
	hits := make([]Hit, 0, count)
	nsem := 0
	for i := range rs.rules {
		if s.matched[i] {
			nsem += bits.OnesCount32(rs.rules[i].sem & detected)
		}
	}
	semBuf := make([]Semantic, 0, nsem)
	for i := range rs.rules {
		if !s.matched[i] {
			continue
		}
		cr := &rs.rules[i]
		sem := cr.sem & detected
		h := Hit{RuleID: cr.src.RuleID, Name: cr.src.Name, Keywords: []string{}}
		for _, ref := range s.kw {
			if ref.rule == int32(i) {
				w := cr.words[ref.word]
				if !slices.Contains(h.Keywords, w) {
					h.Keywords = append(h.Keywords, w)
				}
			}
		}
		start := len(semBuf)
		for v := Semantic(1); v <= semMax; v++ {
			if sem&semBit(v) != 0 {
				semBuf = append(semBuf, v)
			}
		}
		h.Semantics = semBuf[start:len(semBuf):len(semBuf)]
		hits = append(hits, h)
	}
	return hits, a
}

// whitelisted applies exclude_mobile / exclude_email / exclude_bank_card: a
// message containing a listed entity produces no hit for the rule (seed 004:
// "会话消息中若命中白名单中手机号不产生回调").
func (cr *compiledRule) whitelisted(a *Analysis) bool {
	for _, c := range a.Contacts {
		switch c.Type {
		case ContactPhone:
			if cr.exMobile[c.Value] {
				return true
			}
		case ContactEmail:
			if cr.exEmail[c.Value] {
				return true
			}
		}
	}
	for _, c := range a.BankCards {
		if cr.exCard[c] {
			return true
		}
	}
	return false
}

func resetBools(b []bool, n int) []bool {
	if cap(b) < n {
		return make([]bool, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// Engine holds the current RuleSet behind an atomic pointer: Evaluate never
// waits for an update, and Swap publishes a rule set compiled elsewhere.
type Engine struct {
	cur atomic.Pointer[RuleSet]
	x   atomic.Pointer[Extractor]
}

// NewEngine returns an engine with rs (may be nil: no rules) and the default
// extractor.
func NewEngine(rs *RuleSet) *Engine {
	e := &Engine{}
	e.cur.Store(rs)
	e.x.Store(defaultExtractor)
	return e
}

// Swap publishes rs and returns the previous set.
func (e *Engine) Swap(rs *RuleSet) *RuleSet { return e.cur.Swap(rs) }

// Rules returns the current set.
func (e *Engine) Rules() *RuleSet { return e.cur.Load() }

// SetExtractor replaces the contact extractor (e.g. after our own texts changed).
func (e *Engine) SetExtractor(x *Extractor) {
	if x == nil {
		x = defaultExtractor
	}
	e.x.Store(x)
}

// Evaluate returns the hits of msg against the current rule set.
func (e *Engine) Evaluate(msg *Message) []Hit {
	return e.cur.Load().Evaluate(msg, e.x.Load())
}

// Process extracts contacts and evaluates the current rule set.
func (e *Engine) Process(msg *Message) Result {
	rs := e.cur.Load()
	if rs == nil {
		rs = &RuleSet{}
	}
	return rs.Process(msg, e.x.Load())
}
