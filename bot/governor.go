package bot

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// Action is a kind of effect on the site that the governor paces.
type Action string

// The paced actions.
const (
	ActGreet   Action = "greet"
	ActMessage Action = "message"
	ActBrowse  Action = "browse" // page loads, scrolling, opening conversations
)

// ErrDailyCap means the per-day cap of an action is reached; the caller
// stops that kind of work until the next day.
var ErrDailyCap = errors.New("daily cap reached")

// Range is an inclusive interval of durations; a wait is drawn uniformly in it.
type Range struct {
	Min time.Duration `yaml:"min"`
	Max time.Duration `yaml:"max"`
}

// Limits paces one kind of action.
type Limits struct {
	Gap     Range `yaml:"gap"`      // delay before each action
	PerHour int   `yaml:"per_hour"` // 0 = unlimited
	PerDay  int   `yaml:"per_day"`  // 0 = unlimited
	// RestEvery actions, rest for a duration drawn from Rest.
	RestEvery int   `yaml:"rest_every"`
	Rest      Range `yaml:"rest"`
}

// Pacing is an account's governor configuration. DefaultPacing is
// deliberately conservative: it follows what peers report keeps accounts
// alive (30–60 s between greetings, a rest after ~30, 3–8 s between chats).
type Pacing struct {
	Greet   Limits `yaml:"greet"`
	Message Limits `yaml:"message"`
	Browse  Limits `yaml:"browse"`
	// QuietStart/QuietEnd ("22:00", "08:00", account timezone) bound the
	// daily window in which greetings and messages wait (browsing does not)
	// and no recall is asked for. In a config file, leaving both out keeps
	// the default 22:00–08:00 (fillDefaults); equal times disable quiet
	// hours. A Pacing built in code with both empty has none.
	QuietStart string `yaml:"quiet_start"`
	QuietEnd   string `yaml:"quiet_end"`
}

// DefaultPacing returns the conservative defaults documented in configs/.
func DefaultPacing() Pacing {
	return Pacing{
		Greet: Limits{Gap: Range{30 * time.Second, 60 * time.Second}, PerHour: 40, PerDay: 150,
			RestEvery: 30, Rest: Range{5 * time.Minute, 10 * time.Minute}},
		Message:    Limits{Gap: Range{3 * time.Second, 8 * time.Second}, PerHour: 120, PerDay: 600},
		Browse:     Limits{Gap: Range{1500 * time.Millisecond, 3 * time.Second}},
		QuietStart: "22:00", QuietEnd: "08:00",
	}
}

// fillDefaults gives every block left out of a configured pacing its
// default: a block that is given replaces the default for that action only;
// quiet hours left out stay 22:00–08:00 (set both to the same time, e.g.
// "00:00", to disable them).
func (p *Pacing) fillDefaults() {
	def := DefaultPacing()
	for _, pair := range []struct{ got, def *Limits }{{&p.Greet, &def.Greet}, {&p.Message, &def.Message}, {&p.Browse, &def.Browse}} {
		if *pair.got == (Limits{}) {
			*pair.got = *pair.def
		}
	}
	if p.QuietStart == "" && p.QuietEnd == "" {
		p.QuietStart, p.QuietEnd = def.QuietStart, def.QuietEnd
	}
}

// Validate checks the configuration; errors name the key.
func (p Pacing) Validate() error {
	for name, l := range map[string]Limits{"greet": p.Greet, "message": p.Message, "browse": p.Browse} {
		if l.Gap.Min < 0 || l.Gap.Max < l.Gap.Min {
			return fmt.Errorf("pacing.%s.gap: min must be >= 0 and <= max", name)
		}
		if l.Rest.Min < 0 || l.Rest.Max < l.Rest.Min {
			return fmt.Errorf("pacing.%s.rest: min must be >= 0 and <= max", name)
		}
		if l.PerHour < 0 || l.PerDay < 0 || l.RestEvery < 0 {
			return fmt.Errorf("pacing.%s: caps must be >= 0", name)
		}
	}
	if (p.QuietStart == "") != (p.QuietEnd == "") {
		return fmt.Errorf("pacing.quiet_start and pacing.quiet_end: set both or neither")
	}
	for key, v := range map[string]string{"quiet_start": p.QuietStart, "quiet_end": p.QuietEnd} {
		if v == "" {
			continue
		}
		if _, err := parseClock(v); err != nil {
			return fmt.Errorf("pacing.%s: %w", key, err)
		}
	}
	return nil
}

// parseClock parses "HH:MM" into minutes after midnight.
func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Governor paces one account's actions: a jittered gap before each action,
// hourly and daily caps, rest breaks after bursts, and quiet hours, all on
// the account's clock and timezone. It is safe for concurrent use; callers
// of the same account are serialised.
type Governor struct {
	clk clock.Clock
	loc *time.Location
	cfg Pacing

	mu      sync.Mutex
	rng     *rand.Rand
	history map[Action][]time.Time // action times within the last 24h
	burst   map[Action]int         // actions since the last rest
}

// NewGovernor returns a governor for an account in timezone loc (nil means
// Asia/Shanghai). seed makes the jitter reproducible in tests.
func NewGovernor(clk clock.Clock, loc *time.Location, cfg Pacing, seed uint64) *Governor {
	if loc == nil {
		loc = clock.Shanghai
	}
	return &Governor{
		clk: clk, loc: loc, cfg: cfg,
		rng:     rand.New(rand.NewPCG(seed, 0x676f76)),
		history: map[Action][]time.Time{},
		burst:   map[Action]int{},
	}
}

func (g *Governor) limits(a Action) Limits {
	switch a {
	case ActGreet:
		return g.cfg.Greet
	case ActMessage:
		return g.cfg.Message
	default:
		return g.cfg.Browse
	}
}

// Wait blocks until the account may perform action a, then records it as
// performed. It returns ErrDailyCap (without waiting) when today's cap is
// used up, or ctx.Err().
func (g *Governor) Wait(ctx context.Context, a Action) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	l := g.limits(a)
	for {
		now := g.clk.Now()
		g.prune(a, now)
		if l.PerDay > 0 && g.countSince(a, startOfDay(now.In(g.loc))) >= l.PerDay {
			return fmt.Errorf("%s: %w (%d)", a, ErrDailyCap, l.PerDay)
		}
		wait := time.Duration(0)
		if a != ActBrowse {
			wait = g.untilOutsideQuiet(now)
		}
		if wait == 0 && l.PerHour > 0 {
			if hist := g.history[a]; g.countSince(a, now.Add(-time.Hour)) >= l.PerHour {
				// Wait until the oldest action of the last hour leaves it.
				idx := len(hist) - l.PerHour
				wait = hist[idx].Add(time.Hour).Sub(now)
			}
		}
		if wait <= 0 {
			break
		}
		if err := g.clk.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	pause := g.draw(l.Gap)
	if l.RestEvery > 0 && g.burst[a] >= l.RestEvery {
		pause += g.draw(l.Rest)
		g.burst[a] = 0
	}
	if err := g.clk.Sleep(ctx, pause); err != nil {
		return err
	}
	g.history[a] = append(g.history[a], g.clk.Now())
	g.burst[a]++
	return nil
}

// Count reports how many actions of kind a were performed today (account
// timezone).
func (g *Governor) Count(a Action) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clk.Now()
	g.prune(a, now)
	return g.countSince(a, startOfDay(now.In(g.loc)))
}

// Restore seeds today's history (e.g. from worker.db after a restart) so caps
// hold across restarts.
func (g *Governor) Restore(a Action, times []time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.history[a] = append(append([]time.Time(nil), times...), g.history[a]...)
}

// InQuietHours reports whether now is inside the configured quiet window.
func (g *Governor) InQuietHours() bool {
	return g.untilOutsideQuiet(g.clk.Now()) > 0
}

// untilOutsideQuiet returns how long until the quiet window ends, or 0 when
// now is outside it.
func (g *Governor) untilOutsideQuiet(now time.Time) time.Duration {
	if g.cfg.QuietStart == "" {
		return 0
	}
	start, _ := parseClock(g.cfg.QuietStart)
	end, _ := parseClock(g.cfg.QuietEnd)
	local := now.In(g.loc)
	minute := local.Hour()*60 + local.Minute()
	inside := false
	if start <= end {
		inside = minute >= start && minute < end
	} else { // wraps midnight, e.g. 22:00–08:00
		inside = minute >= start || minute < end
	}
	if !inside {
		return 0
	}
	day := startOfDay(local)
	endAt := day.Add(time.Duration(end) * time.Minute)
	if !endAt.After(local) {
		endAt = endAt.AddDate(0, 0, 1)
	}
	return endAt.Sub(local)
}

func (g *Governor) draw(r Range) time.Duration {
	if r.Max <= r.Min {
		return r.Min
	}
	return r.Min + time.Duration(g.rng.Int64N(int64(r.Max-r.Min)+1))
}

func (g *Governor) prune(a Action, now time.Time) {
	hist := g.history[a]
	cut := 0
	for cut < len(hist) && hist[cut].Before(now.Add(-25*time.Hour)) {
		cut++
	}
	g.history[a] = hist[cut:]
}

func (g *Governor) countSince(a Action, since time.Time) int {
	n := 0
	for _, t := range g.history[a] {
		if !t.Before(since) {
			n++
		}
	}
	return n
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
