package cadence

import "time"

// Day returns the cadence day of t for a cadence that started at t0: 1 on
// t0's calendar date in loc, 2 on the next date, and so on (never below 1).
// Days are counted on dates, not in 24-hour steps, so a DST change (a 23-
// or 25-hour day) does not shift them.
func Day(t0, t time.Time, loc *time.Location) int {
	d := civil(t.In(loc)) - civil(t0.In(loc)) + 1
	return max(d, 1)
}

// DayStart returns local midnight of cadence day d (d >= 1).
func DayStart(t0 time.Time, d int, loc *time.Location) time.Time {
	y, m, dd := t0.In(loc).Date()
	return time.Date(y, m, dd+d-1, 0, 0, 0, 0, loc)
}

// civil numbers a local date: consecutive dates give consecutive numbers.
func civil(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func sameDate(a, b time.Time, loc *time.Location) bool {
	return civil(a.In(loc)) == civil(b.In(loc))
}

// midnightAfter returns the start of the local date after t's.
func midnightAfter(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc)
}

// quietEnd returns t if t is outside the quiet window [start, end)
// (minutes after local midnight, possibly crossing midnight), else the
// moment the window ends.
func quietEnd(t time.Time, start, end int, loc *time.Location) time.Time {
	local := t.In(loc)
	minute := local.Hour()*60 + local.Minute()
	var inside bool
	if start < end {
		inside = minute >= start && minute < end
	} else { // crosses midnight, e.g. 22:00–08:00
		inside = minute >= start || minute < end
	}
	if !inside {
		return t
	}
	y, m, d := local.Date()
	if minute >= end { // evening part of a window crossing midnight
		d++
	}
	return time.Date(y, m, d, end/60, end%60, 0, 0, loc)
}
