package rules

import "strings"

// Analysis is everything the detectors found in one message: contacts (spec
// §3) plus the entities behind behaviours 7, 8 and 10.
type Analysis struct {
	Contacts  []Contact
	BankCards []string // digits, Luhn-valid, 16-19 digits
	IDCards   []string // 18 characters, GB 11643 checksum valid
	Links     bool
}

// semantics returns the text behaviours found (bit per Semantic).
func (a *Analysis) semantics() uint32 {
	var s uint32
	for _, c := range a.Contacts {
		switch c.Type {
		case ContactPhone:
			s |= semBit(SemPhone)
		case ContactEmail:
			s |= semBit(SemEmail)
		}
	}
	if len(a.BankCards) > 0 {
		s |= semBit(SemBankCard)
	}
	if len(a.IDCards) > 0 {
		s |= semBit(SemIDCard)
	}
	if a.Links {
		s |= semBit(SemLink)
	}
	return s
}

// Analyze runs contact extraction and the text behaviour detectors once.
func (x *Extractor) Analyze(text string) Analysis {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	normalize(text, x.mask(text), &s.n)
	var a Analysis
	if c := x.extractNorm(s); len(c) > 0 {
		a.Contacts = append([]Contact(nil), c...)
	}
	n := &s.n
	for ri := range s.runs {
		run := &s.runs[ri]
		if id, ok := idCardIn(n, run); ok {
			a.IDCards = append(a.IDCards, id)
			continue
		}
		if l := len(run.d); l >= 16 && l <= 19 && run.d[0] != '0' && luhn(run.d) {
			a.BankCards = append(a.BankCards, string(run.d))
		}
	}
	a.Links = hasLink(n.r)
	return a
}

// luhn validates a card number's check digit.
func luhn(d []byte) bool {
	sum, alt := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if alt {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		alt = !alt
	}
	return sum%10 == 0
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheck = "10X98765432"

// idCardIn reports an 18-character resident ID (GB 11643-1999): 17 digits,
// a check character (digit or X) and a plausible birth date.
func idCardIn(n *normText, run *digitRun) (string, bool) {
	d := run.d
	var id []byte
	switch {
	case len(d) == 18:
		id = d
	case len(d) == 17:
		nx := int(run.pos[16]) + 1
		if nx < len(n.r) && (n.r[nx] == 'X' || n.r[nx] == 'x') && (nx+1 >= len(n.r) || !isIDRune(n.r[nx+1])) {
			id = append(append([]byte(nil), d...), 'X')
		}
	}
	if id == nil || !ValidIDCard(string(id)) {
		return "", false
	}
	return string(id), true
}

// ValidIDCard checks an 18-character Chinese resident ID number: the GB
// 11643 weighted checksum and the birth date.
func ValidIDCard(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * idWeights[i]
	}
	if want := idCheck[sum%11]; s[17] != want && !(want == 'X' && s[17] == 'x') {
		return false
	}
	y := atoiDigits(s[6:10])
	m := atoiDigits(s[10:12])
	day := atoiDigits(s[12:14])
	return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && day >= 1 && day <= 31
}

func atoiDigits(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// linkTLDs are top-level domains accepted for scheme-less links.
var linkTLDs = map[string]bool{"com": true, "cn": true, "net": true, "org": true, "io": true, "cc": true,
	"me": true, "top": true, "xyz": true, "info": true, "co": true, "vip": true, "link": true, "site": true}

// notHosts look like host names but are technology names in résumés.
var notHosts = map[string]bool{"asp.net": true, "vb.net": true, "ado.net": true, "node.js": true, "vue.js": true}

// hasLink detects a URL in text (behaviour 10): http(s)://, www., or a
// host name with a known top-level domain, not part of an email.
func hasLink(rs []rune) bool {
	for i := 0; i < len(rs); {
		if !isLabelRune(rs[i]) && rs[i] != '.' {
			i++
			continue
		}
		j := i
		for j < len(rs) && (isLabelRune(rs[j]) || strings.ContainsRune(".:/?=&%_#~+", rs[j])) {
			j++
		}
		tok := strings.ToLower(string(rs[i:j]))
		prevAt := i > 0 && rs[i-1] == '@'
		i = j
		if prevAt || strings.Contains(tok, "@") || j < len(rs) && rs[j] == '@' {
			continue
		}
		if strings.HasPrefix(tok, "http://") || strings.HasPrefix(tok, "https://") || strings.HasPrefix(tok, "www.") {
			return true
		}
		host := tok
		if k := strings.IndexAny(host, "/?#:"); k >= 0 {
			host = host[:k]
		}
		if notHosts[host] {
			continue
		}
		labels := strings.Split(host, ".")
		if len(labels) < 2 || labels[0] == "" {
			continue
		}
		sld := labels[len(labels)-2]
		if linkTLDs[labels[len(labels)-1]] && sld != "" && strings.Trim(sld, "0123456789") != "" {
			return true
		}
	}
	return false
}
