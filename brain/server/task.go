package server

import (
	"fmt"
	"sort"
	"time"

	"github.com/hunterbot/hunterbot/brain"
)

// parseHHMM parses "HH:MM" into minutes after midnight.
func parseHHMM(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("%q: want HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// rescaleTask computes today's remaining plan: remaining = helloSum −
// reported (never negative); the slots later than now keep their order and
// share remaining in proportion to their mounts (as weights; all-zero
// weights share equally). Rounding uses the largest-remainder method so the
// mounts always sum to remaining exactly.
func rescaleTask(cfg brain.TaskConfig, reported int, now time.Time) (int, []brain.TimeMount) {
	remaining := max(cfg.HelloSum-reported, 0)
	nowMin := now.Hour()*60 + now.Minute()
	var future []brain.TimeMount
	for _, tm := range cfg.TimeMount {
		m, err := parseHHMM(tm.Time)
		if err != nil || m <= nowMin {
			continue
		}
		future = append(future, tm)
	}
	out := make([]brain.TimeMount, len(future))
	if len(future) == 0 {
		return remaining, out
	}
	weights := make([]int, len(future))
	total := 0
	for i, tm := range future {
		weights[i] = max(tm.Mount, 0)
		total += weights[i]
	}
	if total == 0 {
		for i := range weights {
			weights[i] = 1
		}
		total = len(weights)
	}
	type rem struct{ i, frac int }
	rems := make([]rem, len(future))
	assigned := 0
	for i, tm := range future {
		share := remaining * weights[i]
		out[i] = brain.TimeMount{Time: tm.Time, Mount: share / total}
		assigned += share / total
		rems[i] = rem{i, share % total}
	}
	// Hand the rounding leftovers to the largest fractions, earlier slots
	// first on ties, so the result is deterministic.
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].frac > rems[b].frac })
	for k := 0; assigned < remaining; k++ {
		out[rems[k%len(rems)].i].Mount++
		assigned++
	}
	return remaining, out
}
