package clock

import (
	"context"
	"testing"
	"time"
)

func TestSleepOrWake(t *testing.T) {
	start := time.Date(2026, 3, 5, 9, 0, 0, 0, Shanghai)
	m := NewManual(start)
	wake := make(chan struct{}, 1)
	ctx := context.Background()

	// Woken: returns without the clock moving.
	done := make(chan error, 1)
	go func() { done <- SleepOrWake(ctx, m, time.Hour, wake) }()
	if err := m.WaitForWaiters(ctx, 1); err != nil {
		t.Fatal(err)
	}
	wake <- struct{}{}
	if err := <-done; err != nil {
		t.Fatalf("woken sleep = %v", err)
	}
	if !m.Now().Equal(start) || m.Waiters() != 0 {
		t.Fatalf("clock moved to %v or a sleeper was left (%d)", m.Now(), m.Waiters())
	}

	// Not woken: sleeps the full duration on the clock.
	go func() { done <- SleepOrWake(ctx, m, time.Minute, wake) }()
	if err := m.WaitForWaiters(ctx, 1); err != nil {
		t.Fatal(err)
	}
	m.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Fatalf("full sleep = %v", err)
	}

	// Cancelled: returns the context's error.
	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- SleepOrWake(cctx, m, time.Minute, wake) }()
	if err := m.WaitForWaiters(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("cancelled sleep = %v", err)
	}
}
