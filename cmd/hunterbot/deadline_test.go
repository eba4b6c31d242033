package main

import (
	"fmt"
	"net"
	"testing"
)

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
