package demo

import (
	"context"
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

	time.Sleep(10 * time.Second)
	pid := d.Runtime.BrowserPID()
	if pid == 0 {
		t.Fatal("the worker launched no browser of its own")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	greetedBefore := len(d.Sim.Truth().Accounts["demo"].Greetings)
	time.Sleep(35 * time.Second)
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
