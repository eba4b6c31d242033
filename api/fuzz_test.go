package api_test

import (
	"encoding/json"
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

// fuzzRoutes are the routes whose bodies and query strings the fuzzer
// drives; {id} paths use an id that exists.
var fuzzRoutes = []struct{ method, path, auth string }{
	{"POST", "/oauth/token", "basic"},
	{"POST", "/oauth/revoke", "basic"},
	{"GET", "/api/contacts", "user"},
	{"GET", "/api/followup-configs", "user"},
	{"POST", "/api/followup-configs", "user"},
	{"PUT", "/api/followup-configs/1", "user"},
	{"POST", "/api/followup-scripts", "user"},
	{"GET", "/api/followup-records", "user"},
	{"POST", "/api/followup-records/send", "user"},
	{"POST", "/api/keyword-rules", "user"},
	{"GET", "/api/keyword-rules", "user"},
	{"PUT", "/api/keyword-hits/callback", "user"},
	{"GET", "/api/keyword-hits", "user"},
	{"GET", "/api/alerts", "user"},
	{"POST", "/api/worker/contacts", "worker"},
	{"POST", "/api/worker/followup-records", "worker"},
	{"POST", "/api/worker/heartbeat", "worker"},
	{"GET", "/api/worker/sends", "worker"},
}

// FuzzAPIRequests sends arbitrary bodies and query strings to the control
// plane's routes (real handlers, real bbolt file): every answer must be a
// JSON document with a status below 500, and a 400 must say what is wrong.
// Seeds are bodies from the handler tests.
func FuzzAPIRequests(f *testing.F) {
	seeds := []struct {
		route       int
		query, body string
	}{
		{0, "", `{"grant_type":"password","username":"admin@example.com","password":"correct-horse-battery"}`},
		{0, "", `grant_type=refresh_token&refresh_token=x`},
		{1, "", `token=abc`},
		{2, "page=1&page_size=20&name=张&start_date=2024-03-01&end_date=2024-03-04&reply_status=已回复", ``},
		{3, "position=Python开发&is_active=true", ``},
		{4, "", `{"name":"Python开发复聊配置","position":"Python开发","is_active":true}`},
		{5, "", `{"name":"n","position":"p","is_active":false,"scripts":[{"day_number":1,"content":"hi","interval_hours":24,"order":1}]}`},
		{6, "", `{"config_id":1,"day_number":0,"content":"您好","interval_hours":72,"order":1,"is_active":true}`},
		{7, "config_id=1&start_time=2024-03-01T00:00:00Z", ``},
		{8, "", `{"account":"boss-a","candidate_id":"c1","content":"hello"}`},
		{9, "", `{"name":"r","keyword":{"word_list":["微信"],"is_case_sensitive":0},"applicable_range":{"msg_scope":2}}`},
		{10, "page=2&page_size=5", ``},
		{11, "", `{"url":"https://hooks.example.com/x","secret":"s"}`},
		{12, "callback=pending&rule_id=r1", ``},
		{13, "account=boss-a&page=1", ``},
		{14, "", `{"contacts":[{"account":"boss-a","candidate_id":"c1","name":"张三","wechat":"wx_1","created_at":"2024-03-01T10:30:00+08:00"}]}`},
		{15, "", `{"records":[{"account":"boss-a","candidate_id":"c1","config_id":1,"script_id":1,"content":"hi","sent_at":"2024-03-01T10:30:00Z"}]}`},
		{16, "", `{"accounts":[{"key":"boss-a","state":"running"}]}`},
		{17, "", ``},
		{5, "", `null`},
		{4, "", "{\"name\":\"\xff\"}"},
	}
	for _, s := range seeds {
		f.Add(uint8(s.route), s.query, []byte(s.body))
	}
	ft := newFuzzTarget(f, time.Date(2024, 3, 4, 7, 30, 45, 0, time.UTC))
	h, pair := ft.h, ft.pair
	// A config with id 1 for the PUT route.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/followup-configs", strings.NewReader(`{"name":"n","position":"p","is_active":true}`))
	req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
	h.ServeHTTP(rec, req)

	f.Fuzz(func(t *testing.T, route uint8, query string, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]
		target := rt.path
		if query != "" {
			target += "?" + query
		}
		req, err := http.NewRequest(rt.method, target, strings.NewReader(string(body)))
		if err != nil {
			return // not a request a client could send
		}
		req.RemoteAddr = "192.0.2.1:1234"
		switch rt.auth {
		case "basic":
			req.SetBasicAuth(testClient, testSecret)
			if len(body) > 0 && body[0] != '{' {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		case "user":
			req.Header.Set("Authorization", "Bearer "+pair.AccessToken)
		case "worker":
			req.Header.Set("Authorization", "Bearer "+testWorkerTk)
		}
		if rt.auth != "basic" || (len(body) > 0 && body[0] == '{') {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, target, body, rec.Code, rec.Body.Bytes())
		}
		if rt.path == "/oauth/revoke" && rec.Code == 200 {
			return // RFC 7009: empty 200
		}
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s %q: %d answer is not JSON: %q", rt.method, target, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code == 400 && !strings.Contains(rec.Body.String(), ":") {
			t.Fatalf("%s %s %q: 400 without a reason: %s", rt.method, target, body, rec.Body.Bytes())
		}
	})
}

// fuzzTarget is a control plane for a fuzz target: a real bbolt file in a
// temporary directory on a manual clock starting at start, the test user,
// client and worker, the server's handler and an operator token pair. The login throttle
// never trips: a fuzzer's wrong passwords are its input, not an attack.
type fuzzTarget struct {
	db   *state.DB
	h    http.Handler
	pair wire.TokenPair
}

func newFuzzTarget(f *testing.F, start time.Time) fuzzTarget {
	f.Helper()
	dir := f.TempDir()
	clk := clock.NewManual(start)
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	for _, err := range []error{db.PutUser(testUser, testPassword), db.PutClient(testClient, testSecret), db.PutWorker(testWorker, testWorkerTk)} {
		if err != nil {
			f.Fatal(err)
		}
	}
	s, err := api.NewServer(api.Options{Store: db, Clock: clk, DataDir: dir, MaxBodyBytes: 64 << 10,
		Throttle: api.ThrottleConfig{Free: 1 << 30, BurstFailures: 1 << 30}})
	if err != nil {
		f.Fatal(err)
	}
	pair, err := db.IssueTokens(testUser, testClient, 24*time.Hour, 24*time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	return fuzzTarget{db: db, h: s.Handler(), pair: pair}
}
