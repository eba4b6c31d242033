package bot

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// dayTally counts what one agent run did per day (Asia/Shanghai, the
// site's day). The heartbeat reports it with the run's id; the control
// plane keeps each run's counts and sums the runs of a day, so counts need
// no persistence here: a restart is a new run.
type dayTally struct {
	run string

	mu   sync.Mutex
	days []wire.DayCount // oldest first, at most keepDays
}

// keepDays is how many days a run reports: today and yesterday, so the
// last actions before midnight still reach the control plane.
const keepDays = 2

// runSeq makes run ids unique within a process even when two agents
// start in the same clock tick.
var runSeq atomic.Uint64

func newDayTally() *dayTally {
	return &dayTally{run: strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.FormatUint(runSeq.Add(1), 36)}
}

// add counts into the day of at.
func (t *dayTally) add(at time.Time, f func(*wire.DayCount)) {
	day := at.In(clock.Shanghai).Format(time.DateOnly)
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.days); n == 0 || t.days[n-1].Day != day {
		t.days = append(t.days, wire.DayCount{Day: day})
		if len(t.days) > keepDays {
			t.days = append([]wire.DayCount(nil), t.days[len(t.days)-keepDays:]...)
		}
	}
	f(&t.days[len(t.days)-1])
}

func (t *dayTally) snapshot() []wire.DayCount {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]wire.DayCount(nil), t.days...)
}

// tally counts one thing the agent did now.
func (a *Agent) tally(f func(*wire.DayCount)) { a.daily.add(a.Clock.Now(), f) }

// DayCounts returns this run's id and its per-day counts (heartbeat).
func (a *Agent) DayCounts() (run string, days []wire.DayCount) {
	return a.daily.run, a.daily.snapshot()
}
