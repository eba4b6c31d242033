package console_test

import (
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/cdp"
	"github.com/go-rod/rod/lib/proto"

	"github.com/hunterbot/hunterbot/console"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/httpserve"
	"github.com/hunterbot/hunterbot/state"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

const (
	testUser = "operator"
	testPass = "operator-password-1"
)

// env is a console on a real control.db in a temp dir, served over real
// HTTP on loopback.
type env struct {
	db    *state.DB
	con   *console.Console
	url   string
	clock clock.Clock
}

func newEnv(t *testing.T, clk clock.Clock) *env {
	t.Helper()
	if clk == nil {
		clk = clock.Real{}
	}
	db, err := state.Open(filepath.Join(t.TempDir(), "control.db"), state.Options{Clock: clk, BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.PutUser(testUser, testPass); err != nil {
		t.Fatal(err)
	}
	con, err := console.New(console.Options{Store: db, Clock: clk, SessionTTL: time.Hour, TempDir: t.TempDir(),
		EventEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, con: con, url: serve(t, console.Mount(http.NotFoundHandler(), con)), clock: clk}
}

// serve runs h on a loopback listener with the production timeouts.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httpserve.New(h, httpserve.Timeouts{})
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String()
}

// waitFor polls cond until it holds; the limit is a hang guard, not a
// performance budget.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(start) > 10*time.Minute {
			t.Fatalf("gave up waiting for %s", what)
		}
		<-tick.C
	}
}

// login fills the login form in page and waits for the fleet page.
func login(t *testing.T, page *rod.Page, base string) {
	t.Helper()
	page.MustNavigate(base + "/ui/fleet").MustWaitLoad()
	page.MustElement("#username").MustInput(testUser)
	page.MustElement("#password").MustInput(testPass)
	shot(t, page, "01-login")
	follow(t, page, "#login-submit")
	page.MustElement("#fleet")
}

// shot writes a PNG of page into $HUNTERBOT_SCREENSHOTS (docs/console/
// when refreshing the docs); without the variable it does nothing, so
// `make test` leaves the tree clean.
func shot(t *testing.T, page *rod.Page, name string) {
	t.Helper()
	dir := os.Getenv("HUNTERBOT_SCREENSHOTS")
	if dir == "" {
		return
	}
	// Not WaitStable: the fleet's event stream and the QR poll keep the
	// network busy for ever.
	page.MustWaitLoad()
	png, err := page.Screenshot(true, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// text returns the visible text of the first element matching sel.
func text(page *rod.Page, sel string) string {
	return strings.TrimSpace(page.MustElement(sel).MustText())
}

// follow clicks sel, which navigates (a link or a form), and waits for the
// new page to load: querying the page while it navigates fails. The wait is
// for a new document, marked by the old one's missing flag: a lifecycle
// event of the previous load (network idle comes late on a busy machine)
// must not count as the click's navigation.
//
// The check is evaluated in whichever document the tab holds, so while the
// old one is torn down it can fail with a navigation error (the CDP call
// raced the swap): that means "not there yet" and the poll goes on; any
// other error fails the test.
func follow(t *testing.T, page *rod.Page, sel string) {
	t.Helper()
	page.MustEval(`() => { window.__beforeFollow = true }`)
	page.MustElement(sel).MustClick()
	waitFor(t, "the page "+sel+" leads to", func() bool {
		res, err := page.Eval(`() => window.__beforeFollow !== true && document.readyState === "complete"`)
		if err != nil {
			if navigating(err) {
				return false
			}
			t.Fatalf("following %s: %v", sel, err)
		}
		return res.Value.Bool()
	})
}

// navigating reports whether err is one of the errors Chromium answers a
// Runtime call with while the tab swaps documents.
func navigating(err error) bool {
	var ce *cdp.Error
	if !errors.As(err, &ce) || ce.Code != -32000 {
		return false
	}
	switch ce.Message {
	case "Inspected target navigated or closed", cdp.ErrCtxDestroyed.Message, cdp.ErrCtxNotFound.Message:
		return true
	}
	return false
}
