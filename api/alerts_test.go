package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/state"
)

// beat sends one heartbeat as the test worker.
func (e *env) beat(key, st, lastErr string) {
	e.t.Helper()
	b, _ := json.Marshal(wire.HeartbeatRequest{Accounts: []wire.AccountStatus{{Key: key, State: wire.AccountState(st), LastError: lastErr}}})
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/heartbeat", string(b)); code != 200 {
		e.t.Fatalf("heartbeat: %d %s", code, body)
	}
}

type alertList struct {
	Total    int          `json:"total"`
	Page     int          `json:"page"`
	PageSize int          `json:"page_size"`
	Results  []wire.Alert `json:"results"`
}

func (e *env) alerts(q string) alertList {
	e.t.Helper()
	code, body := e.call("GET", "/api/alerts"+q, "")
	if code != 200 {
		e.t.Fatalf("alerts%s: %d %s", q, code, body)
	}
	var l alertList
	mustJSON(e.t, body, &l)
	return l
}

// TestAlertsOnStateChangeOnly: an alert is recorded when a heartbeat moves
// an account into paused_risk, needs_login, quota_reached or error, or from
// one of them back to running — not on repeated heartbeats in the same
// state, nor on ordinary changes (unknown->running, running->stopped).
func TestAlertsOnStateChangeOnly(t *testing.T) {
	e := newEnv(t)
	steps := []struct {
		key, state, lastErr string
		alert               bool
	}{
		{"boss-a", "running", "", false}, // first report: unknown -> running
		{"boss-a", "running", "", false},
		{"boss-a", "paused_risk", "verify page", true},
		{"boss-a", "paused_risk", "verify page", false},
		{"boss-a", "", "", false}, // no state given: unchanged
		{"boss-a", "paused_risk", "still there", false},
		{"boss-a", "running", "", true}, // recovered
		{"boss-a", "running", "", false},
		{"boss-a", "needs_login", "cookies expired", true},
		{"boss-a", "quota_reached", "", true},
		{"boss-a", "error", "chromium crashed", true},
		{"boss-a", "starting", "", false},
		{"boss-a", "running", "", true}, // recovered through starting
		{"boss-a", "stopped", "", false},
		{"boss-a", "running", "", false}, // stopped -> running after a recovery: nothing to report
		{"boss-b", "quota_reached", "", true},
	}
	want := 0
	for i, s := range steps {
		e.clk.Advance(time.Minute)
		e.beat(s.key, s.state, s.lastErr)
		if s.alert {
			want++
		}
		if got := e.alerts("?page_size=100").Total; got != want {
			t.Fatalf("step %d (%s -> %q): %d alerts, want %d", i, s.key, s.state, got, want)
		}
	}
	l := e.alerts("?account=boss-a&page_size=2")
	if l.Total != 6 || len(l.Results) != 2 || l.PageSize != 2 {
		t.Fatalf("boss-a alerts = %+v", l)
	}
	if a := l.Results[0]; a.State != "running" || a.PreviousState != "starting" {
		t.Fatalf("recovery = %+v", a)
	}
	// Newest first.
	if a := l.Results[1]; a.State != "error" || a.PreviousState != "quota_reached" || a.LastError != "chromium crashed" ||
		a.Account != "boss-a" || a.WorkerID != testWorker || a.Webhook != wire.WebhookPending {
		t.Fatalf("newest = %+v", a)
	}
	l = e.alerts("?account=boss-a&page=3&page_size=2")
	if len(l.Results) != 2 || l.Results[0].State != "running" || l.Results[0].PreviousState != "paused_risk" {
		t.Fatalf("first recovery = %+v", l)
	}
	l.Results = l.Results[1:]
	if len(l.Results) != 1 || l.Results[0].State != "paused_risk" || l.Results[0].PreviousState != "running" || l.Results[0].LastError != "verify page" {
		t.Fatalf("oldest = %+v", l)
	}
	if l := e.alerts("?account=boss-b"); l.Total != 1 || l.Results[0].PreviousState != "unknown" {
		t.Fatalf("boss-b = %+v", l)
	}
	if l := e.alerts(""); l.Results[0].Account != "boss-b" || l.PageSize != 20 {
		t.Fatalf("all, newest first = %+v", l.Results[0])
	}
	// Bad input and auth.
	for _, c := range []struct {
		tok, q string
		code   int
		field  string
	}{
		{e.token, "?account=nobody", 404, ""},
		{e.token, "?page=0", 400, "page"},
		{e.token, "?page_size=x", 400, "page_size"},
		{"", "", 401, ""},
		{testWorkerTk, "", 401, ""},
	} {
		code, body := e.callAs(c.tok, "GET", "/api/alerts"+c.q, "")
		wantErr(t, "alerts"+c.q, code, body, c.code, c.field)
	}
}

// receiver is an httptest webhook that fails its first `fail` requests.
type receiver struct {
	mu     sync.Mutex
	fail   int
	calls  int
	bodies []api.AlertWebhookBody
	sigs   []string
	raw    [][]byte
	srv    *httptest.Server
}

func newReceiver(t *testing.T, fail int) *receiver {
	rc := &receiver{fail: fail}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.calls++
		if rc.calls <= rc.fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var body api.AlertWebhookBody
		if err := json.Unmarshal(b, &body); err != nil || r.Header.Get("X-Hunterbot-Event") != "account_alert" {
			http.Error(w, "bad", 400)
			return
		}
		rc.bodies = append(rc.bodies, body)
		rc.raw = append(rc.raw, b)
		rc.sigs = append(rc.sigs, r.Header.Get("X-Hunterbot-Signature"))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) snapshot() (int, []api.AlertWebhookBody) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.calls, append([]api.AlertWebhookBody(nil), rc.bodies...)
}

// TestAlertWebhookRetries: a receiver failing twice gets the alert on the
// third attempt, each retry only after its backoff on the manual clock;
// the body has exactly the documented fields, no secrets, and a valid
// signature.
func TestAlertWebhookRetries(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, 2)
	cfg := api.AlertsConfig{WebhookURL: rc.srv.URL + "/hook?token=s3cret", WebhookSecret: "sign-me"}
	ctx := context.Background()
	e.beat("boss-a", "running", "")
	e.beat("boss-a", "paused_risk", "安全验证 page")

	pass := func() int {
		t.Helper()
		n, err := e.api.DeliverAlerts(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := pass(); n != 0 { // attempt 1 fails
		t.Fatalf("delivered %d on a failing receiver", n)
	}
	a := e.alerts("").Results[0]
	if a.Webhook != wire.WebhookPending || a.Attempts != 1 || !strings.Contains(a.WebhookError, "503") || strings.Contains(a.WebhookError, "s3cret") {
		t.Fatalf("after 1st failure: %+v", a)
	}
	// Not due before the 5s backoff.
	e.clk.Advance(4 * time.Second)
	pass()
	if calls, _ := rc.snapshot(); calls != 1 {
		t.Fatalf("retried before backoff: %d calls", calls)
	}
	e.clk.Advance(time.Second)
	pass() // attempt 2 fails; next backoff 10s
	e.clk.Advance(9 * time.Second)
	pass()
	if calls, _ := rc.snapshot(); calls != 2 {
		t.Fatalf("calls = %d, want 2", calls)
	}
	e.clk.Advance(time.Second)
	if n := pass(); n != 1 {
		t.Fatalf("3rd attempt delivered %d", n)
	}
	calls, bodies := rc.snapshot()
	if calls != 3 || len(bodies) != 1 {
		t.Fatalf("calls %d bodies %d", calls, len(bodies))
	}
	b := bodies[0]
	if b.Account != "boss-a" || b.WorkerID != testWorker || b.State != "paused_risk" || b.PreviousState != "running" ||
		b.LastError != "安全验证 page" || b.ID != a.ID || b.Event != "account_alert" || b.At.IsZero() {
		t.Fatalf("body = %+v", b)
	}
	var fields map[string]any
	mustJSON(t, rc.raw[0], &fields)
	if len(fields) != 8 {
		t.Fatalf("webhook body has unexpected fields: %s", rc.raw[0])
	}
	for _, secret := range []string{testWorkerTk, "s3cret", "sign-me", e.token} {
		if strings.Contains(string(rc.raw[0]), secret) {
			t.Fatalf("webhook body leaks a secret: %s", rc.raw[0])
		}
	}
	m := hmac.New(sha256.New, []byte("sign-me"))
	m.Write(rc.raw[0])
	if rc.sigs[0] != "sha256="+hex.EncodeToString(m.Sum(nil)) {
		t.Fatalf("signature %q", rc.sigs[0])
	}
	a = e.alerts("").Results[0]
	if a.Webhook != wire.WebhookDelivered || a.Attempts != 3 || a.DeliveredAt == nil || a.WebhookError != "" {
		t.Fatalf("after delivery: %+v", a)
	}
	// Delivered once: later passes send nothing.
	e.clk.Advance(time.Hour)
	pass()
	if calls, _ := rc.snapshot(); calls != 3 {
		t.Fatalf("redelivered: %d calls", calls)
	}
}

// TestAlertWebhookGivesUp: a receiver that never succeeds gets a bounded
// number of attempts, then the alert is marked failed; without a webhook
// alerts are marked skipped.
func TestAlertWebhookGivesUp(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, 1_000)
	cfg := api.AlertsConfig{WebhookURL: rc.srv.URL}
	e.beat("boss-a", "needs_login", "")
	for i := 0; i < 40; i++ {
		if _, err := e.api.DeliverAlerts(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(2 * time.Minute) // 40 passes span the whole backoff schedule (~31 min)
	}
	calls, _ := rc.snapshot()
	a := e.alerts("").Results[0]
	if calls != 10 || a.Attempts != 10 || a.Webhook != wire.WebhookFailed || a.NextAttemptAt != nil {
		t.Fatalf("calls %d, alert %+v", calls, a)
	}

	e.beat("boss-a", "running", "")
	if _, err := e.api.DeliverAlerts(context.Background(), api.AlertsConfig{}); err != nil {
		t.Fatal(err)
	}
	if a := e.alerts("").Results[0]; a.Webhook != wire.WebhookSkipped || a.State != "running" || a.Attempts != 0 {
		t.Fatalf("no webhook: %+v", a)
	}
}

// TestAlertDeliveryLoopAndRestart: the delivery loop runs on the server's
// clock and never blocks heartbeats; an alert queued while the webhook was
// down survives closing and reopening control.db and is delivered by the
// next server.
func TestAlertDeliveryLoopAndRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "control.db")
	clk := clock.NewManual(time.Date(2024, 3, 4, 7, 30, 0, 0, time.UTC))
	open := func() *state.DB {
		db, err := state.Open(path, state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	if err := db.PutWorker(testWorker, testWorkerTk); err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t, 1_000) // down during the first life
	cfg := api.AlertsConfig{WebhookURL: rc.srv.URL}
	srv1, err := api.NewServer(api.Options{Outbound: loopbackAllowed, Store: db, Clock: clk, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv1.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv1.RunAlertDelivery(ctx, cfg) }()

	beat := func(st string) {
		t.Helper()
		req, _ := http.NewRequest("POST", hs.URL+"/api/worker/heartbeat", strings.NewReader(`{"accounts":[{"key":"boss-a","state":"`+st+`"}]}`))
		req.Header.Set("Authorization", "Bearer "+testWorkerTk)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("heartbeat %s: %d", st, resp.StatusCode)
		}
	}
	wctx, wcancel := context.WithDeadline(context.Background(), testwait.Guard(t))
	defer wcancel()
	// The loop did its first pass and sleeps on the clock.
	if err := clk.WaitForWaiters(wctx, 1); err != nil {
		t.Fatal(err)
	}
	beat("running")
	beat("paused_risk") // queued; the loop is asleep, the heartbeat did not wait
	clk.Advance(time.Second)
	if err := clk.WaitForWaiters(wctx, 1); err != nil {
		t.Fatal(err)
	}
	waitCalls := func(n int) {
		t.Helper()
		for wctx.Err() == nil {
			if c, _ := rc.snapshot(); c >= n {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("receiver never reached %d calls", n)
	}
	waitCalls(1)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("RunAlertDelivery returned nil after cancel")
	}
	hs.Close()
	db.Close()

	// Second life: the receiver is up now.
	rc.mu.Lock()
	rc.fail = 0
	rc.mu.Unlock()
	db = open()
	defer db.Close()
	srv2, err := api.NewServer(api.Options{Outbound: loopbackAllowed, Store: db, Clock: clk, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute) // past the 5s backoff
	if n, err := srv2.DeliverAlerts(context.Background(), cfg); err != nil || n != 1 {
		t.Fatalf("after restart delivered %d, %v", n, err)
	}
	_, bodies := rc.snapshot()
	if len(bodies) != 1 || bodies[0].State != "paused_risk" {
		t.Fatalf("bodies = %+v", bodies)
	}
	al, _, _ := db.ListAlerts("", 1, 10)
	if len(al) != 1 || al[0].Webhook != wire.WebhookDelivered || al[0].Attempts != 2 {
		t.Fatalf("stored = %+v", al)
	}
}

// TestAlertsConfig: the env overrides the file, bad URLs name the key and
// do not echo the URL.
func TestAlertsConfig(t *testing.T) {
	var c api.Config
	c.Alerts.WebhookURL = "http://file.example/hook"
	env := map[string]string{"HUNTERBOT_ALERT_WEBHOOK": "https://env.example/hook?t=1", "HUNTERBOT_ALERT_WEBHOOK_SECRET": "x"}
	c.ApplyEnv(func(k string) string { return env[k] })
	if c.Alerts.WebhookURL != env["HUNTERBOT_ALERT_WEBHOOK"] || c.Alerts.WebhookSecret != "x" {
		t.Fatalf("env not applied: %+v", c.Alerts)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Alerts.WebhookURL = "ftp://tok3n@host/x"
	err := c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "alerts.webhook_url:") || strings.Contains(err.Error(), "tok3n") {
		t.Fatalf("bad url: %v", err)
	}
	c.Alerts = api.AlertsConfig{WebhookSecret: "x"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "alerts.webhook_secret") {
		t.Fatalf("secret without url: %v", err)
	}
}
