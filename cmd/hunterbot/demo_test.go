package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/demo"
	"github.com/hunterbot/hunterbot/internal/testwait"
)

func TestDemoRunsTheEmbeddedDefault(t *testing.T) {
	out := &syncBuffer{}
	saved := demoOut
	demoOut = out
	t.Cleanup(func() { demoOut = saved })

	port := freePorts(t, 3)
	base := fmt.Sprintf("127.0.0.1:%d", port)
	data := filepath.Join(t.TempDir(), "demo")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runDemo(ctx, []string{"--addr-base", base, "--data", data, "--speed", "120"}) }()

	// demo.json names every service and the operator's credentials.
	var info demo.Info
	deadline := testwait.Guard(t)
	for {
		raw, err := os.ReadFile(filepath.Join(data, "demo.json"))
		if err == nil && json.Unmarshal(raw, &info) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo.json never appeared: %v\n%s", err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if fi, err := os.Stat(filepath.Join(data, "demo.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("demo.json mode: %v %v", fi, err)
	}
	if info.ControlURL != "http://"+base || info.SimURL != fmt.Sprintf("http://127.0.0.1:%d", port+1) ||
		info.BrainURL != fmt.Sprintf("http://127.0.0.1:%d", port+2) || info.Password == "" || info.ClientSecret == "" {
		t.Fatalf("demo.json = %+v", info)
	}
	op := client.NewOperator(info.ControlURL, 10*time.Second)
	if _, err := op.Login(ctx, info.ClientID, info.ClientSecret, info.Username, info.Password); err != nil {
		t.Fatalf("operator login with demo.json credentials: %v", err)
	}
	resp, err := http.Get(info.SimURL + "/web/user/")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("sim login page: %v %v", resp, err)
	}
	resp.Body.Close()
	// The web console is served on the control plane's listener.
	resp, err = http.Get(info.ControlURL + "/ui/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `name="csrf"`) {
		t.Fatalf("console login page: %d %.300s", resp.StatusCode, page)
	}
	for !strings.Contains(out.String(), "greeted") {
		if time.Now().After(deadline) {
			t.Fatalf("no live summary line:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("demo returned %v after cancel", err)
	}
	if s := out.String(); !strings.Contains(s, info.SimURL+"/web/user/") || !strings.Contains(s, "hunterbot demo: stopped") {
		t.Fatalf("demo output:\n%s", s)
	}
}
