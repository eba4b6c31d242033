package sim

import (
	"time"
)

// Conversation bookkeeping shared by the recruiter actions and the
// candidate behaviours.

// newConversation opens a conversation between a and c.
func (s *Sim) newConversation(a *account, c *candidate) *conversation {
	conv := &conversation{cand: c, acct: a, greeting: map[int64]bool{},
		exchange: map[string]*ExchangeState{}, exReq: map[string]int{}, gave: map[string]bool{}}
	for _, k := range exKinds {
		conv.exchange[k] = &ExchangeState{}
	}
	a.convs[c.id] = conv
	return conv
}

func (s *Sim) recruiterParty(a *account) Party {
	return Party{UID: a.cfg.UID, Name: a.cfg.Name}
}

func candParty(c *candidate) Party { return Party{UID: c.id, Name: c.name} }

// appendMsg stores a message with the next mid.
func (s *Sim) appendMsg(conv *conversation, fromRecruiter bool, typ int, body MsgBody, at time.Time) *Message {
	s.nextMID++
	m := &Message{MID: s.nextMID, Time: at.UnixMilli(), Type: typ, Body: body, Status: 1}
	if fromRecruiter {
		m.From, m.To = s.recruiterParty(conv.acct), candParty(conv.cand)
	} else {
		m.From, m.To = candParty(conv.cand), s.recruiterParty(conv.acct)
	}
	if !fromRecruiter {
		conv.sinceCand = nil
	}
	conv.msgs = append(conv.msgs, m)
	s.pushMessage(conv, m)
	return m
}

// recruiterText stores a recruiter-side text, updates the truth and lets
// the candidate react.
func (s *Sim) recruiterText(conv *conversation, text, by, kind string, now time.Time) *Message {
	m := s.appendMsg(conv, true, MsgTypeChat, MsgBody{Type: BodyText, Text: text}, now)
	if kind == KindGreeting {
		conv.greeting[m.MID] = true
	}
	a := conv.acct
	rm := RecruiterMessage{CandidateID: conv.cand.id, Text: text, Time: now, By: by, Kind: kind, MID: m.MID}
	// A duplicate is the same text to the same candidate with no candidate
	// message in between, less than one sim hour after the previous one.
	if prev, ok := conv.sinceCand[text]; ok && now.Sub(prev) < time.Hour {
		a.truth.DuplicateMessages = append(a.truth.DuplicateMessages, rm)
	}
	if conv.sinceCand == nil {
		conv.sinceCand = map[string]time.Time{}
	}
	conv.sinceCand[text] = now
	a.truth.Messages = append(a.truth.Messages, rm)
	s.afterRecruiter(conv, rm, by)
	if kind == KindGreeting {
		conv.unanswer = append(conv.unanswer, greetingMarker)
	} else {
		conv.unanswer = append(conv.unanswer, text)
	}
	conv.recruiter++
	if !conv.pending {
		conv.pending = true
		s.schedule(now.Add(s.replyDelay(conv.cand)), evReply, conv, "")
	}
	return m
}

// afterRecruiter records bot actions after an opt-out or a human message.
func (s *Sim) afterRecruiter(conv *conversation, rm RecruiterMessage, by string) {
	if by != ByBot {
		return
	}
	a := conv.acct
	if conv.optedOut {
		a.truth.MessagesAfterOptOut = append(a.truth.MessagesAfterOptOut, rm)
	}
	if conv.human {
		a.truth.MessagesAfterHuman = append(a.truth.MessagesAfterHuman, rm)
	}
}

// candidateText stores a candidate text and marks the recruiter's messages
// read.
func (s *Sim) candidateText(conv *conversation, text string, at time.Time) *Message {
	s.markRead(conv, true)
	m := s.appendMsg(conv, false, MsgTypeChat, MsgBody{Type: BodyText, Text: text}, at)
	conv.lastCand = at
	conv.replies++
	conv.unanswer = nil
	return m
}

// candidateSystem stores a system notice caused by the candidate.
func (s *Sim) candidateSystem(conv *conversation, text string, at time.Time) *Message {
	return s.appendMsg(conv, false, MsgTypeSystem, MsgBody{Type: BodyText, Text: text}, at)
}

// markRead marks one side's messages read: the recruiter's (the candidate
// read them) when recruiterMsgs, else the candidate's.
func (s *Sim) markRead(conv *conversation, recruiterMsgs bool) {
	uid := conv.cand.id
	if recruiterMsgs {
		uid = conv.acct.cfg.UID
	}
	var last *Message
	for _, m := range conv.msgs {
		if m.From.UID == uid && m.Status == 1 {
			m.Status = 2
			last = m
		}
	}
	if recruiterMsgs && last != nil {
		s.pushRead(conv, last.MID, s.clk.Now())
	}
}

func (s *Sim) disclose(conv *conversation, typ, value, how, text string, at time.Time) {
	a := conv.acct
	a.truth.Disclosures = append(a.truth.Disclosures, Disclosure{CandidateID: conv.cand.id, Type: typ, Value: value, Time: at, How: how, Text: text})
}
