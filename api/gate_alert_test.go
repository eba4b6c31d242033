package api_test

import (
	"testing"

	"github.com/hunterbot/hunterbot/api/wire"
)

// TestGateBlockedAlert: a heartbeat whose gate_blocked counter rises raises
// one texts_blocked alert per rise (none while it stays), also after a
// worker restart reset the count.
func TestGateBlockedAlert(t *testing.T) {
	e := newEnv(t)
	e.registerAccount(testWorkerTk, "boss-a")
	beat := func(n int) {
		t.Helper()
		body := `{"accounts":[{"key":"boss-a","state":"running","counters":{"gate_blocked":` + itoa(uint64(n)) + `}}]}`
		if code, b := e.callAs(testWorkerTk, "POST", "/api/worker/heartbeat", body); code != 200 {
			t.Fatalf("heartbeat: %d %s", code, b)
		}
	}
	count := func() int {
		t.Helper()
		code, body := e.call("GET", "/api/alerts?account=boss-a", "")
		if code != 200 {
			t.Fatalf("alerts: %d %s", code, body)
		}
		var page struct{ Results []wire.Alert }
		mustJSON(t, body, &page)
		n := 0
		for _, a := range page.Results {
			if a.State == wire.AlertTextsBlocked {
				n++
			}
		}
		return n
	}
	for _, step := range []struct{ beat, alerts int }{{0, 0}, {2, 1}, {2, 1}, {3, 2}, {1, 3}, {1, 3}} {
		beat(step.beat)
		if got := count(); got != step.alerts {
			t.Fatalf("after gate_blocked=%d: %d alerts, want %d", step.beat, got, step.alerts)
		}
	}
}
