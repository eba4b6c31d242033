package cadence

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/clock"
)

var sh = clock.Shanghai

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, sh)
	if err != nil {
		panic(err)
	}
	return t
}

func fmtT(t time.Time) string { return t.In(sh).Format("2006-01-02 15:04:05") }

func sc(id uint64, day, interval, order int) Script {
	return Script{ID: id, ConfigID: 1, DayNumber: day, Content: fmt.Sprintf("script %d", id),
		IntervalHours: interval, Order: order, IsActive: true}
}

func cfgOf(scripts ...Script) Config {
	return Config{ID: 1, Name: "c", Position: "Python开发", IsActive: true, Scripts: scripts}
}

// sent is one simulated send.
type sent struct {
	key string
	at  string
}

func (s sent) String() string { return s.key + "@" + s.at }

// simulate runs the cadence from T0 as the agent would: ask Next, wait
// until DueAt, send, record; until Next says nothing more, until, or max
// sends. perDay counts sends per local date for the cap.
func simulate(t *testing.T, cfg Config, w Window, t0, until time.Time, maxSends int) ([]sent, State) {
	t.Helper()
	st := State{FirstContactAt: t0, LastSentAt: t0}
	now := t0
	perDay := map[int]int{}
	var out []sent
	for len(out) < maxSends {
		step, ok := Next(cfg, st, w, perDay[civil(now.In(w.loc()))], now)
		if !ok {
			break
		}
		if step.DueAt.After(now) {
			now = step.DueAt
			// Calling again at DueAt must give the same step, due now.
			again, ok := Next(cfg, st, w, perDay[civil(now.In(w.loc()))], now)
			if !ok || again.Key != step.Key || again.DueAt.After(now) {
				t.Fatalf("Next at DueAt %s: got %+v ok=%v, want %s due", fmtT(now), again, ok, step.Key)
			}
			step = again
		}
		if now.After(until) {
			break
		}
		out = append(out, sent{step.Key, fmtT(now)})
		Record(&st, step, now)
		perDay[civil(now.In(w.loc()))]++
	}
	return out, st
}

func wantSends(t *testing.T, got []sent, want ...string) {
	t.Helper()
	var g []string
	for _, s := range got {
		g = append(g, s.String())
	}
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Fatalf("sends:\n got  %s\n want %s", strings.Join(g, "\n      "), strings.Join(want, "\n      "))
	}
}

// The seed's scenario: day 1 (24 h), day 2 (24 h), day 0 (72 h) forever.
func TestSeedExample(t *testing.T) {
	cfg := cfgOf(sc(1, 1, 24, 1), sc(2, 2, 24, 1), sc(3, 0, 72, 1))
	for _, w := range []Window{{}, {QuietStart: "22:00", QuietEnd: "08:00", DailyCap: 100}} {
		got, _ := simulate(t, cfg, w, at("2026-03-05 10:00:00"), at("2026-03-20 00:00:00"), 100)
		wantSends(t, got,
			"1/1@2026-03-05 10:00:30", // 30 s wait for a reply, then day 1
			"2/1@2026-03-06 10:00:30", // day 2, 24 h after day 1
			"3/1@2026-03-09 10:00:30", // no day-3 script: day 0, 72 h later
			"3/2@2026-03-12 10:00:30", // …forever
			"3/3@2026-03-15 10:00:30",
			"3/4@2026-03-18 10:00:30",
		)
	}
}

func TestReplyWaitWindow(t *testing.T) {
	cfg := cfgOf(sc(1, 1, 24, 1))
	t0 := at("2026-03-05 10:00:00")
	st := State{FirstContactAt: t0, LastSentAt: t0}
	for _, tc := range []struct {
		wait time.Duration
		now  time.Time
		due  time.Time
	}{
		{0, t0, t0.Add(30 * time.Second)},
		{0, t0.Add(29 * time.Second), t0.Add(30 * time.Second)},
		{0, t0.Add(30 * time.Second), t0.Add(30 * time.Second)},
		{0, t0.Add(time.Hour), t0.Add(30 * time.Second)}, // overdue: due in the past, send now
		{2 * time.Minute, t0.Add(30 * time.Second), t0.Add(2 * time.Minute)},
	} {
		step, ok := Next(cfg, st, Window{ReplyWait: tc.wait}, 0, tc.now)
		if !ok || !step.DueAt.Equal(tc.due) || step.ScriptID != 1 {
			t.Errorf("wait %s now %s: got %+v ok=%v, want script 1 due %s", tc.wait, fmtT(tc.now), step, ok, fmtT(tc.due))
		}
	}
}

func TestStops(t *testing.T) {
	cfg := cfgOf(sc(1, 1, 24, 1), sc(2, 0, 24, 1))
	t0 := at("2026-03-05 10:00:00")
	base := State{FirstContactAt: t0, LastSentAt: t0}
	if _, ok := Next(cfg, base, Window{}, 0, t0.Add(time.Hour)); !ok {
		t.Fatal("baseline: no step")
	}
	for name, mut := range map[string]func(*State, *Config){
		"replied":          func(s *State, _ *Config) { s.Replied = true },
		"stopped":          func(s *State, _ *Config) { s.Stopped = true },
		"no first contact": func(s *State, _ *Config) { s.FirstContactAt = time.Time{} },
		"inactive config":  func(_ *State, c *Config) { c.IsActive = false },
		"inactive scripts": func(_ *State, c *Config) {
			c.Scripts = []Script{c.Scripts[0], c.Scripts[1]}
			c.Scripts[0].IsActive, c.Scripts[1].IsActive = false, false
		},
		"no scripts": func(_ *State, c *Config) { c.Scripts = nil },
	} {
		st, c := base, cfg
		c.Scripts = append([]Script(nil), cfg.Scripts...)
		mut(&st, &c)
		if step, ok := Next(c, st, Window{}, 0, t0.Add(time.Hour)); ok {
			t.Errorf("%s: got step %+v, want none", name, step)
		}
	}
	// A reply after day 1 ends the cadence, day 0 included.
	got, st := simulate(t, cfg, Window{}, t0, t0.Add(time.Hour), 10)
	wantSends(t, got, "1/1@2026-03-05 10:00:30")
	st.Replied = true
	if step, ok := Next(cfg, st, Window{}, 0, t0.Add(100*24*time.Hour)); ok {
		t.Fatalf("after reply: got %+v", step)
	}
	// Numbered scripts only: the cadence ends after the last one.
	got, _ = simulate(t, cfgOf(sc(1, 1, 0, 1), sc(2, 2, 0, 1)), Window{}, t0, t0.Add(365*24*time.Hour), 10)
	wantSends(t, got, "1/1@2026-03-05 10:00:30", "2/1@2026-03-06 00:00:00")
}

func TestOrderWithinDay(t *testing.T) {
	// Listed out of order; ids break the order tie (9 before 10).
	cfg := cfgOf(sc(10, 1, 0, 1), sc(7, 1, 1, 3), sc(9, 1, 2, 1), sc(4, 2, 0, 0), sc(8, 1, 0, 2))
	got, _ := simulate(t, cfg, Window{}, at("2026-03-05 09:00:00"), at("2026-03-10 00:00:00"), 20)
	wantSends(t, got,
		"9/1@2026-03-05 09:00:30", // first step: the reply wait replaces its 2 h
		"10/1@2026-03-05 09:00:30",
		"8/1@2026-03-05 09:00:30",
		"7/1@2026-03-05 10:00:30", // 1 h after the previous send
		"4/1@2026-03-06 00:00:00", // day 2 starts at local midnight
	)
}

func TestIntervalFloorCountsAnySend(t *testing.T) {
	cfg := cfgOf(sc(1, 1, 24, 1), sc(2, 2, 24, 1))
	t0 := at("2026-03-05 10:00:00")
	st := State{FirstContactAt: t0, LastSentAt: t0}
	step, _ := Next(cfg, st, Window{}, 0, t0.Add(time.Minute))
	Record(&st, step, t0.Add(time.Minute))
	// A chat message (not a follow-up) at 02:00 on day 2.
	st.LastSentAt = at("2026-03-06 02:00:00")
	step, ok := Next(cfg, st, Window{}, 0, at("2026-03-06 12:00:00"))
	if !ok || step.ScriptID != 2 || fmtT(step.DueAt) != "2026-03-07 02:00:00" || step.CadenceDay != 3 {
		t.Fatalf("got %+v, want script 2 due 2026-03-07 02:00:00 (24 h after the chat) on day 3", step)
	}
	// A manual send after T0 but before the first follow-up counts too.
	st = State{FirstContactAt: t0, LastSentAt: t0.Add(10 * time.Minute)}
	step, _ = Next(cfg, st, Window{}, 0, t0.Add(10*time.Minute))
	if fmtT(step.DueAt) != "2026-03-06 10:10:00" || step.ScriptID != 1 {
		t.Fatalf("after a manual send: got %+v, want script 1 due 24 h after it", step)
	}
	// A recorded follow-up later than LastSentAt (caller forgot to bump it) still counts.
	st = State{FirstContactAt: t0, LastSentAt: t0, Sent: []Occurrence{{ConfigID: 1, ScriptID: 1, N: 1, At: at("2026-03-06 08:00:00")}}}
	step, _ = Next(cfg, st, Window{}, 0, at("2026-03-06 09:00:00"))
	if fmtT(step.DueAt) != "2026-03-07 08:00:00" {
		t.Fatalf("got %+v, want due 24 h after the recorded send", step)
	}
}

// Days are calendar dates in the account timezone; both sides of the
// boundary, and the boundary is Shanghai midnight (16:00 UTC), not UTC's.
func TestCalendarDayBoundaries(t *testing.T) {
	t0 := at("2026-03-05 23:50:00")
	for _, tc := range []struct {
		t   time.Time
		day int
	}{
		{at("2026-03-05 00:00:00"), 1}, // before T0 clamps to 1
		{t0, 1},
		{at("2026-03-05 23:59:59"), 1},
		{at("2026-03-06 00:00:00"), 2},
		{at("2026-03-06 23:59:59"), 2},
		{at("2026-03-07 00:00:00"), 3},
		{at("2027-03-05 00:00:00"), 366},
	} {
		if got := Day(t0, tc.t, sh); got != tc.day {
			t.Errorf("Day(%s) = %d, want %d", fmtT(tc.t), got, tc.day)
		}
	}
	// 07:00 Shanghai is 23:00 UTC the day before; 08:00 Shanghai is UTC midnight.
	t1 := at("2026-03-05 07:00:00")
	if d := Day(t1, at("2026-03-05 08:00:00"), sh); d != 1 {
		t.Errorf("day changed at UTC midnight: %d", d)
	}
	if d := Day(t1, at("2026-03-05 08:00:00"), time.UTC); d != 2 {
		t.Errorf("in UTC the same instants are days 1 and 2, got %d", d)
	}

	cfg := cfgOf(sc(1, 1, 0, 1), sc(2, 2, 0, 1))
	st := State{FirstContactAt: t0, LastSentAt: t0}
	s1, _ := Next(cfg, st, Window{}, 0, t0)
	Record(&st, s1, s1.DueAt)
	for _, tc := range []struct{ now, due string }{
		{"2026-03-05 23:59:59", "2026-03-06 00:00:00"}, // last second of day 1: wait
		{"2026-03-06 00:00:00", "2026-03-06 00:00:00"}, // first second of day 2: go
	} {
		step, ok := Next(cfg, st, Window{}, 0, at(tc.now))
		if !ok || step.ScriptID != 2 || fmtT(step.DueAt) != tc.due || step.CadenceDay != 2 {
			t.Errorf("now %s: got %+v, want script 2 due %s on day 2", tc.now, step, tc.due)
		}
	}
}

// Day numbering and day starts follow the calendar across a DST change
// (New York, 2026-03-08 is 23 h long); Shanghai has no DST, so its days
// are always 24 h.
func TestDaysAcrossDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 7, 12, 0, 0, 0, ny)
	if got := DayStart(t0, 3, ny).Sub(DayStart(t0, 2, ny)); got != 23*time.Hour {
		t.Fatalf("2026-03-08 in New York lasts %s, want 23h", got)
	}
	cfg := cfgOf(sc(1, 1, 0, 1), sc(2, 2, 0, 1), sc(3, 3, 0, 1))
	got, _ := simulate(t, cfg, Window{Loc: ny}, t0, t0.Add(10*24*time.Hour), 10)
	var local []string
	for _, s := range got {
		local = append(local, s.key+"@"+mustParse(s.at).In(ny).Format("01-02 15:04:05"))
	}
	want := "1/1@03-07 12:00:30 2/1@03-08 00:00:00 3/1@03-09 00:00:00"
	if strings.Join(local, " ") != want {
		t.Fatalf("New York sends: %v, want %s", local, want)
	}
	t0 = at("2026-03-07 12:00:00")
	for d := 1; d < 400; d++ {
		if got := DayStart(t0, d+1, sh).Sub(DayStart(t0, d, sh)); got != 24*time.Hour {
			t.Fatalf("Shanghai day %d lasts %s", d, got)
		}
	}
}

func mustParse(s string) time.Time { return at(s) }

func TestDayZeroFillsGapsAndRepeats(t *testing.T) {
	// Day 1 and day 3 scripts, none on day 2 → day 0 on day 2, not on day 3,
	// then every day from day 4 (interval 0: once a day, not continuously).
	cfg := cfgOf(sc(1, 1, 0, 1), sc(3, 3, 0, 1), sc(5, 0, 0, 2), sc(6, 0, 0, 1))
	got, _ := simulate(t, cfg, Window{}, at("2026-03-05 10:00:00"), at("2026-03-09 23:59:59"), 20)
	wantSends(t, got,
		"1/1@2026-03-05 10:00:30",
		"6/1@2026-03-06 00:00:00", // day 2: no numbered script; day 0 in order
		"5/1@2026-03-06 00:00:00",
		"3/1@2026-03-07 00:00:00", // day 3 has its own script: no day 0
		"6/2@2026-03-08 00:00:00",
		"5/2@2026-03-08 00:00:00",
		"6/3@2026-03-09 00:00:00",
		"5/3@2026-03-09 00:00:00",
	)
	// A day-0 script added later joins the cycle at once (fewest sends first).
	_, st := simulate(t, cfg, Window{}, at("2026-03-05 10:00:00"), at("2026-03-09 23:59:59"), 20)
	cfg.Scripts = append(cfg.Scripts, sc(11, 0, 0, 9))
	step, ok := Next(cfg, st, Window{}, 0, at("2026-03-09 12:00:00"))
	if !ok || step.Key != "11/1" || fmtT(step.DueAt) != "2026-03-09 00:00:00" { // overdue: send now
		t.Fatalf("new day-0 script: got %+v", step)
	}
	// Only day-0 scripts: they start on day 1 after the reply wait.
	got, _ = simulate(t, cfgOf(sc(5, 0, 48, 1)), Window{}, at("2026-03-05 10:00:00"), at("2026-03-10 00:00:00"), 20)
	wantSends(t, got, "5/1@2026-03-05 10:00:30", "5/2@2026-03-07 10:00:30", "5/3@2026-03-09 10:00:30")
}

func TestPendingNumberedBeforeDayZero(t *testing.T) {
	// Quiet hours push the day-1 script to day 2 morning; it is still sent
	// (not skipped), before day 0, and day 2 follows after its interval.
	cfg := cfgOf(sc(1, 1, 0, 1), sc(2, 2, 24, 1), sc(3, 0, 24, 1))
	w := Window{QuietStart: "22:00", QuietEnd: "08:00"}
	got, _ := simulate(t, cfg, w, at("2026-03-05 21:59:50"), at("2026-03-09 23:59:59"), 20)
	wantSends(t, got,
		"1/1@2026-03-06 08:00:00",
		"2/1@2026-03-07 08:00:00",
		"3/1@2026-03-08 08:00:00",
		"3/2@2026-03-09 08:00:00",
	)
}

func TestInactiveScriptsIgnored(t *testing.T) {
	off := func(s Script) Script { s.IsActive = false; return s }
	cfg := cfgOf(sc(1, 1, 0, 1), off(sc(2, 1, 0, 0)), off(sc(3, 2, 0, 1)), sc(4, 0, 0, 1), off(sc(5, 0, 0, 0)),
		Script{ID: 6, DayNumber: -1, Content: "bad", IsActive: true})
	got, _ := simulate(t, cfg, Window{}, at("2026-03-05 10:00:00"), at("2026-03-07 23:59:59"), 20)
	// Day 2's only script is inactive, so day 2 uses day 0.
	wantSends(t, got, "1/1@2026-03-05 10:00:30", "4/1@2026-03-06 00:00:00", "4/2@2026-03-07 00:00:00")
}

func TestQuietHoursCrossingMidnightShanghai(t *testing.T) {
	w := Window{QuietStart: "22:00", QuietEnd: "08:00", Loc: sh}
	cfg := cfgOf(sc(1, 1, 0, 1), sc(2, 2, 1, 1))
	for _, tc := range []struct{ t0, now, due string }{
		{"2026-03-05 21:59:00", "2026-03-05 21:59:00", "2026-03-05 21:59:30"}, // before quiet: go
		{"2026-03-05 21:59:45", "2026-03-05 21:59:45", "2026-03-06 08:00:00"}, // due 22:00:15: wait for 08:00
		{"2026-03-05 23:00:00", "2026-03-05 23:00:00", "2026-03-06 08:00:00"}, // evening part
		{"2026-03-05 03:00:00", "2026-03-05 03:00:00", "2026-03-05 08:00:00"}, // morning part, same date
		{"2026-03-05 03:00:00", "2026-03-05 07:59:59", "2026-03-05 08:00:00"}, // last quiet second
		{"2026-03-05 03:00:00", "2026-03-05 08:00:00", "2026-03-05 03:00:30"}, // window open: overdue, send now
	} {
		st := State{FirstContactAt: at(tc.t0), LastSentAt: at(tc.t0)}
		step, ok := Next(cfg, st, w, 0, at(tc.now))
		if !ok || step.ScriptID != 1 || fmtT(step.DueAt) != tc.due {
			t.Errorf("t0 %s now %s: got %+v, want script 1 due %s", tc.t0, tc.now, step, tc.due)
		}
	}
	// The same instants in UTC: 22:00 Shanghai is 14:00 UTC.
	st := State{FirstContactAt: time.Date(2026, 3, 5, 14, 30, 0, 0, time.UTC)}
	st.LastSentAt = st.FirstContactAt
	step, _ := Next(cfg, st, w, 0, st.FirstContactAt)
	if !step.DueAt.Equal(time.Date(2026, 3, 6, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("UTC input: due %s, want 08:00 Shanghai", step.DueAt.UTC())
	}
	// Equal start and end: no quiet hours at all.
	st = State{FirstContactAt: at("2026-03-05 03:00:00"), LastSentAt: at("2026-03-05 03:00:00")}
	if step, _ := Next(cfg, st, Window{QuietStart: "08:00", QuietEnd: "08:00"}, 0, st.FirstContactAt); fmtT(step.DueAt) != "2026-03-05 03:00:30" {
		t.Errorf("empty quiet window: due %s", fmtT(step.DueAt))
	}
	// A window that does not cross midnight (lunch break).
	lunch := Window{QuietStart: "12:00", QuietEnd: "13:30"}
	st = State{FirstContactAt: at("2026-03-05 11:59:40"), LastSentAt: at("2026-03-05 11:59:40")}
	if step, _ := Next(cfg, st, lunch, 0, st.FirstContactAt); fmtT(step.DueAt) != "2026-03-05 13:30:00" {
		t.Errorf("lunch window: due %s", fmtT(step.DueAt))
	}
	// Simulated days: nothing is ever sent in quiet hours.
	many := cfgOf(sc(1, 1, 5, 1), sc(2, 1, 5, 2), sc(3, 2, 7, 1), sc(4, 0, 13, 1))
	got, _ := simulate(t, many, w, at("2026-03-05 18:00:00"), at("2026-03-20 00:00:00"), 100)
	for _, s := range got {
		if h := mustParse(s.at).Hour(); h >= 22 || h < 8 {
			t.Errorf("sent in quiet hours: %s", s)
		}
	}
	if len(got) < 10 {
		t.Errorf("only %d sends over 15 days: %v", len(got), got)
	}
}

func TestDailyCap(t *testing.T) {
	cfg := cfgOf(sc(1, 1, 0, 1), sc(2, 2, 0, 1))
	t0 := at("2026-03-05 10:00:00")
	st := State{FirstContactAt: t0, LastSentAt: t0}
	quiet := Window{QuietStart: "22:00", QuietEnd: "08:00", DailyCap: 3}
	for _, tc := range []struct {
		w         Window
		sentToday int
		now, due  string
	}{
		{quiet, 2, "2026-03-05 11:00:00", "2026-03-05 10:00:30"},               // under the cap
		{quiet, 3, "2026-03-05 11:00:00", "2026-03-06 08:00:00"},               // cap: next date, after quiet hours
		{Window{DailyCap: 3}, 3, "2026-03-05 11:00:00", "2026-03-06 00:00:00"}, // cap, no quiet hours: midnight
		{Window{DailyCap: 3}, 9, "2026-03-05 10:00:00", "2026-03-06 00:00:00"}, // over the cap
		{Window{}, 1000, "2026-03-05 11:00:00", "2026-03-05 10:00:30"},         // 0 = no cap
	} {
		step, ok := Next(cfg, st, tc.w, tc.sentToday, at(tc.now))
		if !ok || fmtT(step.DueAt) != tc.due {
			t.Errorf("cap %d sent %d now %s: got %+v, want due %s", tc.w.DailyCap, tc.sentToday, tc.now, step, tc.due)
		}
	}
	// The cap counts today only: a step already due on a later date is unaffected.
	s1, _ := Next(cfg, st, Window{}, 0, t0)
	Record(&st, s1, s1.DueAt)
	step, _ := Next(cfg, st, Window{DailyCap: 1}, 1, at("2026-03-05 12:00:00"))
	if step.ScriptID != 2 || fmtT(step.DueAt) != "2026-03-06 00:00:00" {
		t.Errorf("tomorrow's step: got %+v", step)
	}
	// Across simulated days, with a cap of 1: one send per date, in order.
	got, _ := simulate(t, cfgOf(sc(1, 1, 0, 1), sc(2, 1, 0, 2), sc(3, 1, 0, 3)), Window{DailyCap: 1}, t0, t0.Add(10*24*time.Hour), 10)
	wantSends(t, got, "1/1@2026-03-05 10:00:30", "2/1@2026-03-06 00:00:00", "3/1@2026-03-07 00:00:00")
}

func TestDeterministicAndPure(t *testing.T) {
	cfg := cfgOf(sc(1, 1, 24, 1), sc(2, 2, 24, 1), sc(3, 0, 72, 1))
	_, st := simulate(t, cfg, Window{}, at("2026-03-05 10:00:00"), at("2026-03-14 00:00:00"), 100)
	snapshot := State{FirstContactAt: st.FirstContactAt, LastSentAt: st.LastSentAt, Sent: append([]Occurrence(nil), st.Sent...)}
	cfgCopy := cfgOf(append([]Script(nil), cfg.Scripts...)...)
	now := at("2026-03-14 09:00:00")
	w := Window{QuietStart: "22:00", QuietEnd: "08:00", DailyCap: 5}
	a, okA := Next(cfg, st, w, 2, now)
	b, okB := Next(cfg, st, w, 2, now)
	if !okA || !okB || !reflect.DeepEqual(a, b) {
		t.Fatalf("two calls differ: %+v / %+v", a, b)
	}
	if !reflect.DeepEqual(st, snapshot) || !reflect.DeepEqual(cfg, cfgCopy) {
		t.Fatal("Next changed its inputs")
	}
	// Scripts listed in another order give the same step.
	rev := cfgOf(cfg.Scripts[2], cfg.Scripts[0], cfg.Scripts[1])
	if c, _ := Next(rev, st, w, 2, now); !reflect.DeepEqual(a, c) {
		t.Fatalf("script order changed the step: %+v / %+v", a, c)
	}
	if a.Key != "3/3" || fmtT(a.DueAt) != "2026-03-15 10:00:30" {
		t.Fatalf("got %+v", a)
	}
}

func TestRecordAndIdentity(t *testing.T) {
	cfg := cfgOf(sc(7, 1, 0, 1), sc(8, 0, 0, 1))
	t0 := at("2026-03-05 10:00:00")
	st := State{FirstContactAt: t0, LastSentAt: t0}
	step, _ := Next(cfg, st, Window{}, 0, t0)
	if step.Key != "7/1" || step.UID("acc1", "cand9") != "followup/acc1/cand9/7/1" {
		t.Fatalf("identity: %+v %s", step, step.UID("acc1", "cand9"))
	}
	sentAt := t0.Add(time.Minute)
	Record(&st, step, sentAt)
	Record(&st, step, sentAt.Add(time.Hour)) // retried write: no-op
	if len(st.Sent) != 1 || !st.LastSentAt.Equal(sentAt) || !st.Has(7, 1) || st.Has(7, 2) {
		t.Fatalf("state after Record: %+v", st)
	}
	// A sent step is never proposed again.
	next, _ := Next(cfg, st, Window{}, 0, sentAt)
	if next.Key != "8/1" {
		t.Fatalf("after recording 7/1: got %s", next.Key)
	}
	// Record never moves LastSentAt back.
	st.LastSentAt = t0.Add(5 * time.Hour)
	Record(&st, next, t0.Add(2*time.Hour))
	if !st.LastSentAt.Equal(t0.Add(5 * time.Hour)) {
		t.Fatalf("LastSentAt moved back to %s", st.LastSentAt)
	}
	ri := step.RecordInput("acc1", "cand9", sentAt)
	if ri.UID != "followup/acc1/cand9/7/1" || ri.Account != "acc1" || ri.CandidateID != "cand9" ||
		*ri.ConfigID != 1 || *ri.ScriptID != 7 || ri.DayNumber != 1 || ri.Content != "script 7" ||
		!ri.SentAt.Equal(sentAt) || ri.GotReply {
		t.Fatalf("record input: %+v", ri)
	}
}

func TestWindowValidate(t *testing.T) {
	for _, tc := range []struct {
		w   Window
		err string
	}{
		{Window{}, ""},
		{Window{QuietStart: "22:00", QuietEnd: "08:00", DailyCap: 10, ReplyWait: time.Minute}, ""},
		{Window{QuietStart: "22:00"}, "quiet_start and quiet_end"},
		{Window{QuietStart: "25:00", QuietEnd: "08:00"}, "quiet_start: want HH:MM"},
		{Window{QuietStart: "22:00", QuietEnd: "8am"}, "quiet_end: want HH:MM"},
		{Window{DailyCap: -1}, "daily_cap"},
		{Window{ReplyWait: -time.Second}, "reply_wait"},
	} {
		err := tc.w.Validate()
		if (tc.err == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tc.err)) {
			t.Errorf("%+v: err %v, want %q", tc.w, err, tc.err)
		}
		if tc.err != "" && !strings.HasPrefix(tc.err, "reply_wait") {
			// An invalid window fails closed: nothing is sent.
			t0 := at("2026-03-05 10:00:00")
			if step, ok := Next(cfgOf(sc(1, 1, 0, 1)), State{FirstContactAt: t0}, tc.w, 0, t0.Add(time.Hour)); ok {
				t.Errorf("%+v: invalid window still gave %+v", tc.w, step)
			}
		}
	}
}
