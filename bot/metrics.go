package bot

import (
	"errors"
	"fmt"

	"github.com/hunterbot/hunterbot/internal/metrics"
	"github.com/hunterbot/hunterbot/state/worker"
)

// MetricsSample implements metrics.WorkerSource: the agents' statuses,
// worker.db's ledger tallies and outbox backlog, and the browser's restarts
// and pid, read at scrape time. A store error still returns what was read.
func (rt *Runtime) MetricsSample() (metrics.WorkerSample, error) {
	s := metrics.WorkerSample{BrowserRestarts: rt.restarts.Load(), BrowserPID: rt.BrowserPID(),
		BrowserPIDs: rt.profilePIDs(), Outbox: map[string]metrics.OutboxSample{}}
	var backlog map[string]worker.OutboxStat
	var parked map[string]int
	now := rt.opts.Clock.Now()
	greetings, sends, err := rt.db.DoneCounts()
	if err != nil {
		rt.opts.Log.Warn().Err(err).Msg("metrics: ledger tallies")
	}
	err2 := rt.db.View(func(tx *worker.Tx) error {
		var err error
		if backlog, err = tx.OutboxStats(); err != nil {
			return err
		}
		parked, err = tx.CountParked()
		return err
	})
	for target, st := range backlog {
		o := metrics.OutboxSample{Depth: st.Depth}
		if st.Depth > 0 && now.After(st.Oldest) {
			o.OldestAge = now.Sub(st.Oldest)
		}
		s.Outbox[target] = o
	}
	for _, a := range rt.liveAgents() {
		st := a.Status()
		as := metrics.AccountSample{Account: st.Account, State: string(st.State),
			GreetedToday: int64(st.Greeted), PlannedToday: int64(st.Planned), Replies: int64(st.Replies),
			Contacts: int64(st.Contacts), Parked: int64(parked[st.Account] + parked[a.brainAccount]),
			GreetingsTotal: int64(greetings[st.Account]), SentTotal: map[string]int64{}}
		for k, n := range sends {
			if k.AccountID == st.Account {
				as.SentTotal[k.Kind] += int64(n)
			}
		}
		s.Accounts = append(s.Accounts, as)
	}
	if err = errors.Join(err, err2); err != nil {
		err = fmt.Errorf("metrics sample: read worker.db: %w", err)
	}
	return s, err
}
