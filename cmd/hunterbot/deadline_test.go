package main

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"
)

// hangGuard is the moment a wait in a test gives up: shortly before the
// test binary's deadline (go test -timeout), so a condition that never
// holds fails with the test's own message. Waits here are on conditions (a
// file appears, a port answers, a line is printed), so a loaded machine
// only makes them take longer; the fixed budgets they had (10-60 s) failed
// good runs on a busy machine.
func hangGuard(t *testing.T) time.Time {
	t.Helper()
	if dl, ok := t.Deadline(); ok {
		return dl.Add(-10 * time.Second)
	}
	return time.Now().Add(24 * time.Hour)
}

// deadlineCtx is a context that ends at hangGuard(t) or with the test.
func deadlineCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithDeadline(t.Context(), hangGuard(t))
	t.Cleanup(cancel)
	return ctx
}

// freePorts returns the first of n consecutive loopback ports that are
// free right now (the demo listens on base, base+1 and base+2): picking
// one free port and assuming its neighbours are free too made the demo
// test fail whenever another test on the machine held one of them.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		base := freePort(t)
		if base+n-1 > 65535 {
			continue
		}
		var held []net.Listener
		ok := true
		for i := 0; i < n && ok; i++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				break
			}
			held = append(held, ln)
		}
		for _, ln := range held {
			ln.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatalf("no %d consecutive free loopback ports", n)
	return 0
}
