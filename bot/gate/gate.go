// Package gate is the send gate: the last check on every text the bot is
// about to send in a conversation, whoever wrote it (the built-in brain's
// model, an external brain, follow-up and recall scripts). It blocks what a
// recruiter must never send unapproved: salary figures outside the job's
// approved range, URLs, phone numbers, WeChat/QQ ids and emails other than
// the account's own, model refusals and meta-talk ("作为AI…"), and empty,
// overlong or repeated text. It is pure and deterministic; the caller
// decides what a block means (fallback text, hand-over, alert, counter).
package gate

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/hunterbot/hunterbot/rules"
)

// Reason says why a text was blocked ("" when it was not).
type Reason string

// Reasons, also the label of the gate counters.
const (
	OK       Reason = ""
	Empty    Reason = "empty"
	Overlong Reason = "overlong"
	Repeated Reason = "repeated"
	URL      Reason = "url"
	Phone    Reason = "phone"
	WeChat   Reason = "wechat"
	QQ       Reason = "qq"
	Email    Reason = "email"
	Salary   Reason = "salary"
	Refusal  Reason = "refusal"
	Meta     Reason = "meta"
)

// Reasons lists every block reason (for counters and reports).
var Reasons = []Reason{Empty, Overlong, Repeated, URL, Phone, WeChat, QQ, Email, Salary, Refusal, Meta}

// Policy is what one conversation may say. The zero value blocks every
// contact, URL and salary figure and allows texts up to DefaultMaxRunes.
type Policy struct {
	// SalaryMinK and SalaryMaxK are the approved monthly salary range in
	// thousands (K); a figure outside it is blocked. Both 0: no figure is
	// approved and every salary figure is blocked.
	SalaryMinK, SalaryMaxK float64
	// Facts are approved texts (the job's facts sheet, the JD): a number
	// written in one of them may be repeated (a 餐补20元 stated in the
	// benefits is not an invented figure).
	Facts []string
	// OwnContacts are the account's own phone numbers, WeChat/QQ ids and
	// emails, which may be sent.
	OwnContacts []string
	// AllowedURLPrefixes may be sent (e.g. the company's careers page).
	AllowedURLPrefixes []string
	// MaxRunes bounds one message (default DefaultMaxRunes).
	MaxRunes int
	// AllowSalaryFigures skips the salary check when no range is set (an
	// operator-written script states the operator's own figures).
	AllowSalaryFigures bool
}

// DefaultMaxRunes bounds one message: the site's input takes more, but a
// recruiter's chat line longer than this reads like a pasted document.
const DefaultMaxRunes = 300

// minRepeatRunes: shorter texts are never "repeated".
const minRepeatRunes = 6

// Verdict is the gate's decision on one text.
type Verdict struct {
	Reason Reason
	// Detail names what matched, without the candidate's data: the kind
	// of figure or phrase ("38K", "as an AI"), never a phone or id.
	Detail string
}

// Blocked reports whether the text must not be sent.
func (v Verdict) Blocked() bool { return v.Reason != OK }

// Check decides whether text may be sent. recent are the texts we sent
// earlier in the conversation (for the repetition check).
func (p Policy) Check(text string, recent []string) Verdict {
	t := strings.TrimSpace(text)
	if t == "" {
		return Verdict{Reason: Empty}
	}
	maxRunes := p.MaxRunes
	if maxRunes <= 0 {
		maxRunes = DefaultMaxRunes
	}
	if n := utf8.RuneCountInString(t); n > maxRunes {
		return Verdict{Reason: Overlong, Detail: strconv.Itoa(n) + " runes"}
	}
	folded := width.Fold.String(t)
	if d, ok := metaTalk(folded); ok {
		return Verdict{Reason: d.reason, Detail: d.detail}
	}
	if p.hasForeignURL(folded) {
		return Verdict{Reason: URL}
	}
	own := map[string]bool{}
	for _, c := range p.OwnContacts {
		own[normContact(c)] = true
	}
	for _, c := range rules.Extract(t) {
		if own[normContact(c.Value)] {
			continue
		}
		switch c.Type {
		case rules.ContactPhone:
			return Verdict{Reason: Phone}
		case rules.ContactWeChat:
			return Verdict{Reason: WeChat}
		case rules.ContactQQ:
			return Verdict{Reason: QQ}
		case rules.ContactEmail:
			return Verdict{Reason: Email}
		}
	}
	if v := p.checkSalary(folded); v.Blocked() {
		return v
	}
	// Repetition last: a text that is also unsafe is reported as unsafe.
	key := squash(folded)
	// A short acknowledgement (好的, 收到) may recur naturally; a repeated
	// sentence is a loop.
	for _, r := range recent {
		if utf8.RuneCountInString(key) < minRepeatRunes {
			break
		}
		if squash(width.Fold.String(r)) == key {
			return Verdict{Reason: Repeated}
		}
	}
	return Verdict{}
}

func normContact(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "+86")
	return strings.NewReplacer(" ", "", "-", "").Replace(s)
}

// squash drops spaces and punctuation so "好的！" repeats "好的!".
func squash(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == ' ' || r == '\t' || strings.ContainsRune("，。！？!?,.~～、…：:；;", r) {
			continue
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

var urlToken = regexp.MustCompile(`(?i)(?:https?://|www\.)[^\s，。！？、；]+|[a-z0-9][-a-z0-9]*(?:\.[-a-z0-9]+)*\.[a-z]{2,6}(?:/[^\s，。！？、；]*)?`)

func (p Policy) hasForeignURL(t string) bool {
	if !rules.HasLink(t) {
		return false
	}
	if len(p.AllowedURLPrefixes) == 0 {
		return true
	}
	for _, m := range urlToken.FindAllString(t, -1) {
		if strings.Contains(m, "@") {
			continue
		}
		ok := false
		for _, a := range p.AllowedURLPrefixes {
			if strings.HasPrefix(strings.ToLower(m), strings.ToLower(a)) {
				ok = true
				break
			}
		}
		if !ok {
			return true
		}
	}
	// Every link-looking token is allowed; a link HasLink saw that the
	// token pattern did not (unusual spellings) still blocks.
	rest := urlToken.ReplaceAllString(t, " ")
	return rules.HasLink(rest)
}

type metaHit struct {
	reason Reason
	detail string
}

// Refusals and meta-talk a candidate must never read: the model speaking
// about itself, its instructions or its limits, or leaking its output
// format.
var (
	refusalRe = regexp.MustCompile(`(?i)(抱歉|对不起|很遗憾|不好意思)[^。！!\n]{0,8}(我)?(无法|不能|没法|不便)(提供|回答|帮助|协助|透露|满足|完成|处理)|` +
		`(i'?m|i am) (sorry|afraid)[, ]+(but )?i (can(no|')t|cannot|am unable|won'?t)|i (can(no|')t|cannot|am unable to) (help|assist|provide|answer)|` +
		`(无法|不能)(为您|帮您|给您)?(提供|回答)(这|此|该)(类|个|方面)?(问题|信息|内容|请求)`)
	metaRe = regexp.MustCompile(`(?i)作为(一[个名])?(ai|人工智能|语言模型|大模型|机器人|智能助手|ai助手|虚拟助手)|` +
		`我(只)?是(一[个名])?(ai|人工智能|语言模型|大模型|聊天机器人|机器人|智能助手|ai助手|虚拟助手)|` +
		`\bas an? (ai|language model|assistant)\b|\blanguage model\b|\bopenai\b|chatgpt|gpt-?[345]|` +
		`(系统|system) ?(提示|prompt)|提示词|训练数据|知识截止|nextstep|next_step|"content"\s*:|<think>|</think>|` +
		`\{\s*"|根据(您|你)(提供|给出)的(信息|资料|背景)|根据(背景|参考)(信息|资料|案例)`)
)

func metaTalk(t string) (metaHit, bool) {
	if m := refusalRe.FindString(t); m != "" {
		return metaHit{Refusal, m}, true
	}
	if m := metaRe.FindString(t); m != "" {
		return metaHit{Meta, m}, true
	}
	return metaHit{}, false
}

// salaryFig finds money figures: a number (or a range of two) with a unit,
// e.g. 15-20K, 1.5万, 8000元, 年薪30w, or a bare number of 1000+ right
// after a salary word (月薪8000).
var salaryFig = regexp.MustCompile(`(?i)(\d+(?:\.\d+)?)\s*(k|千|w|万|元|块)?\s*(?:(?:-|~|～|—|–|至|到)\s*(\d+(?:\.\d+)?)\s*(k|千|w|万|元|块)?)?`)

var number = regexp.MustCompile(`\d+(?:\.\d+)?`)

var salaryWord = regexp.MustCompile(`薪|工资|待遇|收入|底薪|提成|月入|年包|到手|税前|税后|保底|绩效|奖金|pay|salary`)

func (p Policy) checkSalary(t string) Verdict {
	if p.SalaryMinK == 0 && p.SalaryMaxK == 0 && p.AllowSalaryFigures {
		return Verdict{}
	}
	// A figure stated in an approved text, with the same unit, may be
	// repeated (餐补20元 approves "20元", not "20K").
	approved := map[string]bool{}
	for _, f := range p.Facts {
		for _, fig := range figures(width.Fold.String(f)) {
			approved[fig.num+"|"+fig.unit] = true
		}
	}
	for _, fig := range figures(t) {
		if approved[fig.num+"|"+fig.unit] {
			continue
		}
		v, err := strconv.ParseFloat(fig.num, 64)
		if err != nil {
			continue
		}
		k, isMoney := toK(v, fig.unit, fig.nearWord)
		if !isMoney {
			continue
		}
		if fig.yearly {
			k /= 12
		}
		if p.SalaryMinK == 0 && p.SalaryMaxK == 0 {
			return Verdict{Reason: Salary, Detail: "no approved salary range"}
		}
		// Half a K of rounding either side (a range of 15-20K may be
		// said as 1.5万-2万 or 15000-20000).
		if k < p.SalaryMinK-0.5 || k > p.SalaryMaxK+0.5 {
			return Verdict{Reason: Salary, Detail: strconv.FormatFloat(k, 'f', -1, 64) + "K outside the approved range"}
		}
	}
	return Verdict{}
}

// figure is one number of a text with its unit and context.
type figure struct {
	num, unit        string
	nearWord, yearly bool
}

// figures lists the numbers of t that could be money: each number of a
// match (both ends of a range) with the range's unit; times of day and
// years are skipped.
func figures(t string) []figure {
	var out []figure
	for _, m := range salaryFig.FindAllStringSubmatchIndex(t, -1) {
		n1 := t[m[2]:m[3]]
		unit := ""
		if m[4] >= 0 {
			unit = strings.ToLower(t[m[4]:m[5]])
		}
		var n2 string
		if m[6] >= 0 {
			n2 = t[m[6]:m[7]]
			if m[8] >= 0 {
				unit = strings.ToLower(t[m[8]:m[9]])
			}
		}
		// Context: the 18 bytes (≈6 Chinese characters) before the figure.
		before := t[max(0, m[0]-18):m[0]]
		for !utf8.ValidString(before) && len(before) > 0 {
			before = before[1:]
		}
		yearly := strings.Contains(before, "年薪") || strings.Contains(before, "年包")
		nearWord := salaryWord.MatchString(before)
		// A time of day (9:00-18:00) or a date (2023年) is no figure.
		after := t[m[1]:min(len(t), m[1]+3)]
		if m[0] > 0 && (t[m[0]-1] == ':' || t[m[0]-1] == '.') || strings.HasPrefix(after, ":") || strings.HasPrefix(after, "年") && unit == "" {
			continue
		}
		for _, num := range []string{n1, n2} {
			if num != "" {
				out = append(out, figure{num: num, unit: unit, nearWord: nearWord, yearly: yearly})
			}
		}
	}
	return out
}

// toK converts a figure to K per month and says whether it is a salary
// figure at all.
func toK(v float64, unit string, nearWord bool) (float64, bool) {
	switch unit {
	case "k", "千":
		return v, true
	case "w", "万":
		return v * 10, true
	case "元", "块":
		if v < 1000 && !nearWord {
			return 0, false // 餐补20元, 路费50块: not a salary
		}
		return v / 1000, true
	default:
		// A bare number counts only as 1000+ right after a salary word
		// (月薪8000); 薪资15-20 without a unit is too ambiguous to judge.
		if nearWord && v >= 1000 {
			return v / 1000, true
		}
		return 0, false
	}
}

// SalaryFigures returns the money figures of text in K per month (yearly
// figures divided by 12), for evaluations: which salary did a reply state?
func SalaryFigures(text string) []float64 {
	var out []float64
	for _, fig := range figures(width.Fold.String(text)) {
		v, err := strconv.ParseFloat(fig.num, 64)
		if err != nil {
			continue
		}
		if k, ok := toK(v, fig.unit, fig.nearWord); ok {
			if fig.yearly {
				k /= 12
			}
			out = append(out, k)
		}
	}
	return out
}
