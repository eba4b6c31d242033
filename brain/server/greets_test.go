package server

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// TestGreetCountsKeptAndLegacyDaysCounted: task/fetch reads a kept count of
// today's distinct reported candidates; a day written before counts
// existed (greets keys, no count) is counted from its keys, and reporting
// on it continues from there.
func TestGreetCountsKeptAndLegacyDaysCounted(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2026, 11, 23, 10, 0, 0, 0, clock.Shanghai))
	cfg := &Config{
		Jobs: []JobSpec{{PlatformType: "boss", PlatformID: "1", Name: "岗位"}},
		Accounts: []AccountSpec{{PlatformType: "boss", PlatformID: "2", Jobs: []string{"job_boss_1"},
			Tasks: map[string]brain.TaskConfig{"job_boss_1": {HelloSum: 10, TimeMount: []brain.TimeMount{{Time: "20:00", Mount: 1}}}}}},
	}
	// A legacy day: three greets keys and no count.
	db, err := bolt.Open(filepath.Join(dir, "brain.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bGreets)
		if err != nil {
			return err
		}
		for _, c := range []string{"a", "b", "c"} {
			if err := b.Put(key("account_boss_2", "job_boss_1", "2026-11-23", c), nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	srv, err := New(Options{DataDir: dir, Config: cfg, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer func() { ts.Close(); srv.Close() }()
	c, _ := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1})
	ctx := context.Background()
	fetch := func() int {
		t.Helper()
		tasks, err := c.FetchTasks(ctx, brain.TaskFetchRequest{AccountID: "account_boss_2"})
		if err != nil || len(tasks) != 1 {
			t.Fatalf("fetch = %+v, %v", tasks, err)
		}
		return tasks[0].HelloSum
	}
	report := func(cands ...string) {
		t.Helper()
		if err := c.ReportTask(ctx, brain.TaskReportRequest{AccountID: "account_boss_2", TaskStatus: []brain.TaskStatus{
			{TaskType: brain.TaskTypeBatchTouch, Details: brain.TaskDetails{CandidateList: cands}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fetch(); got != 7 {
		t.Fatalf("legacy day: helloSum %d; want 10-3", got)
	}
	report("c", "d", "d", "e") // c was reported already, d twice
	if got := fetch(); got != 5 {
		t.Fatalf("after reporting d and e: helloSum %d; want 10-5", got)
	}
	clk.Advance(24 * time.Hour)
	report("a")
	if got := fetch(); got != 9 {
		t.Fatalf("next day: helloSum %d; want 10-1", got)
	}
}
