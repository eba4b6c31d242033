package clock

import (
	"context"
	"time"
)

// SleepOrWake sleeps d on clk and returns early when wake receives (a
// producer stored new work). It returns ctx.Err() once ctx is done, nil
// otherwise. The sleep goes through clk.Sleep, so a manual clock sees one
// sleeper and a cut-short sleep leaves no timer behind (unlike After).
//
// A wake that arrives while the sleep is ending may be consumed by this
// call; callers run their pass right after it returns, so the work the
// wake announced is seen either way.
func SleepOrWake(ctx context.Context, clk Clock, d time.Duration, wake <-chan struct{}) error {
	sleepCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-wake:
			cancel()
		case <-sleepCtx.Done():
		}
	}()
	_ = clk.Sleep(sleepCtx, d)
	cancel()
	<-done
	return ctx.Err()
}
