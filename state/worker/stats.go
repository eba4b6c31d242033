package worker

import (
	"bytes"
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Tallies for the worker's /metrics (internal/metrics), cheap enough for
// every scrape: the ledgers grow without bound (a busy VM confirms about
// 3 000 greetings a day), so a scrape must not walk them.
//
// Done greetings and sends are counted in bucketDoneCounts, in the same
// transaction that settles them (SettleGreeting, SettleSend). The bucket is
// created by DoneCounts' one-time backfill, which counts the existing
// ledgers in one write transaction; until then countDone does nothing, so
// no settlement is counted twice or missed.
var bucketDoneCounts = []byte("done_counts") // "g\x00account" | "s\x00account\x00kind" -> uint64

func greetingCounter(account string) []byte { return append([]byte("g\x00"), account...) }

func sendCounter(account, kind string) []byte {
	return append(append(append([]byte("s\x00"), account...), 0), kind...)
}

// countDone adds one to counter k, once the backfill created the bucket.
func (t *Tx) countDone(k []byte) error {
	b := t.tx.Bucket(bucketDoneCounts)
	if b == nil {
		return nil
	}
	var n uint64
	if v := b.Get(k); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	return b.Put(k, u64(n+1))
}

// SendCount keys the done sends of one account and kind.
type SendCount struct {
	AccountID string
	Kind      string // chat, followup, manual, recall, contact_request, exchange
}

// DoneCounts returns how many greetings each account has confirmed and how
// many messages of each kind it has sent (ledger entries in Done), over the
// whole ledger. The first call on a worker.db counts the ledgers once
// (O(ledger), in a write transaction); every later one reads the counters.
func (d *DB) DoneCounts() (greetings map[string]int, sends map[SendCount]int, err error) {
	greetings, sends = map[string]int{}, map[SendCount]int{}
	read := func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if len(v) != 8 {
				return nil
			}
			n := int(binary.BigEndian.Uint64(v))
			parts := bytes.Split(k, []byte{0})
			switch {
			case len(parts) == 2 && string(parts[0]) == "g":
				greetings[string(parts[1])] = n
			case len(parts) == 3 && string(parts[0]) == "s":
				sends[SendCount{AccountID: string(parts[1]), Kind: string(parts[2])}] = n
			}
			return nil
		})
	}
	missing := false
	err = d.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDoneCounts)
		if b == nil {
			missing = true
			return nil
		}
		return read(b)
	})
	if err != nil || !missing {
		return greetings, sends, err
	}
	err = d.bolt.Update(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketDoneCounts); b != nil {
			return read(b) // another caller backfilled meanwhile
		}
		b, err := tx.CreateBucket(bucketDoneCounts)
		if err != nil {
			return err
		}
		counts := map[string]uint64{}
		err = tx.Bucket(bucketGreetings).ForEach(func(_, v []byte) error {
			var g Greeting
			if err := jsonUnmarshal(v, &g); err != nil {
				return err
			}
			if g.State == Done {
				counts[string(greetingCounter(g.AccountID))]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		err = tx.Bucket(bucketSends).ForEach(func(_, v []byte) error {
			var s Send
			if err := jsonUnmarshal(v, &s); err != nil {
				return err
			}
			if s.State == Done {
				counts[string(sendCounter(s.AccountID, s.Kind))]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		for k, n := range counts {
			if err := b.Put([]byte(k), u64(n)); err != nil {
				return err
			}
		}
		return read(b)
	})
	return greetings, sends, err
}

// OutboxStat is the backlog of one outbox target.
type OutboxStat struct {
	Depth  int
	Oldest time.Time // CreatedAt of the oldest undelivered item
}

// OutboxStats returns the undelivered items per target and the enqueue time
// of the oldest of each (parked items are not in the outbox any more). The
// outbox holds only what is not delivered yet, so this walk stays short
// unless a target has been down for long (then the backlog is the news).
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
