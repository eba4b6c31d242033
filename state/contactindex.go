package state

import (
	"bytes"
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

// contactIndex is an in-memory index over all contacts so a filtered,
// searched page over a million contacts costs milliseconds, not a scan of
// bbolt and a JSON decode per record.
//
// Searchable text (name, position, contact; ASCII-lowercased) lives in one
// byte arena. A search runs bytes.Index over the arena (vectorised in the
// runtime) instead of a million small string searches, and maps each hit
// back to its row through the segment table, which is sorted by offset
// because segments are only ever appended. Changed text is appended as a new
// segment and the old one is marked dead; the arena is compacted when dead
// bytes dominate. Row i is contact id i+1 (ids come from NextSequence).
type contactIndex struct {
	mu      sync.RWMutex
	rows    []idxRow
	flags   []uint8 // per row, scanned first: 1 MB per million contacts
	created []int64 // per row, unix seconds
	arena   []byte
	segs    []idxSeg // sorted by off
	dead    int      // bytes in dead segments
	freq    [256]int // byte histogram of the arena: a search scans for the needle's rarest byte
	nLive   int
}

type idxRow struct {
	seg uint32 // index into segs
}

type idxSeg struct {
	off uint32
	row uint32 // deadRow when superseded
}

const (
	flagLive    = 1
	flagReplied = 2
	flagWechat  = 4
	deadRow     = ^uint32(0)
	fieldSep    = 0x01 // between fields: a search never spans two fields
	rowSep      = 0x00 // between rows
)

func newContactIndex() *contactIndex { return &contactIndex{} }

// searchText builds a row's searchable bytes.
func searchText(c *wire.Contact) []byte {
	var b bytes.Buffer
	b.Grow(len(c.Name) + len(c.Position) + len(c.Contact) + 3)
	writeFolded(&b, c.Name)
	b.WriteByte(fieldSep)
	writeFolded(&b, c.Position)
	b.WriteByte(fieldSep)
	writeFolded(&b, c.Contact)
	b.WriteByte(rowSep)
	return b.Bytes()
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
	return f
}

// put inserts or replaces contact c (called on commit).
func (ix *contactIndex) put(c *wire.Contact) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.putLocked(c)
	if ix.dead > 1<<20 && ix.dead > len(ix.arena)/2 {
		ix.compactLocked()
	}
}

func (ix *contactIndex) putLocked(c *wire.Contact) {
	i := int(c.ID - 1)
	for len(ix.rows) <= i {
		ix.rows = append(ix.rows, idxRow{seg: deadRow})
		ix.flags = append(ix.flags, 0)
		ix.created = append(ix.created, 0)
	}
	text := searchText(c)
	r := &ix.rows[i]
	if ix.flags[i]&flagLive != 0 {
		old := ix.segBytes(r.seg)
		if bytes.Equal(old, text) {
			ix.flags[i], ix.created[i] = flagsOf(c), c.CreatedAt.Unix()
			return
		}
		ix.segs[r.seg].row = deadRow
		ix.dead += len(old)
	} else {
		ix.nLive++
	}
	r.seg = uint32(len(ix.segs))
	ix.segs = append(ix.segs, idxSeg{off: uint32(len(ix.arena)), row: uint32(i)})
	ix.arena = append(ix.arena, text...)
	for _, ch := range text {
		ix.freq[ch]++
	}
	ix.flags[i], ix.created[i] = flagsOf(c), c.CreatedAt.Unix()
}

func (ix *contactIndex) segBytes(s uint32) []byte {
	start := ix.segs[s].off
	end := uint32(len(ix.arena))
	if int(s)+1 < len(ix.segs) {
		end = ix.segs[s+1].off
	}
	return ix.arena[start:end]
}

func (ix *contactIndex) compactLocked() {
	ix.freq = [256]int{}
	arena := make([]byte, 0, len(ix.arena)-ix.dead)
	segs := make([]idxSeg, 0, ix.nLive)
	for i := range ix.rows {
		r := &ix.rows[i]
		if ix.flags[i]&flagLive == 0 {
			continue
		}
		b := ix.segBytes(r.seg)
		r.seg = uint32(len(segs))
		segs = append(segs, idxSeg{off: uint32(len(arena)), row: uint32(i)})
		arena = append(arena, b...)
		for _, ch := range b {
			ix.freq[ch]++
		}
	}
	ix.arena, ix.segs, ix.dead = arena, segs, 0
}

// trim drops the spare capacity append left behind (up to half of each
// column) after the bulk load at Open.
func (ix *contactIndex) trim() {
	ix.rows = slices.Clone(ix.rows)
	ix.flags = slices.Clone(ix.flags)
	ix.created = slices.Clone(ix.created)
	ix.segs = slices.Clone(ix.segs)
	ix.arena = slices.Clone(ix.arena)
}

// match returns the ids (ascending) of contacts matching f, skipping the
// first offset matches and returning at most limit (limit<0: all), plus the
// total number of matches.
func (ix *contactIndex) match(f wire.ContactFilter, offset, limit int) (ids []uint64, total int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var from, to int64 = -1 << 62, 1 << 62
	if !f.From.IsZero() {
		from = f.From.Unix()
	}
	if !f.To.IsZero() {
		to = f.To.Unix()
	}
	var want, mask uint8 = flagLive, flagLive
	if f.Replied != nil {
		mask |= flagReplied
		if *f.Replied {
			want |= flagReplied
		}
	}
	if f.WechatExchanged != nil {
		mask |= flagWechat
		if *f.WechatExchanged {
			want |= flagWechat
		}
	}
	pass := func(i int) bool {
		return ix.flags[i]&mask == want && ix.created[i] >= from && ix.created[i] <= to
	}
	take := func(i int) {
		if total >= offset && (limit < 0 || len(ids) < limit) {
			ids = append(ids, uint64(i+1))
		}
		total++
	}
	needle := []byte(FoldSearch(f.Search))
	switch {
	case len(needle) == 0:
		for i := range ix.flags {
			if pass(i) {
				take(i)
			}
		}
	case ix.selective(pass):
		// Few rows pass the cheap filters: test the needle on those rows
		// only instead of scanning the whole arena.
		for i := range ix.flags {
			if pass(i) && bytes.Contains(ix.segBytes(ix.rows[i].seg), needle) {
				take(i)
			}
		}
	default:
		// Visit only the rows the arena search marked, in id order.
		for w, word := range ix.searchLocked(needle) {
			for word != 0 {
				if i := w<<6 | bits.TrailingZeros64(word); pass(i) {
					take(i)
				}
				word &= word - 1
			}
		}
	}
	return ids, total
}

// selective estimates from an even sample of rows whether under 1/32 of
// them pass the cheap filters (e.g. one week of a year); then a per-row
// needle test (~100 ns a row) beats scanning the whole arena (2-13 ms per
// million contacts, depending on the needle).
func (ix *contactIndex) selective(pass func(int) bool) bool {
	n := len(ix.flags)
	if n < 1<<14 {
		return false
	}
	const samples = 4096
	hits := 0
	for k := 0; k < samples; k++ {
		if pass(k * (n / samples)) {
			hits++
		}
	}
	return hits*32 < samples
}

// searchLocked marks every row whose text contains needle.
//
// It scans for the needle's rarest byte (by the arena histogram) with
// bytes.IndexByte, which is vectorised, and verifies the whole needle
// around each candidate: in Chinese text the first byte of a character is
// one of a handful of lead bytes, so scanning for it would stop every few
// bytes. Hits arrive in arena order, so the owning segment is found by
// galloping forward from the previous one instead of a binary search each.
// A large arena is split at segment boundaries across GOMAXPROCS
// goroutines; a match never spans segments (the needle has no separator
// bytes), so the chunks are independent.
func (ix *contactIndex) searchLocked(needle []byte) []uint64 {
	hit := make([]uint64, (len(ix.rows)+63)/64)
	k := 0
	for i := range needle {
		if ix.freq[needle[i]] < ix.freq[needle[k]] {
			k = i
		}
	}
	parts := runtime.GOMAXPROCS(0)
	if len(ix.arena) < 4<<20 || parts < 2 {
		ix.searchRange(needle, k, 0, len(ix.segs), hit)
		return hit
	}
	var wg sync.WaitGroup
	step := (len(ix.segs) + parts - 1) / parts
	for first := 0; first < len(ix.segs); first += step {
		end := min(first+step, len(ix.segs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			ix.searchRange(needle, k, first, end, hit)
		}()
	}
	wg.Wait()
	return hit
}

// searchRange searches segments [first, end) for needle (k: index of its
// rarest byte) and ORs the rows found into hit.
func (ix *contactIndex) searchRange(needle []byte, k, first, end int, hit []uint64) {
	if first >= end {
		return
	}
	segs := ix.segs
	a := ix.arena
	if end < len(segs) {
		a = a[:segs[end].off]
	}
	rare := needle[k]
	s := first                  // segment cursor
	pos := int(segs[first].off) // candidates start at or after pos
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
		s = seekSeg(segs[:end], s, uint32(at))
		if row := segs[s].row; row != deadRow {
			// Rows of two chunks can share a word: OR atomically.
			atomic.OrUint64(&hit[row>>6], 1<<(row&63))
		}
		// Continue after this segment: one hit per row is enough.
		if s+1 >= end {
			break
		}
		pos = int(segs[s+1].off)
	}
}

// seekSeg returns the last segment starting at or before off, searching
// forward from from (off is never before segs[from].off).
func seekSeg(segs []idxSeg, from int, off uint32) int {
	step := 1
	hi := from + 1
	for hi < len(segs) && segs[hi].off <= off {
		from = hi
		hi += step
		step *= 2
	}
	if hi > len(segs) {
		hi = len(segs)
	}
	// Answer in [from, hi): binary search the first seg with off > off.
	return from + sort.Search(hi-from, func(j int) bool { return segs[from+j].off > off }) - 1
}
