package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state"
)

const (
	testUser     = "admin@example.com"
	testPassword = "correct-horse-battery"
	testClient   = "dashboard"
	testSecret   = "client-secret-123"
	testWorker   = "worker-001"
	testWorkerTk = "worker-token-0123456789abcdef"
)

// loopbackAllowed lets webhooks reach the tests' httptest receivers.
var loopbackAllowed = api.OutboundConfig{Allow: []string{"127.0.0.1/32", "::1"}}

type env struct {
	t     *testing.T
	db    *state.DB
	clk   *clock.Manual
	srv   *httptest.Server
	api   *api.Server
	token string
	data  string
}

// newEnv starts a real server over a real bbolt file with a manual clock,
// an admin user, an OAuth client and a worker credential.
func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with options adjusted by tune (nil: none).
func newEnvWith(t *testing.T, tune func(*api.Options)) *env {
	t.Helper()
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2024, 3, 4, 7, 30, 45, 0, time.UTC)) // 15:30:45 in Shanghai
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, err := range []error{db.PutUser(testUser, testPassword), db.PutClient(testClient, testSecret), db.PutWorker(testWorker, testWorkerTk)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, db: db, clk: clk, data: dir}
	e.srv = httptest.NewUnstartedServer(nil)
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	opts := api.Options{Outbound: loopbackAllowed, Store: db, Clock: clk, DataDir: dir, PublicURL: e.srv.URL, MaxBodyBytes: 64 << 10}
	if tune != nil {
		tune(&opts)
	}
	s, err := api.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.api = s
	e.srv.Config.Handler = s.Handler()
	e.token = e.login(testUser, testPassword).AccessToken
	return e
}

type tokenResp struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

func (e *env) tokenReq(client, secret string, body any) (*http.Response, []byte) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.srv.URL+"/oauth/token", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(client, secret)
	return e.do(req)
}

func (e *env) login(user, pass string) tokenResp {
	e.t.Helper()
	resp, body := e.tokenReq(testClient, testSecret, map[string]string{"grant_type": "password", "username": user, "password": pass})
	if resp.StatusCode != 200 {
		e.t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	var tr tokenResp
	mustJSON(e.t, body, &tr)
	return tr
}

func (e *env) do(req *http.Request) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, b
}

// call sends method path with an optional JSON (string) body as the admin.
func (e *env) call(method, path, body string) (int, []byte) {
	e.t.Helper()
	return e.callAs(e.token, method, path, body)
}

func (e *env) callAs(token, method, path, body string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, b := e.do(req)
	return resp.StatusCode, b
}

func mustJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
}

func requireFields(t *testing.T, what string, obj map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if _, ok := obj[f]; !ok {
			t.Errorf("%s: missing field %q in %v", what, f, obj)
		}
	}
}

// pushContacts stores contacts as the test worker does.
func (e *env) pushContacts(in ...wire.ContactInput) []wire.UpsertResult {
	e.t.Helper()
	res, err := e.db.UpsertContacts(testWorker, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func mustJSONB(b *testing.B, data []byte, v any) {
	b.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		b.Fatalf("decode %.200s: %v", data, err)
	}
}
