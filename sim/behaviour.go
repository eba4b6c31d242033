package sim

import (
	"fmt"
	"time"
)

// Candidate behaviour: the queued events a persona acts on.

// candidateReply is the reply event: the candidate reads the recruiter's
// unanswered messages and answers by persona.
func (s *Sim) candidateReply(conv *conversation, at time.Time) {
	conv.pending = false
	c := conv.cand
	unanswered := conv.unanswer
	if len(unanswered) == 0 {
		return
	}
	s.markRead(conv, true)
	if conv.optedOut || conv.silent {
		conv.unanswer = nil
		return
	}
	best := intentChat
	var bestText string
	for _, t := range unanswered {
		in := classify(t)
		if t == greetingMarker {
			in = intentGreeting
		}
		if in >= best {
			best, bestText = in, t
		}
	}
	persona := c.persona
	switch persona {
	case PersonaSilent:
		conv.unanswer = nil
		return
	case PersonaSlow:
		if conv.recruiter < s.sc.Behaviour.SlowAfter {
			return // keeps the messages unanswered; a later one may unlock a reply
		}
		persona = PersonaEager
	case PersonaOptOut:
		s.candidateText(conv, OptOutText, at)
		conv.optedOut = true
		s.setOptedOut(conv)
		return
	case PersonaGhost:
		s.candidateText(conv, pick(c.rng, greetReplies), at)
		conv.silent = true
		return
	case PersonaAsker:
		if !conv.asked {
			conv.asked = true
			s.candidateText(conv, pick(c.rng, questions), at)
			return
		}
		persona = PersonaEager
	}
	switch best {
	case intentContact, intentResume:
		if persona == PersonaRefuser {
			s.candidateText(conv, pick(c.rng, refusals), at)
			return
		}
		kind := c.disclose
		if best == intentResume {
			kind = DisclosureCV
		} else if wantsPhone(bestText) && kind == DisclosureWeChat {
			kind = DisclosurePhone
		}
		switch {
		case persona == PersonaCVSender || kind == DisclosureCV:
			s.candidateText(conv, "好的，我发一份简历给您", at)
			s.offerCard(conv, "resume", at)
		case persona == PersonaExchanger:
			s.candidateText(conv, "好的，交换一下吧", at)
			s.offerCard(conv, kind, at)
		case conv.gave[kind]:
			s.candidateText(conv, "上面已经发过了哦", at) // no second disclosure
		default:
			value := c.wechat
			if kind == DisclosurePhone {
				value = c.phone
			}
			conv.gave[kind] = true
			text := contactText(c.rng, kind, value, c.how == HowTextObfuscated)
			s.candidateText(conv, text, at)
			s.disclose(conv, kind, value, c.how, text, at)
		}
	case intentGreeting:
		s.candidateText(conv, pick(c.rng, greetReplies), at)
	case intentQuestion:
		if persona == PersonaRefuser && c.rng.IntN(2) == 0 {
			s.candidateText(conv, pick(c.rng, chatReplies), at)
			return
		}
		s.candidateText(conv, answerQuestion(c.rng, c, bestText), at)
	default:
		if persona == PersonaRefuser || c.rng.IntN(3) > 0 {
			s.candidateText(conv, pick(c.rng, chatReplies), at)
		} else {
			s.candidateText(conv, pick(c.rng, questions), at)
		}
	}
}

func (s *Sim) setOptedOut(conv *conversation) {
	ts := conv.acct.truth.Candidates
	for i := range ts {
		if ts[i].ID == conv.cand.id {
			ts[i].OptedOut = true
		}
	}
}

var cardTexts = map[string]string{
	"wechat": "我想要和您交换微信，您是否同意",
	"phone":  "我想要和您交换联系方式，您是否同意",
	"resume": "对方想发送附件简历给您，您是否同意",
}

// offerCard makes the candidate send an interactive card the recruiter
// answers with 同意 / 拒绝.
func (s *Sim) offerCard(conv *conversation, kind string, at time.Time) {
	s.appendMsg(conv, false, MsgTypeChat, MsgBody{Type: BodyDialog, Text: cardTexts[kind], Dialog: &Dialog{Kind: kind}}, at)
}

// requestTexts are the recruiter-side notices of toolbar requests.
var requestTexts = map[string]string{
	"wechat": "我想要和您交换微信，您是否同意",
	"phone":  "我想要和您交换联系方式，您是否同意",
	"resume": "方便发一份简历过来吗？",
}

// candidateExchange answers a toolbar exchange request by persona.
func (s *Sim) candidateExchange(conv *conversation, kind string, at time.Time) {
	c := conv.cand
	st := conv.exchange[kind]
	if st.State != ExRequested {
		return
	}
	var accept bool
	switch c.persona {
	case PersonaSilent, PersonaOptOut:
		return // ignored: stays pending
	case PersonaGhost:
		if conv.silent {
			return
		}
		accept = true
	case PersonaRefuser:
		accept = false
	case PersonaPhoneOnly:
		accept = kind != "wechat"
	case PersonaCVSender:
		accept = kind != "phone"
	default:
		accept = true
	}
	if conv.optedOut {
		return
	}
	s.markRead(conv, true)
	s.answerExchange(conv, kind, accept, at)
}

// answerExchange applies an accepted or refused exchange of kind.
func (s *Sim) answerExchange(conv *conversation, kind string, accept bool, at time.Time) {
	c := conv.cand
	st := conv.exchange[kind]
	a := conv.acct
	if i, ok := conv.exReq[kind]; ok && a.truth.ExchangeRequests[i].Outcome == OutcomePending {
		a.truth.ExchangeRequests[i].AnsweredAt = at
		a.truth.ExchangeRequests[i].Outcome = map[bool]string{true: OutcomeAccepted, false: OutcomeRefused}[accept]
	}
	if !accept {
		st.State = ExRefused
		s.candidateSystem(conv, map[string]string{
			"wechat": "对方拒绝了您的交换微信请求",
			"phone":  "对方拒绝了您的交换联系方式请求",
			"resume": "对方拒绝了您的附件简历请求",
		}[kind], at)
		return
	}
	st.State = ExAccepted
	switch kind {
	case "wechat":
		st.Value = c.wechat
		s.candidateSystem(conv, "接受与您交换微信", at)
		text := fmt.Sprintf("%s的微信号：%s", c.name, c.wechat)
		s.candidateSystem(conv, text, at)
		s.disclose(conv, DisclosureWeChat, c.wechat, HowExchange, text, at)
	case "phone":
		st.Value = c.phone
		s.candidateSystem(conv, "接受与您交换联系方式", at)
		text := fmt.Sprintf("%s的手机号：<phone>%s</phone>", c.name, c.phone)
		s.candidateSystem(conv, text, at)
		s.disclose(conv, DisclosurePhone, c.phone, HowExchange, text, at)
	case "resume":
		s.sendResume(conv, at)
	}
}

// sendResume makes the candidate send the attachment résumé.
func (s *Sim) sendResume(conv *conversation, at time.Time) {
	c := conv.cand
	st := conv.exchange["resume"]
	st.State = ExAccepted
	file := fmt.Sprintf("%s的简历.pdf", c.name)
	conv.resumeID = opaque(s.seed, 16, "resume", fmt.Sprint(c.id))
	url := fmt.Sprintf("/wapi/zpchat/resume/download?gid=%d&id=%s", c.id, conv.resumeID)
	st.Value = url
	s.appendMsg(conv, false, MsgTypeChat, MsgBody{Type: BodyHyperlink, Text: file, URL: url}, at)
	s.candidateSystem(conv, "您可至邮箱中查看和下载", at)
	s.disclose(conv, DisclosureCV, file, HowAttachment, "", at)
}
