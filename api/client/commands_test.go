package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
)

// TestReleaseCommandsClient drives the takeover-release round trip through
// both clients: the worker reports a conversation a human took over, the
// operator lists and releases it, the worker pulls and acks the command
// (twice: idempotent) and reports the conversation back in service.
func TestReleaseCommandsClient(t *testing.T) {
	ctx := context.Background()
	_, clk, base := setup(t)
	w := client.NewWorker(base, workerToken, 5*time.Second)
	op := client.NewOperator(base, 5*time.Second)
	if _, err := op.Login(ctx, "cli", "cli-secret-1", "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Register(ctx, []wire.AccountStatus{{Key: "boss-a", State: "running"}}); err != nil {
		t.Fatal(err)
	}
	convs, err := w.PushConversations(ctx, []wire.ConversationStatus{
		{Account: "boss-a", CandidateID: "geek-1", Name: "张三", Status: wire.ConvIntervened, UpdatedAt: clk.Now()},
		{Account: "boss-a", CandidateID: "geek-2", Name: "李四", Status: wire.ConvInService, UpdatedAt: clk.Now()},
	})
	if err != nil || len(convs) != 2 || convs[0].AccountID != 1 {
		t.Fatalf("push = %+v, %v", convs, err)
	}
	pg, err := op.Conversations(ctx, "boss-a", wire.ConvIntervened, 1, 10)
	if err != nil || pg.Total != 1 || pg.Results[0].CandidateID != "geek-1" {
		t.Fatalf("operator list = %+v, %v", pg, err)
	}

	cmd, err := op.Release(ctx, "boss-a", "geek-1", "handled by phone")
	if err != nil || cmd.Status != wire.CommandPending || cmd.Kind != wire.CommandRelease {
		t.Fatalf("release = %+v, %v", cmd, err)
	}
	_, err = op.Release(ctx, "nobody", "geek-1", "")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusNotFound || ce.Temporary() {
		t.Fatalf("release of unknown account: %v", err)
	}

	cmds, err := w.Commands(ctx)
	if err != nil || len(cmds) != 1 || cmds[0].ID != cmd.ID || cmds[0].CandidateID != "geek-1" {
		t.Fatalf("commands = %+v, %v", cmds, err)
	}
	for i := 0; i < 2; i++ {
		got, err := w.AckCommand(ctx, cmd.ID, true, "")
		if err != nil || got.Status != wire.CommandDone {
			t.Fatalf("ack %d = %+v, %v", i, got, err)
		}
	}
	if cmds, err := w.Commands(ctx); err != nil || len(cmds) != 0 {
		t.Fatalf("commands after ack = %+v, %v", cmds, err)
	}
	_, err = w.AckCommand(ctx, 999, false, "x")
	if !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
		t.Fatalf("ack unknown: %v", err)
	}
	_, err = w.PushConversations(ctx, []wire.ConversationStatus{{Account: "boss-a", CandidateID: "geek-1", Status: "WHATEVER"}})
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Field != "conversations[0].status" {
		t.Fatalf("bad status push: %v", err)
	}

	clk.Advance(time.Minute)
	if _, err := w.PushConversations(ctx, []wire.ConversationStatus{{Account: "boss-a", CandidateID: "geek-1", Status: wire.ConvInService, UpdatedAt: clk.Now()}}); err != nil {
		t.Fatal(err)
	}
	if pg, err := op.Conversations(ctx, "", wire.ConvIntervened, 0, 0); err != nil || pg.Total != 0 || pg.PageSize != 20 {
		t.Fatalf("after release = %+v, %v", pg, err)
	}

	// Alerts: a heartbeat into paused_risk is listed for the operator.
	if _, err := w.Heartbeat(ctx, []wire.AccountStatus{{Key: "boss-a", State: wire.AccountPausedRisk, LastError: "verify"}}); err != nil {
		t.Fatal(err)
	}
	al, err := op.Alerts(ctx, "boss-a", 1, 5)
	if err != nil || al.Total != 1 || al.PageSize != 5 || al.Results[0].State != wire.AccountPausedRisk || al.Results[0].PreviousState != "running" {
		t.Fatalf("alerts = %+v, %v", al, err)
	}
	if _, err := op.Alerts(ctx, "nobody", 0, 0); !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
		t.Fatalf("alerts of unknown account: %v", err)
	}
}
