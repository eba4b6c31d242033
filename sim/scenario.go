package sim

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/httpserve"
)

// Scenario is the sim's world: start time, recruiter accounts with their
// jobs, how many candidates each job has, how candidates behave and how fast
// an account may act before the site raises a risk check. It is loaded from
// YAML strictly (unknown keys are errors); docs/sim.md documents every key.
type Scenario struct {
	// Start is the simulated time the clock starts at.
	Start time.Time `yaml:"start"`
	// Pacing limits; exceeding one raises a risk event for the account.
	Pacing Pacing `yaml:"pacing"`
	// Personas maps persona name to weight for generated candidates.
	Personas map[string]int `yaml:"personas"`
	// Behaviour tunes the personas (reply delays, the N of "slow").
	Behaviour Behaviour `yaml:"behaviour"`
	// IntentTip also shows the 意向沟通 tip (a div.boss-popup with
	// div.boss-popup__close and 我知道了) once per login on the chat page,
	// so tests can exercise a bot's popup handling. Off by default.
	IntentTip bool `yaml:"intent_tip"`
	// PageRefresh is how often the chat page re-reads its conversation
	// list and the open conversation, in real time as the site's own page
	// does (default 1.5s). Tests that run the sim on a manual clock may
	// lengthen it: there the page's polling is unrelated to sim time and
	// only costs CPU.
	PageRefresh time.Duration `yaml:"page_refresh"`
	// Accounts are the recruiter accounts the site knows.
	Accounts []Account `yaml:"accounts"`
	// Server holds the listener settings of `hunterbot sim` and the demo.
	Server Server `yaml:"server"`
}

// Server holds the site's listener settings, keyed like the brain's
// server section so one habit configures every hunterbot listener.
type Server struct {
	// Timeouts bound each connection (defaults: httpserve.Defaults), so a
	// client that trickles a body or parks an idle keep-alive cannot hold
	// a connection of the site for ever.
	Timeouts httpserve.Timeouts `yaml:"timeouts"`
}

// Pacing holds the account-level rate limits of the site. Zero disables a
// limit.
type Pacing struct {
	MinGreetInterval    time.Duration `yaml:"min_greet_interval"`
	MinMessageInterval  time.Duration `yaml:"min_message_interval"`
	MaxActionsPerMinute int           `yaml:"max_actions_per_minute"`
	MaxActionsPerHour   int           `yaml:"max_actions_per_hour"`
}

// Behaviour tunes candidate personas.
type Behaviour struct {
	// ReplyDelayMin and ReplyDelayMax bound a candidate's reply delay (sim
	// time); each reply draws uniformly from the range.
	ReplyDelayMin time.Duration `yaml:"reply_delay_min"`
	ReplyDelayMax time.Duration `yaml:"reply_delay_max"`
	// SlowAfter is how many recruiter messages a "slow" candidate needs
	// before its first reply (default 3).
	SlowAfter int `yaml:"slow_after"`
}

// Account is one recruiter account of the site.
type Account struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"` // display name, e.g. 王经理
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	UID      int64  `yaml:"uid"`
	Company  string `yaml:"company"`
	// Greeting is the text the site sends as the first message of a greet.
	Greeting string `yaml:"greeting"`
	// DailyQuota caps greetings per Asia/Shanghai day.
	DailyQuota int `yaml:"daily_quota"`
	// SessionLifetime is how long a login stays valid (sim time).
	SessionLifetime time.Duration `yaml:"session_lifetime"`
	Jobs            []Job         `yaml:"jobs"`
	// Candidates are explicit candidates added before the generated ones.
	Candidates []ExplicitCandidate `yaml:"candidates"`
}

// Job is one job posting of an account.
type Job struct {
	ID     int64  `yaml:"id"`
	Name   string `yaml:"name"`
	City   string `yaml:"city"`
	Salary string `yaml:"salary"` // "20-35K"
	// Candidates is how many candidates are generated for the job.
	Candidates int `yaml:"candidates"`
}

// ExplicitCandidate pins one candidate's persona and disclosure.
type ExplicitCandidate struct {
	Job     int64  `yaml:"job"`
	Name    string `yaml:"name"`
	Gender  string `yaml:"gender"` // male | female; empty = generated
	Persona string `yaml:"persona"`
	WeChat  string `yaml:"wechat"`
	Phone   string `yaml:"phone"`
	// Disclose is what the candidate gives when asked in text: wechat,
	// phone or cv (default by persona).
	Disclose string `yaml:"disclose"`
	// How overrides how a text disclosure is written: text or
	// text_obfuscated.
	How string `yaml:"how"`
}

// DefaultPageRefresh is the chat page's polling period when the scenario
// sets none (about the real site's).
const DefaultPageRefresh = 1500 * time.Millisecond

//go:embed default.yaml
var defaultScenario []byte

// DefaultScenario returns the embedded demo scenario (a fresh copy).
func DefaultScenario() *Scenario {
	sc, err := ParseScenario(defaultScenario, "sim/default.yaml")
	if err != nil {
		panic("sim: embedded scenario is invalid: " + err.Error())
	}
	return sc
}

// LoadScenario reads and validates a scenario file. Errors wrap
// config.ErrInvalid when the file was read but is not acceptable.
func LoadScenario(path string) (*Scenario, error) {
	var sc Scenario
	if err := config.LoadFile(path, &sc); err != nil {
		return nil, err
	}
	return &sc, nil
}

// ParseScenario decodes a scenario from YAML bytes; name labels errors.
func ParseScenario(data []byte, name string) (*Scenario, error) {
	var sc Scenario
	if err := config.Decode(bytes.NewReader(data), name, &sc); err != nil {
		return nil, err
	}
	return &sc, nil
}

var salaryRe = regexp.MustCompile(`^(\d+)-(\d+)K$`)

// SalaryK is the job's salary range in thousands ("20-35K": 20, 35); ok
// is false when Salary is not of that form.
func (j Job) SalaryK() (lo, hi int, ok bool) { return parseSalary(j.Salary) }

// parseSalary splits "20-35K" into 20, 35.
func parseSalary(s string) (lo, hi int, ok bool) {
	m := salaryRe.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, false
	}
	lo, _ = strconv.Atoi(m[1])
	hi, _ = strconv.Atoi(m[2])
	return lo, hi, lo > 0 && hi >= lo
}

// Validate implements config.Validator and fills defaults. Errors name the
// offending key.
func (sc *Scenario) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if sc.Start.IsZero() {
		bad("start: required (RFC 3339 time)")
	}
	if err := sc.Server.Timeouts.Validate("server.timeouts"); err != nil {
		bad("%v", err)
	}
	switch {
	case sc.PageRefresh == 0:
		sc.PageRefresh = DefaultPageRefresh
	case sc.PageRefresh < 100*time.Millisecond:
		bad("page_refresh: must be at least 100ms, got %v", sc.PageRefresh)
	}
	if sc.Pacing.MinGreetInterval < 0 || sc.Pacing.MinMessageInterval < 0 ||
		sc.Pacing.MaxActionsPerMinute < 0 || sc.Pacing.MaxActionsPerHour < 0 {
		bad("pacing: values must be >= 0")
	}
	if len(sc.Personas) == 0 {
		sc.Personas = map[string]int{PersonaEager: 1}
	}
	total := 0
	for name, w := range sc.Personas {
		if !validPersona(name) {
			bad("personas.%s: unknown persona (want one of %s)", name, strings.Join(PersonaNames(), ", "))
		}
		if w < 0 {
			bad("personas.%s: weight must be >= 0", name)
		}
		total += w
	}
	if total == 0 {
		bad("personas: weights sum to 0")
	}
	b := &sc.Behaviour
	if b.ReplyDelayMin == 0 && b.ReplyDelayMax == 0 {
		b.ReplyDelayMin, b.ReplyDelayMax = 30*time.Second, 10*time.Minute
	}
	if b.ReplyDelayMin < 0 || b.ReplyDelayMax < b.ReplyDelayMin {
		bad("behaviour: need 0 <= reply_delay_min <= reply_delay_max")
	}
	if b.SlowAfter == 0 {
		b.SlowAfter = 3
	}
	if b.SlowAfter < 0 {
		bad("behaviour.slow_after: must be >= 1")
	}
	if len(sc.Accounts) == 0 {
		bad("accounts: at least one account is required")
	}
	ids, users, uids, jobIDs := map[string]bool{}, map[string]bool{}, map[int64]bool{}, map[int64]bool{}
	for i := range sc.Accounts {
		a := &sc.Accounts[i]
		p := fmt.Sprintf("accounts[%d]", i)
		switch {
		case a.ID == "":
			bad("%s.id: required", p)
		case ids[a.ID]:
			bad("%s.id: duplicate %q", p, a.ID)
		}
		ids[a.ID] = true
		if a.Username == "" || a.Password == "" {
			bad("%s.username/password: required", p)
		} else if users[a.Username] {
			bad("%s.username: duplicate %q", p, a.Username)
		}
		users[a.Username] = true
		if a.UID <= 0 {
			bad("%s.uid: must be > 0", p)
		} else if uids[a.UID] {
			bad("%s.uid: duplicate %d", p, a.UID)
		}
		uids[a.UID] = true
		if a.Name == "" {
			bad("%s.name: required", p)
		}
		if a.Greeting == "" {
			a.Greeting = "您好，看了您的经历很匹配我们的岗位，方便聊聊吗？"
		}
		if a.Company == "" {
			a.Company = "星河科技"
		}
		if a.DailyQuota == 0 {
			a.DailyQuota = 100
		}
		if a.DailyQuota < 0 {
			bad("%s.daily_quota: must be > 0", p)
		}
		if a.SessionLifetime == 0 {
			a.SessionLifetime = 7 * 24 * time.Hour
		}
		if a.SessionLifetime < 0 {
			bad("%s.session_lifetime: must be > 0", p)
		}
		if len(a.Jobs) == 0 {
			bad("%s.jobs: at least one job is required", p)
		}
		own := map[int64]bool{}
		for j, job := range a.Jobs {
			jp := fmt.Sprintf("%s.jobs[%d]", p, j)
			if job.ID <= 0 {
				bad("%s.id: must be > 0", jp)
			} else if jobIDs[job.ID] {
				bad("%s.id: duplicate %d", jp, job.ID)
			}
			jobIDs[job.ID], own[job.ID] = true, true
			if job.Name == "" {
				bad("%s.name: required", jp)
			}
			if _, ok := cityCodes[job.City]; !ok {
				bad("%s.city: unknown city %q (want one of %s)", jp, job.City, strings.Join(cityNames(), " "))
			}
			if _, _, ok := parseSalary(job.Salary); !ok {
				bad("%s.salary: want \"<low>-<high>K\", got %q", jp, job.Salary)
			}
			if job.Candidates < 0 || job.Candidates > 5000 {
				bad("%s.candidates: must be 0..5000", jp)
			}
		}
		for c, ec := range a.Candidates {
			cp := fmt.Sprintf("%s.candidates[%d]", p, c)
			if !own[ec.Job] {
				bad("%s.job: %d is not a job of this account", cp, ec.Job)
			}
			if !validPersona(ec.Persona) {
				bad("%s.persona: unknown persona %q", cp, ec.Persona)
			}
			if ec.Gender != "" && ec.Gender != "male" && ec.Gender != "female" {
				bad("%s.gender: want male or female", cp)
			}
			if ec.WeChat != "" && !wechatRe.MatchString(ec.WeChat) {
				bad("%s.wechat: not a WeChat id", cp)
			}
			if ec.Phone != "" && !phoneRe.MatchString(ec.Phone) {
				bad("%s.phone: not a mainland mobile number", cp)
			}
			switch ec.Disclose {
			case "", DisclosureWeChat, DisclosurePhone, DisclosureCV:
			default:
				bad("%s.disclose: want wechat, phone or cv", cp)
			}
			switch ec.How {
			case "", HowText, HowTextObfuscated:
			default:
				bad("%s.how: want text or text_obfuscated", cp)
			}
		}
	}
	if len(errs) > 0 {
		sort.Strings(errs)
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

var (
	wechatRe = regexp.MustCompile(`^[a-zA-Z][-_a-zA-Z0-9]{5,19}$`)
	phoneRe  = regexp.MustCompile(`^1[3-9]\d{9}$`)
)

// cityCodes maps the cities the generator knows to BOSS location codes.
var cityCodes = map[string]int{
	"北京": 101010100, "上海": 101020100, "广州": 101280100, "深圳": 101280600,
	"杭州": 101210100, "成都": 101270100, "武汉": 101200100, "南京": 101190100,
}

func cityNames() []string {
	out := make([]string, 0, len(cityCodes))
	for c := range cityCodes {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
