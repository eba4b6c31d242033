package worker

import "time"

// Read-only tallies for the worker's /metrics (internal/metrics). Each is
// one pass over a bucket inside the caller's read transaction, so a scrape
// costs O(ledger size) reads and never blocks writers (bbolt readers run
// beside the single writer).

// SendCount keys the done sends of one account and kind.
type SendCount struct {
	AccountID string
	Kind      string // chat, followup, manual, recall, contact_request, exchange
}

// DoneCounts returns how many greetings each account has confirmed and how
// many messages of each kind it has sent (ledger entries in Done), over the
// whole ledger.
func (t *Tx) DoneCounts() (greetings map[string]int, sends map[SendCount]int, err error) {
	greetings, sends = map[string]int{}, map[SendCount]int{}
	err = t.tx.Bucket(bucketGreetings).ForEach(func(_, v []byte) error {
		var g Greeting
		if err := jsonUnmarshal(v, &g); err != nil {
			return err
		}
		if g.State == Done {
			greetings[g.AccountID]++
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	err = t.tx.Bucket(bucketSends).ForEach(func(_, v []byte) error {
		var s Send
		if err := jsonUnmarshal(v, &s); err != nil {
			return err
		}
		if s.State == Done {
			sends[SendCount{AccountID: s.AccountID, Kind: s.Kind}]++
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return greetings, sends, nil
}

// OutboxStat is the backlog of one outbox target.
type OutboxStat struct {
	Depth  int
	Oldest time.Time // CreatedAt of the oldest undelivered item
}

// OutboxStats returns the undelivered items per target and the enqueue time
// of the oldest of each (parked items are not in the outbox any more).
func (t *Tx) OutboxStats() (map[string]OutboxStat, error) {
	out := map[string]OutboxStat{}
	err := t.tx.Bucket(bucketOutbox).ForEach(func(_, v []byte) error {
		var it OutboxItem
		if err := jsonUnmarshal(v, &it); err != nil {
			return err
		}
		st := out[it.Target]
		st.Depth++
		if st.Oldest.IsZero() || it.CreatedAt.Before(st.Oldest) {
			st.Oldest = it.CreatedAt
		}
		out[it.Target] = st
		return nil
	})
	return out, err
}
