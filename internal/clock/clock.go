// Package clock gives every component of hunterbot the same notion of time.
//
// Production code uses Real. The demo and the simulator use Scaled, which runs
// N times faster than the wall clock so that days of follow-ups play out in
// minutes. Tests use Manual, which only moves when told to. Business code must
// never call time.Now or time.Sleep directly: it takes a Clock.
package clock

import (
	"context"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on minimal machines too.
)

// Clock is the time source every component takes.
type Clock interface {
	// Now returns the clock's current time.
	Now() time.Time
	// Sleep blocks until d has elapsed on this clock or ctx is done, in which
	// case it returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
	// After returns a channel that receives the clock's time once d has
	// elapsed on this clock. The channel is buffered; nobody needs to read it.
	After(d time.Duration) <-chan time.Time
}

// Advancer is a clock that can be moved forward on request (the simulator's
// control API and tests use it). Real clocks do not implement it.
type Advancer interface {
	Clock
	// Advance moves the clock forward by d and wakes every sleeper whose
	// deadline has passed.
	Advance(d time.Duration)
}

// Shanghai is the default timezone of recruiter accounts (Asia/Shanghai).
var Shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// time/tzdata is linked in, so this only happens on a broken build.
		panic("clock: load " + name + ": " + err.Error())
	}
	return loc
}

// Real is the wall clock.
type Real struct{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (Real) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// After implements Clock.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }
