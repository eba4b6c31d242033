// Package browser launches the Debian Chromium that hunterbot drives with
// go-rod. It never lets rod download a browser: the binary is found on the
// machine (HUNTERBOT_CHROMIUM, then the usual Debian paths) or the launch
// fails with an error saying how to install it.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/launcher"
	"github.com/go-rod/rod/lib/proto"
)

// ErrNoChromium means no Chromium binary was found on this machine.
var ErrNoChromium = errors.New("chromium not found: install it with `apt-get install -y chromium` (or `make deps`), or set HUNTERBOT_CHROMIUM")

// EnvBin names the environment variable that overrides the Chromium path.
const EnvBin = "HUNTERBOT_CHROMIUM"

// candidates are tried in order after EnvBin.
var candidates = []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}

// FindChromium returns the path of the Chromium binary to drive.
func FindChromium() (string, error) {
	if p := os.Getenv(EnvBin); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBin, p, ErrNoChromium)
		}
		return p, nil
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", ErrNoChromium
}

// Options configures Launch.
type Options struct {
	// Bin is the Chromium binary; empty means FindChromium.
	Bin string
	// Show runs a visible window instead of headless (debugging only).
	Show bool
	// UserDataDir is the profile directory. Empty means a fresh temporary
	// directory that Close removes.
	UserDataDir string
}

// Browser is a launched Chromium process and the rod connection to it.
type Browser struct {
	rod      *rod.Browser
	launcher *launcher.Launcher
	dataDir  string
	ownsDir  bool
}

// Launch starts Chromium and connects to it. ctx bounds the start-up only;
// the browser lives until Close.
func Launch(ctx context.Context, opts Options) (*Browser, error) {
	bin := opts.Bin
	if bin == "" {
		var err error
		if bin, err = FindChromium(); err != nil {
			return nil, err
		}
	}
	dir, owns := opts.UserDataDir, false
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "hunterbot-chromium-"); err != nil {
			return nil, fmt.Errorf("browser profile dir: %w", err)
		}
		owns = true
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("browser profile dir: %w", err)
	}
	l := launcher.New().
		Bin(bin).
		UserDataDir(dir).
		Headless(!opts.Show).
		// Root (CI, containers) cannot use the setuid sandbox.
		NoSandbox(os.Geteuid() == 0).
		// The machine's network is closed: background services would only
		// spin on refused connections.
		Set("disable-gpu").
		Set("disable-quic").
		Set("disable-component-update").
		Set("no-default-browser-check").
		// The "controlled by automated software" infobar and flag are not
		// part of a recruiter's normal browser.
		Delete("enable-automation")

	type result struct {
		url string
		err error
	}
	done := make(chan result, 1)
	go func() {
		u, err := l.Launch()
		done <- result{u, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		l.Kill()
		cleanup(l, dir, owns)
		return nil, fmt.Errorf("launch chromium: %w", ctx.Err())
	}
	if res.err != nil {
		cleanup(l, dir, owns)
		return nil, fmt.Errorf("launch chromium %s: %w", bin, res.err)
	}
	// NoDefaultDevice keeps the browser's real user agent and viewport instead
	// of rod's emulated laptop device. The connection's context must outlive
	// start-up: rod's event hub lives as long as it, so ctx only bounds the
	// wait for Connect below.
	rb := rod.New().ControlURL(res.url).NoDefaultDevice()
	connected := make(chan error, 1)
	go func() { connected <- rb.Connect() }()
	select {
	case err := <-connected:
		if err != nil {
			l.Kill()
			cleanup(l, dir, owns)
			return nil, fmt.Errorf("connect to chromium: %w", err)
		}
	case <-ctx.Done():
		l.Kill()
		cleanup(l, dir, owns)
		return nil, fmt.Errorf("connect to chromium: %w", ctx.Err())
	}
	return &Browser{rod: rb, launcher: l, dataDir: dir, ownsDir: owns}, nil
}

func cleanup(l *launcher.Launcher, dir string, owns bool) {
	// A browser that crashed or was killed leaves its profile socket's
	// directory in $TMPDIR: a worker relaunching browsers for months would
	// fill /tmp with them.
	defer removeStaleSocketDir(dir)()
	if owns {
		l.Cleanup() // waits for the exit and removes the directory
		_ = os.RemoveAll(dir)
		return
	}
	// rod's Cleanup would remove the user-data-dir too: a kept profile
	// (profile_dir, profiles mode) only waits for its processes to exit.
	waitProfileFree(l.PID(), dir, exitWait)
}

// Rod returns the rod handle of the whole browser (the default context).
func (b *Browser) Rod() *rod.Browser { return b.rod }

// PID is the browser's process id.
func (b *Browser) PID() int { return b.launcher.PID() }

// DataDir is the profile directory of this browser.
func (b *Browser) DataDir() string { return b.dataDir }

// Ping checks that the browser still answers CDP within d.
func (b *Browser) Ping(ctx context.Context, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if _, err := (proto.BrowserGetVersion{}).Call(b.rod.Context(ctx)); err != nil {
		return fmt.Errorf("browser ping: %w", err)
	}
	return nil
}

// NewContext opens an isolated browser context (separate cookies and
// storage), the unit hunterbot gives each recruiter account.
func (b *Browser) NewContext() (*rod.Browser, error) {
	ctxBrowser, err := b.rod.Incognito()
	if err != nil {
		return nil, fmt.Errorf("new browser context: %w", err)
	}
	return ctxBrowser, nil
}

// Close shuts the browser down, waits for the process to exit and removes a
// temporary profile directory.
func (b *Browser) Close() error {
	err := b.rod.Close()
	if err != nil {
		// The connection is gone or the browser hung: make sure the
		// process does not outlive us.
		b.launcher.Kill()
	}
	cleanup(b.launcher, b.dataDir, b.ownsDir)
	return err
}
