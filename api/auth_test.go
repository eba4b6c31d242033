package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestOAuth(t *testing.T) {
	e := newEnv(t)
	pw := map[string]string{"grant_type": "password", "username": testUser, "password": testPassword}

	t.Run("wrong client secret", func(t *testing.T) {
		resp, body := e.tokenReq(testClient, "wrong-secret!", pw)
		if resp.StatusCode != 401 || !strings.Contains(string(body), `"invalid_client"`) || resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("no basic auth", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/oauth/token", strings.NewReader(`{"grant_type":"password"}`))
		resp, body := e.do(req)
		if resp.StatusCode != 401 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		resp, body := e.tokenReq(testClient, testSecret, map[string]string{"grant_type": "password", "username": testUser, "password": "nope-nope"})
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"invalid_grant"`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("unknown user", func(t *testing.T) {
		resp, body := e.tokenReq(testClient, testSecret, map[string]string{"grant_type": "password", "username": "ghost", "password": testPassword})
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"invalid_grant"`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("unsupported grant", func(t *testing.T) {
		resp, body := e.tokenReq(testClient, testSecret, map[string]string{"grant_type": "client_credentials"})
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"unsupported_grant_type"`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("missing username", func(t *testing.T) {
		resp, body := e.tokenReq(testClient, testSecret, map[string]string{"grant_type": "password", "password": "x"})
		if resp.StatusCode != 400 || !strings.Contains(string(body), "username") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("form encoded works too", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.srv.URL+"/oauth/token", strings.NewReader("grant_type=password&username="+testUser+"&password="+testPassword))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(testClient, testSecret)
		resp, body := e.do(req)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})

	t.Run("shape, expiry, refresh rotation", func(t *testing.T) {
		tr := e.login(testUser, testPassword)
		if tr.TokenType != "bearer" || tr.ExpiresIn != 3*3600 || tr.Scope != "all" || tr.AccessToken == "" || tr.RefreshToken == "" {
			t.Fatalf("token response = %+v", tr)
		}
		if code, body := e.callAs(tr.AccessToken, "GET", "/api/followup-configs", ""); code != 200 {
			t.Fatalf("fresh token: %d %s", code, body)
		}
		// Expire the access token on the clock.
		e.clk.Advance(3*time.Hour + time.Second)
		code, body := e.callAs(tr.AccessToken, "GET", "/api/followup-configs", "")
		if code != 401 || !strings.Contains(string(body), "detail") {
			t.Fatalf("expired token: %d %s", code, body)
		}
		code, body = e.callAs(tr.AccessToken, "GET", "/api/contacts", "")
		if code != 401 || !strings.Contains(string(body), `"code":401`) {
			t.Fatalf("expired token on contacts (coded envelope): %d %s", code, body)
		}
		// Refresh: a new pair; the old refresh token no longer works.
		resp, body := e.tokenReq(testClient, testSecret, map[string]string{"grant_type": "refresh_token", "refresh_token": tr.RefreshToken})
		if resp.StatusCode != 200 {
			t.Fatalf("refresh: %d %s", resp.StatusCode, body)
		}
		var tr2 tokenResp
		mustJSON(t, body, &tr2)
		if tr2.RefreshToken == tr.RefreshToken || tr2.AccessToken == tr.AccessToken {
			t.Fatal("refresh did not rotate")
		}
		if code, _ := e.callAs(tr2.AccessToken, "GET", "/api/followup-configs", ""); code != 200 {
			t.Fatalf("refreshed token: %d", code)
		}
		resp, body = e.tokenReq(testClient, testSecret, map[string]string{"grant_type": "refresh_token", "refresh_token": tr.RefreshToken})
		if resp.StatusCode != 400 || !strings.Contains(string(body), "invalid_grant") {
			t.Fatalf("reused refresh token: %d %s", resp.StatusCode, body)
		}
		// Refresh tokens are bound to their client.
		if err := e.db.PutClient("other", "other-secret-1"); err != nil {
			t.Fatal(err)
		}
		resp, _ = e.tokenReq("other", "other-secret-1", map[string]string{"grant_type": "refresh_token", "refresh_token": tr2.RefreshToken})
		if resp.StatusCode != 400 {
			t.Fatalf("refresh via other client: %d", resp.StatusCode)
		}
		// An access token is not a refresh token.
		resp, _ = e.tokenReq(testClient, testSecret, map[string]string{"grant_type": "refresh_token", "refresh_token": tr2.AccessToken})
		if resp.StatusCode != 400 {
			t.Fatalf("access token used as refresh: %d", resp.StatusCode)
		}
	})
}

// TestEveryAPIRouteNeedsAuth sends each /api route without a token, with a
// garbage token, and with a worker token where a user is needed.
func TestEveryAPIRouteNeedsAuth(t *testing.T) {
	e := newEnv(t)
	routes := []struct{ method, path string }{
		{"GET", "/api/followup-configs"}, {"POST", "/api/followup-configs"}, {"GET", "/api/followup-configs/1"},
		{"PUT", "/api/followup-configs/1"}, {"DELETE", "/api/followup-configs/1"},
		{"GET", "/api/followup-scripts"}, {"POST", "/api/followup-scripts"}, {"PUT", "/api/followup-scripts/1"},
		{"DELETE", "/api/followup-scripts/1"}, {"GET", "/api/followup-records"}, {"POST", "/api/followup-records/send"},
		{"GET", "/api/contacts"}, {"GET", "/api/contacts/export"}, {"GET", "/api/accounts"}, {"GET", "/api/admin/backup"},
		{"POST", "/api/worker/register"}, {"POST", "/api/worker/heartbeat"}, {"POST", "/api/worker/contacts"},
		{"POST", "/api/worker/followup-records"}, {"GET", "/api/worker/followup-configs"}, {"GET", "/api/worker/sends"},
		{"POST", "/api/worker/sends/1/ack"}, {"GET", "/api/nope"},
	}
	for _, rt := range routes {
		for _, tok := range []string{"", "garbage", testWorkerTk, e.token} {
			isWorker := strings.HasPrefix(rt.path, "/api/worker/")
			if (tok == testWorkerTk && isWorker) || (tok == e.token && !isWorker) {
				continue // the right credential
			}
			code, body := e.callAs(tok, rt.method, rt.path, "")
			if code != 401 {
				t.Errorf("%s %s with token %q: %d %s", rt.method, rt.path, tok, code, body)
			}
			if strings.HasPrefix(rt.path, "/api/contacts") && !strings.Contains(string(body), `"code":401`) {
				t.Errorf("%s %s: 401 not in coded envelope: %s", rt.method, rt.path, body)
			}
		}
	}
}
