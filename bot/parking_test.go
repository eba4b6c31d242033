package bot

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state/worker"
)

// rejecter answers the reference's exception envelope for the keys in bad
// and accepts the rest.
type rejecter struct {
	bad map[string]bool
	got []string
	n   map[string]int
}

func (r *rejecter) Deliver(_ context.Context, it worker.OutboxItem) error {
	r.n[it.Key]++
	if r.bad[it.Key] {
		return brainRejection(&brain.APIError{Endpoint: brain.PathTaskReport, Reason: "exception: 'touch_msg'"})
	}
	r.got = append(r.got, it.Key)
	return nil
}

func TestOutboxParksDataRejectionsAfterBoundedAttempts(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 5, 9, 0, 0, 0, clock.Shanghai))
	db, err := worker.Open(filepath.Join(t.TempDir(), "worker.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rx := &rejecter{bad: map[string]bool{"b1": true}, n: map[string]int{}}
	var parked []worker.ParkedItem
	ob := NewOutbox(db, clk, zerolog.Nop(), map[string]Deliverer{"brain": rx},
		OutboxOptions{MinBackoff: time.Second, MaxBackoff: time.Minute, RejectAttempts: 3,
			OnPark: func(p worker.ParkedItem) { parked = append(parked, p) }})
	err = db.Update(func(tx *worker.Tx) error {
		for _, k := range []string{"b1", "b2"} {
			if _, err := tx.Enqueue(worker.OutboxItem{Key: k, Target: "brain", Kind: KindTaskReport, AccountID: "account_boss_1"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A rejected head item does not hold back the item behind it.
	if n, err := ob.Pass(ctx); err != nil || n != 1 || len(rx.got) != 1 || rx.got[0] != "b2" {
		t.Fatalf("first pass: delivered %d (%v), got %v", n, err, rx.got)
	}
	for i := 0; i < 10 && len(parked) == 0; i++ {
		clk.Advance(time.Minute)
		if _, err := ob.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if rx.n["b1"] != 3 || len(parked) != 1 || parked[0].Key != "b1" || parked[0].Attempts != 3 {
		t.Fatalf("attempts %d, parked %+v; want b1 parked after 3 attempts", rx.n["b1"], parked)
	}
	// Parked: out of delivery, counted per account, no more attempts.
	clk.Advance(time.Hour)
	if _, err := ob.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	var counts map[string]int
	var pending map[string]int
	_ = db.View(func(tx *worker.Tx) (err error) {
		if counts, err = tx.CountParked(); err != nil {
			return err
		}
		pending, err = tx.Pending()
		return err
	})
	if rx.n["b1"] != 3 || counts["account_boss_1"] != 1 || pending["brain"] != 0 {
		t.Fatalf("after parking: attempts %d, parked %v, pending %v", rx.n["b1"], counts, pending)
	}
	// The operator fixed the cause and replays: delivered once.
	rx.bad["b1"] = false
	var replayed int
	if err := db.Update(func(tx *worker.Tx) (err error) { replayed, err = tx.Replay("account_boss_1"); return }); err != nil || replayed != 1 {
		t.Fatalf("replay = %d, %v", replayed, err)
	}
	if n, err := ob.Pass(ctx); err != nil || n != 1 || rx.got[len(rx.got)-1] != "b1" {
		t.Fatalf("after replay: delivered %d (%v), got %v", n, err, rx.got)
	}
	_ = db.View(func(tx *worker.Tx) (err error) { counts, err = tx.CountParked(); return })
	if counts["account_boss_1"] != 0 {
		t.Fatalf("parked after replay = %v", counts)
	}
}

func TestBrainRejectionClassifiesAnswersNotOutages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		data bool
	}{
		{&brain.APIError{HasRet: true, Ret: -1, Reason: "job已存在"}, true},
		{&brain.APIError{Reason: "exception: list index out of range"}, true},
		{&brain.TransportError{Endpoint: brain.PathTaskReport, Err: errors.New("connection refused")}, false},
		{&brain.StatusError{Endpoint: brain.PathTaskReport, Code: 502}, false},
	} {
		if got := errors.Is(brainRejection(tc.err), ErrRejectedData); got != tc.data {
			t.Errorf("%v: data rejection = %v, want %v", tc.err, got, tc.data)
		}
	}
}

// TestReplayCommandPutsParkedItemsBack: the operator's replay_parked
// command replays the account's parked brain and control items (not other
// accounts') and is acknowledged with the count through the outbox.
func TestReplayCommandPutsParkedItemsBack(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 5, 9, 0, 0, 0, clock.Shanghai))
	db, err := worker.Open(filepath.Join(t.TempDir(), "worker.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := NewAgent(AccountConfig{ID: "acct-1", PlatformID: "27175761"}, "Boss", Deps{DB: db, Clock: clk, Log: zerolog.Nop()})
	err = db.Update(func(tx *worker.Tx) error {
		for _, it := range []worker.OutboxItem{
			{Key: "r1", Target: TargetBrain, Kind: KindTaskReport, AccountID: "account_Boss_27175761"},
			{Key: "r2", Target: TargetBrain, Kind: KindTaskReport, AccountID: "account_Boss_99"},
		} {
			if _, err := tx.Enqueue(it); err != nil {
				return err
			}
		}
		items, err := tx.Due(TargetBrain, tx.Now(), 10)
		if err != nil {
			return err
		}
		for _, it := range items {
			if _, err := tx.Park(it.Seq, errors.New("exception: 'touch_msg'")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a.AddCommands([]wire.Command{{ID: 7, Kind: wire.CommandReplayParked, Account: "acct-1"}})
	if err := a.applyCommands(); err != nil {
		t.Fatal(err)
	}
	var due, ctl []worker.OutboxItem
	var parked map[string]int
	_ = db.View(func(tx *worker.Tx) (err error) {
		if due, err = tx.Due(TargetBrain, tx.Now(), 10); err != nil {
			return err
		}
		if ctl, err = tx.Due(TargetControl, tx.Now(), 10); err != nil {
			return err
		}
		parked, err = tx.CountParked()
		return err
	})
	if len(due) != 1 || due[0].Key != "r1" || due[0].Attempts != 0 || parked["account_Boss_99"] != 1 || parked["account_Boss_27175761"] != 0 {
		t.Fatalf("due %+v, parked %v", due, parked)
	}
	if len(ctl) != 1 || ctl[0].Kind != KindCommandAck || !strings.Contains(string(ctl[0].Payload), `"done":true`) ||
		!strings.Contains(string(ctl[0].Payload), "1 parked item(s) replayed") {
		t.Fatalf("ack %+v", ctl)
	}
}

func TestChatRefusalsHandOverAfterBoundedAttempts(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 3, 5, 9, 0, 0, 0, clock.Shanghai))
	a := NewAgent(AccountConfig{ID: "acct-1", PlatformID: "1"}, "Boss", Deps{Clock: clk, Log: zerolog.Nop()})
	conv := &Conversation{CandidateID: "46232784", Status: StatusInService}
	outage := &brain.TransportError{Endpoint: brain.PathChat, Err: errors.New("connection refused")}
	for i := 0; i < 3*DefaultRejectAttempts; i++ {
		a.chatRefused(conv, outage)
	}
	if conv.HandedOver || conv.BrainRefusals != 0 {
		t.Fatalf("an outage counted as a refusal: %+v", conv)
	}
	refusal := &brain.APIError{Endpoint: brain.PathChat, Reason: "exception: page_history_msg empty"}
	for i := 1; i < DefaultRejectAttempts; i++ {
		a.chatRefused(conv, refusal)
	}
	if conv.HandedOver || conv.BrainRefusals != DefaultRejectAttempts-1 {
		t.Fatalf("handed over too early: %+v", conv)
	}
	a.chatRefused(conv, refusal)
	if !conv.HandedOver || conv.Status != StatusIntervened {
		t.Fatalf("not handed over after %d refusals: %+v", DefaultRejectAttempts, conv)
	}
}
