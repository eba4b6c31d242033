// Package browsertest gives end-to-end tests one shared headless Chromium per
// test binary and a fresh, isolated tab per test, in the manner of chromedp's
// own tests. Main fails the run when a test leaves a tab open or the browser
// leaves processes or its profile directory behind.
//
// Usage:
//
//	func TestMain(m *testing.M) { browsertest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		page := browsertest.Page(t)
//		...
//	}
package browsertest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"

	"github.com/hunterbot/hunterbot/internal/browser"
)

var shared struct {
	once sync.Once
	b    *browser.Browser
	err  error
}

func launch() (*browser.Browser, error) {
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		shared.b, shared.err = browser.Launch(ctx, browser.Options{})
	})
	return shared.b, shared.err
}

// Browser returns the shared browser, launching it on first use. A machine
// without Chromium fails the test with the install hint.
func Browser(t testing.TB) *browser.Browser {
	t.Helper()
	b, err := launch()
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	return b
}

// Context returns a new isolated browser context (own cookies and storage)
// that is closed when the test ends.
func Context(t testing.TB) *rod.Browser {
	t.Helper()
	ctxBrowser, err := Browser(t).NewContext()
	if err != nil {
		t.Fatalf("browsertest: %v", err)
	}
	t.Cleanup(func() { _ = ctxBrowser.Close() })
	return ctxBrowser
}

// Page returns a blank tab in a new isolated browser context. The tab and
// its context are closed when the test ends; its calls are cancelled then.
func Page(t testing.TB) *rod.Page {
	t.Helper()
	ctxBrowser := Context(t)
	page, err := ctxBrowser.Page(proto.TargetCreateTarget{URL: "about:blank"})
	if err != nil {
		t.Fatalf("browsertest: new page: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		_ = page.Close()
	})
	return page.Context(ctx)
}

// Main runs the tests, then closes the shared browser and fails the run on
// leaked tabs, browser processes or profile directories.
func Main(m *testing.M) {
	code := m.Run()
	if shared.b != nil {
		if problems := shutdown(shared.b); len(problems) > 0 {
			for _, p := range problems {
				fmt.Fprintln(os.Stderr, "browsertest: leak:", p)
			}
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

func shutdown(b *browser.Browser) []string {
	var problems []string
	if pages, err := b.Rod().Pages(); err == nil {
		for _, p := range pages {
			info, err := p.Info()
			if err == nil && info.URL != "about:blank" {
				problems = append(problems, "tab left open: "+info.URL)
			}
		}
	}
	dir := b.DataDir()
	if err := b.Close(); err != nil {
		problems = append(problems, "close browser: "+err.Error())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := ProcessesUsing(dir)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			problems = append(problems, fmt.Sprintf("chromium processes still running: %v", left))
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := os.Stat(dir); err == nil {
		problems = append(problems, "profile directory left behind: "+dir)
	}
	return problems
}

// ProcessesUsing lists the pids whose command line mentions dir (a browser
// profile directory is unique to one browser, so this finds its processes).
func ProcessesUsing(dir string) []int { return browser.ProcessesUsing(dir) }
