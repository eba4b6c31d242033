package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Character classes of normalised runes.
const (
	clsOther   uint8 = iota
	clsDigit         // an ASCII digit (after NFKC / width folding)
	clsNumeral       // a digit converted from a Chinese numeral
)

// breakRune replaces masked text (our own messages): it is neither a digit,
// a letter nor a separator, so nothing matches across it.
const breakRune = '\x00'

// minNumeralRun is the smallest number of digits a run must have before its
// Chinese numerals are read as digits: "一下" and "两年" stay words, while a
// QQ number (≥ 5 digits) or a phone written 一三八… is converted.
const minNumeralRun = 5

// normText is a message after normalisation (spec §3 steps 1-3) with a map
// from every normalised rune back to the original rune it came from.
type normText struct {
	r    []rune
	src  []int32 // original rune index of r[i]
	cls  []uint8
	tags []tagSpan // <phone>/<copy> contents, in normalised indices
}

type tagSpan struct {
	name       string // "phone" or "copy"
	start, end int    // normalised [start, end)
}

// span maps the normalised range [s, e) back to original rune offsets.
func (n *normText) span(s, e int) (int, int) {
	return int(n.src[s]), int(n.src[e-1]) + 1
}

func (n *normText) emit(r rune, src int, cls uint8) {
	n.r = append(n.r, r)
	n.src = append(n.src, int32(src))
	n.cls = append(n.cls, cls)
}

// extraDigits covers enclosed digits that NFKC leaves alone.
func extraDigits(r rune) (string, bool) {
	switch {
	case r == '⓿':
		return "0", true
	case r >= '➀' && r <= '➉': // dingbat circled sans-serif 1-10
		return digitName(int(r-'➀') + 1), true
	case r >= '➊' && r <= '➓': // dingbat negative circled sans-serif 1-10
		return digitName(int(r-'➊') + 1), true
	case r >= '❶' && r <= '❿': // dingbat negative circled 1-10
		return digitName(int(r-'❶') + 1), true
	case r >= '⓵' && r <= '⓾': // double circled 1-10
		return digitName(int(r-'⓵') + 1), true
	case r >= '⓫' && r <= '⓴': // negative circled 11-20
		return digitName(int(r-'⓫') + 11), true
	}
	return "", false
}

func digitName(v int) string {
	if v < 10 {
		return string(rune('0' + v))
	}
	return string([]rune{rune('0' + v/10), rune('0' + v%10)})
}

// chineseDigit maps Chinese numerals (and the spoken forms 洞 幺 拐 勾) to
// digits.
func chineseDigit(r rune) (rune, bool) {
	switch r {
	case '零', '〇', '洞':
		return '0', true
	case '一', '幺', '壹':
		return '1', true
	case '二', '两', '贰':
		return '2', true
	case '三', '叁':
		return '3', true
	case '四', '肆':
		return '4', true
	case '五', '伍':
		return '5', true
	case '六', '陆':
		return '6', true
	case '七', '拐', '柒':
		return '7', true
	case '八', '捌':
		return '8', true
	case '九', '勾', '玖':
		return '9', true
	}
	return 0, false
}

// isZeroWidth covers the zero-width characters of spec §3 step 1 plus the
// invisible parts of keycap emoji digits ("1️⃣" is 1, U+FE0F, U+20E3).
func isZeroWidth(r rune) bool {
	return r >= 0x200B && r <= 0x200D || r == 0x2060 || r == 0xFEFF || r == 0xFE0E || r == 0xFE0F || r == 0x20E3
}

// isDigitSep reports separators that candidates put inside numbers
// (spec §3 step 4).
func isDigitSep(r rune) bool {
	switch r {
	case ' ', '-', '.', '·', '_', '/', '\t', '—', '–', '‐', '•', ',', '~':
		return true
	}
	return false
}

var markupTags = []string{"<phone>", "</phone>", "<copy>", "</copy>"}

// normalize runs spec §3 steps 1-3 over text. Original rune ranges listed in
// mask are replaced by breakRune.
func normalize(text string, mask [][2]int, n *normText) {
	n.r, n.src, n.cls, n.tags = n.r[:0], n.src[:0], n.cls[:0], n.tags[:0]
	openTag, openAt := "", 0
	i := -1
	masked := false
	for bi := 0; bi < len(text); {
		r, size := utf8.DecodeRuneInString(text[bi:])
		i++
		if inMask(mask, i) {
			if !masked {
				n.emit(breakRune, i, clsOther)
			}
			masked = true
			bi += size
			continue
		}
		masked = false
		if r == '<' {
			if tag, ok := tagAt(text[bi:]); ok {
				switch {
				case tag[1] != '/':
					openTag, openAt = tag[1:len(tag)-1], len(n.r)
				case openTag != "" && tag[2:len(tag)-1] == openTag:
					n.tags = append(n.tags, tagSpan{name: openTag, start: openAt, end: len(n.r)})
					openTag = ""
				}
				i += len(tag) - 1 // tags are ASCII: bytes == runes
				bi += len(tag)
				continue
			}
		}
		bi += size
		switch {
		case r < utf8.RuneSelf:
			if r >= '0' && r <= '9' {
				n.emit(r, i, clsDigit)
			} else {
				n.emit(r, i, clsOther)
			}
		case r >= 0x4E00 && r <= 0x9FFF: // CJK unified ideographs are NFKC-stable
			n.emit(r, i, clsOther)
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			a := r - 0xFEE0
			if a >= '0' && a <= '9' {
				n.emit(a, i, clsDigit)
			} else {
				n.emit(a, i, clsOther)
			}
		case r == 0x3000: // ideographic space
			n.emit(' ', i, clsOther)
		case isZeroWidth(r):
			// dropped (step 1)
		default:
			if d, ok := extraDigits(r); ok {
				for _, c := range d {
					n.emit(c, i, clsDigit)
				}
				continue
			}
			var buf [utf8.UTFMax]byte
			k := utf8.EncodeRune(buf[:], r)
			if norm.NFKC.QuickSpan(buf[:k]) == k { // NFKC-stable: only width folding
				if f := width.LookupRune(r).Folded(); f != 0 {
					r = f
				}
				n.emit(r, i, clsOther)
				continue
			}
			folded := width.Fold.String(norm.NFKC.String(string(r)))
			for _, c := range folded {
				if c >= '0' && c <= '9' {
					n.emit(c, i, clsDigit)
				} else {
					n.emit(c, i, clsOther)
				}
			}
		}
	}
	convertNumerals(n)
	collapseSpaced(n)
}

// collapseSpaced removes the spaces of a letter-spaced word ("微 信 号",
// "V X", "w e c h a t"): spaces between two single-letter tokens go, so the
// trigger words match. A token of two or more letters keeps its spaces
// ("I am a cat" stays), and digits are left to the digit runs.
func collapseSpaced(n *normText) {
	isTok := func(i int) bool {
		r := n.r[i]
		return n.cls[i] == clsOther && (unicode.IsLetter(r) || r == '❤')
	}
	single := func(i int) bool {
		return isTok(i) && (i == 0 || !isTok(i-1)) && (i+1 >= len(n.r) || !isTok(i+1))
	}
	var drop []int
	for i := 1; i < len(n.r); i++ {
		if n.r[i] != ' ' || !single(i-1) {
			continue
		}
		j := i
		for j < len(n.r) && j-i < 2 && n.r[j] == ' ' {
			j++
		}
		if j < len(n.r) && single(j) {
			for k := i; k < j; k++ {
				drop = append(drop, k)
			}
		}
		i = j - 1
	}
	if len(drop) == 0 {
		return
	}
	w, d := 0, 0
	for i := range n.r {
		if d < len(drop) && drop[d] == i {
			d++
			continue
		}
		n.r[w], n.src[w], n.cls[w] = n.r[i], n.src[i], n.cls[i]
		w++
	}
	n.r, n.src, n.cls = n.r[:w], n.src[:w], n.cls[:w]
	// Markup spans are in normalised indices: shift them past the drops.
	shift := func(x int) int {
		k := 0
		for k < len(drop) && drop[k] < x {
			k++
		}
		return x - k
	}
	for t := range n.tags {
		n.tags[t].start, n.tags[t].end = shift(n.tags[t].start), shift(n.tags[t].end)
	}
}

func inMask(mask [][2]int, i int) bool {
	for _, m := range mask {
		if i >= m[0] && i < m[1] {
			return true
		}
	}
	return false
}

func tagAt(s string) (string, bool) {
	for _, t := range markupTags {
		if len(s) >= len(t) && strings.EqualFold(s[:len(t)], t) {
			return t, true
		}
	}
	return "", false
}

// convertNumerals turns Chinese numerals into digits inside runs (digits and
// numerals, separators allowed between them) of at least minNumeralRun
// digits (step 3).
func convertNumerals(n *normText) {
	for i := 0; i < len(n.r); {
		if !isDigitish(n.r[i]) {
			i++
			continue
		}
		j, count, hasNum := i, 0, false
		last := i
		for j < len(n.r) {
			if isDigitish(n.r[j]) {
				if n.cls[j] != clsDigit {
					hasNum = true
				}
				count++
				last = j
				j++
				continue
			}
			k := j
			for k < len(n.r) && k-j < 3 && isDigitSep(n.r[k]) {
				k++
			}
			if k > j && k < len(n.r) && isDigitish(n.r[k]) {
				j = k
				continue
			}
			break
		}
		if hasNum && count >= minNumeralRun {
			for k := i; k <= last; k++ {
				if d, ok := chineseDigit(n.r[k]); ok {
					n.r[k], n.cls[k] = d, clsNumeral
				}
			}
		}
		i = last + 1
	}
}

func isDigitish(r rune) bool {
	if r >= '0' && r <= '9' {
		return true
	}
	_, ok := chineseDigit(r)
	return ok
}

// Normalize returns text after spec §3 steps 1-3 (zero-width removal, NFKC
// and width folding, enclosed digits, Chinese numerals in number runs,
// <phone>/<copy> markup removed) and, for every rune of the result, the index
// of the original rune it came from.
func Normalize(text string) (string, []int) {
	var n normText
	normalize(text, nil, &n)
	offs := make([]int, len(n.src))
	for i, s := range n.src {
		offs[i] = int(s)
	}
	return string(n.r), offs
}
