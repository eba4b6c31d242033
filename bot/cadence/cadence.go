package cadence

import (
	"fmt"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// DefaultReplyWait is the seed's wait-for-reply window after first contact.
const DefaultReplyWait = 30 * time.Second

// Occurrence is one follow-up sent: the N-th send of a script. Numbered-day
// scripts only ever have N = 1; day-0 scripts count up as they repeat.
type Occurrence struct {
	ConfigID uint64    `json:"config_id"`
	ScriptID uint64    `json:"script_id"`
	N        int       `json:"n"`
	At       time.Time `json:"at"`
}

// State is one conversation's cadence state, owned and persisted by the
// caller (it is plain data with JSON tags).
type State struct {
	// FirstContactAt is T0: when the bot's first contact (the greeting,
	// possibly several messages) was sent. Zero means no contact yet, so
	// no follow-ups.
	FirstContactAt time.Time `json:"first_contact_at"`
	// LastSentAt is the last message we sent to the candidate, whatever
	// its source (cadence, chat reply, manual send).
	LastSentAt time.Time `json:"last_sent_at"`
	// Replied is set on a real candidate reply: the cadence is over.
	Replied bool `json:"replied"`
	// Stopped is set on opt-out, human takeover or a finished
	// conversation: nothing more is sent.
	Stopped bool `json:"stopped"`
	// Sent lists the follow-ups already sent (see Record).
	Sent []Occurrence `json:"sent,omitempty"`
}

// Window is the account's send window.
type Window struct {
	// QuietStart and QuietEnd ("22:00", "08:00", account local time)
	// bound the quiet hours; the window may cross midnight. Both empty
	// (or equal) means no quiet hours.
	QuietStart string
	QuietEnd   string
	// Loc is the account timezone; nil means Asia/Shanghai.
	Loc *time.Location
	// DailyCap is the account's follow-up cap per local day; 0 means none.
	DailyCap int
	// ReplyWait is the wait-for-reply window after first contact; 0 means
	// DefaultReplyWait.
	ReplyWait time.Duration
}

// Validate checks the window; errors name the field.
func (w Window) Validate() error {
	_, _, _, err := w.parse()
	if err == nil && w.DailyCap < 0 {
		err = fmt.Errorf("daily_cap: must be >= 0, got %d", w.DailyCap)
	}
	if err == nil && w.ReplyWait < 0 {
		err = fmt.Errorf("reply_wait: must be >= 0, got %s", w.ReplyWait)
	}
	return err
}

// parse returns the quiet window in minutes after local midnight; quiet
// is false when there are no quiet hours.
func (w Window) parse() (start, end int, quiet bool, err error) {
	if (w.QuietStart == "") != (w.QuietEnd == "") {
		return 0, 0, false, fmt.Errorf("quiet_start and quiet_end: set both or neither")
	}
	if w.QuietStart == "" {
		return 0, 0, false, nil
	}
	if start, err = parseClock(w.QuietStart); err != nil {
		return 0, 0, false, fmt.Errorf("quiet_start: %w", err)
	}
	if end, err = parseClock(w.QuietEnd); err != nil {
		return 0, 0, false, fmt.Errorf("quiet_end: %w", err)
	}
	return start, end, start != end, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (w Window) loc() *time.Location {
	if w.Loc == nil {
		return clock.Shanghai
	}
	return w.Loc
}

func (w Window) replyWait() time.Duration {
	if w.ReplyWait <= 0 {
		return DefaultReplyWait
	}
	return w.ReplyWait
}

// Step is the next follow-up to send. It has JSON tags so the caller can
// persist it as its "sending" intent before touching the site.
type Step struct {
	// Key is the step's stable identity "<script id>/<occurrence>".
	Key        string `json:"key"`
	ConfigID   uint64 `json:"config_id"`
	ScriptID   uint64 `json:"script_id"`
	DayNumber  int    `json:"day_number"` // the script's day_number (0 = forever), as records want it
	Occurrence int    `json:"occurrence"` // 1 for numbered days; 1, 2, … as a day-0 script repeats
	// CadenceDay is the cadence day (1 = T0's local date) on which the
	// step goes out: DueAt's, or now's when DueAt is overdue.
	CadenceDay int    `json:"cadence_day"`
	Content    string `json:"content"`
	// DueAt is when the step may be sent. It may be in the past (send
	// now); if it is in the future, wait until then and call Next again.
	DueAt time.Time `json:"due_at"`
}

// UID is the step's idempotency key for follow-up records:
// "followup/<account>/<candidate>/<script>/<occurrence>".
func (s Step) UID(account, candidateID string) string {
	return "followup/" + account + "/" + candidateID + "/" + s.Key
}

// RecordInput is the follow_up_record for this step sent at sentAt.
func (s Step) RecordInput(account, candidateID string, sentAt time.Time) wire.RecordInput {
	cfg, scr := s.ConfigID, s.ScriptID
	at := sentAt
	return wire.RecordInput{UID: s.UID(account, candidateID), Account: account, CandidateID: candidateID,
		ConfigID: &cfg, ScriptID: &scr, DayNumber: s.DayNumber, Content: s.Content, SentAt: &at}
}

// Record notes that step was sent at at: it joins st.Sent and moves
// st.LastSentAt forward. Recording the same occurrence twice is a no-op,
// so a retried write cannot make the cadence skip a step.
func Record(st *State, step Step, at time.Time) {
	if st.Has(step.ScriptID, step.Occurrence) {
		return
	}
	st.Sent = append(st.Sent, Occurrence{ConfigID: step.ConfigID, ScriptID: step.ScriptID, N: step.Occurrence, At: at})
	if at.After(st.LastSentAt) {
		st.LastSentAt = at
	}
}

// Has reports whether occurrence n of script id was recorded.
func (st *State) Has(scriptID uint64, n int) bool { return has(st.Sent, scriptID, n) }

func has(sent []Occurrence, scriptID uint64, n int) bool {
	for _, o := range sent {
		if o.ScriptID == scriptID && o.N == n {
			return true
		}
	}
	return false
}

// Next returns the next follow-up for a conversation in config cfg: what
// to send and when. ok is false when nothing will ever be sent from this
// state (no first contact, replied, stopped, no usable script, or every
// numbered script sent and no day-0 script); otherwise DueAt says when.
// sentToday is the number of follow-ups the account sent on now's local
// date (the caller counts them). Next is pure: the same arguments give the
// same Step. An invalid Window (see Validate) yields ok = false: sending
// nothing is safer than sending at night.
func Next(cfg Config, st State, w Window, sentToday int, now time.Time) (Step, bool) {
	if st.FirstContactAt.IsZero() || st.Replied || st.Stopped || !cfg.IsActive {
		return Step{}, false
	}
	qs, qe, quiet, err := w.parse()
	if err != nil || w.DailyCap < 0 {
		return Step{}, false
	}
	p := plan{cfgID: cfg.ID, scripts: cfg.Scripts, sent: st.Sent, loc: w.loc(), wait: w.replyWait()}
	p.prepare(st.FirstContactAt, st.LastSentAt)
	if p.next == nil && p.forever == nil {
		return Step{}, false
	}
	t := now
	for range 64 {
		sc, occ, due, ok := p.pick(t)
		if !ok {
			return Step{}, false
		}
		at := later(due, t)
		open := at
		if w.DailyCap > 0 && sentToday >= w.DailyCap && sameDate(open, now, p.loc) {
			open = midnightAfter(open, p.loc)
		}
		if quiet {
			open = quietEnd(open, qs, qe, p.loc)
		}
		if open.Equal(at) {
			if t.Equal(now) {
				// Not moved by the window: report the real due time, which
				// may be overdue; the step then goes out now.
				return p.step(sc, occ, due, at), true
			}
			return p.step(sc, occ, at, at), true
		}
		t = open
	}
	// Unreachable with a valid window (each pass moves t to an opening
	// and quiet hours never cover a whole day); be safe anyway.
	return Step{}, false
}

// plan holds the per-call view of one config and state.
type plan struct {
	cfgID   uint64
	scripts []Script
	sent    []Occurrence
	loc     *time.Location
	wait    time.Duration
	t0      time.Time
	prev    time.Time // last send of any kind, at least T0
	first   bool      // no follow-up sent yet
	next    *Script   // first unsent numbered script (day, order, id)
	forever *Script   // next day-0 script: fewest sends, then order, id
	occ     int       // forever's occurrence
	lastFor time.Time // forever's latest send, zero if never sent
}

func (p *plan) prepare(t0, lastSent time.Time) {
	p.t0 = t0
	p.prev = later(t0, lastSent)
	for _, o := range p.sent {
		p.prev = later(p.prev, o.At)
	}
	p.first = len(p.sent) == 0
	bestCount := 0
	for i := range p.scripts {
		s := &p.scripts[i]
		if !usable(s) {
			continue
		}
		if s.DayNumber > 0 {
			if !has(p.sent, s.ID, 1) && (p.next == nil || scriptLess(s, p.next)) {
				p.next = s
			}
			continue
		}
		n, last := p.sentCount(s.ID)
		if p.forever == nil || n < bestCount || (n == bestCount && scriptLess(s, p.forever)) {
			p.forever, bestCount, p.lastFor = s, n, last
		}
	}
	p.occ = bestCount + 1
}

// sentCount returns the highest recorded occurrence of script id and when
// the latest one was sent.
func (p *plan) sentCount(id uint64) (int, time.Time) {
	n, last := 0, time.Time{}
	for _, o := range p.sent {
		if o.ScriptID == id {
			n, last = max(n, o.N), later(last, o.At)
		}
	}
	return n, last
}

func scriptLess(a, b *Script) bool {
	if a.DayNumber != b.DayNumber {
		return a.DayNumber < b.DayNumber
	}
	if a.Order != b.Order {
		return a.Order < b.Order
	}
	return a.ID < b.ID
}

// floor is the earliest time script s may follow the previous send. The
// cadence's first step waits for the reply window after T0 instead of its
// interval (seed: "wait 30 s; no reply → day-1 script"); a send after T0
// (chat, manual) still counts in full against its interval.
func (p *plan) floor(s *Script) time.Time {
	gap := time.Duration(s.IntervalHours) * time.Hour
	if p.first {
		f := p.t0.Add(p.wait)
		if p.prev.After(p.t0) {
			f = later(f, p.prev.Add(gap))
		}
		return f
	}
	return p.prev.Add(gap)
}

// hasNumbered reports whether cadence day d has a usable numbered script
// (sent or not): such a day never uses day-0 scripts.
func (p *plan) hasNumbered(d int) bool {
	for i := range p.scripts {
		s := &p.scripts[i]
		if s.DayNumber == d && usable(s) {
			return true
		}
	}
	return false
}

// pick returns the step to send at or after t and its due time (which may
// be before t: overdue).
func (p *plan) pick(t time.Time) (*Script, int, time.Time, bool) {
	dayT := Day(p.t0, t, p.loc)
	var nextDue time.Time
	if p.next != nil {
		nextDue = later(DayStart(p.t0, p.next.DayNumber, p.loc), p.floor(p.next))
		if p.next.DayNumber <= dayT {
			return p.next, 1, nextDue, true
		}
	}
	if p.forever != nil {
		f := p.floor(p.forever)
		if !p.lastFor.IsZero() {
			// A day-0 script stands in for a day's scripts: once per day.
			f = later(f, DayStart(p.t0, Day(p.t0, p.lastFor, p.loc)+1, p.loc))
		}
		// The first day at or after both the floor and t's day that has no
		// numbered script, and comes before the pending numbered script.
		for d := max(Day(p.t0, f, p.loc), dayT); p.next == nil || d < p.next.DayNumber; d++ {
			if !p.hasNumbered(d) {
				return p.forever, p.occ, later(f, DayStart(p.t0, d, p.loc)), true
			}
		}
	}
	if p.next != nil {
		return p.next, 1, nextDue, true
	}
	return nil, 0, time.Time{}, false
}

// step builds the Step due at due and sent (if nothing changes) at send.
func (p *plan) step(s *Script, occ int, due, send time.Time) Step {
	return Step{
		Key:      strconv.FormatUint(s.ID, 10) + "/" + strconv.Itoa(occ),
		ConfigID: p.cfgID, ScriptID: s.ID, DayNumber: s.DayNumber, Occurrence: occ,
		CadenceDay: Day(p.t0, send, p.loc), Content: s.Content, DueAt: due,
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
