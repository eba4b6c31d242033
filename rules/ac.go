package rules

import (
	"sort"
	"unicode"
	"unicode/utf8"
)

// Automaton is an Aho-Corasick automaton over runes, stored in flat arrays:
// every node owns a contiguous, rune-sorted slice of the shared edge array,
// so memory is a few dozen bytes per trie node. Libraries that keep a 256-way
// table per node (or per byte of a UTF-8 pattern) blow up on Chinese words:
// see docs/rules.md for the measured comparison that picked this design.
//
// An Automaton is immutable after NewAutomaton and safe for concurrent use.
type Automaton struct {
	nodes []acNode
	edges []acEdge
	fold  bool
	npat  int
	// rootBMP has a bit for every BMP rune with an edge from the root: most
	// runes of a message start no keyword, and one bit test rejects them
	// without a binary search (8 KiB per automaton).
	rootBMP *[1 << 10]uint64
}

type acNode struct {
	first, n int32 // edges[first : first+n], sorted by rune
	fail     int32 // longest proper suffix that is also a trie node
	term     int32 // pattern id ending here, -1 if none
	dict     int32 // nearest node on the fail chain with term >= 0, -1 if none
}

type acEdge struct {
	r  rune
	to int32
}

// foldRune is the case folding used by case-insensitive automata; it must be
// applied identically to patterns and text.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	if r >= 0x3000 && r <= 0x9FFF { // CJK punctuation, kana, ideographs: caseless
		return r
	}
	return unicode.ToLower(r)
}

// NewAutomaton builds an automaton for patterns; pattern i is reported as id
// i. With fold set, matching ignores case (patterns and text are lowered).
// Empty and duplicate patterns are allowed (duplicates report the first id).
func NewAutomaton(patterns []string, fold bool) *Automaton {
	type bnode struct {
		kids map[rune]int32
		term int32
	}
	b := []bnode{{term: -1}}
	for id, p := range patterns {
		cur := int32(0)
		for _, r := range p {
			if fold {
				r = foldRune(r)
			}
			if b[cur].kids == nil {
				b[cur].kids = map[rune]int32{}
			}
			nx, ok := b[cur].kids[r]
			if !ok {
				nx = int32(len(b))
				b = append(b, bnode{term: -1})
				b[cur].kids[r] = nx
			}
			cur = nx
		}
		if cur != 0 && b[cur].term < 0 {
			b[cur].term = int32(id)
		}
	}
	a := &Automaton{nodes: make([]acNode, len(b)), fold: fold, npat: len(patterns)}
	total := 0
	for i := range b {
		total += len(b[i].kids)
	}
	a.edges = make([]acEdge, 0, total)
	for i := range b {
		first := int32(len(a.edges))
		for r, to := range b[i].kids {
			a.edges = append(a.edges, acEdge{r: r, to: to})
		}
		es := a.edges[first:]
		sort.Slice(es, func(x, y int) bool { return es[x].r < es[y].r })
		a.nodes[i] = acNode{first: first, n: int32(len(es)), term: b[i].term, dict: -1}
	}
	a.rootBMP = new([1 << 10]uint64)
	for _, e := range a.edges[a.nodes[0].first : a.nodes[0].first+a.nodes[0].n] {
		if e.r < 1<<16 {
			a.rootBMP[e.r>>6] |= 1 << (uint(e.r) & 63)
		}
	}
	// Breadth-first: fail links of depth-1 nodes point to the root.
	queue := make([]int32, 0, len(b))
	for _, e := range a.edges[a.nodes[0].first : a.nodes[0].first+a.nodes[0].n] {
		a.nodes[e.to].fail = 0
		queue = append(queue, e.to)
	}
	for qi := 0; qi < len(queue); qi++ {
		u := queue[qi]
		un := a.nodes[u]
		for _, e := range a.edges[un.first : un.first+un.n] {
			v := e.to
			f := un.fail
			for {
				if nx, ok := a.child(f, e.r); ok {
					a.nodes[v].fail = nx
					break
				}
				if f == 0 {
					a.nodes[v].fail = 0
					break
				}
				f = a.nodes[f].fail
			}
			fl := a.nodes[v].fail
			if a.nodes[fl].term >= 0 {
				a.nodes[v].dict = fl
			} else {
				a.nodes[v].dict = a.nodes[fl].dict
			}
			queue = append(queue, v)
		}
	}
	return a
}

func (a *Automaton) child(n int32, r rune) (int32, bool) {
	nd := &a.nodes[n]
	es := a.edges[nd.first : nd.first+nd.n]
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].r < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(es) && es[lo].r == r {
		return es[lo].to, true
	}
	return 0, false
}

// Patterns reports how many patterns the automaton was built from.
func (a *Automaton) Patterns() int { return a.npat }

// AppendMatches appends the id of every pattern occurrence in text (one entry
// per occurrence, overlapping matches included) to dst and returns it.
func (a *Automaton) AppendMatches(dst []int32, text string) []int32 {
	if a == nil || len(a.nodes) <= 1 {
		return dst
	}
	cur := int32(0)
	for _, r := range text {
		if a.fold {
			r = foldRune(r)
		}
		if cur == 0 && r < 1<<16 && a.rootBMP[r>>6]&(1<<(uint(r)&63)) == 0 {
			continue
		}
		for {
			if nx, ok := a.child(cur, r); ok {
				cur = nx
				break
			}
			if cur == 0 {
				break
			}
			cur = a.nodes[cur].fail
		}
		if t := a.nodes[cur].term; t >= 0 {
			dst = append(dst, t)
		}
		for d := a.nodes[cur].dict; d >= 0; d = a.nodes[d].dict {
			dst = append(dst, a.nodes[d].term)
		}
	}
	return dst
}

// MemoryBytes estimates the automaton's retained heap size.
func (a *Automaton) MemoryBytes() int {
	return cap(a.nodes)*20 + cap(a.edges)*8 + len(a.rootBMP)*8
}

// acHit is a pattern occurrence ending just before rune index end.
type acHit struct {
	pat int32
	end int32
}

// appendHitsRunes is AppendMatches over a rune slice, with end positions.
func (a *Automaton) appendHitsRunes(dst []acHit, rs []rune) []acHit {
	cur := int32(0)
	for i, r := range rs {
		if a.fold {
			r = foldRune(r)
		}
		if cur == 0 && r < 1<<16 && a.rootBMP[r>>6]&(1<<(uint(r)&63)) == 0 {
			continue
		}
		for {
			if nx, ok := a.child(cur, r); ok {
				cur = nx
				break
			}
			if cur == 0 {
				break
			}
			cur = a.nodes[cur].fail
		}
		if t := a.nodes[cur].term; t >= 0 {
			dst = append(dst, acHit{t, int32(i + 1)})
		}
		for d := a.nodes[cur].dict; d >= 0; d = a.nodes[d].dict {
			dst = append(dst, acHit{a.nodes[d].term, int32(i + 1)})
		}
	}
	return dst
}
