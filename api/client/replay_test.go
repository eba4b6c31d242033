package client_test

import (
	"context"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
)

// TestReplayParkedClient: the operator queues a replay, the worker owning
// the account pulls it and acks it with its count.
func TestReplayParkedClient(t *testing.T) {
	ctx := context.Background()
	_, _, base := setup(t)
	w := client.NewWorker(base, workerToken, 5*time.Second)
	op := client.NewOperator(base, 5*time.Second)
	if _, err := op.Login(ctx, "cli", "cli-secret-1", "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Register(ctx, []wire.AccountStatus{{Key: "boss-a", State: "running", Counters: map[string]int64{wire.CounterParked: 2}}}); err != nil {
		t.Fatal(err)
	}
	cmd, err := op.ReplayParked(ctx, "boss-a", "touch_msg set")
	if err != nil || cmd.Kind != wire.CommandReplayParked || cmd.Status != wire.CommandPending || cmd.Note != "touch_msg set" {
		t.Fatalf("replay = %+v, %v", cmd, err)
	}
	cmds, err := w.Commands(ctx)
	if err != nil || len(cmds) != 1 || cmds[0].ID != cmd.ID {
		t.Fatalf("worker commands = %+v, %v", cmds, err)
	}
	if got, err := w.AckCommand(ctx, cmd.ID, true, "2 parked item(s) replayed"); err != nil || got.Status != wire.CommandDone {
		t.Fatalf("ack = %+v, %v", got, err)
	}
}
