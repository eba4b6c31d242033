package bot

import (
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// Counts go to the Shanghai day of the action; a run reports today and
// yesterday only.
func TestDayTallySplitsAtShanghaiMidnightAndKeepsTwoDays(t *testing.T) {
	d := newDayTally()
	at := func(day, h, m int) time.Time { return time.Date(2026, 3, day, h, m, 0, 0, clock.Shanghai) }
	greet := func(c *wire.DayCount) { c.Greetings++ }
	d.add(at(5, 23, 59), greet)
	d.add(at(5, 23, 59).UTC(), greet) // same instant in UTC: still the 5th in Shanghai
	d.add(at(6, 0, 1), greet)
	got := d.snapshot()
	if len(got) != 2 || got[0] != (wire.DayCount{Day: "2026-03-05", Greetings: 2}) || got[1] != (wire.DayCount{Day: "2026-03-06", Greetings: 1}) {
		t.Fatalf("two days: %+v", got)
	}
	d.add(at(7, 9, 0), func(c *wire.DayCount) { c.Messages++ })
	got = d.snapshot()
	if len(got) != 2 || got[0].Day != "2026-03-06" || got[1] != (wire.DayCount{Day: "2026-03-07", Messages: 1}) {
		t.Fatalf("third day: %+v", got)
	}
	if newDayTally().run == d.run {
		t.Fatal("two runs share an id")
	}
}
