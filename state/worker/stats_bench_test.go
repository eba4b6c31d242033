package worker

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// BenchmarkScrapeTallies measures what one /metrics scrape of a worker
// reads from worker.db: DoneCounts and OutboxStats with a ledger of 100 000
// greetings and 100 000 sends across 20 accounts (a month of a busy VM)
// and 1 000 queued outbox items. Figures: docs/metrics.md.
func BenchmarkScrapeTallies(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "worker.db"), clock.NewManual(t0))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 100_000
	for start := 0; start < n; start += 10_000 {
		err := db.Update(func(tx *Tx) error {
			for i := start; i < start+10_000; i++ {
				acc := fmt.Sprintf("acc-%02d", i%20)
				cid := fmt.Sprint(i)
				if _, _, err := tx.IntendGreeting(acc, cid, "job"); err != nil {
					return err
				}
				if _, err := tx.SettleGreeting(acc, cid, Done, ""); err != nil {
					return err
				}
				key := "chat/" + cid
				if _, _, err := tx.IntendSend(Send{Key: key, AccountID: acc, CandidateID: cid, Kind: "chat", Text: "您好，方便聊聊吗？"}); err != nil {
					return err
				}
				if _, err := tx.SettleSend(key, Done, ""); err != nil {
					return err
				}
				if i < 1000 {
					if _, err := tx.Enqueue(OutboxItem{Key: "r" + cid, Target: "brain", Kind: "task_report", AccountID: acc}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// The first call backfills the counters from the ledgers (once per
	// worker.db); a scrape afterwards reads only the counters.
	if g, s, err := db.DoneCounts(); err != nil || len(g) != 20 || len(s) != 20 {
		b.Fatalf("backfill: %d %d %v", len(g), len(s), err)
	}
	b.ResetTimer()
	for b.Loop() {
		g, s, err := db.DoneCounts()
		if err != nil || len(g) != 20 || len(s) != 20 {
			b.Fatalf("tallies %d %d: %v", len(g), len(s), err)
		}
		if err := db.View(func(tx *Tx) error { _, err := tx.OutboxStats(); return err }); err != nil {
			b.Fatal(err)
		}
	}
}
