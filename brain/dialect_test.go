package brain_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/server"
)

// TestDetectDialect: the probe tells the three servers apart without
// changing anything, and an auto client registers on the detected routes.
func TestDetectDialect(t *testing.T) {
	builtin, err := server.New(server.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer builtin.Close()
	var v3Paths []string
	// v2.0 has neither /healthz nor /backend/manage/ (Flask's HTML 404).
	v2 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	// v3.0 answers its console route with the exception envelope for a
	// body without platformType, and a job for a full one.
	v3 := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != brain.PathJobRegisterV3 {
			http.NotFound(w, r)
			return
		}
		v3Paths = append(v3Paths, r.URL.Path)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if string(body) == "{}" {
			io.WriteString(w, `{"msg": "exception: 'platformType'", "status": 0, "data": []}`)
			return
		}
		io.WriteString(w, `{"ret": 0, "msg": "success", "data": {"jobID": "job_Boss_1234567890"}}`)
	})
	for _, tc := range []struct {
		h    http.Handler
		want brain.Dialect
	}{{builtin.Handler(), brain.DialectBuiltin}, {v2, brain.DialectV2}, {v3, brain.DialectV3}} {
		ts := httptest.NewServer(tc.h)
		c, err := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Detect(context.Background())
		ts.Close()
		if err != nil || got != tc.want || c.Dialect() != tc.want {
			t.Fatalf("Detect = %q, %v; want %q", got, err, tc.want)
		}
	}
	ts := httptest.NewServer(v3)
	defer ts.Close()
	c, _ := brain.New(brain.Options{BaseURL: ts.URL})
	id, err := c.RegisterJob(context.Background(), brain.JobRegisterRequest{PlatformType: "Boss", JobName: "客服"})
	if err != nil || id != "job_Boss_1234567890" || len(v3Paths) < 3 {
		t.Fatalf("auto RegisterJob on v3 = %q, %v (paths %v)", id, err, v3Paths)
	}
	if _, err := brain.ParseDialect("v4"); err == nil {
		t.Fatal("ParseDialect accepted v4")
	}
}
