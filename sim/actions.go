package sim

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// Recruiter actions (greet, send, exchange) and the pacing rules that guard
// them.

// checkAction applies the pacing rules to a recruiter action at now. It
// returns the API code to answer with (0 = allowed). An allowed action is
// counted.
func (s *Sim) checkAction(a *account, greet bool, now time.Time) (int, string) {
	if k := a.riskKind(); k != "" {
		return riskCode(k)
	}
	p := s.sc.Pacing
	reason := ""
	kind := RiskSlider
	switch {
	case greet && p.MinGreetInterval > 0 && !a.lastGreet.IsZero() && now.Sub(a.lastGreet) < p.MinGreetInterval:
		reason = "greet_interval"
	case !greet && p.MinMessageInterval > 0 && !a.lastMsg.IsZero() && now.Sub(a.lastMsg) < p.MinMessageInterval:
		reason = "message_interval"
	}
	// Actions are recorded in time order: drop those older than an hour
	// from the front, count the last minute from the back.
	i := 0
	for i < len(a.actions) && now.Sub(a.actions[i]) >= time.Hour {
		i++
	}
	a.actions = a.actions[i:]
	perMin := 0
	for j := len(a.actions) - 1; p.MaxActionsPerMinute > 0 && j >= 0 && now.Sub(a.actions[j]) < time.Minute && perMin < p.MaxActionsPerMinute; j-- {
		perMin++
	}
	if reason == "" && p.MaxActionsPerMinute > 0 && perMin >= p.MaxActionsPerMinute {
		reason, kind = "per_minute", RiskRate
	}
	if reason == "" && p.MaxActionsPerHour > 0 && len(a.actions) >= p.MaxActionsPerHour {
		reason, kind = "per_hour", RiskRate
	}
	if reason != "" {
		s.raiseRisk(a, kind, reason, now)
		return riskCode(kind)
	}
	if p.MaxActionsPerMinute > 0 || p.MaxActionsPerHour > 0 {
		a.actions = append(a.actions, now)
	}
	if greet {
		a.lastGreet = now
	} else {
		a.lastMsg = now
	}
	return 0, ""
}

// quotaCode answers a greet refused by the daily quota.
const quotaCode = 1

func riskCode(kind string) (int, string) {
	switch kind {
	case RiskRate:
		return 9, "操作过于频繁，请稍后再试"
	case RiskAccount:
		return 36, "账号异常，请完成身份验证"
	}
	return 37, "您的环境存在异常，请完成安全验证"
}

// greet performs a greet on candidate c for job (the recommend list's
// 打招呼). It returns the API code and message.
func (s *Sim) greet(a *account, c *candidate, now time.Time) (GreetResult, int, string) {
	res := GreetResult{GeekID: c.id, SecurityID: c.securityID}
	g := Greeting{CandidateID: c.id, Name: c.name, JobID: c.job.ID, Time: now}
	if k := a.riskKind(); k != "" {
		code, msg := riskCode(k)
		return res, code, msg
	}
	if conv := a.convs[c.id]; conv != nil && conv.recruiter > 0 {
		a.truth.DuplicateGreetings = append(a.truth.DuplicateGreetings, g)
		res.Status = 2
		return res, 0, "Success"
	}
	day := now.In(clock.Shanghai).Format(time.DateOnly)
	if a.greetDay != day {
		a.greetDay, a.greetsToday = day, 0
	}
	if a.greetsToday >= a.cfg.DailyQuota {
		a.truth.QuotaBlocked = append(a.truth.QuotaBlocked, g)
		return res, quotaCode, "今日沟通已达上限"
	}
	if code, msg := s.checkAction(a, true, now); code != 0 {
		return res, code, msg
	}
	a.greetsToday++
	a.truth.Greetings = append(a.truth.Greetings, g)
	conv := a.convs[c.id]
	if conv == nil {
		conv = s.newConversation(a, c)
	}
	s.recruiterText(conv, a.cfg.Greeting, ByBot, KindGreeting, now)
	res.Status = 1
	return res, 0, "Success"
}

// send stores a recruiter text typed through the chat page.
func (s *Sim) send(a *account, conv *conversation, text string, now time.Time) (*Message, int, string) {
	if code, msg := s.checkAction(a, false, now); code != 0 {
		return nil, code, msg
	}
	return s.recruiterText(conv, text, ByBot, KindText, now), 0, "Success"
}

// requestExchange handles a toolbar request of kind.
func (s *Sim) requestExchange(a *account, conv *conversation, kind string, now time.Time) (int, string) {
	st := conv.exchange[kind]
	if st.State == ExRequested || st.State == ExAccepted {
		return 0, "Success" // the button is disabled; nothing new happens
	}
	if code, msg := s.checkAction(a, false, now); code != 0 {
		return code, msg
	}
	text := requestTexts[kind]
	m := s.appendMsg(conv, true, MsgTypeSystem, MsgBody{Type: BodyDialog, Text: text, Dialog: &Dialog{Kind: kind}}, now)
	st.State = ExRequested
	a.truth.ExchangeRequests = append(a.truth.ExchangeRequests, ExchangeRequest{CandidateID: conv.cand.id, Kind: kind, Time: now, Outcome: OutcomePending})
	conv.exReq[kind] = len(a.truth.ExchangeRequests) - 1
	s.afterRecruiter(conv, RecruiterMessage{CandidateID: conv.cand.id, Text: text, Time: now, By: ByBot, Kind: KindExchange, MID: m.MID}, ByBot)
	conv.recruiter++
	s.schedule(now.Add(s.replyDelay(conv.cand)), evExchange, conv, kind)
	return 0, "Success"
}

// answerCard handles the recruiter's 同意 / 拒绝 on a candidate's card.
func (s *Sim) answerCard(conv *conversation, mid int64, agree bool, now time.Time) error {
	var card *Message
	for _, m := range conv.msgs {
		if m.MID == mid && m.Body.Dialog != nil && m.From.UID == conv.cand.id {
			card = m
		}
	}
	if card == nil {
		return errors.New("no such card")
	}
	if card.Body.Dialog.Operated != 0 {
		return nil
	}
	if !agree {
		card.Body.Dialog.Operated = 2
		return nil
	}
	card.Body.Dialog.Operated = 1
	kind := card.Body.Dialog.Kind
	c := conv.cand
	switch kind {
	case "resume":
		s.sendResume(conv, now)
	case "wechat":
		conv.exchange[kind].State, conv.exchange[kind].Value = ExAccepted, c.wechat
		text := fmt.Sprintf("%s的微信号：%s", c.name, c.wechat)
		s.candidateSystem(conv, text, now)
		s.disclose(conv, DisclosureWeChat, c.wechat, HowExchange, text, now)
	case "phone":
		conv.exchange[kind].State, conv.exchange[kind].Value = ExAccepted, c.phone
		text := fmt.Sprintf("%s的手机号：<phone>%s</phone>", c.name, c.phone)
		s.candidateSystem(conv, text, now)
		s.disclose(conv, DisclosurePhone, c.phone, HowExchange, text, now)
	}
	return nil
}

// sortedConvs returns the account's conversations, newest activity first.
func sortedConvs(a *account) []*conversation {
	out := make([]*conversation, 0, len(a.convs))
	for _, c := range a.convs {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		li, lj := lastMID(out[i]), lastMID(out[j])
		if li != lj {
			return li > lj
		}
		return out[i].cand.id < out[j].cand.id
	})
	return out
}

func lastMID(c *conversation) int64 {
	if len(c.msgs) == 0 {
		return 0
	}
	return c.msgs[len(c.msgs)-1].MID
}
