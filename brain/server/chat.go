package server

import (
	"regexp"
	"strings"

	"github.com/hunterbot/hunterbot/brain"
)

// Default texts, used where a job leaves a field empty.
var defaultTexts = brain.JobTexts{
	Greeting:       "您好，看了您的经历，和我们的岗位很匹配，方便聊聊吗？",
	ContactRequest: "方便加个微信或者告知联系方式，咱们细聊",
	GotContact:     "好的，我加您细聊",
	Salary:         "薪资根据经验面议，加个微信我把详细的薪资结构发您",
	Location:       "工作地点方便加微信后我发您详细地址",
	Company:        "公司情况方便加微信后给您详细介绍",
	Default:        "好的，有任何问题随时问我，方便的话留个联系方式，咱们细聊",
	Recall: []string{
		"哈喽 哈喽 不知道看到消息了么？最近是在忙？方便的话留个联系方式，咱们细聊",
		"hi 亲，您对我们感兴趣的话，方便交换个联系方式或者简历吗？",
		"哈喽 亲 看给你发消息一直没有回复，是不感兴趣？有兴趣的话随时回复我",
	},
	WechatHello:   "您好，我是在招聘平台上和您沟通的招聘顾问",
	WechatIntro:   "您好，已经加上了，岗位的详细情况我跟您介绍下，有问题随时问我",
	WechatDefault: "收到，我这边确认一下再回复您",
}

// resolveTexts fills empty fields of t from the defaults.
func resolveTexts(t brain.JobTexts) brain.JobTexts {
	d := defaultTexts
	pick := func(v, def string) string {
		if strings.TrimSpace(v) == "" {
			return def
		}
		return v
	}
	t.Greeting = pick(t.Greeting, d.Greeting)
	t.ContactRequest = pick(t.ContactRequest, d.ContactRequest)
	t.GotContact = pick(t.GotContact, d.GotContact)
	t.Salary = pick(t.Salary, d.Salary)
	t.Location = pick(t.Location, d.Location)
	t.Company = pick(t.Company, d.Company)
	t.Default = pick(t.Default, d.Default)
	t.WechatHello = pick(t.WechatHello, d.WechatHello)
	t.WechatIntro = pick(t.WechatIntro, d.WechatIntro)
	t.WechatDefault = pick(t.WechatDefault, d.WechatDefault)
	recall := make([]string, len(d.Recall))
	for i := range recall {
		recall[i] = d.Recall[i]
		if i < len(t.Recall) && strings.TrimSpace(t.Recall[i]) != "" {
			recall[i] = t.Recall[i]
		}
	}
	t.Recall = recall
	return t
}

// refusalWords mark a candidate who does not want to continue.
var refusalWords = []string{"不需要", "不考虑", "别发了", "已入职", "不感兴趣", "没兴趣", "不用了", "找到工作了", "别打扰"}

// question categories, checked in this order.
var (
	salaryQ   = regexp.MustCompile(`薪资|工资|待遇|薪水|多少钱|底薪|提成|收入|五险|社保`)
	locationQ = regexp.MustCompile(`地址|在哪|哪里|位置|地点|远程|通勤|办公`)
	companyQ  = regexp.MustCompile(`公司|哪家|单位|规模|企业`)
	// contactInText is a crude "the candidate wrote a contact" detector: a
	// mobile number, or a WeChat-looking id right after a WeChat keyword.
	contactInText = regexp.MustCompile(`(?i)(^|\D)1[3-9]\d{9}(\D|$)|(微信|vx|wx|v信|weixin|wechat)[号是:：\s]*[a-z][-_a-z0-9]{5,19}`)
)

// chatState is what the server knows about a session beyond the history.
type chatState struct {
	HasContact bool // a phone, wechat or cv was reported via /result
	Refused    bool // an earlier turn refused
}

// chatDecision is the answer plus what the server should remember.
type chatDecision struct {
	Step    string
	Content string
	Refused bool
}

// decideChat is the built-in brain's conversation policy. It answers the
// latest candidate turn, i.e. the user messages and exchange cards after the
// robot's last message; with nothing new there it returns noTalk (the robot
// had the last word and must not repeat itself). Otherwise:
//   - a stored contact or an earlier refusal -> noTalk;
//   - a refusal in the latest turn -> noTalk (remembered);
//   - a question about salary/location/company -> the job's answer;
//   - a system item (exchange card) or a contact typed in the text means the
//     contact is in progress or obtained: never ask again; acknowledge once
//     with got_contact, then noTalk;
//   - the first candidate turn -> need_contact (answers first, then the
//     contact request);
//   - any later turn -> normal_chat with the default text.
//
// A step that expects text always carries non-empty content.
func decideChat(t brain.JobTexts, hist []brain.ChatMessage, st chatState) chatDecision {
	if st.HasContact || st.Refused {
		return chatDecision{Step: brain.StepNoTalk}
	}
	lastRobot, firstUser, lastUser, lastSystem := -1, -1, -1, -1
	for i, m := range hist {
		switch m.Speaker {
		case brain.SpeakerRobot:
			lastRobot = i
		case brain.SpeakerUser:
			if firstUser < 0 {
				firstUser = i
			}
			lastUser = i
		case brain.SpeakerSystem:
			lastSystem = i
		}
	}
	if lastUser < 0 && lastSystem < 0 {
		if lastRobot < 0 {
			return chatDecision{Step: brain.StepNormalChat, Content: t.Greeting}
		}
		return chatDecision{Step: brain.StepNoTalk}
	}
	// The turn to answer: what the candidate (and the site's exchange
	// cards) said after the robot's last message. Without anything new the
	// robot already had the last word and must not repeat itself.
	var turn []string
	newSystem := false
	for _, m := range hist[lastRobot+1:] {
		switch m.Speaker {
		case brain.SpeakerUser:
			turn = append(turn, m.Msg)
		case brain.SpeakerSystem:
			newSystem = true
		}
	}
	if len(turn) == 0 && !newSystem {
		return chatDecision{Step: brain.StepNoTalk}
	}
	text := strings.Join(turn, "\n")
	for _, w := range refusalWords {
		if strings.Contains(text, w) {
			return chatDecision{Step: brain.StepNoTalk, Refused: true}
		}
	}

	var answers []string
	if salaryQ.MatchString(text) {
		answers = append(answers, t.Salary)
	}
	if locationQ.MatchString(text) {
		answers = append(answers, t.Location)
	}
	if companyQ.MatchString(text) {
		answers = append(answers, t.Company)
	}

	contactSeen := lastSystem >= 0
	for _, m := range hist {
		if m.Speaker == brain.SpeakerUser && contactInText.MatchString(m.Msg) {
			contactSeen = true
		}
	}
	if contactSeen {
		if len(answers) > 0 {
			return chatDecision{Step: brain.StepNormalChat, Content: strings.Join(answers, "\n")}
		}
		for _, m := range hist {
			if m.Speaker == brain.SpeakerRobot && strings.Contains(m.Msg, t.GotContact) {
				return chatDecision{Step: brain.StepNoTalk}
			}
		}
		return chatDecision{Step: brain.StepNormalChat, Content: t.GotContact}
	}

	firstTurn := firstUser >= 0
	for _, m := range hist[max(firstUser, 0):] {
		if m.Speaker == brain.SpeakerRobot {
			firstTurn = false
			break
		}
	}
	if firstTurn {
		return chatDecision{Step: brain.StepNeedContact, Content: strings.Join(append(answers, t.ContactRequest), "\n")}
	}
	if len(answers) > 0 {
		return chatDecision{Step: brain.StepNormalChat, Content: strings.Join(answers, "\n")}
	}
	return chatDecision{Step: brain.StepNormalChat, Content: t.Default}
}

// answerWechat replies to a WeChat message from the job texts.
func answerWechat(t brain.JobTexts, msg string) string {
	var answers []string
	if salaryQ.MatchString(msg) {
		answers = append(answers, t.Salary)
	}
	if locationQ.MatchString(msg) {
		answers = append(answers, t.Location)
	}
	if companyQ.MatchString(msg) {
		answers = append(answers, t.Company)
	}
	if len(answers) == 0 {
		return t.WechatDefault
	}
	return strings.Join(answers, "\n")
}
