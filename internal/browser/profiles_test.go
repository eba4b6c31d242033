package browser

import (
	"context"
	"os"
	"path/filepath"
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
		if err := b.Close(); err != nil {
			t.Fatalf("close %d: %v", run, err)
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
