package worker

import (
	"testing"
	"time"
)

// TestDoneCountsAndOutboxStats: only Done ledger entries count, by account
// and kind; the outbox backlog is per target with its oldest item.
func TestDoneCountsAndOutboxStats(t *testing.T) {
	db, clk, _ := openTemp(t)
	t0 := clk.Now()
	err := db.Update(func(tx *Tx) error {
		for _, c := range []string{"c1", "c2", "c3"} {
			if _, _, err := tx.IntendGreeting("acc", c, "j"); err != nil {
				return err
			}
		}
		for _, c := range []string{"c1", "c2"} {
			if _, err := tx.SettleGreeting("acc", c, Done, ""); err != nil {
				return err
			}
		}
		for i, k := range []string{"chat", "chat", "followup", "chat"} {
			key := string(rune('a' + i))
			if _, _, err := tx.IntendSend(Send{Key: key, AccountID: "acc", CandidateID: "c1", Kind: k}); err != nil {
				return err
			}
			if i < 3 {
				if _, err := tx.SettleSend(key, Done, ""); err != nil {
					return err
				}
			}
		}
		_, err := tx.Enqueue(OutboxItem{Key: "r1", Target: "brain", Kind: "task_report", AccountID: "acc"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	if err := db.Update(func(tx *Tx) error {
		_, err := tx.Enqueue(OutboxItem{Key: "r2", Target: "brain", Kind: "task_report", AccountID: "acc"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// The first call counts the ledgers (backfill) ...
	g, s, err := db.DoneCounts()
	if err != nil {
		t.Fatal(err)
	}
	if g["acc"] != 2 || s[SendCount{"acc", "chat"}] != 2 || s[SendCount{"acc", "followup"}] != 1 || len(s) != 2 {
		t.Errorf("backfilled counts: greetings %v sends %v", g, s)
	}
	// ... later settlements are counted as they happen, once.
	if err := db.Update(func(tx *Tx) error {
		if _, err := tx.SettleGreeting("acc", "c3", Done, ""); err != nil {
			return err
		}
		if _, err := tx.SettleGreeting("acc", "c3", Done, ""); err != nil { // a no-op repeat
			return err
		}
		if _, err := tx.SettleSend("d", Done, ""); err != nil {
			return err
		}
		if _, _, err := tx.IntendGreeting("acc2", "c9", "j"); err != nil {
			return err
		}
		_, err := tx.SettleGreeting("acc2", "c9", Abandoned, "")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	g, s, err = db.DoneCounts()
	if err != nil {
		t.Fatal(err)
	}
	if g["acc"] != 3 || g["acc2"] != 0 || s[SendCount{"acc", "chat"}] != 3 || s[SendCount{"acc", "followup"}] != 1 {
		t.Errorf("incremental counts: greetings %v sends %v", g, s)
	}
	err = db.View(func(tx *Tx) error {
		st, err := tx.OutboxStats()
		if err != nil {
			return err
		}
		if b := st["brain"]; b.Depth != 2 || !b.Oldest.Equal(t0) || len(st) != 1 {
			t.Errorf("outbox stats %+v, want brain depth 2 oldest %v", st, t0)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
