package rules

import "strings"

// Intent is what a candidate message says about the conversation, beyond
// contacts. The bot uses it to stop follow-ups (OptOut), to avoid pushing for
// a contact again right away (Refusal) and to answer first (Question).
type Intent struct {
	OptOut   bool   // stop contacting this candidate (不需要, 别发了, 已入职 …)
	Refusal  bool   // declines to give a contact or to continue now (不方便, 不想给 …)
	Question bool   // asks something (？, 吗, 多少 …)
	Phrase   string // the opt-out or refusal phrase that matched, if any
}

// optOutPhrases end all follow-ups (spec conversation-rules §1 "Opt-out").
var optOutPhrases = []string{
	"不需要", "别发了", "不要发了", "不要再发", "别再发", "不用发了", "不考虑", "已入职", "已经入职", "入职了",
	"勿扰", "别打扰", "不要打扰", "请勿打扰", "不感兴趣", "没兴趣", "没有兴趣", "不找工作", "不找了",
	"找到工作了", "已经找到工作", "已找到工作", "已经有工作", "不换工作", "暂不考虑", "不想换", "退订",
	"拉黑", "不合适", "不用了", "不再考虑",
}

// refusalPhrases decline a request without ending the conversation.
var refusalPhrases = []string{
	"不方便", "不想给", "不能给", "不加微信", "不想加", "算了", "不太想", "暂时不", "先不", "不了谢谢", "不愿意",
	"没空", "再说吧", "以后再说",
}

// tailChecked opt-out phrases also name conditions ("不需要出差就行",
// "不考虑外地"); they count only at the end of a clause or before one of
// okTails.
var tailChecked = map[string]bool{"不需要": true, "不考虑": true, "不合适": true}

var okTails = []string{"了", "谢", "哦", "啊", "啦", "的", "呢", "哈", "换", "跳", "机会", "新", "工作", "其他", "别的"}

// negations that flip an opt-out phrase back ("不是不考虑").
var optOutNegations = []string{"不是不", "并不是不", "也不是不"}

// questionMarkers make a clause a question.
var questionMarkers = []string{"?", "？", "吗", "么", "多少", "什么", "怎么", "哪", "几", "是否", "能不能", "可不可以", "有没有", "呢"}

// IsOptOut reports whether text asks us to stop contacting the candidate. A
// phrase inside a question ("不需要简历吗？") does not count.
func IsOptOut(text string) bool { return Classify(text).OptOut }

// Classify reads the intents of a candidate message clause by clause.
func Classify(text string) Intent {
	var in Intent
	for _, clause := range splitClauses(text) {
		q := isQuestion(clause.text, clause.mark)
		in.Question = in.Question || q
		if q {
			continue // "不考虑吗？" asks, it does not opt out
		}
		if p := findOptOut(clause.text); p != "" && !containsAny(clause.text, optOutNegations) {
			in.OptOut = true
			if in.Phrase == "" || in.Refusal {
				in.Phrase = p
			}
			continue
		}
		if p := findPhrase(clause.text, refusalPhrases); p != "" {
			in.Refusal = true
			if in.Phrase == "" {
				in.Phrase = p
			}
		}
	}
	return in
}

type clause struct {
	text string
	mark rune // the punctuation that ended it, 0 at the end of text
}

func splitClauses(text string) []clause {
	var out []clause
	start := 0
	for i, r := range text {
		switch r {
		case '。', '！', '!', '？', '?', '；', ';', '\n', '，', ',':
			if s := strings.TrimSpace(text[start:i]); s != "" {
				out = append(out, clause{text: s, mark: r})
			}
			start = i + len(string(r))
		}
	}
	if s := strings.TrimSpace(text[start:]); s != "" {
		out = append(out, clause{text: s})
	}
	return out
}

func isQuestion(text string, mark rune) bool {
	if mark == '?' || mark == '？' {
		return true
	}
	for _, m := range questionMarkers {
		if strings.Contains(text, m) {
			// "什么时候都行" / "多少都可以" are statements, not questions
			if strings.Contains(text, "都") && (m == "什么" || m == "多少" || m == "哪") {
				continue
			}
			if m == "么" && strings.Contains(text, "什么") {
				continue
			}
			return true
		}
	}
	return false
}

func findOptOut(text string) string {
	for _, p := range optOutPhrases {
		i := strings.Index(text, p)
		if i < 0 {
			continue
		}
		if !tailChecked[p] {
			return p
		}
		tail := strings.TrimSpace(text[i+len(p):])
		if tail == "" {
			return p
		}
		for _, t := range okTails {
			if strings.HasPrefix(tail, t) {
				return p
			}
		}
	}
	return ""
}

func findPhrase(text string, phrases []string) string {
	for _, p := range phrases {
		if strings.Contains(text, p) {
			return p
		}
	}
	return ""
}

func containsAny(text string, words []string) bool {
	return findPhrase(text, words) != ""
}
