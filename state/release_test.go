package state

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// TestMigrationFromV2 opens a file written at schema 2 (before worker
// commands, conversations and alerts) with an account in it, and checks
// migration 3 adds the buckets and the old data still works with them.
func TestMigrationFromV2(t *testing.T) {
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
		for _, m := range migrations[:2] {
			if err := m.Up(tx); err != nil {
				return err
			}
		}
		return meta.Put(keySchemaVersion, u64(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err := Open(path, Options{Clock: clock.NewManual(time.Unix(1700000000, 0)), BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Version(); v != SchemaVersion() || v < 4 {
		t.Fatalf("schema %d after migration, want %d", v, SchemaVersion())
	}
	if _, err := db.Heartbeat("w1", []wire.AccountStatus{{Key: "a", State: wire.AccountPausedRisk}}); err != nil {
		t.Fatal(err)
	}
	if _, total, err := db.ListAlerts("a", 1, 10); err != nil || total != 1 {
		t.Fatalf("alerts after migration: %d %v", total, err)
	}
	if _, created, err := db.QueueRelease("a", "g1", "", ""); err != nil || !created {
		t.Fatalf("release after migration: %v %v", created, err)
	}
}

// TestMigrationFromV3 opens a file at schema 3 holding conversations and
// checks migration 4 indexes them by status.
func TestMigrationFromV3(t *testing.T) {
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
		for _, m := range migrations[:3] {
			if err := m.Up(tx); err != nil {
				return err
			}
		}
		for i, st := range []wire.ConvStatus{wire.ConvIntervened, wire.ConvInService, wire.ConvIntervened} {
			c := wire.Conversation{AccountID: 1, Account: "a", CandidateID: fmt.Sprint("g", i), Status: st}
			if err := putJSON(tx.Bucket(bucketConversations), contactKey(1, c.CandidateID), c); err != nil {
				return err
			}
		}
		return meta.Put(keySchemaVersion, u64(3))
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err := Open(path, Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, total, err := db.ListConversations(wire.ConversationFilter{Status: wire.ConvIntervened}, 1, 10)
	if err != nil || total != 2 || got[0].CandidateID != "g0" || got[1].CandidateID != "g2" {
		t.Fatalf("after migration: %+v %d %v", got, total, err)
	}
}
