package state

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/api/wire"
)

// contactIndex is an in-memory, column-oriented index over all contacts so
// that a filtered, searched page over a million contacts, and the funnel
// report, cost milliseconds instead of a bbolt scan with a JSON decode per
// record. Row i is contact id i+1 (ids come from NextSequence).
//
// Columns:
//   - one bitset per flag (live, replied, WeChat exchanged, contact known,
//     interview), so the cheap filters are word-wise ANDs over 64 rows at a
//     time;
//   - created (unix seconds) with a zone map (min/max per 64-row word), so a
//     date range drops or keeps whole words and tests rows only in the words
//     that straddle a bound;
//   - name, position and contact as ids into per-field dictionaries of the
//     distinct values. A search scans each dictionary's folded text once
//     (distinct values, not rows: a job title shared by 100,000 rows is
//     searched once) and then tests rows by id;
//   - the account id, for the funnel.
//
// The funnel counts (greeted → replied → contact → interview, per account
// and per position) are kept up to date by put, so the report never walks
// the rows.
type contactIndex struct {
	mu sync.RWMutex
	n  int // rows (highest id seen)

	live, replied, wechat, reach, interview []uint64 // flag bitsets, one bit per row

	created    []int64 // per row, unix seconds
	zmin, zmax []int64 // per 64-row word: bounds of created over the word's live rows

	acct                  []uint64 // per row: account id
	name, pos, contactCol []uint32 // per row: ids into names, positions, contacts
	names, positions      *dict
	contacts              *dict
	nLive                 int

	byAccount  map[uint64]*FunnelCounts
	byPosition map[string]*FunnelCounts
}

// FunnelCounts is one row of the funnel report: contacts greeted (every
// contact record is a candidate the account greeted or talked to), those
// who replied, those whose phone or WeChat is known (or who exchanged
// WeChat), and those who agreed to an interview.
type FunnelCounts struct {
	Greeted, Replied, Contact, Interview int
}

func (f *FunnelCounts) add(flags uint8, d int) {
	f.Greeted += d
	if flags&flagReplied != 0 {
		f.Replied += d
	}
	if flags&flagReach != 0 {
		f.Contact += d
	}
	if flags&flagInterview != 0 {
		f.Interview += d
	}
}

const (
	flagLive      = 1
	flagReplied   = 2
	flagWechat    = 4
	flagReach     = 8  // phone or WeChat known, or WeChat exchanged
	flagInterview = 16 // the candidate agreed to an interview
	fieldSep      = 0x01
	rowSep        = 0x00 // after each dictionary entry
)

func newContactIndex() *contactIndex {
	return &contactIndex{names: newDict(), positions: newDict(), contacts: newDict(),
		byAccount: map[uint64]*FunnelCounts{}, byPosition: map[string]*FunnelCounts{}}
}

// writeFolded writes s lower-cased, dropping the separator bytes.
func writeFolded(b *bytes.Buffer, s string) {
	for _, r := range s {
		if r == fieldSep || r == rowSep {
			continue
		}
		if r < utf8.RuneSelf {
			b.WriteByte(byte(unicode.ToLower(r)))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
}

// FoldSearch normalises a search term the way the index folds text.
func FoldSearch(s string) string {
	var b bytes.Buffer
	writeFolded(&b, strings.TrimSpace(s))
	return b.String()
}

func flagsOf(c *wire.Contact) uint8 {
	f := uint8(flagLive)
	if c.ReplyStatus == wire.ReplyYes {
		f |= flagReplied
	}
	if c.WechatExchanged {
		f |= flagWechat
	}
	if c.Phone != "" || c.Wechat != "" || c.WechatExchanged {
		f |= flagReach
	}
	if c.Interview {
		f |= flagInterview
	}
	return f
}

func bit(b []uint64, i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

func setBit(b []uint64, i int, on bool) {
	if on {
		b[i>>6] |= 1 << (uint(i) & 63)
	} else {
		b[i>>6] &^= 1 << (uint(i) & 63)
	}
}

// flagsAt reads row i's flags back from the bitsets.
func (ix *contactIndex) flagsAt(i int) uint8 {
	var f uint8
	for _, c := range []struct {
		b    []uint64
		flag uint8
	}{{ix.live, flagLive}, {ix.replied, flagReplied}, {ix.wechat, flagWechat}, {ix.reach, flagReach}, {ix.interview, flagInterview}} {
		if bit(c.b, i) {
			f |= c.flag
		}
	}
	return f
}

func (ix *contactIndex) setFlags(i int, f uint8) {
	setBit(ix.live, i, f&flagLive != 0)
	setBit(ix.replied, i, f&flagReplied != 0)
	setBit(ix.wechat, i, f&flagWechat != 0)
	setBit(ix.reach, i, f&flagReach != 0)
	setBit(ix.interview, i, f&flagInterview != 0)
}

// grow makes room for n rows.
func (ix *contactIndex) grow(n int) {
	if n <= ix.n {
		return
	}
	for w := (ix.n + 63) / 64; w < (n+63)/64; w++ {
		ix.live = append(ix.live, 0)
		ix.replied = append(ix.replied, 0)
		ix.wechat = append(ix.wechat, 0)
		ix.reach = append(ix.reach, 0)
		ix.interview = append(ix.interview, 0)
		ix.zmin = append(ix.zmin, math.MaxInt64)
		ix.zmax = append(ix.zmax, math.MinInt64)
	}
	for len(ix.created) < n {
		ix.created = append(ix.created, 0)
		ix.acct = append(ix.acct, 0)
		ix.name = append(ix.name, 0)
		ix.pos = append(ix.pos, 0)
		ix.contactCol = append(ix.contactCol, 0)
	}
	ix.n = n
}

func (ix *contactIndex) funnelOf(i int, flags uint8, d int) {
	a := ix.byAccount[ix.acct[i]]
	if a == nil {
		a = &FunnelCounts{}
		ix.byAccount[ix.acct[i]] = a
	}
	a.add(flags, d)
	p := ix.positions.origBytes(ix.pos[i])
	f := ix.byPosition[string(p)] // no allocation for a lookup
	if f == nil {
		f = &FunnelCounts{}
		ix.byPosition[string(p)] = f
	}
	f.add(flags, d)
	if a.Greeted == 0 {
		delete(ix.byAccount, ix.acct[i])
	}
	if f.Greeted == 0 {
		delete(ix.byPosition, string(p))
	}
}

// put inserts or replaces contact c (called on commit).
func (ix *contactIndex) put(c *wire.Contact) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.putLocked(c)
	ix.compactLocked(false)
}

func (ix *contactIndex) putLocked(c *wire.Contact) {
	i := int(c.ID - 1)
	ix.grow(i + 1)
	// Intern the new values before releasing the old ones, so an unchanged
	// value never passes through a reference count of zero.
	name, pos, ct := ix.names.intern(c.Name), ix.positions.intern(c.Position), ix.contacts.intern(c.Contact)
	if old := ix.flagsAt(i); old&flagLive != 0 {
		ix.funnelOf(i, old, -1)
		ix.names.release(ix.name[i])
		ix.positions.release(ix.pos[i])
		ix.contacts.release(ix.contactCol[i])
	} else {
		ix.nLive++
	}
	f := flagsOf(c)
	ix.name[i], ix.pos[i], ix.contactCol[i], ix.acct[i] = name, pos, ct, c.AccountID
	ix.setFlags(i, f)
	t := c.CreatedAt.Unix()
	ix.created[i] = t
	// The zone map only widens (created never changes after the first
	// report); rows in a word are still tested one by one when the word
	// straddles a bound, so a wide zone costs time, never correctness.
	w := i >> 6
	ix.zmin[w], ix.zmax[w] = min(ix.zmin[w], t), max(ix.zmax[w], t)
	ix.funnelOf(i, f, +1)
}

// compactLocked rebuilds a dictionary whose entries are mostly no longer
// used by any row (values replaced by updates) and renumbers its column;
// force does it for any dead entry (after the bulk load).
func (ix *contactIndex) compactLocked(force bool) {
	for _, c := range []struct {
		d   **dict
		col []uint32
	}{{&ix.names, ix.name}, {&ix.positions, ix.pos}, {&ix.contacts, ix.contactCol}} {
		d := *c.d
		if d.dead == 0 || (!force && (d.dead < 4096 || d.dead*2 < d.len())) {
			continue
		}
		nd, remap := d.rebuilt()
		for i := 0; i < ix.n; i++ {
			if bit(ix.live, i) {
				c.col[i] = remap[c.col[i]]
			}
		}
		*c.d = nd
	}
}

// trim drops the spare capacity append left behind (up to half of each
// column) after the bulk load at Open.
func (ix *contactIndex) trim() {
	ix.compactLocked(true)
	for _, b := range []*[]uint64{&ix.live, &ix.replied, &ix.wechat, &ix.reach, &ix.interview, &ix.acct} {
		*b = slices.Clone(*b)
	}
	for _, b := range []*[]int64{&ix.created, &ix.zmin, &ix.zmax} {
		*b = slices.Clone(*b)
	}
	for _, b := range []*[]uint32{&ix.name, &ix.pos, &ix.contactCol} {
		*b = slices.Clone(*b)
	}
	for _, d := range []*dict{ix.names, ix.positions, ix.contacts} {
		d.arena, d.offs, d.orig, d.origs, d.refs = slices.Clone(d.arena), slices.Clone(d.offs), slices.Clone(d.orig), slices.Clone(d.origs), slices.Clone(d.refs)
	}
}

// funnel returns copies of the maintained funnel counts.
func (ix *contactIndex) funnel() (map[uint64]FunnelCounts, map[string]FunnelCounts) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	a := make(map[uint64]FunnelCounts, len(ix.byAccount))
	for k, v := range ix.byAccount {
		a[k] = *v
	}
	p := make(map[string]FunnelCounts, len(ix.byPosition))
	for k, v := range ix.byPosition {
		p[k] = *v
	}
	return a, p
}

// candidates returns the bitset of live rows passing the cheap filters
// (flags and date range).
func (ix *contactIndex) candidates(f wire.ContactFilter) []uint64 {
	out := slices.Clone(ix.live)
	for _, c := range []struct {
		want *bool
		b    []uint64
	}{{f.Replied, ix.replied}, {f.WechatExchanged, ix.wechat}} {
		switch {
		case c.want == nil:
		case *c.want:
			for w := range out {
				out[w] &= c.b[w]
			}
		default:
			for w := range out {
				out[w] &^= c.b[w]
			}
		}
	}
	if f.From.IsZero() && f.To.IsZero() {
		return out
	}
	var from, to int64 = math.MinInt64, math.MaxInt64
	if !f.From.IsZero() {
		from = f.From.Unix()
	}
	if !f.To.IsZero() {
		to = f.To.Unix()
	}
	for w, word := range out {
		switch {
		case word == 0:
		case ix.zmax[w] < from || ix.zmin[w] > to:
			out[w] = 0
		case ix.zmin[w] >= from && ix.zmax[w] <= to:
		default:
			for rest := word; rest != 0; rest &= rest - 1 {
				i := w<<6 | bits.TrailingZeros64(rest)
				if t := ix.created[i]; t < from || t > to {
					out[w] &^= 1 << (uint(i) & 63)
				}
			}
		}
	}
	return out
}

func popcount(b []uint64) int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// match returns the ids (ascending) of contacts matching f, skipping the
// first offset matches and returning at most limit (limit<0: all), plus the
// total number of matches.
func (ix *contactIndex) match(f wire.ContactFilter, offset, limit int) (ids []uint64, total int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	set := ix.candidates(f)
	if needle := []byte(FoldSearch(f.Search)); len(needle) > 0 {
		ix.searchLocked(needle, set)
	}
	for w, word := range set {
		n := bits.OnesCount64(word)
		if total+n <= offset || (limit >= 0 && len(ids) >= limit) {
			total += n
			continue
		}
		for ; word != 0; word &= word - 1 {
			if total >= offset && (limit < 0 || len(ids) < limit) {
				ids = append(ids, uint64(w<<6|bits.TrailingZeros64(word))+1)
			}
			total++
		}
	}
	return ids, total
}

// searchLocked clears from set the rows none of whose name, position and
// contact contains needle.
//
// Each field's dictionary is searched once for the entries containing the
// needle, then the remaining rows are tested by their ids. When few rows
// are left against a large dictionary (a narrow date range, say), testing
// those rows' entries directly is cheaper than scanning the dictionary.
func (ix *contactIndex) searchLocked(needle []byte, set []uint64) {
	left := popcount(set)
	type field struct {
		d   *dict
		col []uint32
		hit []uint64 // entries containing the needle; nil: test entries directly
	}
	var fields []field
	for _, fd := range []field{{d: ix.names, col: ix.name}, {d: ix.positions, col: ix.pos}, {d: ix.contacts, col: ix.contactCol}} {
		if !fd.d.mayContain(needle) {
			continue
		}
		if left*8 >= fd.d.len() {
			var n int
			if fd.hit, n = fd.d.lookup(needle); n == 0 {
				continue
			}
		}
		fields = append(fields, fd)
	}
	if len(fields) == 0 {
		clear(set)
		return
	}
	// Word by word: each field with a search result tests the rows not yet
	// kept (a full word in a branch-free loop over 64 ids), then the fields
	// tested directly take the rest.
	for w, word := range set {
		if word == 0 {
			continue
		}
		base := w << 6
		var keep uint64
		for k := range fields {
			f := &fields[k]
			if f.hit == nil {
				continue
			}
			rest := word &^ keep
			if rest == ^uint64(0) {
				for j, id := range f.col[base : base+64] {
					keep |= (f.hit[id>>6] >> (id & 63) & 1) << j
				}
				continue
			}
			for ; rest != 0; rest &= rest - 1 {
				j := bits.TrailingZeros64(rest)
				id := f.col[base+j]
				keep |= (f.hit[id>>6] >> (id & 63) & 1) << j
			}
		}
		for k := range fields {
			f := &fields[k]
			if f.hit != nil {
				continue
			}
			for rest := word &^ keep; rest != 0; rest &= rest - 1 {
				j := bits.TrailingZeros64(rest)
				if bytes.Contains(f.d.entry(f.col[base+j]), needle) {
					keep |= 1 << j
				}
			}
		}
		set[w] = keep
	}
}

// dict holds the distinct values of one contact field. Entries are never
// changed or reused: a value no row uses any more stays (refs 0, counted in
// dead) until the dictionary is rebuilt, so a search result over entries
// stays valid while rows move between entries.
//
// Nothing in it holds a pointer (values live in byte arenas, the hash table
// holds ids), so the garbage collector never scans its millions of entries.
type dict struct {
	slots []uint32 // open-addressing hash table of the originals: id+1, 0 = empty
	seed  maphash.Seed
	// orig holds, uvarint-length-prefixed, only the originals that differ
	// from their folded text (upper-case letters); the others (phone
	// numbers, Chinese names: nearly all) are read back from arena, which
	// saves a copy of every value.
	orig  []byte
	origs []uint32 // per entry: its start in orig, or sameAsFolded
	refs  []uint32 // rows using each entry
	dead  int      // entries with refs == 0
	arena []byte   // folded entries, each followed by rowSep
	offs  []uint32 // where each entry starts in arena (ascending)
	freq  [256]int // byte histogram of arena

	// found caches recent search results. Entries are immutable and only
	// appended, so a result stays true for the entries it covered and is
	// brought up to date by searching only the entries added since: paging
	// through a search, or reloading it, does not rescan a million phone
	// numbers. A rebuilt dictionary starts with an empty cache.
	mu    sync.Mutex
	found map[string]*dictHits
	clock uint64 // LRU clock
}

// dictHits is a search result over entries [0, upto).
type dictHits struct {
	hit  []uint64
	n    int
	upto int
	used uint64
}

// dictCacheSize bounds the cached needles per dictionary (at 1M entries,
// 128 KB each).
const dictCacheSize = 16

func newDict() *dict { return &dict{seed: maphash.MakeSeed(), slots: make([]uint32, 16)} }

// lookup returns the entries containing needle and their count, from the
// cache where it can. The returned bitset is shared: read-only.
func (d *dict) lookup(needle []byte) ([]uint64, int) {
	entries := d.len()
	d.mu.Lock()
	h := d.found[string(needle)]
	d.clock++
	if h != nil {
		h.used = d.clock
	}
	d.mu.Unlock()
	if h != nil && h.upto == entries {
		return h.hit, h.n
	}
	var hit []uint64
	var n int
	if h == nil {
		hit, n = d.search(needle, 0)
	} else {
		// The entries added since: search them into a copy (readers may
		// hold the cached bitset).
		tail, tn := d.search(needle, h.upto)
		hit = make([]uint64, len(tail))
		copy(hit, h.hit)
		for w := range hit {
			hit[w] |= tail[w]
		}
		n = h.n + tn
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.found == nil {
		d.found = map[string]*dictHits{}
	}
	if len(d.found) >= dictCacheSize {
		var old string
		oldest := ^uint64(0)
		for k, v := range d.found {
			if v.used < oldest {
				old, oldest = k, v.used
			}
		}
		delete(d.found, old)
	}
	d.found[string(needle)] = &dictHits{hit: hit, n: n, upto: entries, used: d.clock}
	return hit, n
}

func (d *dict) len() int { return len(d.refs) }

// val returns entry id's original value.
func (d *dict) val(id uint32) string { return string(d.origBytes(id)) }

// sameAsFolded in origs: the original is the folded text.
const sameAsFolded = ^uint32(0)

func (d *dict) origBytes(id uint32) []byte {
	at := d.origs[id]
	if at == sameAsFolded {
		return d.entry(id)
	}
	n, k := binary.Uvarint(d.orig[at:])
	start := int(at) + k
	return d.orig[start : start+int(n)]
}

// slot returns where s is, or the empty slot where it would go.
func (d *dict) slot(s string) (int, bool) {
	mask := uint64(len(d.slots) - 1)
	for h := maphash.String(d.seed, s) & mask; ; h = (h + 1) & mask {
		v := d.slots[h]
		if v == 0 {
			return int(h), false
		}
		if string(d.origBytes(v-1)) == s {
			return int(h), true
		}
	}
}

func (d *dict) intern(s string) uint32 {
	at, ok := d.slot(s)
	if ok {
		id := d.slots[at] - 1
		if d.refs[id] == 0 {
			d.dead--
		}
		d.refs[id]++
		return id
	}
	id := uint32(len(d.refs))
	d.slots[at] = id + 1
	var b bytes.Buffer
	writeFolded(&b, s)
	if b.String() == s {
		d.origs = append(d.origs, sameAsFolded)
	} else {
		d.origs = append(d.origs, uint32(len(d.orig)))
		d.orig = binary.AppendUvarint(d.orig, uint64(len(s)))
		d.orig = append(d.orig, s...)
	}
	d.refs = append(d.refs, 1)
	d.offs = append(d.offs, uint32(len(d.arena)))
	b.WriteByte(rowSep)
	for _, ch := range b.Bytes() {
		d.freq[ch]++
	}
	d.arena = append(d.arena, b.Bytes()...)
	if (len(d.refs)+1)*2 > len(d.slots) { // keep the table at most half full
		d.slots = make([]uint32, 2*len(d.slots))
		mask := uint64(len(d.slots) - 1)
		for id := range d.refs {
			h := maphash.Bytes(d.seed, d.origBytes(uint32(id))) & mask
			for d.slots[h] != 0 {
				h = (h + 1) & mask
			}
			d.slots[h] = uint32(id) + 1
		}
	}
	return id
}

func (d *dict) release(id uint32) {
	if d.refs[id]--; d.refs[id] == 0 {
		d.dead++
	}
}

// rebuilt returns a dictionary of the entries still in use and the old →
// new id map.
func (d *dict) rebuilt() (*dict, []uint32) {
	nd := newDict()
	remap := make([]uint32, d.len())
	for id := range d.refs {
		if d.refs[id] == 0 {
			continue
		}
		n := nd.intern(d.val(uint32(id)))
		nd.refs[n] = d.refs[id]
		remap[id] = n
	}
	return nd, remap
}

// entry returns entry id's folded text (without its separator).
func (d *dict) entry(id uint32) []byte {
	end := uint32(len(d.arena))
	if int(id)+1 < len(d.offs) {
		end = d.offs[id+1]
	}
	return d.arena[d.offs[id] : end-1]
}

// mayContain is false when a byte of needle occurs nowhere in the
// dictionary (a Chinese needle against phone numbers): no scan needed.
func (d *dict) mayContain(needle []byte) bool {
	for _, ch := range needle {
		if d.freq[ch] == 0 {
			return false
		}
	}
	return d.len() > 0
}

// search marks the entries from from on containing needle and counts them.
//
// It scans for the needle's rarest byte (by the arena histogram) with
// bytes.IndexByte, which is vectorised, and verifies the whole needle
// around each candidate: in Chinese text the first byte of a character is
// one of a handful of lead bytes, so scanning for it would stop every few
// bytes. Hits arrive in arena order, so the owning entry is found by
// galloping forward from the previous one. A large arena is split at entry
// boundaries across GOMAXPROCS goroutines (a match never spans entries:
// the needle has no separator bytes).
func (d *dict) search(needle []byte, from int) ([]uint64, int) {
	hit := make([]uint64, (d.len()+63)/64)
	k := 0
	for i := range needle {
		if d.freq[needle[i]] < d.freq[needle[k]] {
			k = i
		}
	}
	var n atomic.Int64
	parts := runtime.GOMAXPROCS(0)
	if from >= len(d.offs) {
		return hit, 0
	}
	if len(d.arena)-int(d.offs[from]) < 4<<20 || parts < 2 {
		n.Add(int64(d.searchRange(needle, k, from, len(d.offs), hit)))
		return hit, int(n.Load())
	}
	var wg sync.WaitGroup
	step := (len(d.offs) - from + parts - 1) / parts
	for first := from; first < len(d.offs); first += step {
		end := min(first+step, len(d.offs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.Add(int64(d.searchRange(needle, k, first, end, hit)))
		}()
	}
	wg.Wait()
	return hit, int(n.Load())
}

// searchRange searches entries [first, end) for needle (k: index of its
// rarest byte), ORs the entries found into hit and returns how many.
func (d *dict) searchRange(needle []byte, k, first, end int, hit []uint64) int {
	if first >= end {
		return 0
	}
	offs := d.offs
	a := d.arena
	if end < len(offs) {
		a = a[:offs[end]]
	}
	rare := needle[k]
	s := first          // entry cursor
	pos := int(offs[s]) // candidates start at or after pos
	found := 0
	for pos+len(needle) <= len(a) {
		i := bytes.IndexByte(a[pos+k:], rare)
		if i < 0 {
			break
		}
		at := pos + i // where the needle would start
		if !bytes.HasPrefix(a[at:], needle) {
			pos = at + 1
			continue
		}
		s = seekEntry(offs[:end], s, uint32(at))
		// Entries of two chunks can share a word: OR atomically.
		atomic.OrUint64(&hit[s>>6], 1<<(uint(s)&63))
		found++
		// Continue after this entry: one hit per entry is enough.
		if s+1 >= end {
			break
		}
		pos = int(offs[s+1])
	}
	return found
}

// seekEntry returns the last entry starting at or before off, searching
// forward from from (off is never before offs[from]).
func seekEntry(offs []uint32, from int, off uint32) int {
	step := 1
	hi := from + 1
	for hi < len(offs) && offs[hi] <= off {
		from = hi
		hi += step
		step *= 2
	}
	if hi > len(offs) {
		hi = len(offs)
	}
	return from + sort.Search(hi-from, func(j int) bool { return offs[from+j] > off }) - 1
}
