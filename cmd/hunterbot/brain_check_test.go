package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/server"
)

func runCheck(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	old := brainCheckOut
	brainCheckOut = &out
	defer func() { brainCheckOut = old }()
	err := runBrain(context.Background(), append([]string{"check"}, args...))
	return out.String(), err
}

// result is the RESULT column of the row of endpoint.
func result(out, endpoint string) string {
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == endpoint {
			return f[1]
		}
	}
	return ""
}

func TestBrainCheckBuiltin(t *testing.T) {
	cfg := &server.Config{
		Jobs: []server.JobSpec{{PlatformType: "boss", PlatformID: "1", Name: "客服"}},
		Accounts: []server.AccountSpec{{PlatformType: "boss", PlatformID: "9", Jobs: []string{"job_boss_1"},
			Tasks: map[string]brain.TaskConfig{"job_boss_1": {HelloSum: 5, Filter: brain.FilterBool(true), TouchMsg: "您好"}}}},
	}
	srv, err := server.New(server.Options{DataDir: t.TempDir(), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	out, err := runCheck(t, "--url", ts.URL, "--account", "account_boss_9")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	for ep, want := range map[string]string{"dialect": "ok", brain.PathTaskFetch: "ok", brain.PathFilter: "ok",
		brain.PathChat: "ok", brain.PathRecallList: "ok", brain.PathWechatTaskToDo: "ok", brain.PathTaskReport: "skip"} {
		if got := result(out, ep); got != want {
			t.Errorf("%s: %q, want %q:\n%s", ep, got, want, out)
		}
	}
	if !strings.Contains(out, "builtin") || !strings.Contains(out, "helloSum=5") {
		t.Errorf("output lacks the dialect or the plan:\n%s", out)
	}
	if strings.Contains(out, "BREAK") {
		t.Errorf("BREAK against the built-in brain:\n%s", out)
	}
}

// TestBrainCheckReportsBreaks: a v3.0 reference whose job lacks touch_msg
// raises on task/fetch; a chat answering an unknown step breaks the bot too.
func TestBrainCheckReportsBreaks(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case brain.PathJobRegisterV3, brain.PathTaskFetch:
			io.WriteString(w, `{"msg": "exception: 'touch_msg'", "status": 0, "data": []}`)
		case brain.PathJobQuery, brain.PathAccountQuery:
			io.WriteString(w, `{"msg": "exception: tuple index out of range", "status": 0, "data": []}`)
		case brain.PathFilter:
			io.WriteString(w, `{"ret": 0, "msg": "success", "data": {"touch": false}}`)
		case brain.PathChat:
			io.WriteString(w, `{"ret": 0, "msg": "success", "data": {"nextStep": "ask_salary", "nextStepContent": "x"}}`)
		case brain.PathRecallList:
			io.WriteString(w, `{"ret": 0, "msg": "success", "data": []}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer ts.Close()
	out, err := runCheck(t, "--url", ts.URL, "--account", "account_Boss_1", "--platform-type", "Boss")
	if !errors.Is(err, errCheckBreak) {
		t.Fatalf("err = %v, want errCheckBreak\n%s", err, out)
	}
	for ep, want := range map[string]string{brain.PathTaskFetch: "BREAK", brain.PathChat: "BREAK", brain.PathJobQuery: "ok",
		brain.PathFilter: "ok", brain.PathWechatTaskToDo: "warn"} {
		if got := result(out, ep); got != want {
			t.Errorf("%s: %q, want %q:\n%s", ep, got, want, out)
		}
	}
	for _, want := range []string{"v3", "'touch_msg'", "unknown nextStep \"ask_salary\""} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := runCheck(t, "--url", "ftp://x"); err == nil || !strings.Contains(err.Error(), "--url") {
		t.Fatalf("bad --url: %v", err)
	}
}
