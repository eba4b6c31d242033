package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/testwait"
)

// waitListening waits (polling, bounded) until addr accepts connections.
func waitListening(t *testing.T, addr string, done <-chan error) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := testwait.Guard(t)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		select {
		case err := <-done:
			t.Fatalf("server exited: %v", err)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listening on %s", addr)
		}
	}
}

// shedsSlowClients checks that the server on addr closes a connection that
// trickles a body and one that idles after a request.
func shedsSlowClients(t *testing.T, addr, path string) {
	t.Helper()
	for _, c := range []struct{ what, req string }{
		{"trickled body", "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"a\":"},
		{"idle keep-alive", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, c.req)
		// Whatever the server answers, it must then close the connection;
		// the 20 s read deadline only guards against a hang.
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err = io.ReadAll(conn)
		conn.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("%s: the server kept the connection open", c.what)
		}
	}
}

// `hunterbot serve` applies the config's timeouts: a trickled body and an
// idle keep-alive are shed.
func TestServeShedsSlowClients(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "control.yaml")
	os.WriteFile(cfg, []byte("timeouts:\n  read: 300ms\n  idle: 300ms\n"), 0o600)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--config", cfg, "--addr", addr, "--data", filepath.Join(dir, "data")})
	}()
	waitListening(t, addr, done)
	shedsSlowClients(t, addr, "/oauth/token")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// `hunterbot brain` applies server.timeouts, and refuses to listen beyond
// loopback without a token.
func TestBrainShedsSlowClientsAndRefusesOpenExposure(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "brain.yaml")
	os.WriteFile(cfg, []byte("server:\n  timeouts:\n    read: 300ms\n    idle: 300ms\n"), 0o600)
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runBrain(ctx, []string{"--config", cfg, "--addr", addr, "--data", filepath.Join(dir, "brain"), "--log-level", "warn"})
	}()
	waitListening(t, addr, done)
	shedsSlowClients(t, addr, "/api/task/fetch")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	for _, a := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		err := runBrain(context.Background(), []string{"--addr", a, "--data", filepath.Join(dir, "brain2")})
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), server.ErrExposedWithoutToken.Error()) {
			t.Fatalf("--addr %s without a token: %v", a, err)
		}
	}
}
