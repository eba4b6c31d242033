package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Assignment is the worker's pull: it reports the accounts it runs (with
// their lease epochs) and gets every account it holds afterwards.
func (w *Worker) Assignment(ctx context.Context, req wire.AssignmentRequest) (wire.AssignmentResponse, error) {
	var out wire.AssignmentResponse
	err := check(w.r.R().SetContext(ctx).SetBody(req).SetResult(&out).Post("/api/worker/assignment"))
	return out, err
}

// UploadSession stores an account's site session at the control plane
// (encrypted there) so it moves with the account.
func (w *Worker) UploadSession(ctx context.Context, key string, epoch uint64, session []byte) error {
	return check(w.r.R().SetContext(ctx).SetBody(wire.SessionUpload{Epoch: epoch, Session: session}).
		Post("/api/worker/accounts/" + url.PathEscape(key) + "/session"))
}

// UploadQR relays the QR code a human must scan (png) with its expiry, or
// reports the login done.
func (w *Worker) UploadQR(ctx context.Context, key string, epoch uint64, png []byte, expires time.Time, done bool) error {
	return check(w.r.R().SetContext(ctx).SetBody(wire.QRUpload{Epoch: epoch, PNG: png, ExpiresAt: expires, Done: done}).
		Post("/api/worker/accounts/" + url.PathEscape(key) + "/login"))
}

// AckSendFenced is AckSend for a managed account held at epoch.
func (w *Worker) AckSendFenced(ctx context.Context, id, epoch uint64, sent bool, sentAt time.Time, reason string) (wire.FollowupRecord, error) {
	body := wire.AckRequest{Status: wire.StatusFailed, Error: reason, Epoch: epoch}
	if sent {
		body = wire.AckRequest{Status: wire.StatusSent, SentAt: &sentAt, Epoch: epoch}
	}
	var out wire.FollowupRecord
	err := check(w.r.R().SetContext(ctx).SetBody(body).SetResult(&out).Post("/api/worker/sends/" + strconv.FormatUint(id, 10) + "/ack"))
	return out, err
}

// CreateAccount defines a managed account.
func (o *Operator) CreateAccount(ctx context.Context, spec wire.AccountSpec) (wire.ManagedAccount, error) {
	var out wire.ManagedAccount
	err := check(o.r.R().SetContext(ctx).SetBody(spec).SetResult(&out).Post("/api/accounts"))
	return out, err
}

// Account returns one managed account with its lease and history.
func (o *Operator) Account(ctx context.Context, key string) (wire.ManagedAccount, error) {
	var out wire.ManagedAccount
	err := check(o.r.R().SetContext(ctx).SetResult(&out).Get("/api/accounts/" + url.PathEscape(key)))
	return out, err
}

// PatchAccount changes a managed account (desired state, pin, spec).
func (o *Operator) PatchAccount(ctx context.Context, key string, p wire.AccountPatch) (wire.ManagedAccount, error) {
	var out wire.ManagedAccount
	err := check(o.r.R().SetContext(ctx).SetBody(p).SetResult(&out).Patch("/api/accounts/" + url.PathEscape(key)))
	return out, err
}

// DeleteAccount removes a managed account.
func (o *Operator) DeleteAccount(ctx context.Context, key string) error {
	return check(o.r.R().SetContext(ctx).Delete("/api/accounts/" + url.PathEscape(key)))
}

// LoginStatus returns a managed account's login state and pending QR.
func (o *Operator) LoginStatus(ctx context.Context, key string) (wire.LoginStatus, error) {
	var out wire.LoginStatus
	err := check(o.r.R().SetContext(ctx).SetResult(&out).Get("/api/accounts/" + url.PathEscape(key) + "/login"))
	return out, err
}

// MayAct asks whether the worker may still act for account key, which it
// runs at epoch; the agent asks before every site action so a pause stops
// it within one action.
func (w *Worker) MayAct(ctx context.Context, key string, epoch uint64) (wire.ActGate, error) {
	var out wire.ActGate
	err := check(w.r.R().SetContext(ctx).SetQueryParam("epoch", strconv.FormatUint(epoch, 10)).SetResult(&out).
		Get("/api/worker/accounts/" + url.PathEscape(key) + "/act"))
	return out, err
}

// DayCounts returns an account's per-day counters; empty from/to take the
// control plane's defaults (the 30 days up to today).
func (o *Operator) DayCounts(ctx context.Context, key, from, to string) (wire.AccountDays, error) {
	var out wire.AccountDays
	r := o.r.R().SetContext(ctx).SetResult(&out)
	if from != "" {
		r.SetQueryParam("from", from)
	}
	if to != "" {
		r.SetQueryParam("to", to)
	}
	err := check(r.Get("/api/accounts/" + url.PathEscape(key) + "/counters"))
	return out, err
}
