package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state/worker"
)

// recorder is a hand-written fake receiver that can be switched off.
type recorder struct {
	down bool
	got  []string
}

func (r *recorder) Deliver(_ context.Context, it worker.OutboxItem) error {
	if r.down {
		return errors.New("connection refused")
	}
	r.got = append(r.got, it.Key)
	return nil
}

func enqueue(t *testing.T, db *worker.DB, target string, keys ...string) {
	t.Helper()
	err := db.Update(func(tx *worker.Tx) error {
		for _, k := range keys {
			if _, err := tx.Enqueue(worker.OutboxItem{Key: k, Target: target, Kind: "test"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutboxDeliversInOrderAndSurvivesOutage(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 5, 9, 0, 0, 0, clock.Shanghai))
	db, err := worker.Open(filepath.Join(t.TempDir(), "worker.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	brain, control := &recorder{down: true}, &recorder{}
	ob := NewOutbox(db, clk, zerolog.Nop(), map[string]Deliverer{"brain": brain, "control": control},
		OutboxOptions{MinBackoff: time.Second, MaxBackoff: time.Minute})
	enqueue(t, db, "brain", "b1", "b2", "b3")
	enqueue(t, db, "control", "c1")
	ctx := context.Background()

	n, err := ob.Pass(ctx)
	if err != nil || n != 1 {
		t.Fatalf("first pass delivered %d (%v), want only the control item", n, err)
	}
	// While the brain is down its items stay queued, in order, and the
	// backoff grows: a pass before the retry time delivers nothing.
	for i := 0; i < 5; i++ {
		clk.Advance(time.Minute)
		if _, err := ob.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var pending map[string]int
	_ = db.View(func(tx *worker.Tx) (err error) { pending, err = tx.Pending(); return })
	if pending["brain"] != 3 {
		t.Fatalf("pending during outage = %v", pending)
	}
	brain.down = false
	clk.Advance(2 * time.Minute)
	if _, err := ob.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(brain.got) != "[b1 b2 b3]" || fmt.Sprint(control.got) != "[c1]" {
		t.Fatalf("delivered brain=%v control=%v", brain.got, control.got)
	}
	// Nothing is delivered twice.
	clk.Advance(time.Hour)
	if n, _ := ob.Pass(ctx); n != 0 {
		t.Fatalf("second pass redelivered %d items", n)
	}
}

func TestOutboxBackoffIsCappedAndJittered(t *testing.T) {
	clk := clock.NewManual(time.Now())
	ob := NewOutbox(nil, clk, zerolog.Nop(), nil, OutboxOptions{MinBackoff: time.Second, MaxBackoff: 30 * time.Second})
	for attempts := 0; attempts < 10; attempts++ {
		d := ob.backoff(attempts)
		base := time.Second << attempts
		if base > 30*time.Second {
			base = 30 * time.Second
		}
		if d < base/2 || d > base {
			t.Fatalf("backoff(%d) = %v, want between half and all of %v (never above the cap)", attempts, d, base)
		}
	}
}
