package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hunterbot/hunterbot/api/wire"
)

// --- worker side of notification tasks ---

// NotifyDeliveries pulls the members this worker's accounts should message
// now (contents already rendered per member).
func (w *Worker) NotifyDeliveries(ctx context.Context) ([]wire.NotifyDelivery, error) {
	var out wire.NotifyDeliveriesResponse
	err := check(w.r.R().SetContext(ctx).SetResult(&out).Get("/api/worker/notify-deliveries"))
	return out.Deliveries, err
}

// ClaimNotify asks whether a member may be messaged now (false once the
// task was terminated or its window ended).
func (w *Worker) ClaimNotify(ctx context.Context, taskID, seq, epoch uint64) (wire.NotifyClaimResponse, error) {
	var out wire.NotifyClaimResponse
	err := check(w.r.R().SetContext(ctx).SetBody(wire.NotifyClaimRequest{TaskID: taskID, Seq: seq, Epoch: epoch}).
		SetResult(&out).Post("/api/worker/notify-claim"))
	return out, err
}

// AckNotify reports members' outcomes; acking twice is harmless.
func (w *Worker) AckNotify(ctx context.Context, acks []wire.NotifyAck) error {
	return check(w.r.R().SetContext(ctx).SetBody(wire.NotifyAcksRequest{Acks: acks}).Post("/api/worker/notify-acks"))
}

// FetchFile downloads an uploaded file (an image a notification shows) to
// w, at most max bytes, and returns its content type.
func (w *Worker) FetchFile(ctx context.Context, id uint64, dst io.Writer, max int64) (string, error) {
	resp, err := w.r.R().SetContext(ctx).SetDoNotParseResponse(true).Get("/api/v1/file/" + strconv.FormatUint(id, 10))
	if err != nil {
		return "", fmt.Errorf("control plane: %w", err)
	}
	body := resp.RawBody()
	defer body.Close()
	if resp.StatusCode() != http.StatusOK {
		return "", &Error{Status: resp.StatusCode(), Detail: fmt.Sprintf("file %d: download failed", id)}
	}
	n, err := io.Copy(dst, io.LimitReader(body, max+1))
	if err != nil {
		return "", fmt.Errorf("control plane: file %d: %w", id, err)
	}
	if n > max {
		return "", fmt.Errorf("control plane: file %d is larger than %d bytes", id, max)
	}
	return resp.Header().Get("Content-Type"), nil
}

// --- operator side ---

// FileInfo is POST /api/v1/file's answer.
type FileInfo struct {
	ID         uint64 `json:"id"`
	FileName   string `json:"fileName"`
	Signature  string `json:"signature"`
	FileSize   int64  `json:"fileSize"`
	CreateTime int64  `json:"createTime"`
}

// UploadFile uploads content as name for module (e.g. "notification").
func (o *Operator) UploadFile(ctx context.Context, name, module string, content io.Reader) (FileInfo, error) {
	var out FileInfo
	err := check(o.r.R().SetContext(ctx).SetFormData(map[string]string{"moduleName": module}).
		SetFileReader("file", name, content).SetResult(&out).Post("/api/v1/file"))
	return out, err
}

// NotifyCall sends one request of the notification-task API with a JSON
// body (nil for none) and returns the answer's JSON. Tasks are handled as
// raw JSON so the CLI prints exactly what the API answers.
func (o *Operator) NotifyCall(ctx context.Context, method, path string, query url.Values, body any) (json.RawMessage, error) {
	var out json.RawMessage
	req := o.r.R().SetContext(ctx).SetResult(&out).SetQueryParamsFromValues(query)
	if body != nil {
		req.SetBody(body)
	}
	resp, err := req.Execute(method, path)
	if err := check(resp, err); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		out = json.RawMessage(resp.Body())
	}
	return out, nil
}

// DownloadPath streams the answer of GET path (e.g. the member-list
// template) to w.
func (o *Operator) DownloadPath(ctx context.Context, path string, w io.Writer) (int64, error) {
	return o.Download(ctx, path, w)
}
