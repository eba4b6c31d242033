package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Browser modes of a worker (bot.BrowserConfig.Mode).
const (
	// ModeContexts runs one Chromium per worker and one isolated browser
	// context per account (cheap; every account is a fresh incognito-like
	// context after each browser start).
	ModeContexts = "contexts"
	// ModeProfiles runs one Chromium per account on a persistent profile
	// directory of its own, kept across restarts, so an account always
	// appears as the same long-lived browser.
	ModeProfiles = "profiles"
)

// EnvMode names the environment variable that chooses the mode when the
// worker config leaves browser.mode empty (CI runs the suite both ways).
const EnvMode = "HUNTERBOT_BROWSER_MODE"

// ParseMode checks a mode name; empty means EnvMode, then ModeContexts.
func ParseMode(m string) (string, error) {
	if m == "" {
		m = os.Getenv(EnvMode)
	}
	switch m {
	case "", ModeContexts:
		return ModeContexts, nil
	case ModeProfiles:
		return ModeProfiles, nil
	}
	return "", fmt.Errorf("want %s or %s, got %q", ModeContexts, ModeProfiles, m)
}

// ProfileDir is the persistent profile directory of account under root.
func ProfileDir(root, account string) (string, error) {
	if account == "" || strings.ContainsAny(account, `/\`) || account == "." || account == ".." {
		return "", fmt.Errorf("profile of account %q: not a usable directory name", account)
	}
	return filepath.Join(root, account), nil
}

// LaunchProfile starts a Chromium of its own on account's persistent
// profile under root, creating it 0700 (it holds the account's cookies).
// The directory is never removed: the next launch finds the same profile.
func LaunchProfile(ctx context.Context, opts Options, root, account string) (*Browser, error) {
	dir, err := ProfileDir(root, account)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("browser profile dir: %w", err)
	}
	// A Chromium started on a profile another live Chromium holds hands
	// its window to that one and exits, which rod reports only as a launch
	// failure after a while: say what is wrong instead.
	if owner, locked := ProfileLock(dir); locked {
		return nil, fmt.Errorf("browser profile %s: in use by %s (another worker or a Chromium left running?)", dir, owner)
	}
	// MkdirAll leaves an existing directory's mode alone.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("browser profile dir: %w", err)
	}
	opts.UserDataDir = dir
	return Launch(ctx, opts)
}

// exitWait bounds how long closing a browser on a kept profile waits for
// its processes to exit (they must be gone before the profile is reused).
const exitWait = 15 * time.Second

// waitProfileFree waits until no process uses the profile dir and
// Chromium's profile lock is released: the browser process, then its
// helpers (the crashpad handler, zygotes), which can outlive it for a
// moment and would make the next Chromium on the profile refuse it.
// Stragglers still there after d are killed; the lock they leave is stale
// (its process is gone), which the next Chromium takes over.
func waitProfileFree(pid int, dir string, d time.Duration) {
	deadline := time.Now().Add(d)
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for time.Now().Before(deadline) {
		mainGone := pid <= 0 || errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
		if _, locked := ProfileLock(dir); mainGone && !locked && len(ProcessesUsing(dir)) == 0 {
			return
		}
		<-t.C
	}
	for _, p := range ProcessesUsing(dir) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// Chromium's profile singleton: SingletonSocket in the user-data-dir links
// to a socket in a directory of its own under $TMPDIR
// (org.chromium.Chromium.XXXXXX), which the browser removes when it exits
// cleanly, together with the links.
const (
	socketName   = "SingletonSocket"
	cookieName   = "SingletonCookie"
	socketDirPfx = "org.chromium.Chromium."
)

// removeStaleSocketDir reads where dir's profile socket lives now, while
// the browser may still run, and returns what removes that directory and
// the profile's singleton links once the browser is gone: a clean exit
// removed them already, a killed browser could not. Nothing is removed
// while a live Chromium holds the profile.
func removeStaleSocketDir(dir string) func() {
	sock, err := os.Readlink(filepath.Join(dir, socketName))
	return func() {
		if _, held := ProfileLock(dir); held {
			return
		}
		if err == nil && strings.HasPrefix(filepath.Base(filepath.Dir(sock)), socketDirPfx) {
			_ = os.RemoveAll(filepath.Dir(sock))
		}
		for _, name := range []string{lockName, socketName, cookieName} {
			p := filepath.Join(dir, name)
			if st, err := os.Lstat(p); err == nil && st.Mode()&os.ModeSymlink != 0 {
				_ = os.Remove(p)
			}
		}
	}
}

// lockName is Chromium's profile lock in a user-data-dir: a symbolic link
// to "<hostname>-<pid>" of the browser holding the profile, removed when
// that browser exits cleanly.
const lockName = "SingletonLock"

// ProfileLock reports whether a live Chromium holds the profile dir, and
// which ("<hostname>-<pid>"). A lock left by a process that is gone (a
// killed browser) is stale and not held: Chromium takes it over. A lock
// naming another host, or one that cannot be parsed, counts as held: its
// process cannot be checked from here.
func ProfileLock(dir string) (owner string, held bool) {
	target, err := os.Readlink(filepath.Join(dir, lockName))
	if err != nil {
		return "", false // no lock (or not Chromium's symlink)
	}
	i := strings.LastIndexByte(target, '-')
	if i < 0 {
		return target, true
	}
	if host, err := os.Hostname(); err != nil || target[:i] != host {
		return target, true
	}
	pid, err := strconv.Atoi(target[i+1:])
	if err != nil || pid <= 0 {
		return target, true
	}
	// Any answer but "no such process" (EPERM: another user's) is alive.
	return target, !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// ProcessesUsing lists the live processes whose command line mentions dir
// (a profile directory is unique to one browser, so these are its
// processes). Zombies, whose command line is empty, are not listed.
func ProcessesUsing(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.Contains(string(cmd), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}
