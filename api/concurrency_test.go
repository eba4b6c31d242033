package api_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// TestConcurrentPushesAndQueries: workers push while operators page and
// search; every contact lands exactly once and totals add up.
func TestConcurrentPushesAndQueries(t *testing.T) {
	e := newEnv(t)
	const workers, batches, per = 4, 10, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*batches+100)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				body := `{"contacts":[`
				for i := 0; i < per; i++ {
					if i > 0 {
						body += ","
					}
					// Every batch is pushed twice by design (idempotency under load).
					body += fmt.Sprintf(`{"account":"acct-%d","candidate_id":"c-%d-%d","name":"候选人%d","replied":%v}`, w, b, i, i, i%2 == 0)
				}
				body += `]}`
				for rep := 0; rep < 2; rep++ {
					if code, out := e.callAs(testWorkerTk, "POST", "/api/worker/contacts", body); code != 200 {
						errs <- fmt.Errorf("push: %d %s", code, out)
					}
				}
			}
		}(w)
	}
	for q := 0; q < 2; q++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				if code, out := e.call("GET", "/api/contacts?search="+url.QueryEscape("候选人1")+"&page_size=5", ""); code != 200 {
					errs <- fmt.Errorf("query: %d %s", code, out)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := e.db.CountContacts(wire.ContactFilter{}); n != workers*batches*per {
		t.Fatalf("contacts = %d, want %d", n, workers*batches*per)
	}
	yes := true
	if n := e.db.CountContacts(wire.ContactFilter{Replied: &yes}); n != workers*batches*per/2 {
		t.Fatalf("replied = %d", n)
	}
}

// TestHousekeepingRunsOnTheClock: Run removes expired exports when the
// manual clock passes the cleanup period.
func TestHousekeepingRunsOnTheClock(t *testing.T) {
	e := newEnv(t)
	seedContacts(e)
	code, body := e.call("GET", "/api/contacts/export", "")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	dir := filepath.Join(e.data, "media", "exports")
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("exports = %d", len(ents))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.api.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := e.clk.WaitForWaiters(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// One cleanup period later the export (TTL 1h) is still alive.
	e.clk.Advance(5 * time.Minute)
	if err := e.clk.WaitForWaiters(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("export removed before expiry")
	}
	e.clk.Advance(time.Hour)
	if err := e.clk.WaitForWaiters(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("expired export still there: %v", ents)
	}
}
