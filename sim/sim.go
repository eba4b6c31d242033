// Package sim is a deterministic, in-process fake of the BOSS直聘 recruiter
// web app, served over real HTTP, that a real headless Chromium can log into
// and operate. It reproduces the URLs, DOM, XHR shapes and behaviours of
// spec/recruiter-site.md, drives candidates by persona on a clock.Clock, and
// records the ground truth of everything that happened (GET /__sim/truth).
//
// All state sits behind one mutex. Candidate behaviour is event-driven:
// pending candidate actions wait in a time-ordered queue and are applied
// lazily, in order, whenever the sim handles a request or a control call, so
// the same seed, the same actions and the same clock give the same truth.
package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// Errors of the control API and Go methods.
var (
	ErrUnknownAccount   = errors.New("sim: unknown account")
	ErrUnknownCandidate = errors.New("sim: unknown candidate")
	ErrNotAdvancer      = errors.New("sim: the clock cannot be advanced")
	ErrNoQR             = errors.New("sim: no pending QR code to scan")
	ErrBadRiskKind      = errors.New("sim: risk kind must be slider, captcha or rate")
)

// Risk kinds.
const (
	RiskSlider  = "slider"  // pages redirect to /web/user/safe/verify-slider, XHRs code 37
	RiskCaptcha = "captcha" // pages show the #nc_mask captcha overlay, XHRs code 37
	RiskRate    = "rate"    // XHRs code 9 (操作过于频繁), pages show the overlay
)

// Sim is one simulated site. Create it with New; serve Handler.
type Sim struct {
	mu     sync.Mutex
	sc     *Scenario
	clk    clock.Clock
	seed   int64
	log    zerolog.Logger
	accts  []*account
	byID   map[string]*account
	byUser map[string]*account
	cands  map[int64]*candidate
	byEnc  map[string]*candidate

	sessions map[string]*session
	qrs      map[string]*qrCode
	qrSeq    int

	queue   eventQueue
	seq     uint64
	nextMID int64
}

type account struct {
	cfg      *Account
	jobCands map[int64][]*candidate
	convs    map[int64]*conversation

	greetDay    string
	greetsToday int
	lastGreet   time.Time
	lastMsg     time.Time
	actions     []time.Time // accepted actions within the last hour

	risk  string // active risk kind, "" when none
	truth AccountTruth
}

type session struct {
	token   string
	acct    *account
	expires time.Time
	notice  bool // the 治理公告 popup is still to be shown
}

type qrCode struct {
	uuid    string
	created time.Time
	scanned *account
	used    bool
}

// exKinds are the toolbar exchange kinds in display order.
var exKinds = []string{"resume", "phone", "wechat"}

type conversation struct {
	cand      *candidate
	acct      *account
	msgs      []*Message
	greeting  map[int64]bool // mids of the site's greeting texts
	byCand    bool           // the candidate opened it (新招呼)
	exchange  map[string]*ExchangeState
	exReq     map[string]int // kind -> index into truth.ExchangeRequests
	unanswer  []string       // recruiter texts since the candidate last wrote
	recruiter int            // recruiter messages in total
	replies   int            // candidate replies in total
	pending   bool           // a reply event is queued
	optedOut  bool
	human     bool
	silent    bool
	asked     bool
	lastCand  time.Time
	sinceCand map[string]time.Time // recruiter text -> last sent, since the candidate's last message
	resumeID  string
}

type evKind int

const (
	evReply evKind = iota
	evExchange
)

type event struct {
	at   time.Time
	seq  uint64
	kind evKind
	conv *conversation
	ex   string
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// New builds a sim from a validated scenario. seed makes candidates and
// their behaviour reproducible.
func New(sc *Scenario, clk clock.Clock, seed int64, log zerolog.Logger) (*Sim, error) {
	if sc == nil {
		return nil, errors.New("sim: nil scenario")
	}
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("sim: scenario: %w", err)
	}
	if clk == nil {
		return nil, errors.New("sim: nil clock")
	}
	s := &Sim{
		sc: sc, clk: clk, seed: seed, log: log,
		byID: map[string]*account{}, byUser: map[string]*account{},
		cands: map[int64]*candidate{}, byEnc: map[string]*candidate{},
		sessions: map[string]*session{}, qrs: map[string]*qrCode{},
		nextMID: 100000000,
	}
	// Generation reads the scenario's start, not the clock, so a scaled
	// clock's first tick cannot change the candidates.
	now := sc.Start
	personas := sortedPersonas(sc.Personas)
	for i := range sc.Accounts {
		cfg := &sc.Accounts[i]
		a := &account{cfg: cfg, jobCands: map[int64][]*candidate{}, convs: map[int64]*conversation{}}
		a.truth = AccountTruth{ID: cfg.ID, UID: cfg.UID}
		s.accts = append(s.accts, a)
		s.byID[cfg.ID] = a
		s.byUser[cfg.Username] = a
		for j := range cfg.Jobs {
			job := &cfg.Jobs[j]
			for k, ex := range cfg.Candidates {
				if ex.Job == job.ID {
					s.addCandidate(a, newCandidate(seed, a, job, k, &cfg.Candidates[k], personas, now))
				}
			}
			for k := 0; k < job.Candidates; k++ {
				s.addCandidate(a, newCandidate(seed, a, job, k, nil, personas, now))
			}
		}
	}
	return s, nil
}

func (s *Sim) addCandidate(a *account, c *candidate) {
	for s.cands[c.id] != nil || c.id == a.cfg.UID { // resolve rare id collisions deterministically
		c.id++
	}
	c.item.GeekCard.GeekID = c.id
	s.cands[c.id] = c
	s.byEnc[c.encrypt] = c
	a.jobCands[c.job.ID] = append(a.jobCands[c.job.ID], c)
	a.truth.Candidates = append(a.truth.Candidates, CandidateTruth{
		ID: c.id, Name: c.name, JobID: c.job.ID, Persona: c.persona, WeChat: c.wechat, Phone: c.phone,
		Disclose: c.disclose, How: c.how, Explicit: c.explicit,
	})
}

// Scenario returns the scenario the sim runs (do not modify it).
func (s *Sim) Scenario() *Scenario { return s.sc }

// Clock returns the sim's clock.
func (s *Sim) Clock() clock.Clock { return s.clk }

// now returns the clock's time and applies every due candidate event.
// Callers hold s.mu.
func (s *Sim) now() time.Time {
	t := s.clk.Now()
	for s.queue.Len() > 0 && !s.queue[0].at.After(t) {
		e := heap.Pop(&s.queue).(*event)
		switch e.kind {
		case evReply:
			s.candidateReply(e.conv, e.at)
		case evExchange:
			s.candidateExchange(e.conv, e.ex, e.at)
		}
	}
	return t
}

func (s *Sim) schedule(at time.Time, kind evKind, conv *conversation, ex string) {
	s.seq++
	heap.Push(&s.queue, &event{at: at, seq: s.seq, kind: kind, conv: conv, ex: ex})
}

// replyDelay draws a candidate's reply delay.
func (s *Sim) replyDelay(c *candidate) time.Duration {
	b := s.sc.Behaviour
	span := b.ReplyDelayMax - b.ReplyDelayMin
	d := b.ReplyDelayMin
	if span > 0 {
		d += time.Duration(c.rng.Int64N(int64(span) + 1))
	}
	return d.Truncate(time.Second)
}

// Truth returns a deep copy of the ground truth.
func (s *Sim) Truth() Truth {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := Truth{Now: s.now(), Seed: s.seed, Accounts: map[string]AccountTruth{}}
	for _, a := range s.accts {
		at := a.truth
		at.Greetings = cloneSlice(at.Greetings)
		at.DuplicateGreetings = cloneSlice(at.DuplicateGreetings)
		at.QuotaBlocked = cloneSlice(at.QuotaBlocked)
		at.Messages = cloneSlice(at.Messages)
		at.DuplicateMessages = cloneSlice(at.DuplicateMessages)
		at.ExchangeRequests = cloneSlice(at.ExchangeRequests)
		at.Disclosures = cloneSlice(at.Disclosures)
		at.MessagesAfterOptOut = cloneSlice(at.MessagesAfterOptOut)
		at.MessagesAfterHuman = cloneSlice(at.MessagesAfterHuman)
		at.RiskEvents = cloneSlice(at.RiskEvents)
		at.Candidates = cloneSlice(at.Candidates)
		t.Accounts[a.cfg.ID] = at
	}
	return t
}

// Advance moves the sim clock forward when it is a clock.Advancer and
// applies the candidate events that became due.
func (s *Sim) Advance(d time.Duration) error {
	adv, ok := s.clk.(clock.Advancer)
	if !ok {
		return ErrNotAdvancer
	}
	if d < 0 {
		return errors.New("sim: negative duration")
	}
	adv.Advance(d)
	s.mu.Lock()
	s.now()
	s.mu.Unlock()
	return nil
}

func (s *Sim) account(id string) (*account, error) {
	a := s.byID[id]
	if a == nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAccount, id)
	}
	return a, nil
}

func (s *Sim) candidateOf(a *account, id int64) (*candidate, error) {
	c := s.cands[id]
	if c == nil || c.account != a {
		return nil, fmt.Errorf("%w: %d", ErrUnknownCandidate, id)
	}
	return c, nil
}

// ForceRisk raises a risk check of kind (slider, captcha, rate) on account.
func (s *Sim) ForceRisk(accountID, kind string) error {
	if kind == "" {
		kind = RiskSlider
	}
	if kind != RiskSlider && kind != RiskCaptcha && kind != RiskRate {
		return ErrBadRiskKind
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	s.raiseRisk(a, kind, "control", s.now())
	return nil
}

// ClearRisk ends the account's active risk check ("solved by a human").
func (s *Sim) ClearRisk(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	now := s.now()
	if a.risk != "" {
		a.truth.RiskEvents[len(a.truth.RiskEvents)-1].ClearedAt = now
		a.risk = ""
		a.actions = nil
		s.log.Info().Str("account", a.cfg.ID).Msg("sim: risk cleared")
	}
	return nil
}

func (s *Sim) raiseRisk(a *account, kind, reason string, now time.Time) {
	if a.risk != "" {
		return
	}
	a.truth.RiskEvents = append(a.truth.RiskEvents, RiskEvent{Time: now, Kind: kind, Reason: reason})
	a.risk = kind
	s.log.Warn().Str("account", a.cfg.ID).Str("kind", kind).Str("reason", reason).Msg("sim: risk raised")
}

// riskKind returns the active risk kind or "".
func (a *account) riskKind() string { return a.risk }

// ExpireSession logs every session of the account out.
func (s *Sim) ExpireSession(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	for tok, ss := range s.sessions {
		if ss.acct == a {
			delete(s.sessions, tok)
		}
	}
	return nil
}

// Inject makes the candidate write text in its conversation with the
// account, opening the conversation (新招呼) when there is none.
func (s *Sim) Inject(accountID string, candidateID int64, text string) error {
	if text == "" {
		return errors.New("sim: text is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	c, err := s.candidateOf(a, candidateID)
	if err != nil {
		return err
	}
	now := s.now()
	conv := a.convs[c.id]
	if conv == nil {
		conv = s.newConversation(a, c)
		conv.byCand = true
	}
	s.candidateText(conv, text, now)
	return nil
}

// HumanMessage records a message the human recruiter typed in the
// conversation (not through the bot). The candidate reacts to it like to any
// recruiter message.
func (s *Sim) HumanMessage(accountID string, candidateID int64, text string) error {
	if text == "" {
		return errors.New("sim: text is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	c, err := s.candidateOf(a, candidateID)
	if err != nil {
		return err
	}
	now := s.now()
	conv := a.convs[c.id]
	if conv == nil {
		conv = s.newConversation(a, c)
	}
	s.recruiterText(conv, text, ByHuman, KindText, now)
	conv.human = true
	return nil
}

// ScanQR "scans" the newest pending, unexpired QR code with the account's
// phone; the login page polling that code then logs in.
func (s *Sim) ScanQR(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	now := s.now()
	var best *qrCode
	for _, q := range s.qrs {
		if q.scanned == nil && !q.used && now.Sub(q.created) < qrLifetime {
			if best == nil || q.created.After(best.created) || (q.created.Equal(best.created) && q.uuid > best.uuid) {
				best = q
			}
		}
	}
	if best == nil {
		return ErrNoQR
	}
	best.scanned = a
	return nil
}

// qrLifetime is how long a login QR code stays valid (sim time).
const qrLifetime = 2 * time.Minute

// newConversation opens a conversation between a and c.
func (s *Sim) newConversation(a *account, c *candidate) *conversation {
	conv := &conversation{cand: c, acct: a, greeting: map[int64]bool{},
		exchange: map[string]*ExchangeState{}, exReq: map[string]int{}}
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
		conv.unanswer = append(conv.unanswer, "\x00greeting")
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
	for _, m := range conv.msgs {
		if m.From.UID == uid && m.Status == 1 {
			m.Status = 2
		}
	}
}

func (s *Sim) disclose(conv *conversation, typ, value, how, text string, at time.Time) {
	a := conv.acct
	a.truth.Disclosures = append(a.truth.Disclosures, Disclosure{CandidateID: conv.cand.id, Type: typ, Value: value, Time: at, How: how, Text: text})
}

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
		if t == "\x00greeting" {
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
		default:
			value := c.wechat
			if kind == DisclosurePhone {
				value = c.phone
			}
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

func riskCode(kind string) (int, string) {
	if kind == RiskRate {
		return 9, "操作过于频繁，请稍后再试"
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
		return res, 1, "今日沟通已达上限"
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
