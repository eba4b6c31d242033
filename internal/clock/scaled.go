package clock

import (
	"context"
	"sync"
	"time"
)

// pollStep bounds how long a scaled sleeper waits in real time before it
// re-reads the clock, so that Advance wakes it promptly.
const pollStep = 20 * time.Millisecond

// Scaled is a clock that starts at a chosen instant and runs Speed times
// faster than the wall clock. It can also jump forward with Advance.
type Scaled struct {
	speed float64

	mu        sync.Mutex
	realStart time.Time
	simStart  time.Time
	offset    time.Duration
}

// NewScaled returns a clock that reads start now and then advances speed
// simulated seconds per real second. speed must be > 0.
func NewScaled(start time.Time, speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	return &Scaled{speed: speed, realStart: time.Now(), simStart: start}
}

// NewScaledFrom returns a scaled clock that read start at the real instant
// anchor. Two processes given the same start, anchor and speed read the same
// time, which lets a test share one simulated clock across processes.
func NewScaledFrom(start, anchor time.Time, speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	return &Scaled{speed: speed, realStart: anchor, simStart: start}
}

// Speed reports how many simulated seconds pass per real second.
func (s *Scaled) Speed() float64 { return s.speed }

// Now implements Clock.
func (s *Scaled) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	elapsed := time.Duration(float64(time.Since(s.realStart)) * s.speed)
	return s.simStart.Add(elapsed + s.offset)
}

// Advance implements Advancer.
func (s *Scaled) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	s.mu.Lock()
	s.offset += d
	s.mu.Unlock()
}

// Sleep implements Clock.
func (s *Scaled) Sleep(ctx context.Context, d time.Duration) error {
	deadline := s.Now().Add(d)
	for {
		remaining := deadline.Sub(s.Now())
		if remaining <= 0 {
			return ctx.Err()
		}
		wait := time.Duration(float64(remaining) / s.speed)
		if wait > pollStep {
			wait = pollStep
		}
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		if err := (Real{}).Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// After implements Clock.
func (s *Scaled) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	go func() {
		_ = s.Sleep(context.Background(), d)
		ch <- s.Now()
	}()
	return ch
}
