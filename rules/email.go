package rules

import "strings"

// emailAlias is a way candidates write "@" to dodge filters.
type emailAlias struct {
	word   string
	strict bool // needs a common top-level domain (the alias is also an ordinary word or sign)
}

var emailAliases = []emailAlias{
	{"@", false}, {"(at)", false}, {"[at]", false}, {"{at}", false}, {"艾特", false},
	{"#", true}, {" at ", true},
}

// commonTLDs guards the ambiguous aliases ("#", " at ").
var commonTLDs = map[string]bool{"com": true, "cn": true, "net": true, "org": true, "edu": true, "io": true,
	"me": true, "cc": true, "top": true, "vip": true}

// domain separators: ".", "点", " dot ", "(dot)".
var dotAliases = []string{".", "点", " dot ", "(dot)", "[dot]"}

func isLocalRune(r rune) bool {
	return isIDRune(r) || r == '.' || r == '+' || r == '%'
}

func isLabelRune(r rune) bool {
	return isASCIILetter(r) || r >= '0' && r <= '9' || r == '-'
}

func matchFold(rs []rune, p int, w string) bool {
	for _, c := range w {
		if p >= len(rs) || foldRune(rs[p]) != c {
			return false
		}
		p++
	}
	return true
}

// findEmails appends the emails in n to out (spec §3: "@", "(at)", 艾特, "#"
// and 点com forms).
func findEmails(n *normText, out []Contact) []Contact {
	rs := n.r
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '@', '(', '[', '{', '艾', '#', ' ':
		default:
			continue
		}
		var al emailAlias
		found := false
		for _, a := range emailAliases {
			if matchFold(rs, i, a.word) {
				al, found = a, true
				break
			}
		}
		if !found {
			continue
		}
		aEnd := i + len([]rune(al.word))
		// local part, allowing one space before "@"
		le := i
		if al.word == "@" && le > 0 && rs[le-1] == ' ' {
			le--
		}
		ls := le
		for ls > 0 && isLocalRune(rs[ls-1]) {
			ls--
		}
		for ls < le && rs[ls] == '.' {
			ls++
		}
		if ls == le || le-ls > 64 {
			continue
		}
		// domain labels
		p := aEnd
		if al.word == "@" && p < len(rs) && rs[p] == ' ' {
			p++
		}
		var labels []string
		end := p
		for {
			s := p
			for p < len(rs) && isLabelRune(rs[p]) {
				p++
			}
			if p == s {
				break
			}
			labels = append(labels, strings.ToLower(string(rs[s:p])))
			end = p
			sep := ""
			for _, d := range dotAliases {
				if matchFold(rs, p, d) {
					sep = d
					break
				}
			}
			if sep == "" {
				break
			}
			p += len([]rune(sep))
		}
		if len(labels) < 2 {
			continue
		}
		tld := labels[len(labels)-1]
		if len(tld) < 2 || len(tld) > 10 || !allLetters(tld) {
			continue
		}
		if al.strict && !commonTLDs[tld] {
			continue
		}
		local := strings.ToLower(strings.TrimRight(string(rs[ls:le]), "."))
		st, en := n.span(ls, end)
		domain := strings.Join(labels, ".")
		out = append(out, Contact{Type: ContactEmail, Value: local + "@" + domain,
			Start: st, End: en, Trigger: strings.TrimSpace(al.word)})
		// A numeric mailbox name is the owner's number: QQ mail uses the QQ
		// number, 139.com and others the mobile.
		if isDigits(local) {
			ls2, le2 := n.span(ls, le)
			switch {
			case len(local) == 11 && isMobile([]byte(local)):
				out = append(out, Contact{Type: ContactPhone, Value: local, Start: ls2, End: le2, Trigger: "@"})
			case (domain == "qq.com" || domain == "vip.qq.com") && len(local) >= 5 && len(local) <= 11 && local[0] != '0':
				out = append(out, Contact{Type: ContactQQ, Value: local, Start: ls2, End: le2, Trigger: "@"})
			}
		}
		i = end - 1
	}
	return out
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func allLetters(s string) bool {
	for _, c := range s {
		if !isASCIILetter(c) {
			return false
		}
	}
	return true
}
