package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestWorkerConfigVersion: since_version and If-None-Match both give 304
// while nothing changed, and any config or script write bumps the version.
func TestWorkerConfigVersion(t *testing.T) {
	e := newEnv(t)
	get := func(query, inm string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/worker/followup-configs"+query, nil)
		req.Header.Set("Authorization", "Bearer "+testWorkerTk)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		resp, body := e.do(req)
		return resp.StatusCode, resp.Header.Get("ETag"), string(body)
	}
	code, etag0, body := get("", "")
	if code != 200 || etag0 != `"fv-0"` || !strings.Contains(body, `"version":0`) {
		t.Fatalf("first: %d %s %s", code, etag0, body)
	}
	if code, _, _ := get("?since_version=0", ""); code != 304 {
		t.Fatalf("since_version unchanged: %d", code)
	}
	if code, _, _ := get("", etag0); code != 304 {
		t.Fatalf("If-None-Match unchanged: %d", code)
	}
	steps := []struct{ method, path, body string }{
		{"POST", "/api/followup-configs", `{"name":"c"}`},
		{"POST", "/api/followup-scripts", `{"config_id":1,"day_number":1,"content":"x"}`},
		{"PUT", "/api/followup-scripts/1", `{"is_active":false}`},
		{"PUT", "/api/followup-configs/1", `{"is_active":false}`},
		{"DELETE", "/api/followup-scripts/1", ``},
		{"DELETE", "/api/followup-configs/1", ``},
	}
	etag := etag0
	for _, s := range steps {
		if code, out := e.call(s.method, s.path, s.body); code >= 300 {
			t.Fatalf("%s %s: %d %s", s.method, s.path, code, out)
		}
		code, newTag, body := get("", etag)
		if code != 200 || newTag == etag {
			t.Fatalf("after %s %s: %d etag %s -> %s (%s)", s.method, s.path, code, etag, newTag, body)
		}
		etag = newTag
	}
	// Inactive scripts and configs are in the worker snapshot, flagged.
	e.call("POST", "/api/followup-configs", `{"name":"d","is_active":false}`)
	e.call("POST", "/api/followup-scripts", `{"config_id":2,"day_number":0,"content":"y","is_active":false}`)
	_, _, body = get("", "")
	if !strings.Contains(body, `"is_active":false,"created_at"`) || !strings.Contains(body, `"day_number":0`) {
		t.Fatalf("snapshot lacks inactive items: %s", body)
	}
	// A failed write does not bump the version.
	_, before, _ := get("", "")
	e.call("POST", "/api/followup-scripts", `{"config_id":99,"day_number":1,"content":"x"}`)
	if code, _, _ := get("", before); code != 304 {
		t.Fatalf("failed write bumped the version: %d", code)
	}
}
