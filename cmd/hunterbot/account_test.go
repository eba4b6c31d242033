package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/secret"
	"github.com/hunterbot/hunterbot/state"
)

// newAccountEnv is a real control plane with a secret key and the bot's
// spec validation, and operator credentials in the environment.
func newAccountEnv(t *testing.T) (string, *client.Worker) {
	t.Helper()
	dir := t.TempDir()
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clock.Real{}, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, err := range []error{db.PutUser(stUser, stPass), db.PutClient(stClient, stSecret), db.PutWorker(stWorker, stWorkTok)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	box, err := secret.New(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	s, err := api.NewServer(api.Options{Store: db, DataDir: dir, PublicURL: srv.URL, Secrets: box, ValidateAccount: bot.ValidateSpec})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	for _, k := range []string{"HUNTERBOT_TOKEN", "HUNTERBOT_ADMIN_USER", "HUNTERBOT_ADMIN_PASSWORD", "HUNTERBOT_CONTROL"} {
		t.Setenv(k, "")
	}
	t.Setenv("HUNTERBOT_CLIENT_ID", stClient)
	t.Setenv("HUNTERBOT_CLIENT_SECRET", stSecret)
	t.Setenv("HUNTERBOT_USER", stUser)
	t.Setenv("HUNTERBOT_PASSWORD", stPass)
	return srv.URL, client.NewWorker(srv.URL, stWorkTok, 5*time.Second)
}

func runAccountCmd(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	accountOut = &out
	t.Cleanup(func() { accountOut = os.Stdout })
	err := runAccount(context.Background(), append(append([]string{args[0]}, "--control", url), args[1:]...))
	return out.String(), err
}

func TestAccountCommands(t *testing.T) {
	url, wk := newAccountEnv(t)
	t.Setenv("SITE_PW", "pw-from-env-42")
	out, err := runAccountCmd(t, url, "add", "--key", "hr-1", "--platform-id", "9001", "--login", "password",
		"--username", "hr1", "--password-env", "SITE_PW", "--jobs", "job_boss_1=1:dev")
	if err != nil || !strings.Contains(out, "account hr-1 created") {
		t.Fatalf("add: %v %q", err, out)
	}
	if _, err := runAccountCmd(t, url, "add", "--key", "hr-2", "--platform-id", "9002", "--login", "password", "--username", "u"); err == nil ||
		!strings.Contains(err.Error(), "login.password") {
		t.Fatalf("add without password: %v", err)
	}
	if _, err := runAccountCmd(t, url, "add", "--key", "hr-2", "--platform-id", "9002", "--login", "qr", "--chat-poll", "often"); err == nil ||
		!strings.Contains(err.Error(), "chat_poll") {
		t.Fatalf("bad chat poll: %v", err)
	}
	// A worker pulls it: list and status show the worker and the lease.
	resp, err := wk.Assignment(context.Background(), wire.AssignmentRequest{MaxAccounts: 2})
	if err != nil || len(resp.Accounts) != 1 || resp.Accounts[0].Password != "pw-from-env-42" {
		t.Fatalf("pull: %v %+v", err, resp)
	}
	out, err = runAccountCmd(t, url, "list")
	if err != nil || !strings.Contains(out, "hr-1") || !strings.Contains(out, "managed") || !strings.Contains(out, stWorker+"#1") {
		t.Fatalf("list: %v\n%s", err, out)
	}
	var st bytes.Buffer
	statusOut = &st
	defer func() { statusOut = os.Stdout }()
	if err := runStatus(context.Background(), []string{"--control", url}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(st.String(), "LEASE") || !strings.Contains(st.String(), stWorker+"#1") || !strings.Contains(st.String(), "assigned: granted to "+stWorker) {
		t.Fatalf("status:\n%s", st.String())
	}
	out, err = runAccountCmd(t, url, "pause", "--reason", "lunch", "hr-1")
	if err != nil || !strings.Contains(out, "desired paused") {
		t.Fatalf("pause: %v %q", err, out)
	}
	// The worker reported today's counts: show and status --days print
	// them under the account.
	today := time.Now().In(clock.Shanghai).Format(time.DateOnly)
	if _, err := wk.Heartbeat(context.Background(), []wire.AccountStatus{{Key: "hr-1", Epoch: resp.Accounts[0].Epoch,
		Run: "r1", Days: []wire.DayCount{{Day: today, Greetings: 11, Messages: 12, Followups: 3, Contacts: 4, Replies: 5}}}}); err != nil {
		t.Fatal(err)
	}
	out, err = runAccountCmd(t, url, "show", "hr-1")
	var m wire.ManagedAccount
	dec := json.NewDecoder(strings.NewReader(out))
	if err != nil || dec.Decode(&m) != nil || m.Desired != "paused" || m.LastChange == nil || m.LastChange.Reason != "lunch" {
		t.Fatalf("show: %v %s", err, out)
	}
	dayLine := regexp.MustCompile(regexp.QuoteMeta(today) + `\s+11\s+12\s+3\s+4\s+5\n`)
	if !strings.Contains(out, "GREETINGS") || !dayLine.MatchString(out) {
		t.Fatalf("show without today's counters:\n%s", out)
	}
	if out, err := runAccountCmd(t, url, "show", "--days", "0", "hr-1"); err != nil || strings.Contains(out, "GREETINGS") {
		t.Fatalf("show --days 0: %v\n%s", err, out)
	}
	if _, err := runAccountCmd(t, url, "show", "--days", "31", "hr-1"); err == nil || !strings.Contains(err.Error(), "--days") {
		t.Fatalf("show --days 31: %v", err)
	}
	st.Reset()
	if err := runStatus(context.Background(), []string{"--control", url, "--days", "7"}); err != nil || !dayLine.MatchString(st.String()) {
		t.Fatalf("status --days 7: %v\n%s", err, st.String())
	}
	if strings.Contains(out, "pw-from-env-42") {
		t.Fatal("show printed the password")
	}
	for _, args := range [][]string{{"resume", "hr-1"}, {"move", "hr-1", "vm-2"}, {"stop", "hr-1"}, {"rm", "hr-1"}} {
		if _, err := runAccountCmd(t, url, args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	if _, err := runAccountCmd(t, url, "show", "hr-1"); err == nil {
		t.Fatal("removed account still shown")
	}
	if _, err := runAccountCmd(t, url, "move", "hr-1"); err == nil {
		t.Fatal("move without a worker accepted")
	}
}

// signalWriter is a buffer that signals each write.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func testQR(t *testing.T) []byte {
	// 4 modules of 5 px: dark, light / light, dark (diagonal) and a quiet row.
	img := image.NewGray(image.Rect(0, 0, 10, 15))
	for y := 0; y < 15; y++ {
		for x := 0; x < 10; x++ {
			img.SetGray(x, y, color.Gray{Y: 255})
			if (y < 5 && x < 5) || (y >= 5 && y < 10 && x >= 5) {
				img.SetGray(x, y, color.Gray{Y: 0})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestQRHalfBlocks(t *testing.T) {
	art, err := qrHalfBlocks(testQR(t))
	if err != nil {
		t.Fatal(err)
	}
	if art != "▀▄\n  \n" {
		t.Fatalf("art %q", art)
	}
	if _, err := qrHalfBlocks([]byte("not a png")); err == nil {
		t.Fatal("garbage decoded")
	}
}

func TestLoginShowsQRAndWaitsForRunning(t *testing.T) {
	url, wk := newAccountEnv(t)
	ctx := context.Background()
	if _, err := runAccountCmd(t, url, "add", "--key", "qr-1", "--platform-id", "7", "--login", "qr"); err != nil {
		t.Fatal(err)
	}
	resp, err := wk.Assignment(ctx, wire.AssignmentRequest{MaxAccounts: 1})
	if err != nil || len(resp.Accounts) != 1 {
		t.Fatalf("pull: %v %+v", err, resp)
	}
	ep := resp.Accounts[0].Epoch
	if err := wk.UploadQR(ctx, "qr-1", ep, testQR(t), time.Now().Add(time.Minute), false); err != nil {
		t.Fatal(err)
	}
	w := &signalWriter{wrote: make(chan struct{}, 1)}
	accountOut = w
	defer func() { accountOut = os.Stdout }()
	done := make(chan error, 1)
	go func() { done <- runLogin(ctx, []string{"--control", url, "--every", "20ms", "--wait", "5m", "qr-1"}) }()
	select {
	case <-w.wrote:
	case err := <-done:
		t.Fatalf("login ended before showing the QR: %v", err)
	}
	if !strings.Contains(w.String(), "▀▄") {
		t.Fatalf("no QR printed: %q", w.String())
	}
	// The human scans: the worker reports the login and the running state.
	if err := wk.UploadQR(ctx, "qr-1", ep, nil, time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := wk.Heartbeat(ctx, []wire.AccountStatus{{Key: "qr-1", State: "running", Epoch: ep}}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.String(), "account qr-1 is running") {
		t.Fatalf("login output: %q", w.String())
	}
}
