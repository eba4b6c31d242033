package clock

import (
	"context"
	"testing"
	"time"
)

var epoch = time.Date(2026, 3, 5, 9, 0, 0, 0, Shanghai)

func TestManualWakesSleepersInOrder(t *testing.T) {
	m := NewManual(epoch)
	ctx := context.Background()
	woke := make(chan time.Duration, 2)
	for _, d := range []time.Duration{2 * time.Hour, time.Hour} {
		go func() {
			if err := m.Sleep(ctx, d); err != nil {
				t.Error(err)
			}
			woke <- d
		}()
	}
	if err := m.WaitForWaiters(ctx, 2); err != nil {
		t.Fatal(err)
	}
	m.Advance(90 * time.Minute)
	if got := <-woke; got != time.Hour {
		t.Fatalf("first sleeper to wake slept %v, want 1h", got)
	}
	if m.Waiters() != 1 {
		t.Fatalf("waiters = %d after advancing past one deadline, want 1", m.Waiters())
	}
	m.Advance(30 * time.Minute)
	if got := <-woke; got != 2*time.Hour {
		t.Fatalf("second sleeper slept %v, want 2h", got)
	}
	if want := epoch.Add(2 * time.Hour); !m.Now().Equal(want) {
		t.Fatalf("now = %v, want %v", m.Now(), want)
	}
}

func TestManualSleepHonoursContext(t *testing.T) {
	m := NewManual(epoch)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- m.Sleep(ctx, time.Hour) }()
	if err := m.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Sleep returned %v, want context.Canceled", err)
	}
	if m.Waiters() != 0 {
		t.Fatalf("cancelled sleeper still registered")
	}
}

func TestManualSetNeverGoesBack(t *testing.T) {
	m := NewManual(epoch)
	m.Set(epoch.Add(-time.Hour))
	if !m.Now().Equal(epoch) {
		t.Fatalf("Set moved the clock backwards to %v", m.Now())
	}
}

func TestScaledRunsFasterAndAdvances(t *testing.T) {
	s := NewScaled(epoch, 3600) // one simulated hour per real second
	ctx := context.Background()
	if err := s.Sleep(ctx, 36*time.Second); err != nil { // 10 ms real
		t.Fatal(err)
	}
	if s.Now().Sub(epoch) < 36*time.Second {
		t.Fatalf("scaled clock reads %v after a 36s sleep", s.Now().Sub(epoch))
	}
	before := s.Now()
	s.Advance(24 * time.Hour)
	if s.Now().Sub(before) < 24*time.Hour {
		t.Fatalf("Advance(24h) moved the clock by %v", s.Now().Sub(before))
	}
	// A sleeper is woken by a jump well before its real-time deadline.
	done := make(chan error)
	go func() { done <- s.Sleep(ctx, 1000*time.Hour) }() // ~17 real minutes unadvanced
	// Keep jumping until it wakes: the sleeper may read its deadline after
	// the first jump.
	for {
		s.Advance(1000 * time.Hour)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestRealSleepCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (Real{}).Sleep(ctx, time.Hour); err != context.Canceled {
		t.Fatalf("Sleep on a cancelled context = %v", err)
	}
}
