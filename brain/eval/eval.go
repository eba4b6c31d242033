// Package eval replays recorded conversations through a brain and scores
// its answers: does it ask for a contact early, answer salary and location
// questions from the approved facts, invent nothing, and how often would
// the send gate block it. `hunterbot brain eval` prints its Report.
package eval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/bot/gate"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/rules"
)

// Turn is one recorded message.
type Turn struct {
	Speaker string `json:"speaker"` // user, robot or system
	Msg     string `json:"msg"`
}

// Conversation is one recorded conversation (a line of the JSONL file).
// Robot turns are the recording's own answers: they are replaced by the
// brain's under test, which answers where the recording has one (and after
// the last candidate turn); consecutive candidate turns are answered
// together.
type Conversation struct {
	ID      string `json:"id"`
	Persona string `json:"persona,omitempty"`
	// Job is the brain's jobID ("" = the account's default job).
	Job   string `json:"job,omitempty"`
	Turns []Turn `json:"turns"`
}

// Load reads JSONL conversations; errors name the line and the field.
func Load(r io.Reader) ([]Conversation, error) {
	var out []Conversation
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		var c Conversation
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if strings.TrimSpace(c.ID) == "" {
			return nil, fmt.Errorf("line %d: id: required", line)
		}
		users := 0
		for i, t := range c.Turns {
			switch t.Speaker {
			case brain.SpeakerUser:
				users++
			case brain.SpeakerRobot, brain.SpeakerSystem:
			default:
				return nil, fmt.Errorf("line %d: turns[%d].speaker: %q is not user, robot or system", line, i, t.Speaker)
			}
		}
		if users == 0 {
			return nil, fmt.Errorf("line %d: turns: no user turn to answer", line)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// Chatter is the brain under test (a *brain.Client).
type Chatter interface {
	Chat(ctx context.Context, req brain.ChatRequest) (brain.ChatData, error)
}

// Options configure Run.
type Options struct {
	Brain     Chatter
	AccountID string
	// Facts are the approved facts per jobID; DefaultJob's apply to
	// conversations without a job.
	Facts      map[string]brain.JobFacts
	JDs        map[string]string
	DefaultJob string
	// ContactWithin is N of the "asks for a contact within N candidate
	// turns" check (default 2).
	ContactWithin int
}

// Check names.
const (
	CheckContact  = "asks_contact_within_n"
	CheckSalary   = "salary_from_facts"
	CheckLocation = "location_from_facts"
	CheckNoInvent = "no_invented_facts"
	CheckGatePass = "gate_pass"
	CheckAnswered = "brain_answered"
)

// Result is one check's score.
type Result struct {
	Check string  `json:"check"`
	Pass  int     `json:"pass"`
	Total int     `json:"total"`
	Rate  float64 `json:"rate"`
}

// Failure is one failed check, for the report's detail.
type Failure struct {
	Conversation string `json:"conversation"`
	Check        string `json:"check"`
	Reply        string `json:"reply,omitempty"`
	Why          string `json:"why"`
}

// Report is Run's result.
type Report struct {
	Conversations int            `json:"conversations"`
	Replies       int            `json:"replies"`
	Results       []Result       `json:"results"`
	GateBlocks    map[string]int `json:"gate_blocks"`
	Failures      []Failure      `json:"failures,omitempty"`
}

var (
	salaryQ   = regexp.MustCompile(`薪资|工资|待遇|薪水|多少钱|底薪|收入`)
	locationQ = regexp.MustCompile(`地址|在哪|哪里|位置|地点|通勤`)
	asksFor   = regexp.MustCompile(`(加|留|换|交换|告知|发|给).{0,8}(微信|联系方式|电话|手机|v信|vx)`)
)

type score struct{ pass, total int }

// Run replays every conversation: each run of candidate turns (with the
// system items between them) is answered by the brain, whose answer joins
// the history in place of the recording's; a noTalk ends the replay.
func Run(ctx context.Context, convs []Conversation, o Options) (Report, error) {
	if o.ContactWithin <= 0 {
		o.ContactWithin = 2
	}
	scores := map[string]*score{}
	for _, c := range []string{CheckContact, CheckSalary, CheckLocation, CheckNoInvent, CheckGatePass, CheckAnswered} {
		scores[c] = &score{}
	}
	rep := Report{Conversations: len(convs), GateBlocks: map[string]int{}}
	fail := func(conv, check, reply, why string) {
		rep.Failures = append(rep.Failures, Failure{Conversation: conv, Check: check, Reply: reply, Why: why})
	}
	for _, c := range convs {
		job := c.Job
		if job == "" {
			job = o.DefaultJob
		}
		facts := o.Facts[job]
		pol := gate.Policy{SalaryMinK: facts.SalaryMinK, SalaryMaxK: facts.SalaryMaxK, Facts: append(facts.Texts(), o.JDs[job])}
		var hist []brain.ChatMessage
		var robot []string
		candTurns, askedAt := 0, 0
		refusedEarly := false
		var pending []string
	turns:
		for i, t := range c.Turns {
			switch t.Speaker {
			case brain.SpeakerRobot:
				continue
			case brain.SpeakerSystem:
				hist = append(hist, brain.ChatMessage{Speaker: brain.SpeakerSystem, Msg: t.Msg})
				continue
			}
			hist = append(hist, brain.ChatMessage{Speaker: brain.SpeakerUser, Msg: t.Msg})
			pending = append(pending, t.Msg)
			candTurns++
			if candTurns <= o.ContactWithin && rules.IsOptOut(t.Msg) {
				refusedEarly = true
			}
			if !answerAfter(c.Turns, i) {
				continue // answered together with the next message, as the bot does
			}
			asked := strings.Join(pending, "\n")
			pending = nil
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			d, err := o.Brain.Chat(ctx, brain.ChatRequest{AccountID: o.AccountID, JobID: c.Job, CandidateID: "eval-" + c.ID,
				CandidateName: "候选人", HistoryMsg: hist})
			rep.Replies++
			scores[CheckAnswered].total++
			if err != nil {
				fail(c.ID, CheckAnswered, "", err.Error())
				break turns
			}
			scores[CheckAnswered].pass++
			if d.NextStep == brain.StepNoTalk || d.NextStep == brain.StepFinish || d.NextStep == brain.StepNeedEnsure {
				break turns
			}
			if (d.NextStep == brain.StepNeedContact || d.NextStep == brain.StepNeedContactNoWechat || asksFor.MatchString(d.NextStepContent)) && askedAt == 0 {
				askedAt = candTurns
			}
			if salaryQ.MatchString(asked) && !facts.IsZero() {
				scores[CheckSalary].total++
				if ok, why := answersSalary(d.NextStepContent, facts); ok {
					scores[CheckSalary].pass++
				} else {
					fail(c.ID, CheckSalary, d.NextStepContent, why)
				}
			}
			if locationQ.MatchString(asked) && facts.Location != "" {
				scores[CheckLocation].total++
				if sharesRun(d.NextStepContent, facts.Location, 4) {
					scores[CheckLocation].pass++
				} else {
					fail(c.ID, CheckLocation, d.NextStepContent, "the reply does not name the approved location")
				}
			}
			for _, line := range strings.Split(d.NextStepContent, "\n") {
				if strings.TrimSpace(line) == "" {
					continue
				}
				v := pol.Check(line, robot)
				scores[CheckGatePass].total++
				scores[CheckNoInvent].total++
				if v.Blocked() {
					rep.GateBlocks[string(v.Reason)]++
					fail(c.ID, CheckGatePass, line, string(v.Reason)+" "+v.Detail)
				} else {
					scores[CheckGatePass].pass++
				}
				if invented(v.Reason) {
					fail(c.ID, CheckNoInvent, line, string(v.Reason))
				} else {
					scores[CheckNoInvent].pass++
				}
				robot = append(robot, line)
				hist = append(hist, brain.ChatMessage{Speaker: brain.SpeakerRobot, Msg: line})
			}
		}
		if candTurns > 0 && !refusedEarly {
			scores[CheckContact].total++
			if askedAt > 0 && askedAt <= o.ContactWithin {
				scores[CheckContact].pass++
			} else {
				fail(c.ID, CheckContact, "", fmt.Sprintf("no contact request within %d candidate turns", o.ContactWithin))
			}
		}
	}
	for _, name := range []string{CheckContact, CheckSalary, CheckLocation, CheckNoInvent, CheckGatePass, CheckAnswered} {
		s := scores[name]
		r := Result{Check: name, Pass: s.pass, Total: s.total}
		if s.total > 0 {
			r.Rate = float64(s.pass) / float64(s.total)
		}
		rep.Results = append(rep.Results, r)
	}
	sort.SliceStable(rep.Failures, func(i, j int) bool { return rep.Failures[i].Conversation < rep.Failures[j].Conversation })
	return rep, nil
}

// Result returns the named check's score.
func (r Report) Result(check string) Result {
	for _, x := range r.Results {
		if x.Check == check {
			return x
		}
	}
	return Result{Check: check}
}

// answerAfter: the brain answers after user turn i when the recording has
// a robot turn (or nothing) before the next user turn; consecutive user
// turns are one batch, as the bot's unified reply sends them.
func answerAfter(ts []Turn, i int) bool {
	for _, t := range ts[i+1:] {
		switch t.Speaker {
		case brain.SpeakerRobot:
			return true
		case brain.SpeakerUser:
			return false
		}
	}
	return true
}

// invented: reasons that mean a fact not in the approved sheet.
func invented(r gate.Reason) bool {
	switch r {
	case gate.Salary, gate.URL, gate.Phone, gate.WeChat, gate.QQ, gate.Email:
		return true
	}
	return false
}

// answersSalary: the reply states the approved salary text, or at least
// one figure and every figure within the approved range.
func answersSalary(reply string, f brain.JobFacts) (bool, string) {
	if f.Salary != "" && strings.Contains(reply, f.Salary) {
		return true, ""
	}
	figs := gate.SalaryFigures(reply)
	if len(figs) == 0 {
		return false, "no salary figure in the reply"
	}
	for _, k := range figs {
		if k < f.SalaryMinK-0.5 || k > f.SalaryMaxK+0.5 {
			return false, fmt.Sprintf("%.1fK outside %g-%gK", k, f.SalaryMinK, f.SalaryMaxK)
		}
	}
	return true, ""
}

// sharesRun reports whether a and b share a substring of at least n runes.
func sharesRun(a, b string, n int) bool {
	rb := []rune(b)
	if len(rb) < n {
		return strings.Contains(a, b)
	}
	for i := 0; i+n <= len(rb); i++ {
		if strings.Contains(a, string(rb[i:i+n])) {
			return true
		}
	}
	return utf8.RuneCountInString(b) == 0
}
