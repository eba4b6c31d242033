package api

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// workerLostStore raises worker_lost alerts.
type workerLostStore interface {
	RecordWorkerLost(workerID string, lastSeen time.Time, detail string) (wire.Alert, bool, error)
}

// defaultWorkerLostAfter is how long a worker may stay silent before it is
// reported lost: several heartbeats (30s each) and more than a lease, so a
// slow heartbeat or a restart does not page anyone.
const defaultWorkerLostAfter = 3 * time.Minute

func (c AlertsConfig) workerLostAfter() time.Duration {
	if c.WorkerLostAfter <= 0 {
		return defaultWorkerLostAfter
	}
	return c.WorkerLostAfter
}

// CheckWorkersLost raises a worker_lost alert for each worker whose
// accounts (those not stopped: a clean shutdown reports them stopped) have
// all been silent for longer than cfg.WorkerLostAfter. It reports whether
// it raised any.
func (s *Server) CheckWorkersLost(cfg AlertsConfig) (bool, error) {
	accs, err := s.store.ListAccounts()
	if err != nil {
		return false, err
	}
	type seen struct {
		last     time.Time
		accounts []string
	}
	byWorker := map[string]*seen{}
	for _, a := range accs {
		if a.WorkerID == "" || a.LastSeenAt == nil || a.State == "stopped" {
			continue
		}
		w := byWorker[a.WorkerID]
		if w == nil {
			w = &seen{}
			byWorker[a.WorkerID] = w
		}
		if a.LastSeenAt.After(w.last) {
			w.last = *a.LastSeenAt
		}
		w.accounts = append(w.accounts, a.Key)
	}
	now, raised := s.clock.Now(), false
	for id, w := range byWorker {
		if now.Sub(w.last) <= cfg.workerLostAfter() {
			continue
		}
		sort.Strings(w.accounts)
		list := w.accounts
		if len(list) > 10 {
			list = append(list[:10:10], fmt.Sprintf("+%d", len(w.accounts)-10))
		}
		detail := fmt.Sprintf("no heartbeat since %s (%s ago); accounts: %s", w.last.UTC().Format(time.RFC3339),
			now.Sub(w.last).Round(time.Second), strings.Join(list, ", "))
		_, created, err := s.store.RecordWorkerLost(id, w.last, detail)
		if err != nil {
			return raised, err
		}
		raised = raised || created
	}
	return raised, nil
}
