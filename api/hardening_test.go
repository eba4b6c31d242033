package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
)

// oauthForm posts a form to /oauth/token or /oauth/revoke.
func (e *env) oauthForm(path, client, secret string, form url.Values) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, secret)
	return e.do(req)
}

func passwordForm(user, pass string) url.Values {
	return url.Values{"grant_type": {"password"}, "username": {user}, "password": {pass}}
}

// Wrong passwords are throttled per username (and source address) with
// doubling lockouts: once locked, even the right password is answered 429
// with Retry-After, without a bcrypt compare, until the lockout passes.
func TestTokenEndpointThrottlesGuessing(t *testing.T) {
	e := newEnvWith(t, func(o *api.Options) {
		o.Throttle = api.ThrottleConfig{Free: 3, Base: 10 * time.Second, Max: time.Minute, BurstFailures: 100}
	})
	for i := 0; i < 3; i++ {
		resp, body := e.oauthForm("/oauth/token", testClient, testSecret, passwordForm(testUser, "wrong-password"))
		if resp.StatusCode != 400 || !strings.Contains(string(body), "invalid_grant") {
			t.Fatalf("wrong password %d: %d %s", i+1, resp.StatusCode, body)
		}
	}
	// The 4th failure starts a 10 s lockout.
	e.oauthForm("/oauth/token", testClient, testSecret, passwordForm(testUser, "wrong-password"))
	resp, body := e.oauthForm("/oauth/token", testClient, testSecret, passwordForm(testUser, testPassword))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "10" || !strings.Contains(string(body), `"error":"temporarily_unavailable"`) {
		t.Fatalf("locked user: %d Retry-After %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	e.clk.Advance(10 * time.Second)
	// One more failure doubles the lockout.
	e.oauthForm("/oauth/token", testClient, testSecret, passwordForm(testUser, "wrong-password"))
	e.clk.Advance(10 * time.Second)
	if resp, _ := e.oauthForm("/oauth/token", testClient, testSecret, passwordForm(testUser, testPassword)); resp.StatusCode != 429 {
		t.Fatalf("second lockout should last 20 s: %d", resp.StatusCode)
	}
	e.clk.Advance(10 * time.Second)
	if resp, body := e.oauthForm("/oauth/token", testClient, testSecret, passwordForm(testUser, testPassword)); resp.StatusCode != 200 {
		t.Fatalf("after the lockout: %d %s", resp.StatusCode, body)
	}
	// Success cleared the user's count: a new mistake is not locked.
	if resp, _ := e.oauthForm("/oauth/token", testClient, testSecret, passwordForm(testUser, "wrong-password")); resp.StatusCode != 400 {
		t.Fatalf("after a success: %d", resp.StatusCode)
	}
}

// Unknown clients cost no bcrypt and are throttled by source address;
// a known client with a wrong secret is throttled per client.
func TestTokenEndpointThrottlesClients(t *testing.T) {
	e := newEnvWith(t, func(o *api.Options) {
		o.Throttle = api.ThrottleConfig{Free: 2, Base: time.Minute, BurstFailures: 100}
	})
	for i := 0; i < 3; i++ {
		if resp, body := e.oauthForm("/oauth/token", "made-up-"+strconv.Itoa(i), "x", passwordForm(testUser, testPassword)); resp.StatusCode != 401 ||
			!strings.Contains(string(body), "invalid_client") {
			t.Fatalf("unknown client: %d %s", resp.StatusCode, body)
		}
	}
	// The source address is now locked, whatever the credentials.
	resp, _ := e.oauthForm("/oauth/token", testClient, testSecret, passwordForm(testUser, testPassword))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("locked address: %d", resp.StatusCode)
	}
	e.clk.Advance(time.Minute)
	if resp, body := e.oauthForm("/oauth/token", testClient, testSecret, passwordForm(testUser, testPassword)); resp.StatusCode != 200 {
		t.Fatalf("after the lockout: %d %s", resp.StatusCode, body)
	}
}

// A burst of failures logs a warning and raises an auth_burst alert for
// the operators' webhook.
func TestFailedLoginBurstRaisesAnAlert(t *testing.T) {
	e := newEnvWith(t, func(o *api.Options) {
		o.Throttle = api.ThrottleConfig{Free: 1000, BurstFailures: 5, BurstWindow: time.Minute}
	})
	for i := 0; i < 6; i++ {
		e.oauthForm("/oauth/token", testClient, testSecret, passwordForm("user"+strconv.Itoa(i), "wrong-password"))
	}
	al := e.alerts("")
	if al.Total != 1 || al.Results[0].State != wire.AlertAuthBurst || al.Results[0].Webhook != wire.WebhookPending ||
		!strings.Contains(al.Results[0].LastError, "failed /oauth/token attempts") {
		t.Fatalf("alerts after a burst: %+v", al)
	}
	rc := newReceiver(t, 0)
	if _, err := e.api.DeliverAlerts(context.Background(), api.AlertsConfig{WebhookURL: rc.srv.URL}); err != nil {
		t.Fatal(err)
	}
	if _, bodies := rc.snapshot(); len(bodies) != 1 || bodies[0].State != wire.AlertAuthBurst {
		t.Fatalf("webhook got %+v", bodies)
	}
}

// Reusing a rotated refresh token is refused AND ends the session: the
// tokens issued by the rotation stop working.
func TestRefreshTokenReuseRevokesTheSession(t *testing.T) {
	e := newEnv(t)
	first := e.login(testUser, testPassword)
	refresh := func(tok string) (*http.Response, []byte) {
		return e.tokenReq(testClient, testSecret, map[string]string{"grant_type": "refresh_token", "refresh_token": tok})
	}
	resp, body := refresh(first.RefreshToken)
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d %s", resp.StatusCode, body)
	}
	var second tokenResp
	mustJSON(t, body, &second)
	if code, _ := e.callAs(second.AccessToken, "GET", "/api/accounts", ""); code != 200 {
		t.Fatalf("rotated access token: %d", code)
	}
	if resp, body := refresh(first.RefreshToken); resp.StatusCode != 400 || !strings.Contains(string(body), "invalid_grant") {
		t.Fatalf("reuse: %d %s", resp.StatusCode, body)
	}
	if code, _ := e.callAs(second.AccessToken, "GET", "/api/accounts", ""); code != 401 {
		t.Fatalf("access token of the reused family: %d, want 401", code)
	}
	if resp, _ := refresh(second.RefreshToken); resp.StatusCode != 400 {
		t.Fatalf("refresh token of the reused family: %d, want 400", resp.StatusCode)
	}
	// The setup login (e.token) is another session and still works.
	if code, _ := e.call("GET", "/api/accounts", ""); code != 200 {
		t.Fatalf("another session: %d", code)
	}
}

// RFC 7009 revocation and revoking a user's sessions.
func TestTokenRevocation(t *testing.T) {
	e := newEnv(t)
	s1 := e.login(testUser, testPassword)
	resp, body := e.oauthForm("/oauth/revoke", testClient, testSecret, url.Values{"token": {s1.RefreshToken}, "token_type_hint": {"refresh_token"}})
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	if code, _ := e.callAs(s1.AccessToken, "GET", "/api/accounts", ""); code != 401 {
		t.Fatalf("access token after revoking its refresh token: %d", code)
	}
	// Unknown tokens are answered like revoked ones; a wrong client is not.
	if resp, _ := e.oauthForm("/oauth/revoke", testClient, testSecret, url.Values{"token": {"no-such-token"}}); resp.StatusCode != 200 {
		t.Fatalf("revoke unknown: %d", resp.StatusCode)
	}
	if resp, _ := e.oauthForm("/oauth/revoke", testClient, "bad-secret", url.Values{"token": {e.token}}); resp.StatusCode != 401 {
		t.Fatalf("revoke with a bad client: %d", resp.StatusCode)
	}
	if resp, body := e.oauthForm("/oauth/revoke", testClient, testSecret, url.Values{}); resp.StatusCode != 400 || !strings.Contains(string(body), "token") {
		t.Fatalf("revoke without token: %d %s", resp.StatusCode, body)
	}
	// An operator ends every session of a user.
	s2, s3 := e.login(testUser, testPassword), e.login(testUser, testPassword)
	code, body := e.call("DELETE", "/api/users/"+url.PathEscape(testUser)+"/sessions", "")
	if code != 200 || !strings.Contains(string(body), `"revoked_tokens"`) {
		t.Fatalf("revoke sessions: %d %s", code, body)
	}
	for _, tok := range []string{s2.AccessToken, s3.AccessToken, e.token} {
		if code, _ := e.callAs(tok, "GET", "/api/accounts", ""); code != 401 {
			t.Fatalf("session survived: %d", code)
		}
	}
	if code, _ := e.callAs("", "DELETE", "/api/users/x/sessions", ""); code != 401 {
		t.Fatalf("revoke sessions without auth: %d", code)
	}
}

// Callback and webhook URLs cannot reach loopback, link-local or private
// addresses unless outbound.allow names them; the check runs when the
// socket connects, so a name that resolves to such an address is refused
// too.
func TestOutboundRequestsCannotReachInternalServices(t *testing.T) {
	e := newEnvWith(t, func(o *api.Options) { o.Outbound = api.OutboundConfig{} })
	for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost:9/", "http://[::1]:9/", "http://169.254.169.254/latest/meta-data",
		"http://10.0.0.8/hook", "http://192.168.1.1/", "http://[fe80::1]/", "http://0.0.0.0:22/", "http://100.64.0.1/"} {
		code, body := e.call("PUT", "/api/keyword-hits/callback", `{"url":"`+u+`"}`)
		if code != 400 || !strings.Contains(string(body), "url:") {
			t.Fatalf("callback %s: %d %s", u, code, body)
		}
	}
	if code, body := e.call("PUT", "/api/keyword-hits/callback", `{"url":"https://hooks.example.com/hunterbot"}`); code != 200 {
		t.Fatalf("public callback: %d %s", code, body)
	}
	// A webhook pointed at a loopback receiver (here by name, as after DNS
	// rebinding) is refused at connect time and never reached.
	rc := newReceiver(t, 0)
	u, _ := url.Parse(rc.srv.URL)
	e.beat("boss-a", "running", "")
	e.beat("boss-a", "paused_risk", "")
	if _, err := e.api.DeliverAlerts(context.Background(), api.AlertsConfig{WebhookURL: "http://localhost:" + u.Port() + "/hook"}); err != nil {
		t.Fatal(err)
	}
	if calls, _ := rc.snapshot(); calls != 0 {
		t.Fatalf("the guard let %d requests reach a loopback service", calls)
	}
	if a := e.alerts("").Results[0]; !strings.Contains(a.WebhookError, "not public") {
		t.Fatalf("alert webhook error: %q", a.WebhookError)
	}
	// Named in outbound.allow, the same receiver is reachable.
	e2 := newEnvWith(t, func(o *api.Options) { o.Outbound = api.OutboundConfig{Allow: []string{"127.0.0.1", "::1"}} })
	e2.beat("boss-a", "running", "")
	e2.beat("boss-a", "paused_risk", "")
	if n, err := e2.api.DeliverAlerts(context.Background(), api.AlertsConfig{WebhookURL: rc.srv.URL + "/hook"}); err != nil || n != 1 {
		t.Fatalf("allowed receiver: delivered %d, %v", n, err)
	}
	if _, err := api.NewServer(api.Options{Store: e.db, DataDir: t.TempDir(), Outbound: api.OutboundConfig{Allow: []string{"not-an-ip"}}}); err == nil ||
		!strings.Contains(err.Error(), "outbound.allow[0]") {
		t.Fatalf("bad allow entry: %v", err)
	}
}

// The router's 405s answer in JSON with an Allow header.
func TestMethodNotAllowedIsJSON(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ method, path, token, allow string }{
		{"GET", "/oauth/token", "", "POST"},
		{"PUT", "/media/exports/contacts_export_20240101_000000_abcdef01.xlsx", "", "GET, HEAD"},
		{"PUT", "/api/accounts", e.token, "GET, HEAD, POST"}, // POST creates a managed account
		{"PATCH", "/api/followup-configs/1", e.token, "GET, HEAD, PUT, DELETE"},
	} {
		req, _ := http.NewRequest(c.method, e.srv.URL+c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, body := e.do(req)
		var m map[string]any
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != c.allow || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") ||
			json.Unmarshal(body, &m) != nil {
			t.Fatalf("%s %s: %d Allow %q %s %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"), body)
		}
	}
	// Without a token an /api path still says 401, not which methods exist.
	if code, _ := e.callAs("", "POST", "/api/accounts", ""); code != 401 {
		t.Fatalf("405 before auth: %d", code)
	}
}

// Invalid UTF-8 is a 400 naming the field, and nothing is stored.
func TestInvalidUTF8IsRejectedNamingTheField(t *testing.T) {
	e := newEnv(t)
	code, body := e.call("POST", "/api/followup-configs", "{\"name\": \"ok\", \"position\": \"Py\xff\xfe\", \"is_active\": true}")
	wantErr(t, "config with bad UTF-8", code, body, 400, "position")
	if code, body := e.call("GET", "/api/followup-configs", ""); code != 200 || strings.Contains(string(body), "Py") {
		t.Fatalf("stored anyway: %s", body)
	}
	code, body = e.call("POST", "/api/followup-configs", "{\"name\": \"ok\", \"position\": \"Py\", \"scripts\": [{\"content\": \"a\"}, {\"content\": \"\xc3\"}]}")
	if code != 400 || !strings.Contains(string(body), `"field":"scripts[1].content"`) {
		t.Fatalf("nested bad UTF-8: %d %s", code, body)
	}
	// Seed-004 bodies and the OAuth form too.
	code, body = e.call("POST", "/api/keyword-rules", "{\"name\": \"r\xff\"}")
	if code != 400 || !strings.Contains(string(body), "name: must be valid UTF-8") {
		t.Fatalf("keyword rule: %d %s", code, body)
	}
	resp, body := e.oauthForm("/oauth/token", testClient, testSecret, passwordForm("x\xff", testPassword))
	if resp.StatusCode != 400 || !strings.Contains(string(body), "username: must be valid UTF-8") {
		t.Fatalf("oauth form: %d %s", resp.StatusCode, body)
	}
}

// A null body on PUT is rejected; it used to be a no-op (or clear
// settings).
func TestNullBodyIsRejected(t *testing.T) {
	e := newEnv(t)
	if code, body := e.call("POST", "/api/followup-configs", `{"name":"n","position":"Py","is_active":true}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	code, body := e.call("PUT", "/api/followup-configs/1", "null")
	wantErr(t, "PUT null", code, body, 400, "body")
	if code, body := e.call("PUT", "/api/keyword-hits/callback", `{"url":"https://hooks.example.com/x"}`); code != 200 {
		t.Fatalf("callback: %d %s", code, body)
	}
	if code, body := e.call("PUT", "/api/keyword-hits/callback", " null "); code != 400 {
		t.Fatalf("PUT null callback: %d %s", code, body)
	}
	if _, body := e.call("GET", "/api/keyword-hits/callback", ""); !strings.Contains(string(body), "hooks.example.com") {
		t.Fatalf("callback cleared by a null PUT: %s", body)
	}
}
