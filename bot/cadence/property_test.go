package cadence

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestInvariantsRandomConfigs runs many random configs, send windows and
// start times over 40 simulated days and checks every rule on the sends
// the agent would make, plus that Next is stable between two sends.
func TestInvariantsRandomConfigs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	windows := []Window{
		{},
		{QuietStart: "22:00", QuietEnd: "08:00"},
		{QuietStart: "22:00", QuietEnd: "08:00", DailyCap: 1},
		{QuietStart: "12:00", QuietEnd: "14:30", DailyCap: 2, ReplyWait: 5 * time.Minute},
		{QuietStart: "00:00", QuietEnd: "09:15", DailyCap: 3},
	}
	for run := range 400 {
		var scripts []Script
		for i := range 1 + rng.IntN(7) {
			s := Script{ID: uint64(100 + rng.IntN(50)*10 + i), ConfigID: 1, DayNumber: rng.IntN(5),
				IntervalHours: []int{0, 1, 5, 24, 48, 72}[rng.IntN(6)], Order: rng.IntN(3), IsActive: rng.IntN(6) > 0}
			s.Content = fmt.Sprintf("s%d", s.ID)
			scripts = append(scripts, s)
		}
		cfg := cfgOf(scripts...)
		w := windows[rng.IntN(len(windows))]
		t0 := at("2026-03-05 00:00:00").Add(time.Duration(rng.IntN(24*3600)) * time.Second)
		name := fmt.Sprintf("run %d: window %+v t0 %s scripts %+v", run, w, fmtT(t0), scripts)
		checkRun(t, name, rng, cfg, w, t0, t0.Add(40*24*time.Hour))
		if t.Failed() {
			return
		}
	}
}

func checkRun(t *testing.T, name string, rng *rand.Rand, cfg Config, w Window, t0, until time.Time) {
	qs, qe, quiet, err := w.parse()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[uint64]Script{}
	numberedDays := map[int]bool{}
	for _, s := range cfg.Scripts {
		byID[s.ID] = s
		if s.IsActive && s.DayNumber > 0 {
			numberedDays[s.DayNumber] = true
		}
	}
	st := State{FirstContactAt: t0, LastSentAt: t0}
	perDay := map[int]int{}
	now := t0
	var lastNumbered *Script
	day0PerDate := map[string]bool{}
	for range 200 {
		today := civil(now.In(w.loc()))
		step, ok := Next(cfg, st, w, perDay[today], now)
		if !ok {
			break
		}
		if step.DueAt.After(now) {
			// Stable while waiting: a probe between now and DueAt (same
			// date, so the caller's count is unchanged) sees the same step.
			probe := now.Add(time.Duration(rng.Int64N(int64(step.DueAt.Sub(now)))))
			if civil(probe.In(w.loc())) == today {
				p, ok := Next(cfg, st, w, perDay[today], probe)
				if !ok || p.Key != step.Key || !p.DueAt.Equal(step.DueAt) {
					t.Fatalf("%s\nprobe at %s: %+v, want %+v", name, fmtT(probe), p, step)
				}
			}
			now = step.DueAt
			again, ok := Next(cfg, st, w, perDay[civil(now.In(w.loc()))], now)
			if !ok || again.Key != step.Key {
				t.Fatalf("%s\nat DueAt %s: %+v ok=%v, want %s", name, fmtT(now), again, ok, step.Key)
			}
			step = again
		}
		if now.After(until) {
			break
		}
		s := byID[step.ScriptID]
		fail := func(format string, a ...any) {
			t.Fatalf("%s\nsend %s at %s (day %d): %s", name, step.Key, fmtT(now), step.CadenceDay, fmt.Sprintf(format, a...))
		}
		if !s.IsActive {
			fail("inactive script")
		}
		if quiet && !quietEnd(now, qs, qe, w.loc()).Equal(now) {
			fail("in quiet hours")
		}
		if w.DailyCap > 0 && perDay[civil(now.In(w.loc()))] >= w.DailyCap {
			fail("over the daily cap")
		}
		if len(st.Sent) == 0 {
			if now.Before(t0.Add(w.replyWait())) {
				fail("before the reply wait ended")
			}
		} else if prev := st.LastSentAt; now.Before(prev.Add(time.Duration(s.IntervalHours) * time.Hour)) {
			fail("only %s after the previous send, interval %d h", now.Sub(prev), s.IntervalHours)
		}
		if d := Day(t0, now, w.loc()); d != step.CadenceDay {
			fail("CadenceDay %d, want %d", step.CadenceDay, d)
		}
		if s.DayNumber > 0 {
			if step.Occurrence != 1 || st.Has(s.ID, 1) {
				fail("numbered script sent twice")
			}
			if step.CadenceDay < s.DayNumber {
				fail("before its day %d", s.DayNumber)
			}
			if lastNumbered != nil && scriptLess(&s, lastNumbered) {
				fail("out of order after %d", lastNumbered.ID)
			}
			lastNumbered = &s
		} else {
			if numberedDays[step.CadenceDay] {
				fail("day-0 script on a day with numbered scripts")
			}
			date := fmt.Sprintf("%d/%d", s.ID, civil(now.In(w.loc())))
			if day0PerDate[date] {
				fail("day-0 script twice on one date")
			}
			day0PerDate[date] = true
			if step.Occurrence != 1 && !st.Has(s.ID, step.Occurrence-1) {
				fail("occurrence %d without %d", step.Occurrence, step.Occurrence-1)
			}
			// Pending numbered scripts of past days go first.
			for _, o := range cfg.Scripts {
				if o.IsActive && o.DayNumber > 0 && o.DayNumber <= step.CadenceDay && !st.Has(o.ID, 1) {
					fail("day-0 script while numbered script %d (day %d) is pending", o.ID, o.DayNumber)
				}
			}
		}
		Record(&st, step, now)
		perDay[civil(now.In(w.loc()))]++
	}
	// Every active numbered script went out (the longest possible chain of
	// 7 scripts × 72 h fits in 40 days even with a cap of one a day).
	for _, s := range cfg.Scripts {
		if s.IsActive && s.DayNumber > 0 && !st.Has(s.ID, 1) {
			t.Fatalf("%s\nnumbered script %d never sent; sent %+v", name, s.ID, st.Sent)
		}
	}
}
