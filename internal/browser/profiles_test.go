package browser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseModeAndProfileDir(t *testing.T) {
	t.Setenv(EnvMode, "")
	for in, want := range map[string]string{"": ModeContexts, "contexts": ModeContexts, "profiles": ModeProfiles} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseMode("tabs"); err == nil {
		t.Error("ParseMode accepted an unknown mode")
	}
	t.Setenv(EnvMode, "profiles")
	if got, _ := ParseMode(""); got != ModeProfiles {
		t.Errorf("empty mode with %s=profiles gave %q", EnvMode, got)
	}
	for _, bad := range []string{"", "..", "a/b", `a\b`} {
		if _, err := ProfileDir("/root", bad); err == nil {
			t.Errorf("ProfileDir accepted account %q", bad)
		}
	}
}

// A profile survives its browser: closing keeps the directory (0700, even
// when it existed with a looser mode) and the next launch reuses it.
func TestLaunchProfileKeepsTheProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("launches Chromium")
	}
	if _, err := FindChromium(); err != nil {
		t.Skip(err)
	}
	root := t.TempDir()
	dir := filepath.Join(root, "acct01")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for run := 0; run < 2; run++ {
		b, err := LaunchProfile(ctx, Options{}, root, "acct01")
		if err != nil {
			t.Fatalf("launch %d: %v", run, err)
		}
		if b.DataDir() != dir {
			t.Fatalf("profile %s, want %s", b.DataDir(), dir)
		}
		owner, held := ProfileLock(dir)
		if !held || !strings.HasSuffix(owner, "-"+strconv.Itoa(b.PID())) {
			t.Fatalf("running browser %d: profile lock %q held=%v", b.PID(), owner, held)
		}
		// A second browser on a held profile is refused with the reason.
		if b2, err := LaunchProfile(ctx, Options{}, root, "acct01"); err == nil {
			_ = b2.Close()
			t.Fatal("a second browser launched on a profile in use")
		} else if !strings.Contains(err.Error(), "in use by "+owner) {
			t.Fatalf("second launch: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("close %d: %v", run, err)
		}
		// Close returns once the profile is free: no process on it and
		// Chromium's lock removed (a clean exit removes it).
		if left := ProcessesUsing(dir); len(left) != 0 {
			t.Fatalf("processes left on the profile after close: %v", left)
		}
		if _, err := os.Lstat(filepath.Join(dir, lockName)); !os.IsNotExist(err) {
			t.Fatalf("profile lock still there after close: %v", err)
		}
		st, err := os.Stat(dir)
		if err != nil {
			t.Fatalf("after close %d the profile is gone: %v", run, err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Fatalf("profile mode %v, want 0700", st.Mode().Perm())
		}
		if _, err := os.Stat(filepath.Join(dir, "Local State")); err != nil {
			t.Fatalf("Chromium wrote no profile state: %v", err)
		}
	}
}

// The lock is Chromium's SingletonLock symlink: held while its process on
// this host lives, stale (free) once that process is gone, held when it
// names another host or cannot be read.
func TestProfileLock(t *testing.T) {
	dir := t.TempDir()
	if _, held := ProfileLock(dir); held {
		t.Fatal("a profile without a lock is held")
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	for target, want := range map[string]bool{
		host + "-" + strconv.Itoa(os.Getpid()):      true,
		host + "-" + strconv.Itoa(dead.Process.Pid): false,
		"another-host-" + strconv.Itoa(os.Getpid()): true,
		"no-pid-here": true,
		host + "-0":   true,
		"nodash":      true,
	} {
		lock := filepath.Join(dir, lockName)
		_ = os.Remove(lock)
		if err := os.Symlink(target, lock); err != nil {
			t.Fatal(err)
		}
		if owner, held := ProfileLock(dir); held != want || owner != target {
			t.Errorf("lock -> %q: owner %q held %v, want held %v", target, owner, held, want)
		}
	}
}

// A killed browser (a crash) cannot clean up after itself: closing it
// still frees the profile and removes the profile socket's directory it
// left in $TMPDIR and its stale singleton links.
func TestClosingAKilledBrowserLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("launches Chromium")
	}
	if _, err := FindChromium(); err != nil {
		t.Skip(err)
	}
	root := t.TempDir()
	// A short $TMPDIR of the test's own: Chromium's socket path below it
	// must stay under the Unix limit, and other suites share /tmp.
	tmp, err := os.MkdirTemp("", "hb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b, err := LaunchProfile(ctx, Options{}, root, "acct01")
	if err != nil {
		t.Fatal(err)
	}
	dir := b.DataDir()
	sock, err := os.Readlink(filepath.Join(dir, socketName))
	if err != nil || !strings.HasPrefix(sock, tmp) {
		t.Fatalf("profile socket %q (%v), want it below %s", sock, err, tmp)
	}
	if err := syscall.Kill(b.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = b.Close() // the connection is gone: an error is expected
	if left := ProcessesUsing(dir); len(left) != 0 {
		t.Fatalf("processes left on the profile: %v", left)
	}
	if _, err := os.Stat(filepath.Dir(sock)); !os.IsNotExist(err) {
		t.Fatalf("the killed browser's socket directory is still there: %v", err)
	}
	for _, name := range []string{lockName, socketName, cookieName} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s still in the profile: %v", name, err)
		}
	}
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "leakless-") { // rod's guard binary, a cache by design
			t.Errorf("left in $TMPDIR: %s", e.Name())
		}
	}
	// The same profile launches again at once.
	b2, err := LaunchProfile(ctx, Options{}, root, "acct01")
	if err != nil {
		t.Fatalf("relaunch on the profile: %v", err)
	}
	if err := b2.Close(); err != nil {
		t.Fatal(err)
	}
}
