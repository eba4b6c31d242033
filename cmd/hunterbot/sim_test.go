package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/testwait"
)

func TestSimCommandRejectsBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("start: 2026-03-02T09:00:00+08:00\naccounts: []\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := runSim(context.Background(), []string{"--scenario", bad, "--addr", "127.0.0.1:0"})
	if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), `"bogus"`) {
		t.Fatalf("bad scenario: %v", err)
	}
	var ue usageError
	if err := runSim(context.Background(), []string{"--speed", "0"}); !errors.As(err, &ue) {
		t.Fatalf("--speed 0: %v", err)
	}
	if err := runDemo(context.Background(), []string{"--addr-base", "nohost"}); !errors.As(err, &ue) {
		t.Fatalf("bad --addr-base: %v", err)
	}
}

// syncBuffer collects the demo's output across goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestSimCommandServesAndStops(t *testing.T) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runSim(ctx, []string{"--addr", addr, "--speed", "3600", "--seed", "9", "--log-level", "warn"})
	}()
	deadline := testwait.Guard(t)
	for {
		resp, err := http.Get("http://" + addr + "/__sim/truth")
		if err == nil {
			var tr struct {
				Seed int64 `json:"seed"`
			}
			err = json.NewDecoder(resp.Body).Decode(&tr)
			resp.Body.Close()
			if err != nil || tr.Seed != 9 {
				t.Fatalf("truth: %v seed %d", err, tr.Seed)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sim never answered on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("sim returned %v after cancel", err)
	}
}
