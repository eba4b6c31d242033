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
	ErrBadRiskKind      = errors.New("sim: risk kind must be slider, captcha, rate or account")
)

// Risk kinds.
const (
	RiskSlider  = "slider"  // pages redirect to /web/user/safe/verify-slider, XHRs code 37
	RiskCaptcha = "captcha" // pages show the #nc_mask captcha overlay, XHRs code 37
	RiskRate    = "rate"    // XHRs code 9 (操作过于频繁), pages show the overlay
	RiskAccount = "account" // pages and XHRs 302 to /web/passport/zp/verify.html (账号异常, code 36 on its status)
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
	imgs    imageStore // image.go

	pushOnce sync.Once
	pushes   *pushHub // push.go
}

type account struct {
	cfg      *Account
	jobCands map[int64][]*candidate
	convs    map[int64]*conversation
	dropped  map[int64]bool // candidates marked 不合适 (left out of the list)

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
	tip     bool // the 意向沟通 tip is still to be shown
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
	gave      map[string]bool // contact kinds already written in text
}

// greetingMarker stands for the site's greeting among unanswered texts, so
// it is read as a greeting whatever its words.
const greetingMarker = "\x00greeting"

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
		a := &account{cfg: cfg, jobCands: map[int64][]*candidate{}, convs: map[int64]*conversation{}, dropped: map[int64]bool{}}
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
	s.kickPump()
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
		at.NotInterested = cloneSlice(at.NotInterested)
		at.Messages = cloneSlice(at.Messages)
		at.DuplicateMessages = cloneSlice(at.DuplicateMessages)
		at.ExchangeRequests = cloneSlice(at.ExchangeRequests)
		at.Disclosures = cloneSlice(at.Disclosures)
		at.MessagesAfterOptOut = cloneSlice(at.MessagesAfterOptOut)
		at.MessagesAfterHuman = cloneSlice(at.MessagesAfterHuman)
		at.RiskEvents = cloneSlice(at.RiskEvents)
		at.Images, at.DuplicateImages = cloneSlice(at.Images), cloneSlice(at.DuplicateImages)
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
