//go:build unix

package console_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) the test process has used. In
// BenchmarkPages the process does nothing but the measured request, so the
// difference across a request is that request's CPU, garbage collection
// included; the rest of its wall time is waiting for a CPU.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
