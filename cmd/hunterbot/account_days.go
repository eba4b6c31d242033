package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
)

// maxShowDays bounds --days: the control plane's default range.
const maxShowDays = 30

// lastDays returns the per-day counters of the last n days (n ≤ 30) up to
// the control plane's today (its clock may be the demo's simulated one, so
// the range is computed from its answer, not from the local clock).
func lastDays(ctx context.Context, op *client.Operator, key string, n int) ([]wire.DayCount, error) {
	got, err := op.DayCounts(ctx, key, "", "")
	if err != nil {
		return nil, err
	}
	to, err := time.Parse(time.DateOnly, got.To)
	if err != nil {
		return nil, fmt.Errorf("control plane answered to=%q: %w", got.To, err)
	}
	first := to.AddDate(0, 0, -(n - 1)).Format(time.DateOnly)
	var out []wire.DayCount
	for _, d := range got.Days {
		if d.Day >= first {
			out = append(out, d)
		}
	}
	return out, nil
}

// writeDays prints per-day counters, one line per day with any count.
func writeDays(w io.Writer, key string, days []wire.DayCount) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\tDAY\tGREETINGS\tMESSAGES\tFOLLOW-UPS\tCONTACTS\tREPLIES\n", key)
	if len(days) == 0 {
		fmt.Fprintln(tw, "\t(no activity)")
	}
	for _, d := range days {
		fmt.Fprintf(tw, "\t%s\t%d\t%d\t%d\t%d\t%d\n", d.Day, d.Greetings, d.Messages, d.Followups, d.Contacts, d.Replies)
	}
	return tw.Flush()
}

// checkDaysFlag validates --days (0 turns the per-day table off).
func checkDaysFlag(n int) error {
	if n < 0 || n > maxShowDays {
		return usagef("--days: must be 0..%d, got %d", maxShowDays, n)
	}
	return nil
}
