package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Commands returns the open commands (kind "release": hand a conversation a
// human took over back to the bot) for the accounts this worker owns,
// oldest first. Acknowledge each with AckCommand once carried out.
func (w *Worker) Commands(ctx context.Context) ([]wire.Command, error) {
	var out wire.CommandsResponse
	err := check(w.r.R().SetContext(ctx).SetResult(&out).Get("/api/worker/commands"))
	return out.Commands, err
}

// AckCommand reports command id as done, or not done with reason.
// Acknowledging twice is harmless (the first outcome stays).
func (w *Worker) AckCommand(ctx context.Context, id uint64, done bool, reason string) (wire.Command, error) {
	var out wire.Command
	err := check(w.r.R().SetContext(ctx).SetBody(wire.CommandAckRequest{Done: &done, Reason: reason}).
		SetResult(&out).Post("/api/worker/commands/" + strconv.FormatUint(id, 10) + "/ack"))
	return out, err
}

// PushConversations reports conversation statuses (1..api.MaxBatch per
// call). Replays are harmless: an older updated_at never overwrites a newer
// stored status.
func (w *Worker) PushConversations(ctx context.Context, convs []wire.ConversationStatus) ([]wire.Conversation, error) {
	var out wire.ConversationsResponse
	err := check(w.r.R().SetContext(ctx).SetBody(wire.ConversationsRequest{Conversations: convs}).
		SetResult(&out).Post("/api/worker/conversations"))
	return out.Results, err
}

// Release asks the worker owning account to hand conversation candidateID
// back to the bot. It returns the queued command (an already open release
// of the same conversation is returned as is).
func (o *Operator) Release(ctx context.Context, account, candidateID, note string) (wire.Command, error) {
	var out wire.Command
	err := check(o.r.R().SetContext(ctx).SetBody(wire.ReleaseRequest{Note: note}).SetResult(&out).
		Post("/api/accounts/" + url.PathEscape(account) + "/conversations/" + url.PathEscape(candidateID) + "/release"))
	return out, err
}

// ConversationPage is a page of GET /api/conversations.
type ConversationPage struct {
	Total    int                 `json:"total"`
	Page     int                 `json:"page"`
	PageSize int                 `json:"page_size"`
	Results  []wire.Conversation `json:"results"`
}

// Conversations lists conversation statuses, filtered by account key and/or
// status when not empty; page counts from 1 (0 means the server defaults).
func (o *Operator) Conversations(ctx context.Context, account string, status wire.ConvStatus, page, pageSize int) (ConversationPage, error) {
	var out ConversationPage
	err := check(o.r.R().SetContext(ctx).SetQueryParamsFromValues(pageQuery(account, string(status), page, pageSize)).
		SetResult(&out).Get("/api/conversations"))
	return out, err
}

func pageQuery(account, status string, page, pageSize int) url.Values {
	q := url.Values{}
	if account != "" {
		q.Set("account", account)
	}
	if status != "" {
		q.Set("status", status)
	}
	if page > 0 {
		q.Set("page", strconv.Itoa(page))
	}
	if pageSize > 0 {
		q.Set("page_size", strconv.Itoa(pageSize))
	}
	return q
}

// AlertPage is a page of GET /api/alerts (newest first).
type AlertPage struct {
	Total    int          `json:"total"`
	Page     int          `json:"page"`
	PageSize int          `json:"page_size"`
	Results  []wire.Alert `json:"results"`
}

// Alerts lists account alerts (state changes into paused_risk,
// needs_login, quota_reached, error and back to running), newest first,
// of one account key or of all when account is empty.
func (o *Operator) Alerts(ctx context.Context, account string, page, pageSize int) (AlertPage, error) {
	var out AlertPage
	err := check(o.r.R().SetContext(ctx).SetQueryParamsFromValues(pageQuery(account, "", page, pageSize)).
		SetResult(&out).Get("/api/alerts"))
	return out, err
}
