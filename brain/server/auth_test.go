package server_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/brain/server"
)

func get(t *testing.T, url, auth string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The bearer scheme is case-insensitive (RFC 9110), as on the control
// plane; a wrong or truncated token is still refused.
func TestBrainBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := newEnv(t, "2026-03-02 10:00")
	u := e.url + "/debug/decisions?accountID=" + acct
	for _, auth := range []string{"Bearer " + token, "bearer " + token, "BEARER " + token, "Bearer  " + token + " "} {
		if code := get(t, u, auth); code != 200 {
			t.Fatalf("%q: HTTP %d", auth, code)
		}
	}
	for _, auth := range []string{"", "Bearer", "Bearer " + token[:len(token)-1], "Basic " + token, "Bearer " + token + "x"} {
		if code := get(t, u, auth); code != 401 {
			t.Fatalf("%q: HTTP %d, want 401", auth, code)
		}
	}
}

// Without a token the debug route (candidates' age, degree and location
// checks) is off; the seed-003 routes keep working on loopback.
func TestBrainDebugRouteNeedsAToken(t *testing.T) {
	srv, err := server.New(server.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	if code := get(t, ts.URL+"/debug/decisions?accountID=x", ""); code != 403 {
		t.Fatalf("debug route without a configured token: HTTP %d, want 403", code)
	}
	if code := get(t, ts.URL+"/healthz", ""); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
}

func TestCheckExposure(t *testing.T) {
	for _, a := range []string{"127.0.0.1:7003", "[::1]:7003", "localhost:7003", "127.0.0.2:0"} {
		if err := server.CheckExposure(a, ""); err != nil {
			t.Errorf("%s without token: %v", a, err)
		}
	}
	for _, a := range []string{":7003", "0.0.0.0:7003", "[::]:7003", "192.168.1.10:7003", "10.0.0.1:80"} {
		if err := server.CheckExposure(a, ""); !errors.Is(err, server.ErrExposedWithoutToken) {
			t.Errorf("%s without token: %v", a, err)
		}
		if err := server.CheckExposure(a, "secret"); err != nil {
			t.Errorf("%s with a token: %v", a, err)
		}
	}
	if err := server.CheckExposure("nonsense", ""); err == nil || !strings.Contains(err.Error(), "server.addr") {
		t.Errorf("bad addr: %v", err)
	}
}
