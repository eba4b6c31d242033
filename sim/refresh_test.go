package sim

import (
	"io"
	"strings"
	"testing"
	"time"
)

// page_refresh sets the chat page's polling period while the push channel
// is down (default 1.5s) and is refused below 100ms, naming the key.
func TestPageRefresh(t *testing.T) {
	for _, c := range []struct {
		set  time.Duration
		want string
	}{{0, " 1500 );"}, {7 * time.Second, " 7000 );"}} {
		h := newHarness(t, 1, func(sc *Scenario) { sc.PageRefresh = c.set })
		h.login()
		resp := h.get("/web/chat/index")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "poll();},pushUp?30000:"+c.want) {
			t.Errorf("page_refresh %v: the chat page does not poll with %q", c.set, c.want)
		}
	}
	_, err := ParseScenario([]byte(testScenario+"page_refresh: 10ms\n"), "t.yaml")
	if err == nil || !strings.Contains(err.Error(), "page_refresh: must be at least 100ms") {
		t.Fatalf("page_refresh 10ms: %v", err)
	}
}
