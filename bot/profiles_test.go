package bot

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// One profile never gets two browsers in a worker: a slot holds its
// account key until released (a managed account re-assigned before its
// previous run wound down is refused and retried at the next pull), and a
// key that cannot name a directory gets no slot.
func TestProfileSlotsAreExclusive(t *testing.T) {
	rt := &Runtime{cfg: &Config{Browser: BrowserConfig{ProfilesDir: t.TempDir()}}, opts: RuntimeOptions{Log: zerolog.Nop()}}
	s, err := rt.newSlot("acct-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.newSlot("acct-1"); err == nil || !strings.Contains(err.Error(), "still in use") {
		t.Fatalf("second slot on a profile in use: %v", err)
	}
	other, err := rt.newSlot("acct-2")
	if err != nil {
		t.Fatalf("another account's slot: %v", err)
	}
	s.release()
	s.release() // idempotent
	again, err := rt.newSlot("acct-1")
	if err != nil {
		t.Fatalf("slot after release: %v", err)
	}
	// A stale release (the old slot's) does not free the new holder.
	s.release()
	if _, err := rt.newSlot("acct-1"); err == nil {
		t.Fatal("the old slot's release freed the new slot's profile")
	}
	again.release()
	other.release()
	for _, bad := range []string{"..", "a/b", `a\b`, ""} {
		if _, err := rt.newSlot(bad); err == nil {
			t.Errorf("slot for account key %q", bad)
		}
	}
}

// A slot whose launch cannot start (its turn is never given, the account's
// lease ends) returns the context's error without launching anything.
func TestProfileSlotOpenHonoursTheContext(t *testing.T) {
	rt := &Runtime{cfg: &Config{Browser: BrowserConfig{ProfilesDir: t.TempDir()}}, opts: RuntimeOptions{Log: zerolog.Nop()}}
	for range launchParallel {
		rt.launchTurn() <- struct{}{} // every launch turn taken
	}
	s, err := rt.newSlot("acct-1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.open(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("open with an ended context: %v", err)
	}
	if s.browser() != nil {
		t.Fatal("a browser was launched")
	}
}
