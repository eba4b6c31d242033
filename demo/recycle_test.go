package demo

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
)

// The worker's own Chromium is killed from outside and, later, recycled on
// schedule; each time the worker relaunches it and carries on without
// duplicating anything.
func TestWorkerRelaunchesItsBrowser(t *testing.T) {
	t.Parallel()
	sc := sim.DefaultScenario()
	clk := clock.NewScaled(sc.Start, 120)
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: t.TempDir(), Scenario: sc, Clock: clk,
		Seed: 13, Log: zerolog.Nop(), HelloSum: 15, AllAtOnce: true, RecycleEvery: 25 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	// Kill the browser once the worker is at work with it (it greeted).
	greeted := func() int { return len(d.Sim.Truth().Accounts["demo"].Greetings) }
	waitUntil(t, "the worker's own browser and a first greeting", func() bool {
		return d.Runtime.BrowserPID() != 0 && greeted() > 0
	}, func() string { return fmt.Sprintf("browser pid %d, %d greetings", d.Runtime.BrowserPID(), greeted()) })
	pid := d.Runtime.BrowserPID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	greetedBefore := greeted()
	// Both restarts (after the kill, then the scheduled recycle) and a
	// greeting with the new browser, however long a loaded machine takes.
	took := waitUntil(t, "a relaunch after the kill, a scheduled recycle and a greeting after the kill", func() bool {
		return d.Runtime.BrowserRestarts() >= 2 && greeted() > greetedBefore
	}, func() string {
		return fmt.Sprintf("browser restarts = %d, greetings %d before the kill, %d now", d.Runtime.BrowserRestarts(), greetedBefore, greeted())
	})
	t.Logf("relaunch, recycle and a new greeting %v after the kill", took.Round(time.Second))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := d.Runtime.BrowserRestarts(); n < 2 {
		t.Fatalf("browser restarts = %d, want a relaunch after the kill and a scheduled recycle", n)
	}
	if d.Runtime.BrowserPID() == pid {
		t.Fatal("still the killed browser's pid")
	}
	truth := d.Sim.Truth().Accounts["demo"]
	if len(truth.Greetings) <= greetedBefore {
		t.Fatalf("no greeting after the browser was killed (%d before, %d after)", greetedBefore, len(truth.Greetings))
	}
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicates: %+v %+v", truth.DuplicateGreetings, truth.DuplicateMessages)
	}
	// Both the killed browser and the last one are gone once Run returned.
	for _, p := range []int{pid, d.Runtime.BrowserPID()} {
		if err := syscall.Kill(p, 0); err == nil {
			t.Errorf("browser process %d still running after the worker stopped", p)
		}
	}
}
