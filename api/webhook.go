package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// webhook is one outgoing signed JSON POST (alert webhooks, keyword-hit
// callbacks). Receivers verify X-Hunterbot-Signature (HMAC-SHA256 of the
// body with the shared secret) and deduplicate on X-Hunterbot-Delivery.
type webhook struct {
	URL      string
	Secret   string // empty: unsigned
	Event    string // X-Hunterbot-Event
	Delivery string // X-Hunterbot-Delivery; empty: omitted
}

// post sends body and treats any non-2xx answer as a failure. Errors never
// repeat the URL, which may carry a token.
func (w webhook) post(ctx context.Context, client *http.Client, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("bad webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hunterbot")
	req.Header.Set("X-Hunterbot-Event", w.Event)
	if w.Delivery != "" {
		req.Header.Set("X-Hunterbot-Delivery", w.Delivery)
	}
	if w.Secret != "" {
		m := hmac.New(sha256.New, []byte(w.Secret))
		m.Write(body)
		req.Header.Set("X-Hunterbot-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s receiver answered HTTP %d", w.Event, resp.StatusCode)
	}
	return nil
}
