package brain

import (
	"context"
	"strings"
)

// RegisterJob registers a job and returns its jobID. Sent once (a replay
// of a lost answer would be rejected as a duplicate; QueryJob recovers).
func (c *Client) RegisterJob(ctx context.Context, req JobRegisterRequest) (string, error) {
	path, _, err := c.registerPaths(ctx)
	if err != nil {
		return "", err
	}
	var d JobIDData
	err = c.postJSON(ctx, path, "", false, req, &d, nil)
	return d.JobID, err
}

// QueryJob returns the jobID of a platform job. Retried.
func (c *Client) QueryJob(ctx context.Context, platformType, platformID string) (string, error) {
	var d JobIDData
	err := c.postJSON(ctx, PathJobQuery, "", true, JobQueryRequest{PlatformType: platformType, PlatformID: platformID}, &d, nil)
	return d.JobID, err
}

// RegisterAccount registers (or, on the built-in brain, updates) an
// account and returns its accountID. Sent once.
func (c *Client) RegisterAccount(ctx context.Context, req AccountRegisterRequest) (string, error) {
	_, path, err := c.registerPaths(ctx)
	if err != nil {
		return "", err
	}
	var d AccountIDData
	err = c.postJSON(ctx, path, "", false, req, &d, nil)
	return d.AccountID, err
}

// QueryAccount returns the accountID of a platform account. Retried.
func (c *Client) QueryAccount(ctx context.Context, platformType, platformID string) (string, error) {
	var d AccountIDData
	err := c.postJSON(ctx, PathAccountQuery, "", true, AccountQueryRequest{PlatformType: platformType, PlatformID: platformID}, &d, nil)
	return d.AccountID, err
}

// FetchTasks returns today's remaining greeting plan per job. Retried.
func (c *Client) FetchTasks(ctx context.Context, req TaskFetchRequest) ([]Task, error) {
	var d TaskFetchData
	err := c.postJSON(ctx, PathTaskFetch, req.AccountID, true, req, &d, nil)
	return d.Task, err
}

// ReportTask reports greeted candidates. Sent exactly once: the caller's
// outbox retries it with the same WithIdempotencyKey.
func (c *Client) ReportTask(ctx context.Context, req TaskReportRequest, opts ...CallOption) error {
	return c.postJSON(ctx, PathTaskReport, req.AccountID, false, req, nil, opts)
}

// Filter asks whether to greet a candidate. Retried.
func (c *Client) Filter(ctx context.Context, req FilterRequest) (bool, error) {
	var d FilterData
	err := c.postJSON(ctx, PathFilter, req.AccountID, true, req, &d, nil)
	return d.Touch, err
}

// Chat asks for the next step of a conversation. Retried (the brain
// derives its answer from the history it is given).
func (c *Client) Chat(ctx context.Context, req ChatRequest) (ChatData, error) {
	var d ChatData
	// The time unit depends on the dialect, so an auto client probes once
	// before its first chat. A server that answers neither probe gets
	// milliseconds, the unit every dialect but v3 reads; the chat call
	// itself reports any transport failure.
	if d, err := c.Detect(ctx); err == nil && d == DialectV3 {
		req.HistoryMsg = historyInSeconds(req.HistoryMsg)
	}
	err := c.postJSON(ctx, PathChat, req.AccountID, true, req, &d, nil)
	return d, err
}

// SubmitResult uploads captured contact details (multipart, optional cv
// file). Sent exactly once: the caller's outbox owns its delivery.
func (c *Client) SubmitResult(ctx context.Context, req ResultRequest, opts ...CallOption) error {
	cl := call{path: PathResult, account: req.AccountID, form: &req}
	for _, o := range opts {
		var co callOpts
		o(&co)
		if co.idemKey != "" {
			cl.idemKey = co.idemKey
		}
	}
	return c.do(ctx, cl, nil)
}

// RecallList returns the candidates among req.CandidateIDs that need a
// recall message now. Retried. The reference's v3.0 answers the ids of
// "independent" accounts as "<accountID>_<id>"; they are returned as the
// ids that were asked about.
func (c *Client) RecallList(ctx context.Context, req RecallListRequest) ([]Recall, error) {
	var d []Recall
	err := c.postJSON(ctx, PathRecallList, req.AccountID, true, req, &d, nil)
	if err != nil {
		return nil, err
	}
	prefix := req.AccountID + "_"
	for i := range d {
		if id, ok := strings.CutPrefix(d[i].CandidateID, prefix); ok && req.AccountID != "" {
			d[i].CandidateID = id
		}
	}
	return d, nil
}

// RecallResult records that a recall message was sent. Sent exactly once:
// the caller's outbox owns its delivery (use WithIdempotencyKey).
func (c *Client) RecallResult(ctx context.Context, req RecallResultRequest, opts ...CallOption) error {
	return c.postJSON(ctx, PathRecallResult, req.AccountID, false, req, nil, opts)
}

// WechatTaskToDo returns the account's pending WeChat tasks. Retried.
func (c *Client) WechatTaskToDo(ctx context.Context, accountID string) ([]WechatTask, error) {
	var d WechatTaskList
	err := c.postJSON(ctx, PathWechatTaskToDo, accountID, true, WechatTaskToDoRequest{AccountID: accountID, AccountIDOld: accountID}, &d, nil)
	return d.TaskList, err
}

// WechatMsgSendReport reports a sent WeChat message. Sent exactly once.
func (c *Client) WechatMsgSendReport(ctx context.Context, req WechatMsgSendReport, opts ...CallOption) error {
	return c.postJSON(ctx, PathWechatMsgSent, req.AccountID, false, req, nil, opts)
}

// WechatAddFriendReport reports an added friend. Sent exactly once.
func (c *Client) WechatAddFriendReport(ctx context.Context, req WechatAddFriendReport, opts ...CallOption) error {
	return c.postJSON(ctx, PathWechatAddFriend, req.AccountID, false, req, nil, opts)
}

// WechatUserMsg forwards a candidate's WeChat message and returns the reply
// to send. Sent once (the reply is not idempotent in general).
func (c *Client) WechatUserMsg(ctx context.Context, req WechatUserMsg, opts ...CallOption) (string, error) {
	var d WechatReply
	err := c.postJSON(ctx, PathWechatUserMsg, req.AccountID, false, req, &d, opts)
	return d.Msg, err
}
