package clock

import (
	"context"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: 5 * time.Second, Max: 10 * time.Minute}
	for n, want := range map[int]time.Duration{0: 5 * time.Second, 1: 5 * time.Second, 2: 10 * time.Second,
		4: 40 * time.Second, 8: 10 * time.Minute, 63: 10 * time.Minute, 1000: 10 * time.Minute} {
		if got := b.Delay(n); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
	j := Backoff{Base: time.Second, Max: time.Minute, Jitter: 0.5}
	seen := map[time.Duration]bool{}
	for range 200 {
		d := j.Delay(3) // 4 s, half of it random
		if d < 2*time.Second || d > 4*time.Second {
			t.Fatalf("jittered Delay(3) = %v, want 2s..4s", d)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Fatalf("jitter produced only %d distinct delays", len(seen))
	}
	if d := j.Delay(40); d < 30*time.Second || d > time.Minute {
		t.Fatalf("capped jittered delay %v", d)
	}
}

func TestBackoffOnTheClock(t *testing.T) {
	start := time.Date(2026, 3, 5, 9, 0, 0, 0, Shanghai)
	m := NewManual(start)
	b := Backoff{Base: time.Second, Max: time.Hour}
	if got := b.Next(m, 3); !got.Equal(start.Add(4 * time.Second)) {
		t.Fatalf("Next = %v", got)
	}
	done := make(chan error, 1)
	go func() { done <- b.Sleep(context.Background(), m, 2) }()
	if err := m.WaitForWaiters(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	m.AdvanceToNext()
	if err := <-done; err != nil || !m.Now().Equal(start.Add(2*time.Second)) {
		t.Fatalf("Sleep = %v at %v", err, m.Now())
	}
}
