package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// dumpStore is every key of every bucket, as the server's reads see them.
func dumpStore(t *testing.T, view func(func(*bolt.Tx) error) error) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := view(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			b := tx.Bucket(name)
			out[string(name)+"/#seq"] = string(binaryUint(b.Sequence()))
			if err := b.ForEach(func(k, v []byte) error {
				out[string(name)+"/"+string(k)] = string(v)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func binaryUint(n uint64) []byte {
	return []byte{byte(n >> 56), byte(n >> 48), byte(n >> 40), byte(n >> 32), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	raw, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRedoLogHoldsEveryAnsweredWrite drives every write endpoint with the
// commit held back, then takes the data directory's files as a SIGKILL
// would leave them (brain.db without the open transaction, writes.log) and
// opens a server on the copy: it must see exactly what the first one
// answered from. A write a handler makes without put, del or nextSequence
// would be missing.
func TestRedoLogHoldsEveryAnsweredWrite(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2026, 11, 30, 10, 0, 0, 0, clock.Shanghai))
	s, err := New(Options{DataDir: dir, Clock: clk, CommitEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer func() { ts.Close(); s.Close() }()
	c, err := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	jobID, err := c.RegisterJob(ctx, brain.JobRegisterRequest{PlatformType: "boss", PlatformID: "7", JobName: "岗位",
		JobConfig: &brain.JobConfig{Texts: brain.JobTexts{Salary: "10K"}}})
	must("job", err)
	acct, err := c.RegisterAccount(ctx, brain.AccountRegisterRequest{PlatformType: "boss", PlatformID: "8", Jobs: []string{jobID}})
	must("account", err)
	must("report", c.ReportTask(ctx, brain.TaskReportRequest{AccountID: acct, TaskStatus: []brain.TaskStatus{{
		TaskType: brain.TaskTypeBatchTouch, Details: brain.TaskDetails{CandidateList: []string{"1", "2"}}}}},
		brain.WithIdempotencyKey("r1")))
	for _, cand := range []string{"3", "4"} {
		_, err := c.Chat(ctx, brain.ChatRequest{AccountID: acct, CandidateID: cand, CandidateName: "甲",
			HistoryMsg: []brain.ChatMessage{{Speaker: brain.SpeakerRobot, Msg: "您好"}, {Speaker: brain.SpeakerUser, Msg: "工资多少"}}})
		must("chat", err)
	}
	must("result", c.SubmitResult(ctx, brain.ResultRequest{AccountID: acct, CandidateID: "4", Wechat: "wx_4"},
		brain.WithIdempotencyKey("res1")))
	must("recall", c.RecallResult(ctx, brain.RecallResultRequest{AccountID: acct, CandidateID: "3"}, brain.WithIdempotencyKey("rc1")))
	for path, body := range map[string]string{
		brain.PathWechatAddFriend: `{"account_id":"` + acct + `","search_id":"wx_4","alias_id":"4"}`,
		brain.PathWechatMsgSent:   `{"account_id":"` + acct + `","alias_id":"4","msg_send":"x"}`,
	} {
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		must(path, err)
		var env struct{ Ret *int }
		json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if env.Ret == nil || *env.Ret != 0 {
			t.Fatalf("%s answered without ret 0", path)
		}
	}
	want := dumpStore(t, s.view)

	// The files as the process leaves them when it is killed now.
	killed := t.TempDir()
	copyFile(t, filepath.Join(dir, "brain.db"), filepath.Join(killed, "brain.db"))
	copyFile(t, filepath.Join(dir, redoName), filepath.Join(killed, redoName))
	if st, err := os.Stat(filepath.Join(killed, redoName)); err != nil || st.Size() == 0 {
		t.Fatalf("redo log empty or missing (%v): the writes were committed, the test proves nothing", err)
	}
	s2, err := New(Options{DataDir: killed, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	got := dumpStore(t, s2.view)
	if err := s2.Close(); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("after replay %q = %q; answered from %q", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("after replay %q exists; it was not there", k)
			}
		}
	}
	// Replayed again (a crash between the commit and emptying the log):
	// nothing changes.
	again := t.TempDir()
	copyFile(t, filepath.Join(killed, "brain.db"), filepath.Join(again, "brain.db"))
	copyFile(t, filepath.Join(dir, redoName), filepath.Join(again, redoName))
	s3, err := New(Options{DataDir: again, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if got := dumpStore(t, s3.view); !maps.Equal(got, want) {
		t.Error("replaying an already committed redo log changed the store")
	}
}

// TestRedoLogStopsAtATornRecord: a record cut short (an operating-system
// crash mid-write) and anything after it are not applied; the records
// before it are.
func TestRedoLogStopsAtATornRecord(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("b"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, redoName)
	var raw []byte
	for _, k := range []string{"a", "b", "c"} {
		ws := writeSet{{op: opPut, bucket: []byte("b"), key: []byte(k), val: []byte("v" + k)}}
		raw = appendRecord(raw, []byte{'w'}, ws.encode(nil))
	}
	last := bytes.LastIndex(raw, []byte("vc"))
	if err := os.WriteFile(path, raw[:last+1], 0o600); err != nil { // "c" torn
		t.Fatal(err)
	}
	l, n, err := openRedoLog(path, db)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	if n != 2 {
		t.Errorf("%d records replayed; want 2", n)
	}
	db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		if string(b.Get([]byte("a"))) != "va" || string(b.Get([]byte("b"))) != "vb" || b.Get([]byte("c")) != nil {
			t.Errorf("after replay a=%q b=%q c=%q", b.Get([]byte("a")), b.Get([]byte("b")), b.Get([]byte("c")))
		}
		return nil
	})
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Errorf("redo log not emptied after replay: %v %v", st.Size(), err)
	}
}

// TestCommitterAnswersFromTheLogAndCommitsLater: with a redo log, a write
// is answered before bbolt has it, reads see it at once, and it reaches
// bbolt within the commit interval; a rejected request that wrote first
// leaves nothing behind, the others in the transaction stay.
func TestCommitterAnswersFromTheLogAndCommitsLater(t *testing.T) {
	dir := t.TempDir()
	db := openTestDB(t)
	l, _, err := openRedoLog(filepath.Join(dir, redoName), db)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	c := newCommitter(db, l, time.Hour)
	b := []byte("b")
	if err := c.update(func(tx *bolt.Tx) error { return put(tx, b, []byte("k"), []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	errBad := errors.New("rejected")
	if err := c.update(func(tx *bolt.Tx) error {
		if err := put(tx, b, []byte("bad"), []byte("1")); err != nil {
			return err
		}
		return errBad
	}); !errors.Is(err, errBad) {
		t.Fatalf("rejected request answered %v", err)
	}
	var seen, bad, inBolt []byte
	c.view(func(tx *bolt.Tx) error {
		seen, bad = bytes.Clone(tx.Bucket(b).Get([]byte("k"))), tx.Bucket(b).Get([]byte("bad"))
		return nil
	})
	if string(seen) != "1" || bad != nil {
		t.Fatalf("read after the answers: k=%q bad=%q", seen, bad)
	}
	db.View(func(tx *bolt.Tx) error { inBolt = tx.Bucket(b).Get([]byte("k")); return nil })
	if inBolt != nil {
		t.Fatal("write committed before the interval: the redo log path was not taken")
	}
	if st, _ := os.Stat(l.path); st.Size() == 0 {
		t.Fatal("answered write not in the redo log")
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		if string(tx.Bucket(b).Get([]byte("k"))) != "1" || tx.Bucket(b).Get([]byte("bad")) != nil {
			t.Error("close did not commit exactly the answered writes")
		}
		return nil
	})
	if st, _ := os.Stat(l.path); st.Size() != 0 {
		t.Error("redo log not emptied by the commit")
	}
}

// TestCommitterRecoversFromAFailedLogWrite: a write whose redo record
// cannot be written is answered with an error and leaves nothing behind;
// the log is emptied by committing what it held, so the next write works
// and the earlier answered ones stay.
func TestCommitterRecoversFromAFailedLogWrite(t *testing.T) {
	db := openTestDB(t)
	l, _, err := openRedoLog(filepath.Join(t.TempDir(), redoName), db)
	if err != nil {
		t.Fatal(err)
	}
	c := newCommitter(db, l, time.Hour)
	b := []byte("b")
	write := func(k string) error {
		return c.update(func(tx *bolt.Tx) error { return put(tx, b, []byte(k), []byte("1")) })
	}
	if err := write("before"); err != nil {
		t.Fatal(err)
	}
	good := l.f
	ro, err := os.Open(l.path) // read-only: every write fails
	if err != nil {
		t.Fatal(err)
	}
	l.f = ro
	if err := write("lost"); err == nil {
		t.Fatal("a write whose redo record failed was answered as a success")
	}
	l.f = good
	ro.Close()
	if err := write("after"); err != nil {
		t.Fatalf("write after the log was emptied: %v", err)
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	l.close()
	db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket(b)
		if bk.Get([]byte("before")) == nil || bk.Get([]byte("after")) == nil || bk.Get([]byte("lost")) != nil {
			t.Errorf("before=%q after=%q lost=%q", bk.Get([]byte("before")), bk.Get([]byte("after")), bk.Get([]byte("lost")))
		}
		return nil
	})
}
