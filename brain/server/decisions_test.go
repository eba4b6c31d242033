package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"
)

func openDecisionsDB(t *testing.T, dir string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "brain.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bDecisions)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

func storedDecisions(t *testing.T, db *bolt.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bDecisions).ForEach(func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	})
	return out
}

// TestDecisionLogReplaysSegmentsAndStopsAtATornTail writes two segments as
// a killed process leaves them, the second ending in a half-written record,
// and checks that opening folds every whole record (and the sequence) into
// the store, drops the torn one, deletes the segments and goes on numbering.
func TestDecisionLogReplaysSegmentsAndStopsAtATornTail(t *testing.T) {
	dir := t.TempDir()
	db := openDecisionsDB(t, dir)
	defer db.Close()
	var seg1, seg2 []byte
	seg1 = appendRecord(seg1, seqKey("a", 1), []byte(`{"n":1}`))
	seg1 = appendRecord(seg1, seqKey("b", 2), []byte(`{"n":2}`))
	seg2 = appendRecord(seg2, seqKey("a", 3), []byte(`{"n":3}`))
	torn := appendRecord(nil, seqKey("a", 4), []byte(`{"n":4}`))
	seg2 = append(seg2, torn[:len(torn)-3]...)
	os.WriteFile(filepath.Join(dir, segmentName(1)), seg1, 0o600)
	os.WriteFile(filepath.Join(dir, segmentName(2)), seg2, 0o600)

	d, err := openDecisionLog(dir, db, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	got := storedDecisions(t, db)
	if len(got) != 3 || got[string(seqKey("a", 3))] != `{"n":3}` || got[string(seqKey("b", 2))] != `{"n":2}` {
		t.Fatalf("stored after replay = %q", got)
	}
	for _, n := range []uint64{1, 2} {
		if _, err := os.Stat(filepath.Join(dir, segmentName(n))); !os.IsNotExist(err) {
			t.Errorf("segment %d still there after the fold (%v)", n, err)
		}
	}
	// The next decision continues the sequence in a new segment.
	if err := d.add("a", []byte(`{"n":"next"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, segmentName(3))); err != nil {
		t.Fatalf("new segment: %v", err)
	}
	if err := d.fold(); err != nil {
		t.Fatal(err)
	}
	if v := storedDecisions(t, db)[string(seqKey("a", 4))]; v != `{"n":"next"}` {
		t.Fatalf("decision after replay stored as %q; want seq 4", v)
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}
	if left, _, _ := listSegments(dir); len(left) != 0 {
		t.Errorf("segments left after close: %v", left)
	}
}

// TestDecisionLogFoldKeepsLaterDecisions: decisions added after a fold
// sealed its segment stay in the new segment and reach the store at the
// next fold; a record folded twice is stored once.
func TestDecisionLogFoldKeepsLaterDecisions(t *testing.T) {
	dir := t.TempDir()
	db := openDecisionsDB(t, dir)
	defer db.Close()
	d, err := openDecisionLog(dir, db, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	for range 3 {
		if err := d.add("acct", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.fold(); err != nil {
		t.Fatal(err)
	}
	if err := d.add("acct", []byte(`{"late":true}`)); err != nil {
		t.Fatal(err)
	}
	segs, _, _ := listSegments(dir)
	if len(segs) != 1 {
		t.Fatalf("segments = %v; want only the current one", segs)
	}
	recs, err := readSegment(filepath.Join(dir, segs[0]))
	if err != nil || len(recs) != 1 || string(recs[0].val) != `{"late":true}` {
		t.Fatalf("current segment holds %+v, %v", recs, err)
	}
	// Folding the same record again (a crash between commit and delete).
	if err := d.store(recs); err != nil {
		t.Fatal(err)
	}
	if err := d.fold(); err != nil {
		t.Fatal(err)
	}
	if got := storedDecisions(t, db); len(got) != 4 {
		t.Fatalf("stored %d decisions; want 4", len(got))
	}
}

// TestAppendDecisionMatchesEncodingJSON: the hand-written encoder makes a
// document encoding/json decodes to the same decision, for awkward text
// too (quotes, control characters, invalid UTF-8, U+2028, HTML).
func TestAppendDecisionMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 58, 1, 123456789, time.FixedZone("CST", 8*3600))
	for _, d := range []Decision{
		{Time: at, AccountID: "account_boss_1", JobID: "job_boss_2", CandidateID: "42", Touch: true,
			Checks: []Check{{Name: "degree", OK: true, Detail: "degree 硕士 >= 本科"}}},
		{Time: at.UTC(), AccountID: "a\"b\\c", JobID: "j\n\t\r\x01\x1f", CandidateID: "bad\xffutf8\u2028\u2029<&>",
			Checks: []Check{{Name: "x", Detail: `age unknown (ageDesc "")`}, {Name: "y", OK: true}}},
		{Time: at, AccountID: "a"},
	} {
		var got, want Decision
		raw := appendDecision(nil, &d)
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		std, _ := json.Marshal(d)
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || !got.Time.Equal(d.Time) {
			t.Errorf("appendDecision = %s\ndecodes to %+v\nencoding/json decodes to %+v", raw, got, want)
		}
	}
}

// TestDecisionLogRecoversFromAFailedWrite: a failed append is answered
// with an error, the next decision goes to a fresh segment (a torn record
// would hide anything after it at replay), and every acknowledged decision
// reaches the store.
func TestDecisionLogRecoversFromAFailedWrite(t *testing.T) {
	dir := t.TempDir()
	db := openDecisionsDB(t, dir)
	defer db.Close()
	d, err := openDecisionLog(dir, db, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if err := d.add("acct", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	d.f.Close() // the next write fails, as on a full or failing disk
	if err := d.add("acct", []byte(`{"n":"lost"}`)); err == nil {
		t.Fatal("a failed write was acknowledged")
	}
	if err := d.add("acct", []byte(`{"n":2}`)); err != nil {
		t.Fatalf("after a failed write: %v", err)
	}
	if err := d.fold(); err != nil {
		t.Fatal(err)
	}
	got := storedDecisions(t, db)
	if len(got) != 2 || got[string(seqKey("acct", 1))] != `{"n":1}` || got[string(seqKey("acct", 2))] != `{"n":2}` {
		t.Fatalf("stored = %q; want the two acknowledged decisions", got)
	}
	if segs, _, _ := listSegments(dir); len(segs) != 1 {
		t.Fatalf("segments after the fold: %v; want only the current one", segs)
	}
}
