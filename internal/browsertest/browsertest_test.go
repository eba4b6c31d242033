package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-rod/rod/lib/proto"
)

func TestMain(m *testing.M) { Main(m) }

// Two tests' tabs must not share cookies: each gets its own browser context.
func TestPagesAreIsolated(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			http.SetCookie(w, &http.Cookie{Name: "wt2", Value: "secret", Path: "/"})
		}
		c, err := r.Cookie("wt2")
		v := "none"
		if err == nil {
			v = c.Value
		}
		fmt.Fprintf(w, "<html><body><p id=c>%s</p></body></html>", v)
	}))
	defer srv.Close()

	first := Page(t)
	first.MustNavigate(srv.URL + "/set").MustWaitLoad()
	first.MustNavigate(srv.URL + "/get").MustWaitLoad()
	if got := first.Timeout(5 * time.Second).MustElement("#c").MustText(); got != "secret" {
		t.Fatalf("cookie in the same context = %q, want secret", got)
	}
	second := Page(t)
	second.MustNavigate(srv.URL + "/get").MustWaitLoad()
	if got := second.Timeout(5 * time.Second).MustElement("#c").MustText(); got != "none" {
		t.Fatalf("cookie leaked into another context: %q", got)
	}
}

// Pages must carry the browser's own user agent, not rod's emulated device.
func TestPageKeepsBrowserUserAgent(t *testing.T) {
	page := Page(t)
	version, err := proto.BrowserGetVersion{}.Call(Browser(t).Rod())
	if err != nil {
		t.Fatal(err)
	}
	ua := page.MustEval(`() => navigator.userAgent`).String()
	if ua != version.UserAgent {
		t.Fatalf("page user agent %q differs from the browser's %q", ua, version.UserAgent)
	}
}
