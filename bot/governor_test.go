package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/testwait"
)

// runFast performs n actions, jumping the manual clock to each wait's end,
// and returns the times at which they were performed.
func runFast(t *testing.T, clk *clock.Manual, g *Governor, a Action, n int) ([]time.Time, error) {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), testwait.Guard(t))
	defer cancel()
	var times []time.Time
	for i := 0; i < n; i++ {
		done := make(chan error, 1)
		go func() { done <- g.Wait(ctx, a) }()
		for {
			select {
			case err := <-done:
				if err != nil {
					return times, err
				}
				times = append(times, clk.Now())
			case <-time.After(time.Millisecond):
				clk.AdvanceToNext()
				continue
			}
			break
		}
	}
	return times, nil
}

func TestGovernorGapsCapsAndRest(t *testing.T) {
	start := time.Date(2026, 3, 5, 9, 0, 0, 0, clock.Shanghai)
	clk := clock.NewManual(start)
	cfg := Pacing{Greet: Limits{Gap: Range{30 * time.Second, 60 * time.Second}, PerHour: 10, PerDay: 25,
		RestEvery: 5, Rest: Range{5 * time.Minute, 5 * time.Minute}}}
	g := NewGovernor(clk, clock.Shanghai, cfg, 1)
	times, err := runFast(t, clk, g, ActGreet, 26)
	if !errors.Is(err, ErrDailyCap) {
		t.Fatalf("26th greeting: err = %v, want ErrDailyCap", err)
	}
	if len(times) != 25 {
		t.Fatalf("performed %d greetings, want the daily cap of 25", len(times))
	}
	for i := 1; i < len(times); i++ {
		gap := times[i].Sub(times[i-1])
		if gap < 30*time.Second {
			t.Fatalf("gap %d = %v, below the 30s minimum", i, gap)
		}
		if i%5 == 0 && gap < 5*time.Minute+30*time.Second {
			t.Fatalf("greeting %d came %v after the previous: no rest after a burst of 5", i, gap)
		}
	}
	for i := range times {
		n := 0
		for _, u := range times[:i+1] {
			if u.After(times[i].Add(-time.Hour)) {
				n++
			}
		}
		if n > 10 {
			t.Fatalf("%d greetings within the hour ending %v, cap is 10", n, times[i])
		}
	}
	if g.Count(ActGreet) != 25 {
		t.Fatalf("Count = %d", g.Count(ActGreet))
	}
	// The next day the cap resets.
	clk.Set(time.Date(2026, 3, 6, 9, 0, 0, 0, clock.Shanghai))
	if _, err := runFast(t, clk, g, ActGreet, 1); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

func TestGovernorQuietHoursInAccountTimezone(t *testing.T) {
	// 23:30 in Shanghai is inside 22:00–08:00; the action waits until 08:00.
	clk := clock.NewManual(time.Date(2026, 3, 5, 23, 30, 0, 0, clock.Shanghai).UTC())
	cfg := Pacing{Message: Limits{Gap: Range{time.Second, time.Second}}, QuietStart: "22:00", QuietEnd: "08:00"}
	g := NewGovernor(clk, clock.Shanghai, cfg, 1)
	if !g.InQuietHours() {
		t.Fatal("23:30 Shanghai not reported as quiet")
	}
	times, err := runFast(t, clk, g, ActMessage, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 3, 6, 8, 0, 1, 0, clock.Shanghai)
	if !times[0].Equal(want) {
		t.Fatalf("message sent at %v, want %v", times[0].In(clock.Shanghai), want)
	}
	// Browsing is not held by quiet hours.
	clk.Set(time.Date(2026, 3, 6, 23, 0, 0, 0, clock.Shanghai))
	g2 := NewGovernor(clk, clock.Shanghai, Pacing{QuietStart: "22:00", QuietEnd: "08:00"}, 1)
	if _, err := runFast(t, clk, g2, ActBrowse, 1); err != nil || clk.Now().After(time.Date(2026, 3, 6, 23, 0, 1, 0, clock.Shanghai)) {
		t.Fatalf("browse waited for quiet hours: now %v err %v", clk.Now(), err)
	}
}

func TestPacingValidateNamesKey(t *testing.T) {
	p := DefaultPacing()
	if err := p.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	p.Greet.Gap = Range{Min: time.Minute, Max: time.Second}
	if err := p.Validate(); err == nil || err.Error()[:17] != "pacing.greet.gap:" {
		t.Fatalf("error = %v", err)
	}
	p = DefaultPacing()
	p.QuietEnd = "25:00"
	if err := p.Validate(); err == nil || err.Error()[:16] != "pacing.quiet_end" {
		t.Fatalf("error = %v", err)
	}
}
