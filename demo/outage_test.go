package demo

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// The brain and the control plane answer 503 for 80 minutes of sim time in
// the middle of the day. The worker keeps its state, its outbox delivers
// once they are back, and nothing is duplicated: not on the site, not in
// the brain's greeting count, not in the control plane.
func TestBrainAndControlOutage(t *testing.T) {
	t.Parallel()
	sc := manualScenario()
	clk := clock.NewManual(sc.Start)
	downFrom, downTo := sc.Start.Add(40*time.Minute), sc.Start.Add(2*time.Hour)
	var refused atomic.Int64
	outage := func(component string, h http.Handler) http.Handler {
		if component == "sim" {
			return h
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if now := clk.Now(); !now.Before(downFrom) && now.Before(downTo) {
				refused.Add(1)
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	const helloSum = 15
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: t.TempDir(), Scenario: sc,
		Clock: clk, Seed: 5, Log: zerolog.Nop(), Browser: browsertest.Browser(t), HelloSum: helloSum,
		ChatPoll: time.Minute, Middleware: outage, Heartbeat: manualHeartbeat})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	h := &harness{t: t, d: d, clk: clk}
	end := sc.Start.Add(5 * time.Hour)
	h.run(end)

	if refused.Load() == 0 {
		t.Fatal("no request reached the brain or control plane during the outage; the test proved nothing")
	}
	truth := d.Sim.Truth().Accounts["demo"]
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicates: %+v %+v", truth.DuplicateGreetings, truth.DuplicateMessages)
	}
	if len(truth.Greetings) == 0 {
		t.Fatal("no greetings")
	}
	// The brain counted every greeting exactly once: what it still plans
	// is the plan minus the greetings the site saw.
	bc, err := brain.New(brain.Options{BaseURL: d.BrainURL, Token: d.BrainToken})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := bc.FetchTasks(context.Background(), brain.TaskFetchRequest{AccountID: "account_boss_demo"})
	if err != nil {
		t.Fatal(err)
	}
	perJob := map[string]int{}
	for _, g := range truth.Greetings {
		perJob["job_boss_"+strconv.FormatInt(g.JobID, 10)]++
	}
	for _, task := range tasks {
		if want := helloSum - perJob[task.JobID]; task.HelloSum != want {
			t.Errorf("brain plans %d more greetings for %s, want %d (site greeted %d)", task.HelloSum, task.JobID, want, perJob[task.JobID])
		}
	}
	// Every contact disclosed before the last hour reached the control plane.
	contacts := controlContacts(t, d)
	for _, disc := range truth.Disclosures {
		if disc.Type == "cv" || disc.Time.After(end.Add(-time.Hour)) {
			continue
		}
		c := contacts[strconv.FormatInt(disc.CandidateID, 10)]
		got := c.Wechat
		if disc.Type == "phone" {
			got = c.Phone
		}
		if got != disc.Value {
			t.Errorf("candidate %d disclosed %s %q; control plane has %q", disc.CandidateID, disc.Type, disc.Value, got)
		}
	}
	for _, g := range truth.Greetings {
		if _, ok := contacts[strconv.FormatInt(g.CandidateID, 10)]; !ok {
			t.Errorf("greeted candidate %d has no contact record in the control plane", g.CandidateID)
		}
	}
	t.Logf("%d requests refused during the outage; %d greetings, %d disclosures, %d contacts",
		refused.Load(), len(truth.Greetings), len(truth.Disclosures), len(contacts))
}
