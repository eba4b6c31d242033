package api_test

import (
	"context"
	"testing"
	"time"
)

// hangGuard is the moment a wait in a test gives up: shortly before the
// test binary's deadline (go test -timeout), so a condition that never
// holds fails with the test's own message. The waits are on conditions, so
// a loaded machine only makes them take longer; a fixed budget (10-30 s)
// can run out on a busy machine while the code is right.
func hangGuard(t testing.TB) time.Time {
	t.Helper()
	if tt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := tt.Deadline(); ok {
			return dl.Add(-10 * time.Second)
		}
	}
	return time.Now().Add(24 * time.Hour)
}

// deadlineCtx is a context derived from parent that ends at hangGuard(t).
func deadlineCtx(t testing.TB, parent context.Context) context.Context {
	t.Helper()
	ctx, cancel := context.WithDeadline(parent, hangGuard(t))
	t.Cleanup(cancel)
	return ctx
}
