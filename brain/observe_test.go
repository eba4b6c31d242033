package brain

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

type observed struct {
	endpoint, outcome string
	d                 time.Duration
}

// TestObserveOncePerCallWithOutcome: Options.Observe sees each call once
// (retries included in its duration) with its path and a bounded outcome.
func TestObserveOncePerCallWithOutcome(t *testing.T) {
	var mu sync.Mutex
	var got []observed
	var mode string
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch mode {
		case "ok":
			html(w, 200, `{"ret":0,"msg":"success","data":{"touch":true}}`)
		case "rejected":
			html(w, 200, `{"ret":-1,"msg":"fail","data":"bad"}`)
		case "5xx":
			html(w, 503, "busy")
		case "4xx":
			html(w, 404, "no")
		}
	}, func(o *Options) {
		o.Observe = func(endpoint, outcome string, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, observed{endpoint, outcome, d})
		}
	})
	for _, m := range []string{"ok", "rejected", "5xx", "4xx"} {
		mode = m
		_, _ = c.Filter(context.Background(), FilterRequest{AccountID: "a"})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mode = "ok"
	_, _ = c.Filter(ctx, FilterRequest{AccountID: "a"})
	want := []string{"ok", "rejected", "http_5xx", "http_4xx", "canceled"}
	if len(got) != len(want) {
		t.Fatalf("observed %d calls %+v, want %d (one per call, not per attempt)", len(got), got, len(want))
	}
	for i, o := range got {
		if o.endpoint != PathFilter || o.outcome != want[i] || o.d < 0 {
			t.Errorf("call %d observed %+v, want %s %s", i, o, PathFilter, want[i])
		}
	}
}

// TestOutcomeTransport: a connection refused is "transport".
func TestOutcomeTransport(t *testing.T) {
	var outcome string
	c, err := New(Options{BaseURL: "http://127.0.0.1:1", MaxRetries: -1, Clock: &instantClock{},
		Observe: func(_, o string, _ time.Duration) { outcome = o }})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Filter(context.Background(), FilterRequest{AccountID: "a"})
	if outcome != "transport" {
		t.Fatalf("outcome %q, want transport", outcome)
	}
}
