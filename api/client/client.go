// Package client is the Go client of the control plane API: the worker
// side (register/heartbeat, push contacts and follow-up records, pull
// follow-up configs by version, pull and acknowledge manual sends) and the
// operator side (OAuth login, contacts export download, accounts, backup).
// It uses resty; every call takes a context.
package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-resty/resty/v2"

	"github.com/hunterbot/hunterbot/api/wire"
)

// ErrUnauthorized is wrapped by errors for 401 answers (bad or expired
// credentials): retrying will not help.
var ErrUnauthorized = errors.New("control plane: unauthorized")

// Error is a non-2xx answer of the control plane.
type Error struct {
	Status int
	Field  string // the field the server blamed, if any
	Detail string
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("control plane: HTTP %d: %s", e.Status, e.Detail)
}

// Unwrap lets errors.Is(err, ErrUnauthorized) match 401s.
func (e *Error) Unwrap() error {
	if e.Status == http.StatusUnauthorized {
		return ErrUnauthorized
	}
	return nil
}

// Temporary reports whether retrying later may succeed (5xx, 429); a 4xx
// means the request itself is wrong and an outbox should not retry it.
func (e *Error) Temporary() bool { return e.Status >= 500 || e.Status == http.StatusTooManyRequests }

// errBody covers the plain ({detail, field}), coded ({code,msg}) and OAuth
// ({error, error_description}) envelopes.
type errBody struct {
	Detail string `json:"detail"`
	Field  string `json:"field"`
	Msg    string `json:"msg"`
	Error  string `json:"error"`
	Desc   string `json:"error_description"`
}

func check(resp *resty.Response, err error) error {
	if err != nil {
		return fmt.Errorf("control plane: %w", err)
	}
	if resp.IsSuccess() || resp.StatusCode() == http.StatusNotModified {
		return nil
	}
	e := &Error{Status: resp.StatusCode()}
	if b, ok := resp.Error().(*errBody); ok && b != nil {
		e.Field = b.Field
		for _, s := range []string{b.Detail, b.Msg, b.Desc, b.Error} {
			if s != "" {
				e.Detail = s
				break
			}
		}
	}
	if e.Detail == "" {
		e.Detail = http.StatusText(e.Status)
	}
	return e
}

func newResty(baseURL string, timeout time.Duration) *resty.Client {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return resty.New().SetBaseURL(baseURL).SetTimeout(timeout).SetError(&errBody{}).SetDisableWarn(true).
		SetHeader("User-Agent", "hunterbot")
}

// Worker talks to the control plane as one worker process.
type Worker struct {
	r *resty.Client
}

// NewWorker returns a client for baseURL (e.g. http://127.0.0.1:8000)
// authenticating with the worker token. timeout bounds each request
// (0 = 30s).
func NewWorker(baseURL, token string, timeout time.Duration) *Worker {
	return &Worker{r: newResty(baseURL, timeout).SetAuthToken(token)}
}

// Register reports the worker's accounts at start-up and returns their ids.
func (w *Worker) Register(ctx context.Context, accounts []wire.AccountStatus) (wire.HeartbeatResponse, error) {
	return w.beat(ctx, "/api/worker/register", accounts)
}

// Heartbeat reports account states, counters and last errors.
func (w *Worker) Heartbeat(ctx context.Context, accounts []wire.AccountStatus) (wire.HeartbeatResponse, error) {
	return w.beat(ctx, "/api/worker/heartbeat", accounts)
}

func (w *Worker) beat(ctx context.Context, path string, accounts []wire.AccountStatus) (wire.HeartbeatResponse, error) {
	var out wire.HeartbeatResponse
	if accounts == nil {
		accounts = []wire.AccountStatus{}
	}
	err := check(w.r.R().SetContext(ctx).SetBody(wire.HeartbeatRequest{Accounts: accounts}).SetResult(&out).Post(path))
	return out, err
}

// PushContacts upserts contacts (idempotent on account + candidate_id).
func (w *Worker) PushContacts(ctx context.Context, contacts []wire.ContactInput) ([]wire.UpsertResult, error) {
	var out wire.ContactsResponse
	err := check(w.r.R().SetContext(ctx).SetBody(wire.ContactsRequest{Contacts: contacts}).SetResult(&out).Post("/api/worker/contacts"))
	return out.Results, err
}

// PushRecords upserts follow-up records (idempotent on uid).
func (w *Worker) PushRecords(ctx context.Context, records []wire.RecordInput) ([]wire.FollowupRecord, error) {
	var out wire.RecordsResponse
	err := check(w.r.R().SetContext(ctx).SetBody(wire.RecordsRequest{Records: records}).SetResult(&out).Post("/api/worker/followup-records"))
	return out.Results, err
}

// FollowupConfigs fetches the follow-up configs unless the server's
// version equals have (pass 0 the first time). changed is false (and snap
// nil) when the worker's copy is current.
func (w *Worker) FollowupConfigs(ctx context.Context, have uint64) (snap *wire.FollowupSnapshot, changed bool, err error) {
	var out wire.FollowupSnapshot
	req := w.r.R().SetContext(ctx).SetResult(&out)
	if have > 0 {
		req.SetHeader("If-None-Match", fmt.Sprintf(`"fv-%d"`, have))
	}
	resp, err := req.Get("/api/worker/followup-configs")
	if err := check(resp, err); err != nil {
		return nil, false, err
	}
	if resp.StatusCode() == http.StatusNotModified {
		return nil, false, nil
	}
	return &out, true, nil
}

// PendingSends returns manual messages queued for this worker.
func (w *Worker) PendingSends(ctx context.Context) ([]wire.Send, error) {
	var out wire.SendsResponse
	err := check(w.r.R().SetContext(ctx).SetResult(&out).Get("/api/worker/sends"))
	return out.Sends, err
}

// AckSend reports a queued send as sent (at sentAt) or failed (with
// reason). Acking twice is harmless.
func (w *Worker) AckSend(ctx context.Context, id uint64, sent bool, sentAt time.Time, reason string) (wire.FollowupRecord, error) {
	body := wire.AckRequest{Status: wire.StatusFailed, Error: reason}
	if sent {
		body = wire.AckRequest{Status: wire.StatusSent, SentAt: &sentAt}
	}
	var out wire.FollowupRecord
	err := check(w.r.R().SetContext(ctx).SetBody(body).SetResult(&out).Post("/api/worker/sends/" + strconv.FormatUint(id, 10) + "/ack"))
	return out, err
}

// Operator talks to the control plane as a logged-in operator.
type Operator struct {
	r *resty.Client
}

// NewOperator returns an operator client for baseURL; call Login first.
func NewOperator(baseURL string, timeout time.Duration) *Operator {
	return &Operator{r: newResty(baseURL, timeout)}
}

// Token is a /oauth/token answer.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// Login gets a token with grant_type=password and uses it from now on.
func (o *Operator) Login(ctx context.Context, clientID, clientSecret, username, password string) (Token, error) {
	var t Token
	err := check(o.r.R().SetContext(ctx).SetBasicAuth(clientID, clientSecret).
		SetBody(map[string]string{"grant_type": "password", "username": username, "password": password}).
		SetResult(&t).Post("/oauth/token"))
	if err == nil {
		o.r.SetAuthToken(t.AccessToken)
	}
	return t, err
}

// SetToken uses an access token obtained elsewhere.
func (o *Operator) SetToken(access string) { o.r.SetAuthToken(access) }

// Export is the data of GET /api/contacts/export.
type Export struct {
	DownloadURL  string `json:"download_url"`
	Filename     string `json:"filename"`
	TotalRecords int    `json:"total_records"`
	GeneratedAt  string `json:"generated_at"`
}

// ExportContacts asks for an export with seed-001 filters (search,
// reply_status, wechat_exchanged, start_date, end_date).
func (o *Operator) ExportContacts(ctx context.Context, filters url.Values) (Export, error) {
	var out struct {
		Code int    `json:"code"`
		Data Export `json:"data"`
	}
	err := check(o.r.R().SetContext(ctx).SetQueryParamsFromValues(filters).SetResult(&out).Get("/api/contacts/export"))
	return out.Data, err
}

// Download streams the file at an export's download_url to w.
func (o *Operator) Download(ctx context.Context, downloadURL string, w io.Writer) (int64, error) {
	resp, err := o.r.R().SetContext(ctx).SetDoNotParseResponse(true).Get(downloadURL)
	if err != nil {
		return 0, fmt.Errorf("control plane: %w", err)
	}
	body := resp.RawBody()
	defer body.Close()
	if resp.StatusCode() != http.StatusOK {
		return 0, &Error{Status: resp.StatusCode(), Detail: "download failed"}
	}
	return io.Copy(w, body)
}

// Accounts lists the fleet's accounts with their last reported status.
func (o *Operator) Accounts(ctx context.Context) ([]wire.Account, error) {
	var out []wire.Account
	err := check(o.r.R().SetContext(ctx).SetResult(&out).Get("/api/accounts"))
	return out, err
}

// Backup streams a consistent copy of control.db to w.
func (o *Operator) Backup(ctx context.Context, w io.Writer) (int64, error) {
	resp, err := o.r.R().SetContext(ctx).SetDoNotParseResponse(true).Get("/api/admin/backup")
	if err != nil {
		return 0, fmt.Errorf("control plane: %w", err)
	}
	body := resp.RawBody()
	defer body.Close()
	if resp.StatusCode() != http.StatusOK {
		return 0, &Error{Status: resp.StatusCode(), Detail: "backup failed"}
	}
	n, err := io.Copy(w, body)
	if err == nil && resp.RawResponse.ContentLength >= 0 && n != resp.RawResponse.ContentLength {
		err = fmt.Errorf("control plane: backup truncated: %d of %d bytes", n, resp.RawResponse.ContentLength)
	}
	return n, err
}
