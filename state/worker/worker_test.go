package worker

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/internal/clock"
)

var t0 = time.Date(2026, 3, 5, 10, 0, 0, 0, clock.Shanghai)

func openTemp(t *testing.T) (*DB, *clock.Manual, string) {
	t.Helper()
	clk := clock.NewManual(t0)
	path := filepath.Join(t.TempDir(), "w", "worker.db")
	db, err := Open(path, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, clk, path
}

func TestOpenCreatesPrivateFileAndChecksSchema(t *testing.T) {
	db, _, path := openTemp(t)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("worker.db mode %v, want 0600", st.Mode().Perm())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// A file from a future version is refused, not silently misread.
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, u64(99)) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, err := Open(path, clock.NewManual(t0)); !errors.Is(err, ErrSchema) {
		t.Fatalf("open future schema: %v, want ErrSchema", err)
	}
}

func TestGreetingLedgerIsAtMostOnce(t *testing.T) {
	db, clk, _ := openTemp(t)
	err := db.Update(func(tx *Tx) error {
		g, created, err := tx.IntendGreeting("acc", "g1", "job1")
		if err != nil || !created || g.State != Intended {
			t.Fatalf("first intend = %+v %v %v", g, created, err)
		}
		again, created, err := tx.IntendGreeting("acc", "g1", "job1")
		if err != nil || created || again.State != Intended {
			t.Fatalf("second intend = %+v created=%v err=%v, want the existing entry", again, created, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	err = db.Update(func(tx *Tx) error {
		pending, err := tx.PendingGreetings("acc")
		if err != nil || len(pending) != 1 {
			t.Fatalf("pending = %v %v", pending, err)
		}
		g, err := tx.SettleGreeting("acc", "g1", Done, "")
		if err != nil || !g.DoneAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("settle = %+v %v", g, err)
		}
		if _, err := tx.SettleGreeting("acc", "g1", Abandoned, ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("re-settling a done greeting as abandoned: %v", err)
		}
		if _, err := tx.SettleGreeting("acc", "nobody", Done, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("settle unknown: %v", err)
		}
		_, created, _ := tx.IntendGreeting("acc", "g1", "job1")
		if created {
			t.Fatal("a done greeting was intended again")
		}
		n, err := tx.CountGreetings("acc", t0, t0.Add(24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("count = %d %v", n, err)
		}
		if p, _ := tx.PendingGreetings("acc"); len(p) != 0 {
			t.Fatalf("pending after settle = %v", p)
		}
		// Another account's ledger is separate, even with a prefix-sharing id.
		if _, created, _ := tx.IntendGreeting("ac", "g1", ""); !created {
			t.Fatal("account 'ac' shares a ledger with 'acc'")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDoneAndReportsCommitTogether(t *testing.T) {
	db, _, _ := openTemp(t)
	boom := errors.New("crash before commit")
	err := db.Update(func(tx *Tx) error {
		if _, _, err := tx.IntendGreeting("acc", "g1", ""); err != nil {
			return err
		}
		if _, err := tx.Enqueue(OutboxItem{Key: "report/acc/g1", Target: "brain", Kind: "task_report"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update error = %v", err)
	}
	_ = db.View(func(tx *Tx) error {
		if _, err := tx.Greeting("acc", "g1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("greeting survived a rolled-back transaction: %v", err)
		}
		if p, _ := tx.Pending(); p["brain"] != 0 {
			t.Fatalf("outbox item survived a rolled-back transaction")
		}
		return nil
	})
}

func TestSendLedger(t *testing.T) {
	db, _, _ := openTemp(t)
	err := db.Update(func(tx *Tx) error {
		if _, _, err := tx.IntendSend(Send{Key: "k"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("send without account: %v", err)
		}
		s, created, err := tx.IntendSend(Send{Key: "chat/acc/g1/1/0", AccountID: "acc", CandidateID: "g1", Kind: "chat", Text: "您好"})
		if err != nil || !created {
			t.Fatalf("intend send: %v %v", created, err)
		}
		if _, created, _ := tx.IntendSend(s); created {
			t.Fatal("same key intended twice")
		}
		p, err := tx.PendingSends("acc")
		if err != nil || len(p) != 1 || p[0].Text != "您好" {
			t.Fatalf("pending sends = %v %v", p, err)
		}
		if _, err := tx.SettleSend(s.Key, Intended, ""); !errors.Is(err, ErrInvalid) {
			t.Fatalf("settle to intended: %v", err)
		}
		if _, err := tx.SettleSend(s.Key, Abandoned, "not in history"); err != nil {
			t.Fatal(err)
		}
		if p, _ := tx.PendingSends("acc"); len(p) != 0 {
			t.Fatalf("pending after abandon = %v", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutboxDedupesOrdersAndRetries(t *testing.T) {
	db, clk, path := openTemp(t)
	payload := json.RawMessage(`{"candidateList":["g1"]}`)
	err := db.Update(func(tx *Tx) error {
		for _, k := range []string{"a", "b", "a", "c"} {
			target := "brain"
			if k == "c" {
				target = "control"
			}
			if _, err := tx.Enqueue(OutboxItem{Key: k, Target: target, Kind: "x", Payload: payload}); err != nil {
				return err
			}
		}
		_, err := tx.Enqueue(OutboxItem{Key: "", Target: "brain", Kind: "x"})
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("empty key accepted: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var due []OutboxItem
	_ = db.View(func(tx *Tx) (err error) { due, err = tx.Due("brain", clk.Now(), 10); return })
	if len(due) != 2 || due[0].Key != "a" || due[1].Key != "b" || string(due[0].Payload) != string(payload) {
		t.Fatalf("due = %+v", due)
	}
	// a fails and waits; b is delivered.
	_ = db.Update(func(tx *Tx) error {
		if err := tx.Retry(due[0].Seq, errors.New("brain down"), clk.Now().Add(time.Minute)); err != nil {
			return err
		}
		return tx.Delivered(due[1].Seq)
	})
	_ = db.View(func(tx *Tx) (err error) { due, err = tx.Due("brain", clk.Now(), 10); return })
	if len(due) != 0 {
		t.Fatalf("due before backoff elapsed = %+v", due)
	}
	// Delivered keys are remembered across reopen: a replayed enqueue is dropped.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.Update(func(tx *Tx) error {
		added, err := tx.Enqueue(OutboxItem{Key: "b", Target: "brain", Kind: "x"})
		if err != nil || added {
			t.Fatalf("re-enqueue of delivered key: added=%v err=%v", added, err)
		}
		return nil
	})
	clk.Advance(time.Minute)
	_ = db.View(func(tx *Tx) (err error) { due, err = tx.Due("brain", clk.Now(), 10); return })
	if len(due) != 1 || due[0].Key != "a" || due[0].Attempts != 1 || due[0].LastError != "brain down" {
		t.Fatalf("due after backoff = %+v", due)
	}
	_ = db.View(func(tx *Tx) error {
		p, _ := tx.Pending()
		if p["brain"] != 1 || p["control"] != 1 {
			t.Fatalf("pending = %v", p)
		}
		return nil
	})
}

func TestSessionsAndConversations(t *testing.T) {
	db, _, _ := openTemp(t)
	type conv struct {
		LastMid int64 `json:"last_mid"`
	}
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.Session("acc"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing session: %v", err)
		}
		if err := tx.PutSession("acc", []byte("cookies")); err != nil {
			return err
		}
		for _, id := range []string{"g2", "g1"} {
			if err := tx.PutConversation("acc", id, conv{LastMid: int64(len(id))}); err != nil {
				return err
			}
		}
		return tx.PutConversation("acc2", "g9", conv{})
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		blob, err := tx.Session("acc")
		if err != nil || string(blob) != "cookies" {
			t.Fatalf("session = %q %v", blob, err)
		}
		var ids []string
		_ = tx.Conversations("acc", func(id string, _ []byte) error { ids = append(ids, id); return nil })
		if len(ids) != 2 || ids[0] != "g1" || ids[1] != "g2" {
			t.Fatalf("conversations of acc = %v", ids)
		}
		var c conv
		if err := tx.Conversation("acc", "g2", &c); err != nil || c.LastMid != 2 {
			t.Fatalf("conversation = %+v %v", c, err)
		}
		return nil
	})
}
