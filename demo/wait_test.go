package demo

import (
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/sim"
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

// manualPageRefresh is the sim chat page's polling period in the tests that
// run on a manual clock. There sim time moves only while the bot waits, so
// the page's real-time polling is unrelated to what the test simulates and
// only costs CPU (two or three XHRs, a body read over CDP and a re-render
// per poll and tab); five seconds keeps a polling, re-rendering page in
// front of the bot at a third of the default's cost.
const manualPageRefresh = 5 * time.Second

// manualHeartbeat is the worker's heartbeat period in the tests that run
// on a manual clock. Every beat is a round trip to the control plane that
// the discrete-event loop waits for before the clock moves on (960 of them
// in eight sim hours at the default 30 s). A beat also pulls what the
// control plane queued (manual sends, operator commands, rule and config
// changes): only tests that queue nothing mid-run lengthen it.
const manualHeartbeat = 10 * time.Minute

// manualScenario is the demo scenario for a manual-clock test.
func manualScenario() *sim.Scenario {
	sc := sim.DefaultScenario()
	sc.PageRefresh = manualPageRefresh
	return sc
}

// operatorClient is an operator API client for d whose requests are bounded
// only by the hang guard. A login is a bcrypt comparison on the control
// plane; with every test logging in at start-up and a CPU hog on both
// cores, a 10 s client timeout expired before the answer (the hog run
// failed at POST /oauth/token), which is a wall-clock budget, not a hang.
func operatorClient(d *Demo) *client.Operator {
	return client.NewOperator(d.ControlURL, conditionLimit)
}
