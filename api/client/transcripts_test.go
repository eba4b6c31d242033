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

// TestTranscriptsClient: the worker pushes a conversation's messages twice
// (an outbox replay), the operator reads them back in pages; a bad author
// comes back as a 400 naming the field.
func TestTranscriptsClient(t *testing.T) {
	ctx := context.Background()
	_, clk, base := setup(t)
	w := client.NewWorker(base, workerToken, 5*time.Second)
	op := client.NewOperator(base, 5*time.Second)
	if _, err := op.Login(ctx, "cli", "cli-secret-1", "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	at := clk.Now().UTC()
	in := []wire.TranscriptInput{{Account: "boss-a", CandidateID: "geek-1", Messages: []wire.TranscriptMessage{
		{MsgID: "1", At: at, Author: wire.AuthorBot, Text: "您好", Type: "text"},
		{MsgID: "2", At: at.Add(time.Minute), Author: wire.AuthorCandidate, Text: "你好", Type: "text"},
		{MsgID: "3", At: at.Add(2 * time.Minute), Author: wire.AuthorHuman, Text: "我是经理", Type: "text"},
	}}}
	for i, added := range []int{3, 0} {
		res, err := w.PushTranscripts(ctx, in)
		if err != nil || len(res) != 1 || res[0].Added != added || res[0].Total != 3 {
			t.Fatalf("push %d = %+v, %v", i, res, err)
		}
	}
	pg, err := op.ConversationMessages(ctx, "boss-a", "geek-1", 2, 2)
	if err != nil || pg.Total != 3 || len(pg.Results) != 1 || pg.Results[0].Author != wire.AuthorHuman || !pg.Results[0].At.Equal(at.Add(2*time.Minute)) {
		t.Fatalf("page 2 = %+v, %v", pg, err)
	}
	in[0].Messages[0].Author = "robot"
	_, err = w.PushTranscripts(ctx, in)
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusBadRequest || ce.Field != "transcripts[0].messages[0].author" {
		t.Fatalf("bad author: %v", err)
	}
}
