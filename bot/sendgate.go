package bot

import (
	"fmt"
	"sync"

	"github.com/hunterbot/hunterbot/bot/gate"
	"github.com/hunterbot/hunterbot/state/worker"
)

// GateConfig is the send gate's policy for a job (hosting.gate in the
// worker YAML, account-wide or per job; a plan can set it the same way).
// See bot/gate and docs/bot.md "Send gate".
type GateConfig struct {
	// SalaryMinK and SalaryMaxK are the approved monthly salary range in
	// K; figures outside it are blocked. Unset: salary figures are not
	// checked (the bot cannot know the job's figures; the built-in brain
	// checks its model's answers against the job's facts sheet itself).
	SalaryMinK float64 `yaml:"salary_min_k"`
	SalaryMaxK float64 `yaml:"salary_max_k"`
	// Facts are approved statements (benefits, address, hours) whose
	// numbers may be repeated.
	Facts []string `yaml:"facts"`
	// OwnContacts are the account's own phone/WeChat/QQ/email, which may
	// be sent.
	OwnContacts []string `yaml:"own_contacts"`
	// AllowedURLs are URL prefixes that may be sent.
	AllowedURLs []string `yaml:"allowed_urls"`
	// MaxRunes bounds one message (default gate.DefaultMaxRunes).
	MaxRunes int `yaml:"max_runes"`
	// Fallback replaces a blocked chat reply (default DefaultGateFallback);
	// when it is blocked too (say, already sent), the conversation goes
	// to a human.
	Fallback string `yaml:"fallback"`
}

// DefaultGateFallback is the safe reply sent instead of a blocked one.
const DefaultGateFallback = "好的，这个问题我确认一下再回复您"

func (g GateConfig) merged(base GateConfig) GateConfig {
	if g.SalaryMinK == 0 && g.SalaryMaxK == 0 {
		g.SalaryMinK, g.SalaryMaxK = base.SalaryMinK, base.SalaryMaxK
	}
	if g.Facts == nil {
		g.Facts = base.Facts
	}
	if g.OwnContacts == nil {
		g.OwnContacts = base.OwnContacts
	}
	if g.AllowedURLs == nil {
		g.AllowedURLs = base.AllowedURLs
	}
	if g.MaxRunes == 0 {
		g.MaxRunes = base.MaxRunes
	}
	if g.Fallback == "" {
		g.Fallback = base.Fallback
	}
	return g
}

// Validate checks the block; errors name the key.
func (g GateConfig) Validate() error {
	if g.SalaryMinK < 0 || g.SalaryMaxK < 0 || g.SalaryMaxK < g.SalaryMinK {
		return fmt.Errorf("hosting.gate.salary_max_k: want 0 <= salary_min_k <= salary_max_k, got %g..%g", g.SalaryMinK, g.SalaryMaxK)
	}
	if g.MaxRunes < 0 {
		return fmt.Errorf("hosting.gate.max_runes: must be >= 0")
	}
	if g.Fallback != "" {
		if v := g.policy("chat").Check(g.Fallback, nil); v.Blocked() {
			return fmt.Errorf("hosting.gate.fallback: the gate itself blocks it (%s)", v.Reason)
		}
	}
	return nil
}

// policy is the gate policy for a text of kind ("chat", "followup",
// "recall", "fallback"). Without an approved range salary figures are not
// checked: existing brains and scripts state their jobs' figures, and
// blocking every one would silence them.
func (g GateConfig) policy(string) gate.Policy {
	return gate.Policy{SalaryMinK: g.SalaryMinK, SalaryMaxK: g.SalaryMaxK, Facts: g.Facts, OwnContacts: g.OwnContacts,
		AllowedURLPrefixes: g.AllowedURLs, MaxRunes: g.MaxRunes, AllowSalaryFigures: true}
}

// gateCounters counts the gate's decisions of one agent since start.
type gateCounters struct {
	mu      sync.Mutex
	checked int64
	blocked map[gate.Reason]int64
}

func (c *gateCounters) add(v gate.Verdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checked++
	if v.Blocked() {
		if c.blocked == nil {
			c.blocked = map[gate.Reason]int64{}
		}
		c.blocked[v.Reason]++
	}
}

// GateStats are the gate's counters of an agent: texts checked and texts
// blocked by reason.
type GateStats struct {
	Checked int64
	Blocked map[gate.Reason]int64
}

// Total is the number of blocked texts.
func (s GateStats) Total() int64 {
	var n int64
	for _, v := range s.Blocked {
		n += v
	}
	return n
}

// GateStats returns a copy of the agent's gate counters.
func (a *Agent) GateStats() GateStats {
	a.gates.mu.Lock()
	defer a.gates.mu.Unlock()
	s := GateStats{Checked: a.gates.checked, Blocked: map[gate.Reason]int64{}}
	for k, v := range a.gates.blocked {
		s.Blocked[k] = v
	}
	return s
}

// gateCheck runs the gate on one text about to be sent in conv, counts
// and logs the decision. The log line names the reason and the kind of
// text, never the text (it may carry a candidate's data the model echoed).
func (a *Agent) gateCheck(conv *Conversation, kind, text string) gate.Verdict {
	g := a.hosting(conv).Gate
	// Scripts repeat by design (a day_number 0 follow-up is sent every
	// day): only brain replies are checked for repetition.
	var recent []string
	if kind == "chat" || kind == "fallback" {
		recent = conv.SentTexts
	}
	v := g.policy(kind).Check(text, recent)
	a.gates.add(v)
	if v.Blocked() {
		ev := a.Log.Warn().Bool("alert", v.Reason != gate.Repeated && v.Reason != gate.Empty)
		ev.Str("candidate", conv.CandidateID).Str("kind", kind).Str("gate", string(v.Reason)).
			Str("detail", v.Detail).Msg("send gate blocked a text")
	}
	return v
}

// gateLines runs a brain reply's lines through the gate. A blocked line
// is dropped when it was only empty or a repetition; otherwise the reply
// is replaced by the job's fallback text once; if the fallback cannot be
// sent either, handOver is true and nothing is sent.
func (a *Agent) gateLines(conv *Conversation, lines []string) (out []string, handOver bool) {
	g := a.hosting(conv).Gate
	fallback := g.Fallback
	if fallback == "" {
		fallback = DefaultGateFallback
	}
	replaced := false
	for _, line := range lines {
		v := a.gateCheck(conv, "chat", line)
		switch {
		case !v.Blocked():
			out = append(out, line)
		case v.Reason == gate.Empty || v.Reason == gate.Repeated:
		case !replaced:
			// One unsafe line makes the whole reply suspect: the model
			// answered from something it should not have; say the safe
			// thing once and drop the rest.
			replaced = true
			if fv := a.gateCheck(conv, "fallback", fallback); fv.Blocked() {
				return nil, true
			}
			return []string{fallback}, false
		}
	}
	return out, false
}

// gateScript checks an operator script (follow-up, recall) before its
// first send; a blocked one is abandoned in the ledger (never sent, the
// alert says why) and reported as not sent.
func (a *Agent) gateScript(conv *Conversation, key, kind, text string) (bool, error) {
	v := a.gateCheck(conv, kind, text)
	if !v.Blocked() {
		return true, nil
	}
	err := a.DB.Update(func(tx *worker.Tx) error {
		_, err := tx.SettleSend(key, worker.Abandoned, "send gate: "+string(v.Reason))
		return err
	})
	return false, err
}
