package client

import (
	"context"
	"net/url"

	"github.com/hunterbot/hunterbot/api/wire"
)

// PushTranscripts reports the new messages of conversations the worker
// read from the site (at most wire.MaxTranscriptPush per conversation,
// wire.MaxTranscriptMessages in all). Replays are harmless: a message is
// keyed by (account, candidate, msg_id) and stored once.
func (w *Worker) PushTranscripts(ctx context.Context, in []wire.TranscriptInput) ([]wire.TranscriptResult, error) {
	var out wire.TranscriptsResponse
	err := check(w.r.R().SetContext(ctx).SetBody(wire.TranscriptsRequest{Transcripts: in}).
		SetResult(&out).Post("/api/worker/transcripts"))
	return out.Results, err
}

// ConversationMessages returns a page of one conversation's transcript,
// oldest first; page counts from 1 (0 means the server's defaults).
func (o *Operator) ConversationMessages(ctx context.Context, account, candidateID string, page, pageSize int) (wire.MessagePage, error) {
	var out wire.MessagePage
	err := check(o.r.R().SetContext(ctx).SetQueryParamsFromValues(pageQuery("", "", page, pageSize)).SetResult(&out).
		Get("/api/accounts/" + url.PathEscape(account) + "/conversations/" + url.PathEscape(candidateID) + "/messages"))
	return out, err
}
