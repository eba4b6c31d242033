package state

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// benchConversations fills a store with n conversations over 20 accounts,
// 1% of them taken over by a human.
func benchConversations(b *testing.B, n int) *DB {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), "control.db"), Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	batch := make([]wire.ConversationStatus, 0, 500)
	for i := 0; i < n; i++ {
		st := wire.ConvInService
		if i%100 == 0 {
			st = wire.ConvIntervened
		}
		batch = append(batch, wire.ConversationStatus{Account: fmt.Sprintf("boss-%02d", i%20), CandidateID: fmt.Sprintf("geek-%07d", i),
			Name: "候选人", Status: st, UpdatedAt: t0})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := db.UpsertConversations("w1", batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return db
}

// BenchmarkListConversations: an operator's first page of human takeovers
// (status filter: a full scan) and of one account (a prefix seek), over
// 100k stored conversations.
func BenchmarkListConversations(b *testing.B) {
	db := benchConversations(b, 100_000)
	b.Run("status", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, total, err := db.ListConversations(wire.ConversationFilter{Status: wire.ConvIntervened}, 1, 20); err != nil || total != 1000 {
				b.Fatal(total, err)
			}
		}
	})
	b.Run("account", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, total, err := db.ListConversations(wire.ConversationFilter{Account: "boss-07"}, 1, 20); err != nil || total != 5000 {
				b.Fatal(total, err)
			}
		}
	})
}

// BenchmarkUpsertConversations: one full worker batch (500 items, one
// transaction) of status updates.
func BenchmarkUpsertConversations(b *testing.B) {
	db := benchConversations(b, 10_000)
	batch := make([]wire.ConversationStatus, 500)
	t := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t = t.Add(time.Second)
		for j := range batch {
			batch[j] = wire.ConversationStatus{Account: fmt.Sprintf("boss-%02d", j%20), CandidateID: fmt.Sprintf("geek-%07d", (i*500+j)%10_000),
				Status: wire.ConvComplete, UpdatedAt: t}
		}
		if _, err := db.UpsertConversations("w1", batch); err != nil {
			b.Fatal(err)
		}
	}
}
