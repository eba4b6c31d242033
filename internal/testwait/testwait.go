// Package testwait bounds the waits of tests: a test waits on a condition,
// never on a wall-clock budget, and gives up only shortly before the test
// binary's own deadline (go test -timeout), so a condition that never holds
// still fails with the test's message while a loaded machine only makes the
// waits take longer. Fixed budgets (5-90 s) failed good runs on a busy CI
// machine.
package testwait

import (
	"context"
	"testing"
	"time"
)

// margin is left before the binary's deadline for the failure to be
// reported (the test's message, its clean-ups) before go test panics.
const margin = 10 * time.Second

// Guard is the moment a wait in t gives up: margin before the test
// binary's deadline, or a day from now without one.
func Guard(t testing.TB) time.Time {
	t.Helper()
	if tt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := tt.Deadline(); ok {
			return dl.Add(-margin)
		}
	}
	return time.Now().Add(24 * time.Hour)
}

// Context returns a context derived from parent (t.Context() when nil)
// that ends at Guard(t); it is cancelled when t ends.
func Context(t testing.TB, parent context.Context) context.Context {
	t.Helper()
	if parent == nil {
		parent = t.Context()
	}
	ctx, cancel := context.WithDeadline(parent, Guard(t))
	t.Cleanup(cancel)
	return ctx
}

// pollEvery is how often Until re-checks its condition.
const pollEvery = 100 * time.Millisecond

// Until polls cond until it holds and returns how long that took. It gives
// up at Guard(t) with a message naming what it waited for and, when report
// is not nil, what report says about the state then.
func Until(t testing.TB, what string, cond func() bool, report func() string) time.Duration {
	t.Helper()
	start := time.Now()
	guard := Guard(t)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !cond() {
		if !time.Now().Before(guard) {
			extra := ""
			if report != nil {
				extra = " (" + report() + ")"
			}
			t.Fatalf("gave up after %v (the test binary's deadline is near) waiting for %s%s", time.Since(start).Round(time.Second), what, extra)
		}
		<-tick.C
	}
	return time.Since(start)
}
