package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/state"
)

const (
	stUser    = "ops@example.com"
	stPass    = "status-password-1"
	stClient  = "cli"
	stSecret  = "cli-secret-123"
	stWorker  = "vm-1"
	stWorkTok = "worker-token-status-0123456789"
)

// statusEnv is a real control plane (bbolt in a temp dir, real HTTP) whose
// clock starts 5 minutes in the past, so that heartbeats before Advance
// are stale for a status command using the wall clock.
type statusEnv struct {
	url string
	clk *clock.Manual
	wk  *client.Worker
}

func newStatusEnv(t *testing.T) *statusEnv {
	t.Helper()
	dir := t.TempDir()
	clk := clock.NewManual(time.Now().Add(-5 * time.Minute))
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, err := range []error{db.PutUser(stUser, stPass), db.PutClient(stClient, stSecret), db.PutWorker(stWorker, stWorkTok)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	s, err := api.NewServer(api.Options{Store: db, Clock: clk, DataDir: dir, PublicURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	// No credentials from the developer's environment may leak in.
	for _, k := range []string{"HUNTERBOT_TOKEN", "HUNTERBOT_CLIENT_ID", "HUNTERBOT_CLIENT_SECRET", "HUNTERBOT_USER",
		"HUNTERBOT_PASSWORD", "HUNTERBOT_ADMIN_USER", "HUNTERBOT_ADMIN_PASSWORD", "HUNTERBOT_CONTROL"} {
		t.Setenv(k, "")
	}
	return &statusEnv{url: srv.URL, clk: clk, wk: client.NewWorker(srv.URL, stWorkTok, 5*time.Second)}
}

func (e *statusEnv) setLoginEnv(t *testing.T) {
	t.Setenv("HUNTERBOT_CLIENT_ID", stClient)
	t.Setenv("HUNTERBOT_CLIENT_SECRET", stSecret)
	t.Setenv("HUNTERBOT_USER", stUser)
	t.Setenv("HUNTERBOT_PASSWORD", stPass)
}

func runStatusCapture(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	old := statusOut
	statusOut = &buf
	defer func() { statusOut = old }()
	err := runStatus(testwait.Context(t, nil), args)
	return buf.String(), err
}

// rowOf returns the table line of account key.
func rowOf(t *testing.T, out, key string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, key+" ") {
			return l
		}
	}
	t.Fatalf("no row for %s in:\n%s", key, out)
	return ""
}

func TestStatusTableFromHeartbeats(t *testing.T) {
	e := newStatusEnv(t)
	ctx := context.Background()
	// acct-old beats, then 5 minutes pass (the manual clock catches up with
	// the wall clock) and only acct-live and acct-risk beat.
	if _, err := e.wk.Register(ctx, []wire.AccountStatus{{Key: "acct-old", State: "running",
		Counters: map[string]int64{"greeted": 3, "planned": 9}}}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(5 * time.Minute)
	_, err := e.wk.Heartbeat(ctx, []wire.AccountStatus{
		{Key: "acct-live", Name: "张三", State: "running", Counters: map[string]int64{"greeted": 12, "planned": 40, "replies": 5, "contacts": 2}},
		{Key: "acct-risk", State: "paused_risk", LastError: "pages: risk page\n(verify)", Counters: map[string]int64{"greeted": 1, "planned": 40}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.setLoginEnv(t)
	out, err := runStatusCapture(t, "--control", e.url)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "ACCOUNT") {
		t.Fatalf("no header:\n%s", out)
	}
	live := rowOf(t, out, "acct-live")
	for _, want := range []string{"张三", " running ", stWorker, "12/40", " 5 ", " 2 ", "s ago"} {
		if !strings.Contains(live, want) {
			t.Errorf("acct-live row lacks %q: %q", want, live)
		}
	}
	if strings.Contains(live, "stale") {
		t.Errorf("fresh account shown stale: %q", live)
	}
	risk := rowOf(t, out, "acct-risk")
	if !strings.Contains(risk, "paused_risk") || !strings.Contains(risk, "pages: risk page (verify)") || !strings.Contains(risk, "1/40") {
		t.Errorf("acct-risk row = %q", risk)
	}
	old := rowOf(t, out, "acct-old")
	if !strings.Contains(old, "stale (running)") || !strings.Contains(old, "3/9") || !strings.Contains(old, "5m ago") {
		t.Errorf("acct-old row = %q", old)
	}
	if n := strings.Count(out, "\n"); n != 4 {
		t.Errorf("want header + 3 rows, got %d lines:\n%s", n, out)
	}
}

func TestStatusJSONWithToken(t *testing.T) {
	e := newStatusEnv(t)
	e.clk.Advance(5 * time.Minute)
	if _, err := e.wk.Heartbeat(context.Background(), []wire.AccountStatus{{Key: "a1", State: "needs_login",
		Counters: map[string]int64{"greeted": 7}}}); err != nil {
		t.Fatal(err)
	}
	op := client.NewOperator(e.url, 5*time.Second)
	tok, err := op.Login(context.Background(), stClient, stSecret, stUser, stPass)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HUNTERBOT_TOKEN", tok.AccessToken)
	t.Setenv("HUNTERBOT_CONTROL", e.url)
	out, err := runStatusCapture(t, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got []wire.Account
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output is not an account list: %v\n%s", err, out)
	}
	if len(got) != 1 || got[0].Key != "a1" || got[0].State != "needs_login" || got[0].Counters["greeted"] != 7 || got[0].WorkerID != stWorker {
		t.Fatalf("accounts = %+v", got)
	}
}

func TestStatusUsesDemoJSON(t *testing.T) {
	e := newStatusEnv(t)
	// The demo's clock is simulated: far from the wall clock. Ages and
	// staleness are then relative to the newest heartbeat.
	e.clk.Set(time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC))
	if _, err := e.wk.Heartbeat(context.Background(), []wire.AccountStatus{{Key: "demo-old", State: "running"}}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(3 * time.Minute)
	if _, err := e.wk.Heartbeat(context.Background(), []wire.AccountStatus{{Key: "demo-acct", State: "quota_reached"}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	info, _ := json.Marshal(map[string]string{"control_url": e.url, "username": stUser, "password": stPass,
		"client_id": stClient, "client_secret": stSecret, "sim_url": "http://127.0.0.1:1"})
	if err := os.WriteFile(filepath.Join(dir, "demo.json"), info, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runStatusCapture(t, "--demo", dir)
	if err != nil {
		t.Fatal(err)
	}
	if row := rowOf(t, out, "demo-acct"); !strings.Contains(row, "quota_reached") || strings.Contains(row, "stale") || !strings.Contains(row, "0s ago") {
		t.Fatalf("row = %q", row)
	}
	if row := rowOf(t, out, "demo-old"); !strings.Contains(row, "stale (running)") || !strings.Contains(row, "3m ago") {
		t.Fatalf("row = %q", row)
	}
	if !strings.Contains(out, "simulated clock") {
		t.Fatalf("no note on the simulated clock:\n%s", out)
	}

	// A wrong password in demo.json is rejected with one clear line.
	bad, _ := json.Marshal(map[string]string{"control_url": e.url, "username": stUser, "password": "nope",
		"client_id": stClient, "client_secret": stSecret})
	if err := os.WriteFile(filepath.Join(dir, "demo.json"), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = runStatusCapture(t, "--demo", dir)
	if !errors.Is(err, errCredentialsRejected) {
		t.Fatalf("wrong password: err = %v", err)
	}

	// A demo.json without credentials is a config error naming the key.
	if err := os.WriteFile(filepath.Join(dir, "demo.json"), []byte(`{"control_url":"`+e.url+`","username":"u","password":"p","client_id":"c"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = runStatusCapture(t, "--demo", dir)
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "client_secret") {
		t.Fatalf("incomplete demo.json: err = %v", err)
	}
}

func TestStatusErrors(t *testing.T) {
	e := newStatusEnv(t)

	t.Run("bad token", func(t *testing.T) {
		t.Setenv("HUNTERBOT_TOKEN", "not-a-token")
		_, err := runStatusCapture(t, "--control", e.url)
		if !errors.Is(err, errCredentialsRejected) || strings.Contains(err.Error(), "not-a-token") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("wrong client secret", func(t *testing.T) {
		e.setLoginEnv(t)
		t.Setenv("HUNTERBOT_CLIENT_SECRET", "wrong")
		_, err := runStatusCapture(t, "--control", e.url)
		if !errors.Is(err, errCredentialsRejected) || strings.Contains(err.Error(), stPass) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there any more
		t.Setenv("HUNTERBOT_TOKEN", "x")
		_, err = runStatusCapture(t, "--control", "http://"+addr)
		if err == nil || !strings.Contains(err.Error(), "unreachable") || strings.Contains(err.Error(), "\n") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("partial credentials", func(t *testing.T) {
		t.Setenv("HUNTERBOT_CLIENT_ID", stClient)
		_, err := runStatusCapture(t, "--control", e.url)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "HUNTERBOT_PASSWORD") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		wd, _ := os.Getwd()
		if err := os.Chdir(t.TempDir()); err != nil { // no data/demo/demo.json here
			t.Fatal(err)
		}
		defer os.Chdir(wd)
		_, err := runStatusCapture(t)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "HUNTERBOT_TOKEN") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("bad flags", func(t *testing.T) {
		t.Setenv("HUNTERBOT_TOKEN", "x")
		for _, args := range [][]string{{"--control", "ftp://x"}, {"--stale", "0s"}, {"extra"}} {
			_, err := runStatusCapture(t, args...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Errorf("%v: err = %v, want a usage error", args, err)
			}
		}
	})
}

func TestWriteStatusTableEdgeCases(t *testing.T) {
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	recent := now.Add(-90 * time.Second)
	var buf bytes.Buffer
	err := writeStatusTable(&buf, []wire.Account{
		{Key: "never", State: ""},
		{Key: "fresh", State: "running", LastSeenAt: &recent, LastError: strings.Repeat("x", 200)},
	}, now, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if r := rowOf(t, out, "never"); !strings.Contains(r, "stale (unknown)") || !strings.Contains(r, "never") || !strings.Contains(r, "0/0") {
		t.Errorf("never-seen row = %q", r)
	}
	r := rowOf(t, out, "fresh")
	if strings.Contains(r, "stale") || !strings.Contains(r, "1m ago") || !strings.Contains(r, "…") || strings.Contains(r, strings.Repeat("x", 81)) {
		t.Errorf("fresh row = %q", r)
	}
}
