package state

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// transcriptMigration is the version of the transcripts' migration.
func transcriptMigration() int {
	for _, m := range migrations {
		if m.Name == "conversation transcripts" {
			return m.Version
		}
	}
	panic("no transcripts migration")
}

func openTranscriptDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "control.db"), Options{Clock: clock.NewManual(time.Unix(1700000000, 0)), BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

var transcriptT0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func tmsg(mid int, author wire.Author, text string) wire.TranscriptMessage {
	return wire.TranscriptMessage{MsgID: fmt.Sprint(mid), At: transcriptT0.Add(time.Duration(mid) * time.Second), Author: author, Text: text, Type: "text"}
}

func TestTranscriptsAreIdempotentAndOrdered(t *testing.T) {
	db := openTranscriptDB(t)
	first := wire.TranscriptInput{Account: "acct-a", CandidateID: "g1", Messages: []wire.TranscriptMessage{
		tmsg(3, wire.AuthorCandidate, "<script>alert(1)</script>您好"), tmsg(1, wire.AuthorBot, "您好，看到您的简历"), tmsg(2, wire.AuthorSite, "对方已读"),
	}}
	res, err := db.AddTranscripts("w1", []wire.TranscriptInput{first})
	if err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Added != 3 || r.Duplicates != 0 || r.Total != 3 || r.Account != "acct-a" {
		t.Fatalf("first push: %+v", r)
	}
	// The outbox replays the push, and the next read adds one message.
	again := first
	again.Messages = append(append([]wire.TranscriptMessage{}, first.Messages...), tmsg(4, wire.AuthorHuman, "我是招聘经理"))
	if res, err = db.AddTranscripts("w1", []wire.TranscriptInput{first, again}); err != nil {
		t.Fatal(err)
	}
	if r := res[0]; r.Added != 0 || r.Duplicates != 3 || r.Total != 3 {
		t.Fatalf("replay: %+v", r)
	}
	if r := res[1]; r.Added != 1 || r.Duplicates != 3 || r.Total != 4 {
		t.Fatalf("replay plus one: %+v", r)
	}
	got, total, err := db.ListTranscript("acct-a", "g1", 1, 10)
	if err != nil || total != 4 {
		t.Fatalf("list: total %d, %v", total, err)
	}
	var order []string
	for _, m := range got {
		order = append(order, m.MsgID+":"+string(m.Author))
		if m.WorkerID != "w1" || m.ReceivedAt.IsZero() {
			t.Fatalf("stored message lacks its worker or receipt time: %+v", m)
		}
	}
	if strings.Join(order, " ") != "1:bot 2:site 3:candidate 4:human" {
		t.Fatalf("order = %v, want oldest first", order)
	}
	if got[2].Text != "<script>alert(1)</script>您好" {
		t.Fatalf("text stored as %q", got[2].Text)
	}
	// Paging: page 2 of size 3 is the newest message.
	page2, total, err := db.ListTranscript("acct-a", "g1", 2, 3)
	if err != nil || total != 4 || len(page2) != 1 || page2[0].MsgID != "4" {
		t.Fatalf("page 2: %+v total %d %v", page2, total, err)
	}
	if past, _, err := db.ListTranscript("acct-a", "g1", 9, 3); err != nil || len(past) != 0 {
		t.Fatalf("page past the end: %+v %v", past, err)
	}
	// Another conversation of the account is separate, even with a
	// candidate id that extends this one.
	if _, err := db.AddTranscripts("w1", []wire.TranscriptInput{{Account: "acct-a", CandidateID: "g10",
		Messages: []wire.TranscriptMessage{tmsg(1, wire.AuthorCandidate, "别的会话")}}}); err != nil {
		t.Fatal(err)
	}
	if _, total, _ := db.ListTranscript("acct-a", "g1", 1, 10); total != 4 {
		t.Fatalf("g1 holds %d messages after g10's push, want 4", total)
	}
	if _, _, err := db.ListTranscript("nope", "g1", 1, 10); !errors.Is(err, wire.ErrNotFound) {
		t.Fatalf("unknown account: %v, want ErrNotFound", err)
	}
	if m, total, err := db.ListTranscript("acct-a", "g2", 1, 10); err != nil || total != 0 || len(m) != 0 {
		t.Fatalf("conversation without messages: %+v %d %v", m, total, err)
	}
}

func TestTranscriptBadInputNamesTheFieldAndWritesNothing(t *testing.T) {
	db := openTranscriptDB(t)
	good := wire.TranscriptInput{Account: "acct-a", CandidateID: "g1", Messages: []wire.TranscriptMessage{tmsg(1, wire.AuthorBot, "ok")}}
	long := tmsg(2, wire.AuthorBot, strings.Repeat("长", wire.MaxTranscriptText+1))
	many := make([]wire.TranscriptMessage, wire.MaxTranscriptPush+1)
	for i := range many {
		many[i] = tmsg(i+1, wire.AuthorCandidate, "x")
	}
	cases := []struct {
		field string
		in    wire.TranscriptInput
	}{
		{"transcripts[1].account", wire.TranscriptInput{CandidateID: "g1", Messages: good.Messages}},
		{"transcripts[1].candidate_id", wire.TranscriptInput{Account: "acct-a", Messages: good.Messages}},
		{"transcripts[1].candidate_id", wire.TranscriptInput{Account: "acct-a", CandidateID: "g\x001", Messages: good.Messages}},
		{"transcripts[1].messages", wire.TranscriptInput{Account: "acct-a", CandidateID: "g1"}},
		{"transcripts[1].messages", wire.TranscriptInput{Account: "acct-a", CandidateID: "g1", Messages: many}},
		{"transcripts[1].messages[0].msg_id", wire.TranscriptInput{Account: "acct-a", CandidateID: "g1",
			Messages: []wire.TranscriptMessage{{At: transcriptT0, Author: wire.AuthorBot}}}},
		{"transcripts[1].messages[0].at", wire.TranscriptInput{Account: "acct-a", CandidateID: "g1",
			Messages: []wire.TranscriptMessage{{MsgID: "1", Author: wire.AuthorBot}}}},
		{"transcripts[1].messages[0].author", wire.TranscriptInput{Account: "acct-a", CandidateID: "g1",
			Messages: []wire.TranscriptMessage{{MsgID: "1", At: transcriptT0, Author: "robot"}}}},
		{"transcripts[1].messages[1].text", wire.TranscriptInput{Account: "acct-a", CandidateID: "g1",
			Messages: []wire.TranscriptMessage{tmsg(1, wire.AuthorBot, "ok"), long}}},
		{"transcripts[1].messages[0].text", wire.TranscriptInput{Account: "acct-a", CandidateID: "g1",
			Messages: []wire.TranscriptMessage{tmsg(1, wire.AuthorBot, "bad \xff utf-8")}}},
	}
	for _, c := range cases {
		_, err := db.AddTranscripts("w1", []wire.TranscriptInput{good, c.in})
		var fe *wire.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Fatalf("%s: got %v, want a field error naming it", c.field, err)
		}
	}
	// Too many messages in all, though each conversation is within bounds.
	var all []wire.TranscriptInput
	for i := 0; i*wire.MaxTranscriptPush <= wire.MaxTranscriptMessages; i++ {
		all = append(all, wire.TranscriptInput{Account: "acct-a", CandidateID: fmt.Sprint("g", i), Messages: many[:wire.MaxTranscriptPush]})
	}
	var fe *wire.FieldError
	if _, err := db.AddTranscripts("w1", all); !errors.As(err, &fe) || fe.Field != "transcripts" {
		t.Fatalf("oversized request: %v", err)
	}
	// Nothing of the refused batches was written (not even the account).
	if _, _, err := db.ListTranscript("acct-a", "g1", 1, 10); !errors.Is(err, wire.ErrNotFound) {
		t.Fatalf("after refused pushes: %v, want the account unknown", err)
	}
}

func TestTranscriptRetentionKeepsTheNewest(t *testing.T) {
	db := openTranscriptDB(t)
	push := func(from, n int) wire.TranscriptResult {
		t.Helper()
		ms := make([]wire.TranscriptMessage, n)
		for i := range ms {
			ms[i] = tmsg(from+i, wire.AuthorCandidate, fmt.Sprint("m", from+i))
		}
		res, err := db.AddTranscripts("w1", []wire.TranscriptInput{{Account: "acct-a", CandidateID: "g1", Messages: ms}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	for from := 1; from <= wire.TranscriptRetention+50; from += wire.MaxTranscriptPush {
		n := min(wire.MaxTranscriptPush, wire.TranscriptRetention+50-from+1)
		push(from, n)
	}
	_, total, err := db.ListTranscript("acct-a", "g1", 1, 1)
	if err != nil || total != wire.TranscriptRetention {
		t.Fatalf("total %d (%v), want the bound %d", total, err, wire.TranscriptRetention)
	}
	oldest, _, _ := db.ListTranscript("acct-a", "g1", 1, 1)
	newest, _, _ := db.ListTranscript("acct-a", "g1", wire.TranscriptRetention, 1)
	if oldest[0].MsgID != "51" || newest[0].MsgID != fmt.Sprint(wire.TranscriptRetention+50) {
		t.Fatalf("kept %s..%s, want 51..%d", oldest[0].MsgID, newest[0].MsgID, wire.TranscriptRetention+50)
	}
	// A message older than everything kept is dropped, not re-added (a
	// new holder re-reading the whole history does not churn).
	if r := push(7, 1); r.Dropped != 1 || r.Added != 0 || r.Total != wire.TranscriptRetention {
		t.Fatalf("old message: %+v", r)
	}
	// An evicted message's index entry went with it: nothing dangles.
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		if n := tx.Bucket(bucketTranscriptsByMsg).Stats().KeyN; n != wire.TranscriptRetention {
			return fmt.Errorf("index holds %d keys, want %d", n, wire.TranscriptRetention)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTranscriptPushIsFencedToTheAccountsWorker(t *testing.T) {
	db := openTranscriptDB(t)
	if _, err := db.Heartbeat("w1", []wire.AccountStatus{{Key: "acct-a", State: "running"}}); err != nil {
		t.Fatal(err)
	}
	_, err := db.AddTranscripts("w2", []wire.TranscriptInput{{Account: "acct-a", CandidateID: "g1",
		Messages: []wire.TranscriptMessage{tmsg(1, wire.AuthorCandidate, "hi")}}})
	if !errors.Is(err, wire.ErrForbidden) {
		t.Fatalf("another worker's push: %v, want ErrForbidden", err)
	}
}

// TestMigrationToTranscripts opens a file at the schema before the
// transcripts' and checks their migration adds the buckets.
func TestMigrationToTranscripts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.db")
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		prev := transcriptMigration() - 1
		for _, m := range migrations[:prev] {
			if err := m.Up(tx); err != nil {
				return err
			}
		}
		return meta.Put(keySchemaVersion, u64(uint64(prev)))
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	db, err := Open(path, Options{Clock: clock.NewManual(time.Unix(1700000000, 0)), BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.AddTranscripts("w1", []wire.TranscriptInput{{Account: "a", CandidateID: "g1",
		Messages: []wire.TranscriptMessage{tmsg(1, wire.AuthorCandidate, "hi")}}}); err != nil {
		t.Fatalf("push after migration: %v", err)
	}
}
