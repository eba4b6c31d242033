package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
)

// TestWorkerLostAlertOncePerSilence: a worker whose running accounts all
// go silent past worker_lost_after raises one worker_lost alert (listed,
// queued for the webhook, and sent to a robot route); a second check of the
// same silence raises none; after it comes back and goes silent again, a
// new one.
func TestWorkerLostAlertOncePerSilence(t *testing.T) {
	e := newEnv(t)
	f := newFakeRobots(t)
	cfg := api.AlertsConfig{Routes: f.routes()[:1], WorkerLostAfter: 2 * time.Minute}
	deliverRobots(t, e.api, cfg)
	e.beat("boss-a", "running", "")
	lost := func() int {
		t.Helper()
		n := 0
		for _, a := range e.alerts("?page_size=100").Results {
			if a.State == wire.AlertWorkerLost {
				n++
			}
		}
		return n
	}
	check := func(want bool) {
		t.Helper()
		raised, err := e.api.CheckWorkersLost(cfg)
		if err != nil || raised != want {
			t.Fatalf("CheckWorkersLost = %v, %v; want %v", raised, err, want)
		}
	}
	e.clk.Advance(time.Minute)
	check(false)
	e.clk.Advance(90 * time.Second)
	check(true)
	check(false)
	if n := lost(); n != 1 {
		t.Fatalf("%d worker_lost alerts, want 1", n)
	}
	l := e.alerts("?page_size=1").Results[0]
	if l.WorkerID != testWorker || l.Account != "" || !strings.Contains(l.LastError, "boss-a") {
		t.Fatalf("alert = %+v", l)
	}
	deliverRobots(t, e.api, cfg)
	if got := f.messages(); len(got) != 1 || !strings.Contains(got[0].Text, testWorker) || !strings.Contains(got[0].Text, "工作节点失联") {
		t.Fatalf("robot got %+v", got)
	}

	e.beat("boss-a", "running", "") // back
	check(false)
	e.clk.Advance(3 * time.Minute)
	check(true)
	if n := lost(); n != 2 {
		t.Fatalf("%d worker_lost alerts after a second silence, want 2", n)
	}

	// A clean shutdown reports its accounts stopped: no alert.
	e.beat("boss-a", "stopped", "")
	e.clk.Advance(10 * time.Minute)
	check(false)
}
