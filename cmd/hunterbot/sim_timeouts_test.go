package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `hunterbot sim` applies the scenario's server.timeouts: a trickled body
// and an idle keep-alive are shed; a negative timeout is refused naming
// the key.
func TestSimShedsSlowClients(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("..", "..", "configs", "sim-demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	scenario := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(scenario, append(base, "\nserver:\n  timeouts:\n    read: 300ms\n    idle: 300ms\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runSim(ctx, []string{"--scenario", scenario, "--addr", addr, "--log-level", "warn"})
	}()
	waitListening(t, addr, done)
	shedsSlowClients(t, addr, "/wapi/zppassport/login/account")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, append(base, "\nserver:\n  timeouts:\n    write: -1s\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	err = runSim(context.Background(), []string{"--scenario", bad, "--addr", "127.0.0.1:0", "--log-level", "warn"})
	if err == nil || !strings.Contains(err.Error(), "server.timeouts.write") {
		t.Fatalf("negative server.timeouts.write: %v, want an error naming the key", err)
	}
}
