package state

import (
	"bytes"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
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
	mu     sync.RWMutex
	rows   []idxRow
	arena  []byte
	segs   []idxSeg // sorted by off
	dead   int      // bytes in dead segments
	nLive  int
	hasGap bool // a row without a contact (only after a failed write)
}

type idxRow struct {
	created int64  // unix seconds
	seg     uint32 // index into segs
	flags   uint8
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
func searchText(c *Contact) []byte {
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

func flagsOf(c *Contact) uint8 {
	f := uint8(flagLive)
	if c.ReplyStatus == ReplyYes {
		f |= flagReplied
	}
	if c.WechatExchanged {
		f |= flagWechat
	}
	return f
}

// put inserts or replaces contact c (called on commit).
func (ix *contactIndex) put(c *Contact) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.putLocked(c)
	if ix.dead > 1<<20 && ix.dead > len(ix.arena)/2 {
		ix.compactLocked()
	}
}

func (ix *contactIndex) putLocked(c *Contact) {
	i := int(c.ID - 1)
	for len(ix.rows) <= i {
		ix.rows = append(ix.rows, idxRow{seg: deadRow})
	}
	text := searchText(c)
	r := &ix.rows[i]
	if r.flags&flagLive != 0 {
		old := ix.segBytes(r.seg)
		if bytes.Equal(old, text) {
			r.flags, r.created = flagsOf(c), c.CreatedAt.Unix()
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
	r.flags, r.created = flagsOf(c), c.CreatedAt.Unix()
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
	arena := make([]byte, 0, len(ix.arena)-ix.dead)
	segs := make([]idxSeg, 0, ix.nLive)
	for i := range ix.rows {
		r := &ix.rows[i]
		if r.flags&flagLive == 0 {
			continue
		}
		b := ix.segBytes(r.seg)
		r.seg = uint32(len(segs))
		segs = append(segs, idxSeg{off: uint32(len(arena)), row: uint32(i)})
		arena = append(arena, b...)
	}
	ix.arena, ix.segs, ix.dead = arena, segs, 0
}

// match returns the ids (ascending) of contacts matching f, skipping the
// first offset matches and returning at most limit (limit<0: all), plus the
// total number of matches.
func (ix *contactIndex) match(f ContactFilter, offset, limit int) (ids []uint64, total int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var hit []uint64 // bitset over rows; nil = no search term
	if needle := FoldSearch(f.Search); needle != "" {
		hit = ix.searchLocked([]byte(needle))
	}
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
	for i := 0; i < len(ix.rows); i++ {
		if hit != nil && hit[i>>6]&(1<<(uint(i)&63)) == 0 {
			if hit[i>>6] == 0 { // skip a whole empty word of the bitset
				i |= 63
			}
			continue
		}
		r := &ix.rows[i]
		if r.flags&mask != want || r.created < from || r.created > to {
			continue
		}
		if total >= offset && (limit < 0 || len(ids) < limit) {
			ids = append(ids, uint64(i+1))
		}
		total++
	}
	return ids, total
}

// searchLocked marks every row whose text contains needle.
func (ix *contactIndex) searchLocked(needle []byte) []uint64 {
	hit := make([]uint64, (len(ix.rows)+63)/64)
	a := ix.arena
	pos := 0
	for pos < len(a) {
		j := bytes.Index(a[pos:], needle)
		if j < 0 {
			break
		}
		at := uint32(pos + j)
		s := sort.Search(len(ix.segs), func(k int) bool { return ix.segs[k].off > at }) - 1
		if row := ix.segs[s].row; row != deadRow {
			hit[row>>6] |= 1 << (row & 63)
		}
		// Continue after this segment: one hit per row is enough.
		if s+1 < len(ix.segs) {
			pos = int(ix.segs[s+1].off)
		} else {
			break
		}
	}
	return hit
}

func (ix *contactIndex) size() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.nLive
}
