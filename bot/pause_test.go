package bot

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// fakeGateCtrl answers MayAct like the control plane: yes while running,
// no once the operator paused; err simulates an unreachable control plane.
type fakeGateCtrl struct {
	mu     sync.Mutex
	paused bool
	err    error
	asked  int
}

func (f *fakeGateCtrl) MayAct(_ context.Context, key string, epoch uint64) (wire.ActGate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	if f.err != nil {
		return wire.ActGate{}, f.err
	}
	if f.paused {
		return wire.ActGate{Desired: wire.DesiredPaused, Reason: "desired state is paused"}, nil
	}
	return wire.ActGate{Act: true, Desired: wire.DesiredRunning}, nil
}

func (f *fakeGateCtrl) set(paused bool, err error) {
	f.mu.Lock()
	f.paused, f.err = paused, err
	f.mu.Unlock()
}

// A pause acknowledged between two greetings stops the greet pass before
// the next one: the intent is not even written (no greeting left to
// reconcile), and the assigner is poked once.
func TestPauseStopsGreetingsBeforeTheNextAction(t *testing.T) {
	h := newHarness(t).login()
	ctrl := &fakeGateCtrl{}
	pokes := 0
	h.agent.ActGate = &leaseGate{ctrl: ctrl, key: "acc1", epoch: 3, onPause: func() { pokes++ }, log: zerolog.Nop()}
	l := h.planGreetings(4, false, []pages.Geek{geekOf(701, "甲"), geekOf(702, "乙"), geekOf(703, "丙"), geekOf(704, "丁")})
	// The operator pauses right after the second greeting lands.
	l.onGreet = func(enc string) {
		if enc == "enc702" {
			ctrl.set(true, nil)
		}
	}
	err := h.agent.greetPass(context.Background())
	if !errors.Is(err, ErrPaused) {
		t.Fatalf("greet pass after a pause: %v, want ErrPaused", err)
	}
	if want := []string{"enc701", "enc702"}; !slices.Equal(l.greets, want) {
		t.Fatalf("greeted %q, want %q (nothing after the pause)", l.greets, want)
	}
	if err := h.db.View(func(tx *worker.Tx) error { _, err := tx.Greeting("acc1", "703"); return err }); !errors.Is(err, worker.ErrNotFound) {
		t.Fatalf("greeting 703 after the pause: %v, want no intent at all", err)
	}
	if pokes != 1 {
		t.Fatalf("assigner poked %d times, want 1", pokes)
	}
	// Paused is remembered: no more questions to the control plane, no
	// more actions, until a recheck says run.
	asked := ctrl.asked
	if err := h.agent.ActGate.Allow(context.Background()); !errors.Is(err, ErrPaused) || ctrl.asked != asked {
		t.Fatalf("second Allow: %v after %d questions (was %d)", err, ctrl.asked, asked)
	}
	if h.agent.ActGate.Recheck(context.Background()) {
		t.Fatal("recheck while still paused opened the gate")
	}
	ctrl.set(false, nil)
	if !h.agent.ActGate.Recheck(context.Background()) {
		t.Fatal("recheck after resume kept the gate shut")
	}
	if err := h.agent.greetPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"enc701", "enc702", "enc703", "enc704"}; !slices.Equal(l.greets, want) {
		t.Fatalf("after resume greeted %q, want %q", l.greets, want)
	}
}

// An unreachable control plane does not stall the agent: the lease bounds
// how long it may act without being asked.
func TestGateLetsActionsThroughWhenTheControlPlaneIsDown(t *testing.T) {
	h := newHarness(t).login()
	ctrl := &fakeGateCtrl{}
	ctrl.set(false, errors.New("connection refused"))
	h.agent.ActGate = &leaseGate{ctrl: ctrl, key: "acc1", epoch: 3, log: zerolog.Nop()}
	l := h.planGreetings(2, false, []pages.Geek{geekOf(711, "甲"), geekOf(712, "乙")})
	if err := h.agent.greetPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(l.greets) != 2 || ctrl.asked != 2 {
		t.Fatalf("greeted %q after %d questions", l.greets, ctrl.asked)
	}
}

// A paused agent reports StatePaused and holds until the gate opens.
func TestRunHoldsAPausedAgentUntilResumed(t *testing.T) {
	h := newHarness(t)
	ctrl := &fakeGateCtrl{}
	ctrl.set(true, nil)
	h.agent.ActGate = &leaseGate{ctrl: ctrl, key: "acc1", epoch: 3, log: zerolog.Nop()}
	h.site.addConv(721, "甲", "Go工程师", 101)
	h.site.say(721, 721, "你好，还招人吗")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.agent.Run(ctx) }()
	// The step clock makes every agent sleep return at once, so these
	// loops only yield; they are bounded by what the agent does (questions
	// to the control plane), not by time.
	asked := func() int { ctrl.mu.Lock(); defer ctrl.mu.Unlock(); return ctrl.asked }
	for {
		// Count before looking at the state: once paused, the agent keeps
		// re-asking as fast as the step clock lets it, so a count read
		// after a "not paused yet" could include those re-asks.
		n := asked()
		if h.agent.Status().State == StatePaused {
			break
		}
		if sent := h.site.sentTexts(); len(sent) != 0 {
			t.Fatalf("agent sent %q without the gate's leave", sent)
		}
		if n > 50 {
			t.Fatalf("agent asked %d times and is still %s, want paused", n, h.agent.Status().State)
		}
		runtime.Gosched()
	}
	ctrl.set(false, nil)
	base := asked()
	for len(h.site.sentTexts()) == 0 {
		if n := asked(); n > base+50 {
			t.Fatalf("resumed agent asked %d times and never answered (state %s)", n-base, h.agent.Status().State)
		}
		runtime.Gosched()
	}
	cancel()
	<-done
}
