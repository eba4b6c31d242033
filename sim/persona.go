package sim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// Persona names. docs/sim.md describes each one's behaviour.
const (
	PersonaEager      = "eager"      // replies, gives WeChat/phone in plain text, accepts exchanges
	PersonaObfuscator = "obfuscator" // like eager but writes the contact obfuscated
	PersonaPhoneOnly  = "phone_only" // gives a phone number, refuses WeChat exchange
	PersonaCVSender   = "cv_sender"  // answers contact requests with an attachment résumé
	PersonaExchanger  = "exchanger"  // answers text requests with an exchange card (同意/拒绝)
	PersonaRefuser    = "refuser"    // chats but refuses every contact request
	PersonaSlow       = "slow"       // replies only after the Nth recruiter message, then eager
	PersonaAsker      = "asker"      // first asks about salary / location, then eager
	PersonaOptOut     = "opt_out"    // answers "不需要了，别发了" and falls silent
	PersonaSilent     = "silent"     // never replies, ignores requests
	PersonaGhost      = "ghost"      // replies once to the greeting, then silent
)

// Disclosure types and hows recorded in the truth.
const (
	DisclosureWeChat = "wechat"
	DisclosurePhone  = "phone"
	DisclosureCV     = "cv"

	HowExchange       = "exchange"
	HowText           = "text"
	HowTextObfuscated = "text_obfuscated"
	HowAttachment     = "attachment"
)

var personaNames = []string{PersonaEager, PersonaObfuscator, PersonaPhoneOnly, PersonaCVSender, PersonaExchanger,
	PersonaRefuser, PersonaSlow, PersonaAsker, PersonaOptOut, PersonaSilent, PersonaGhost}

// PersonaNames lists the known personas.
func PersonaNames() []string { return append([]string(nil), personaNames...) }

func validPersona(p string) bool {
	for _, n := range personaNames {
		if n == p {
			return true
		}
	}
	return false
}

type weighted struct {
	name   string
	weight int
}

// sortedPersonas turns the scenario's map into a stable order so that the
// draw does not depend on map iteration.
func sortedPersonas(m map[string]int) []weighted {
	out := make([]weighted, 0, len(m))
	for n, w := range m {
		if w > 0 {
			out = append(out, weighted{n, w})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func pickPersona(r *rand.Rand, ws []weighted) string {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	n := r.IntN(total)
	for _, w := range ws {
		if n < w.weight {
			return w.name
		}
		n -= w.weight
	}
	return ws[len(ws)-1].name
}

// intent is what a candidate reads into the recruiter's unanswered
// messages, strongest first.
type intent int

const (
	intentChat intent = iota
	intentGreeting
	intentQuestion
	intentResume
	intentContact
)

var (
	contactWords = []string{"微信", "vx", "VX", "wx", "联系方式", "电话", "手机", "号码", "加个v", "加v"}
	resumeWords  = []string{"简历"}
)

// classify reads one recruiter text.
func classify(text string) intent {
	for _, w := range contactWords {
		if strings.Contains(text, w) {
			return intentContact
		}
	}
	for _, w := range resumeWords {
		if strings.Contains(text, w) {
			return intentResume
		}
	}
	if strings.ContainsAny(text, "?？") || strings.Contains(text, "吗") {
		return intentQuestion
	}
	return intentChat
}

// wantsPhone reports whether a contact request asks for a phone number
// rather than WeChat.
func wantsPhone(text string) bool {
	return (strings.Contains(text, "电话") || strings.Contains(text, "手机")) && !strings.Contains(text, "微信")
}

var (
	greetReplies = []string{"您好，可以聊聊", "你好，请问是什么岗位？", "您好，我对这个岗位挺感兴趣的", "你好，方便介绍一下吗"}
	chatReplies  = []string{"好的", "嗯嗯，了解了", "可以的，您说", "好的，谢谢"}
	questions    = []string{"请问薪资范围是多少？", "工作地点在哪里？", "请问是单休还是双休？", "公司大概多少人？"}
	refusals     = []string{"不好意思，暂时不方便给联系方式，先在这里聊吧", "先在平台上沟通吧", "联系方式就不留了，谢谢"}
)

// OptOutText is what opt_out candidates write.
const OptOutText = "不需要了，别发了"

// contactText writes a contact in a candidate's words, plain or obfuscated.
func contactText(r *rand.Rand, kind, value string, obfuscated bool) string {
	if kind == DisclosurePhone {
		if !obfuscated {
			return fmt.Sprintf(pick(r, []string{"我的电话是<phone>%s</phone>", "手机号%s，打我电话吧", "电话：%s"}), value)
		}
		switch r.IntN(7) {
		case 0:
			return "电话 " + fullWidth(spaced(value))
		case 1:
			return "手机：" + chineseDigits(value, false)
		case 2:
			return "打我电话 " + spaced(value)
		case 3:
			return "号码是" + value[:3] + "-" + value[3:7] + "-" + value[7:] + "，白天都在"
		case 4:
			return "手机 " + chineseDigits(value, true) + "（大写）"
		case 5:
			return "电话" + zeroWidth(value)
		default:
			return "联系我：" + circled(value[:3]) + value[3:]
		}
	}
	if !obfuscated {
		return fmt.Sprintf(pick(r, []string{"我的微信是%s", "微信号：%s，加我吧", "wx: %s"}), value)
	}
	switch r.IntN(6) {
	case 0:
		return "V:" + value
	case 1:
		return "薇信 " + value + " 备注一下公司"
	case 2:
		return "加v " + fullWidth(value)
	case 3:
		return "vx：" + value + "（备注来意）"
	case 4:
		return "徽信号 " + value
	default:
		return "加个V吧 " + zeroWidth(value)
	}
}

// zeroWidth hides zero-width spaces inside s, as candidates do to get past
// the site's contact filter.
func zeroWidth(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%3 == 0 {
			b.WriteRune('\u200b')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// circled writes digits as circled numbers (①②③…, ⓪ for 0).
func circled(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '0':
			b.WriteRune('⓪')
		case c >= '1' && c <= '9':
			b.WriteRune('①' + c - '1')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// spaced writes 13812345678 as "138 1234 5678".
func spaced(p string) string {
	if len(p) != 11 {
		return p
	}
	return p[:3] + " " + p[3:7] + " " + p[7:]
}

// fullWidth turns ASCII letters and digits into their full-width forms.
func fullWidth(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c > ' ' && c < 0x7f {
			b.WriteRune(c - 0x21 + 0xFF01)
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// chineseDigits writes digits as Chinese numerals (一三八…), or as the
// financial capitals (壹叁捌…) when capitals is set.
func chineseDigits(s string, capitals bool) string {
	digits := []rune("零一二三四五六七八九")
	if capitals {
		digits = []rune("零壹贰叁肆伍陆柒捌玖")
	}
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(digits[c-'0'])
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// answerQuestion answers a recruiter's question from the candidate's record,
// so conversations driven by a brain read plausibly.
func answerQuestion(r *rand.Rand, c *candidate, text string) string {
	card := c.item.GeekCard
	switch {
	case strings.Contains(text, "薪资") || strings.Contains(text, "期望") || strings.Contains(text, "工资"):
		return fmt.Sprintf("我的期望薪资是%s，可以谈", card.Salary)
	case strings.Contains(text, "在职") || strings.Contains(text, "离职") || strings.Contains(text, "到岗"):
		return fmt.Sprintf("我目前是%s", card.ApplyStatusDesc)
	case strings.Contains(text, "面试") || strings.Contains(text, "时间"):
		return pick(r, []string{"这周都有时间，可以安排", "工作日晚上或者周末比较方便"})
	case strings.Contains(text, "城市") || strings.Contains(text, "地点") || strings.Contains(text, "在哪"):
		return fmt.Sprintf("我在%s，希望在%s工作", card.ExpectLocationName, card.ExpectLocationName)
	case strings.Contains(text, "经验") || strings.Contains(text, "几年"):
		return fmt.Sprintf("我有%s工作经验，学历%s", card.GeekWorkYear, card.GeekDegree)
	}
	return pick(r, []string{"可以的", "好的，没问题", "嗯嗯，可以了解一下"})
}
