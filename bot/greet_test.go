package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

func TestAllowedFollowsTheTimeMounts(t *testing.T) {
	task := brain.Task{HelloSum: 10, TimeMount: []brain.TimeMount{{Time: "09:00", Mount: 3}, {Time: "14:00", Mount: 4}, {Time: "bad", Mount: 9}, {Time: "20:00", Mount: 5}}}
	day := func(h, m int) time.Time { return time.Date(2026, 3, 5, h, m, 0, 0, clock.Shanghai) }
	tests := []struct {
		task brain.Task
		at   time.Time
		want int
	}{
		{brain.Task{HelloSum: 7}, day(3, 0), 7}, // no slots: everything at once
		{task, day(8, 59), 0},
		{task, day(9, 0), 3},
		{task, day(14, 30), 7},
		{task, day(21, 0), 10}, // 12 by the mounts, capped by helloSum
		{task, day(9, 0).UTC(), 3},
	}
	for _, tt := range tests {
		if got := allowed(tt.task, tt.at); got != tt.want {
			t.Errorf("allowed(%v at %s) = %d, want %d", tt.task.TimeMount, tt.at.In(clock.Shanghai).Format("15:04"), got, tt.want)
		}
	}
}

// planGreetings gives the brain a plan for job 101 and the site a
// recommend list with the given candidates.
func (h *harness) planGreetings(helloSum int, filter bool, pgs ...[]pages.Geek) *fakeList {
	h.brain.tasks = []brain.Task{{JobID: "job_boss_101", TaskType: "batchTouch", HelloSum: helloSum, Filter: brain.TaskFilter{Ask: filter}}}
	return h.site.addList("101", pgs...)
}

func TestGreetPassGreetsApprovedCandidatesOnce(t *testing.T) {
	h := newHarness(t).login()
	chatted := geekOf(603, "已聊")
	chatted.HaveChatted = true
	noID := geekOf(0, "无ID")
	l := h.planGreetings(4, true,
		[]pages.Geek{geekOf(601, "甲"), geekOf(602, "乙"), chatted, noID},
		[]pages.Geek{geekOf(604, "丁"), geekOf(605, "戊"), geekOf(606, "己")})
	h.brain.reject["602"] = true
	ctx := context.Background()
	if err := h.agent.greetPass(ctx); err != nil {
		t.Fatal(err)
	}
	if want := []string{"enc601", "enc604", "enc605", "enc606"}; !slices.Equal(l.greets, want) {
		t.Fatalf("greeted %q, want %q", l.greets, want)
	}
	if want := []string{"601", "602", "604", "605", "606"}; !slices.Equal(h.brain.filtered, want) {
		t.Fatalf("brain filter asked for %q, want %q", h.brain.filtered, want)
	}
	for _, cid := range []string{"601", "604", "605", "606"} {
		if g := h.greeting(cid); g.State != worker.Done || g.JobID != "job_boss_101" {
			t.Fatalf("greeting %s = %+v", cid, g)
		}
	}
	if k := h.kinds(TargetBrain); k[KindTaskReport] != 4 {
		t.Fatalf("brain outbox %v, want 4 task reports", k)
	}
	if k := h.kinds(TargetControl); k[KindContact] != 4 {
		t.Fatalf("control outbox %v, want 4 contacts", k)
	}
	if st := h.agent.Status(); st.Greeted != 4 || st.Planned != 4 {
		t.Fatalf("status %+v", st)
	}
	// The plan is done for today: another pass greets nobody and the plan
	// is not fetched again, also not after a restart the same day.
	if err := h.agent.greetPass(ctx); err != nil {
		t.Fatal(err)
	}
	h.agent.plan = nil
	if err := h.agent.greetPass(ctx); err != nil {
		t.Fatal(err)
	}
	if len(l.greets) != 4 || h.brain.fetches != 1 {
		t.Fatalf("greets %d, plan fetches %d; want 4 and 1", len(l.greets), h.brain.fetches)
	}
	// The next day brings a new plan.
	h.clk.advance(24 * time.Hour)
	if err := h.agent.greetPass(ctx); err != nil {
		t.Fatal(err)
	}
	if h.brain.fetches != 2 {
		t.Fatalf("plan fetches %d on day two, want 2", h.brain.fetches)
	}
}

func TestGreetPassBatchesAndStopsAtTheListEnd(t *testing.T) {
	h := newHarness(t).login()
	var geeks []pages.Geek
	for i := int64(0); i < 8; i++ {
		geeks = append(geeks, geekOf(700+i, "候选人"))
	}
	l := h.planGreetings(20, false, geeks)
	if err := h.agent.greetPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(l.greets) != greetBatch {
		t.Fatalf("first pass greeted %d, want a batch of %d", len(l.greets), greetBatch)
	}
	if err := h.agent.greetPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(l.greets) != 8 {
		t.Fatalf("greeted %d after the list ran out, want all 8", len(l.greets))
	}
}

func TestGreetOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		fault     greetFault
		greetedOK error // the Greeted check's error
		passErr   error
		state     worker.EffectState
		appState  AccountState
		reports   int
	}{
		{name: "confirmed", state: worker.Done, appState: StateRunning, reports: 1},
		{name: "timeout but the page shows it greeted", fault: greetFault{landed: true, err: errUnknown},
			state: worker.Done, appState: StateRunning, reports: 1},
		{name: "timeout and the page shows nothing", fault: greetFault{err: errUnknown}, passErr: context.DeadlineExceeded,
			state: worker.Intended, appState: StateRunning},
		{name: "timeout and the check fails too", fault: greetFault{landed: true, err: errUnknown}, greetedOK: errBoom,
			passErr: context.DeadlineExceeded, state: worker.Intended, appState: StateRunning},
		{name: "quota dialog", fault: greetFault{err: fmt.Errorf("dialog: %w", pages.ErrQuota)},
			state: worker.Abandoned, appState: StateQuota},
		{name: "risk page", fault: greetFault{err: pages.ErrRisk}, passErr: pages.ErrRisk,
			state: worker.Intended, appState: StateRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t).login()
			l := h.planGreetings(3, false, []pages.Geek{geekOf(801, "甲"), geekOf(802, "乙")})
			if tt.fault.err != nil {
				l.greetFault["enc801"] = tt.fault
			}
			l.greetedErr = tt.greetedOK
			err := h.agent.greetPass(context.Background())
			if !errors.Is(err, tt.passErr) {
				t.Fatalf("greet pass = %v, want %v", err, tt.passErr)
			}
			if g := h.greeting("801"); g.State != tt.state {
				t.Fatalf("ledger %s, want %s", g.State, tt.state)
			}
			if got := h.agent.Status().State; got != tt.appState {
				t.Fatalf("account state %s, want %s", got, tt.appState)
			}
			if k := h.kinds(TargetBrain); k[KindTaskReport] < tt.reports {
				t.Fatalf("brain outbox %v, want %d task report(s) for 801", k, tt.reports)
			}
			if tt.appState == StateQuota {
				// The quota is remembered for the day: no more greetings,
				// also after a restart.
				h.agent.plan = nil
				if err := h.agent.greetPass(context.Background()); err != nil {
					t.Fatal(err)
				}
				if len(l.greets) != 1 {
					t.Fatalf("greeted again after the quota: %q", l.greets)
				}
				h.clk.advance(24 * time.Hour)
				if err := h.agent.greetPass(context.Background()); err != nil {
					t.Fatal(err)
				}
				if got := h.agent.Status().State; got != StateRunning {
					t.Fatalf("state %s on the next day, want running", got)
				}
			}
		})
	}
}

func TestGreetDailyCapIsAQuota(t *testing.T) {
	h := newHarness(t, func(a *AccountConfig) { a.Pacing = &Pacing{Greet: Limits{PerDay: 2}} }).login()
	l := h.planGreetings(5, false, []pages.Geek{geekOf(901, "甲"), geekOf(902, "乙"), geekOf(903, "丙")})
	if err := h.agent.greetPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(l.greets) != 2 || h.agent.Status().State != StateQuota {
		t.Fatalf("greets %q state %s; want 2 and quota_reached", l.greets, h.agent.Status().State)
	}
	if got := alertStates(h); !slices.Equal(got, []AccountState{StateQuota}) {
		t.Fatalf("alerts %q", got)
	}
}

func TestGreetPassErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(h *harness)
		want  error
	}{
		{name: "plan fetch fails", setup: func(h *harness) { h.brain.tasksErr = errBoom }, want: errBoom},
		{name: "filter fails", setup: func(h *harness) {
			h.planGreetings(1, true, []pages.Geek{geekOf(1001, "甲")})
			h.brain.filterErr = errBoom
		}, want: errBoom},
		{name: "recommend list does not open", setup: func(h *harness) {
			h.planGreetings(1, false)
			h.site.recommendErr = pages.ErrRisk
		}, want: pages.ErrRisk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t).login()
			tt.setup(h)
			if err := h.agent.greetPass(context.Background()); !errors.Is(err, tt.want) {
				t.Fatalf("greet pass = %v, want %v", err, tt.want)
			}
		})
	}
}
