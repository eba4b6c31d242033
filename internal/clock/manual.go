package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Manual is a clock for tests: it never moves by itself. Advance and Set move
// it and wake every sleeper whose deadline has passed, in deadline order.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	changed chan struct{} // closed and replaced whenever the waiter set changes
}

type waiter struct {
	deadline time.Time
	ch       chan time.Time
}

// NewManual returns a manual clock reading start.
func NewManual(start time.Time) *Manual {
	return &Manual{now: start, changed: make(chan struct{})}
}

// Now implements Clock.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// After implements Clock.
func (m *Manual) After(d time.Duration) <-chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- m.now
		return ch
	}
	m.waiters = append(m.waiters, waiter{deadline: m.now.Add(d), ch: ch})
	m.notifyLocked()
	return ch
}

// Sleep implements Clock.
func (m *Manual) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	ch := m.After(d)
	select {
	case <-ctx.Done():
		m.drop(ch)
		return ctx.Err()
	case <-ch:
		return nil
	}
}

// Advance implements Advancer.
func (m *Manual) Advance(d time.Duration) {
	if d < 0 {
		return
	}
	m.mu.Lock()
	m.setLocked(m.now.Add(d))
	m.mu.Unlock()
}

// Set moves the clock to t; a t before the current time is ignored, because
// time never goes backwards for the components that read it.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	if t.After(m.now) {
		m.setLocked(t)
	}
	m.mu.Unlock()
}

// Waiters reports how many sleepers are blocked on the clock. Tests use it
// to know that a component has reached its next wait before advancing.
func (m *Manual) Waiters() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}

// AdvanceToNext moves the clock to the earliest sleeper's deadline, waking
// it, and reports whether there was one. Tests use it to run a component
// "as fast as possible" through its waits.
func (m *Manual) AdvanceToNext() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.waiters) == 0 {
		return false
	}
	next := m.waiters[0].deadline
	for _, w := range m.waiters[1:] {
		if w.deadline.Before(next) {
			next = w.deadline
		}
	}
	if next.After(m.now) {
		m.setLocked(next)
	} else {
		m.setLocked(m.now)
	}
	return true
}

// WaitForWaiters blocks until at least n sleepers are blocked on the clock or
// ctx is done.
func (m *Manual) WaitForWaiters(ctx context.Context, n int) error {
	for {
		m.mu.Lock()
		count, changed := len(m.waiters), m.changed
		m.mu.Unlock()
		if count >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

func (m *Manual) setLocked(t time.Time) {
	m.now = t
	sort.SliceStable(m.waiters, func(i, j int) bool {
		return m.waiters[i].deadline.Before(m.waiters[j].deadline)
	})
	kept := m.waiters[:0]
	for _, w := range m.waiters {
		if !w.deadline.After(t) {
			w.ch <- t
			continue
		}
		kept = append(kept, w)
	}
	m.waiters = kept
	m.notifyLocked()
}

func (m *Manual) drop(ch <-chan time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, w := range m.waiters {
		if w.ch == ch {
			m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
			m.notifyLocked()
			return
		}
	}
}

func (m *Manual) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}
