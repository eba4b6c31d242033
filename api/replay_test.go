package api_test

import (
	"net/http"
	"testing"

	"github.com/hunterbot/hunterbot/api/wire"
)

// TestParkedReportsAlertAndReplay: a worker heartbeat whose parked counter
// rises raises one reports_parked alert (not a second one while it stays),
// and an operator's replay is queued once for the owning worker.
func TestParkedReportsAlertAndReplay(t *testing.T) {
	e := newEnv(t)
	e.registerAccount(testWorkerTk, "boss-a")
	beat := func(parked int) {
		t.Helper()
		body := `{"accounts":[{"key":"boss-a","state":"running","counters":{"parked":` + itoa(uint64(parked)) + `}}]}`
		if code, b := e.callAs(testWorkerTk, "POST", "/api/worker/heartbeat", body); code != 200 {
			t.Fatalf("heartbeat: %d %s", code, b)
		}
	}
	alerts := func() []wire.Alert {
		t.Helper()
		code, body := e.call("GET", "/api/alerts?account=boss-a", "")
		if code != 200 {
			t.Fatalf("alerts: %d %s", code, body)
		}
		var page struct{ Results []wire.Alert }
		mustJSON(t, body, &page)
		return page.Results
	}
	beat(0)
	if got := alerts(); len(got) != 0 {
		t.Fatalf("alerts before parking = %+v", got)
	}
	beat(1)
	beat(1) // unchanged: no second alert
	got := alerts()
	if len(got) != 1 || got[0].State != wire.AlertReportsParked || got[0].Webhook != wire.WebhookPending || got[0].LastError == "" {
		t.Fatalf("alerts after parking = %+v", got)
	}

	code, body := e.call("POST", "/api/accounts/boss-a/outbox/replay", `{"note":"touch_msg set"}`)
	var cmd wire.Command
	mustJSON(t, body, &cmd)
	if code != http.StatusAccepted || cmd.Kind != wire.CommandReplayParked || cmd.Account != "boss-a" || cmd.Status != wire.CommandPending {
		t.Fatalf("replay: %d %s", code, body)
	}
	if code, body := e.call("POST", "/api/accounts/boss-a/outbox/replay", ""); code != http.StatusOK {
		t.Fatalf("second replay while open: %d %s", code, body)
	}
	if code, _ := e.call("POST", "/api/accounts/nobody/outbox/replay", ""); code != http.StatusNotFound {
		t.Fatalf("replay of an unknown account: %d", code)
	}
	if code, _ := e.callAs("", "POST", "/api/accounts/boss-a/outbox/replay", ""); code != http.StatusUnauthorized {
		t.Fatalf("replay without auth: %d", code)
	}
}
