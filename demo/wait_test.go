package demo

import (
	"testing"
	"time"
)

// conditionLimit bounds how long a test waits for a condition before it
// fails. It is a hang guard, not a performance budget: on a quiet machine
// the conditions hold within a minute or two; with two CPU hogs and other
// suites on two cores they took several minutes, and the test must then
// wait rather than fail.
const conditionLimit = 15 * time.Minute

// waitUntil polls cond until it holds, failing the test with what it was
// waiting for (and the report's current figures) after conditionLimit.
func waitUntil(t *testing.T, what string, cond func() bool, report func() string) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(start) > conditionLimit {
			msg := ""
			if report != nil {
				msg = " (" + report() + ")"
			}
			t.Fatalf("gave up after %v waiting for %s%s", conditionLimit, what, msg)
		}
		<-tick.C
	}
	return time.Since(start)
}
