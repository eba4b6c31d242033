package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/browsertest"
)

// Opening a conversation with unread messages clears the row's and the
// menu's unread badges by itself, as on the real site. Here the page has
// nothing else that would re-read its list (the push channel is off and
// page_refresh is an hour), so only its reaction to reading can clear
// them. The chat page used to leave them until the next list poll, which
// with the push channel up is 30 s away: under load the end-to-end test
// opened the row after the first 1.5 s poll and its wait for the badges
// gave up first.
func TestOpeningAConversationClearsItsBadges(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end browser test skipped in -short mode")
	}
	h := newHarness(t, 21, func(sc *Scenario) {
		sc.PageRefresh = time.Hour
		sc.Accounts[0].Candidates = []ExplicitCandidate{{Job: 1001, Name: "李雷", Gender: "male", Persona: PersonaEager}}
	})
	h.sim.SetPush(false)
	h.login()
	var gid int64
	for _, c := range h.geekList(1001, 1).ZPData.GeekList {
		if c.GeekCard.GeekName == "李雷" {
			if env := h.greet(c); env.Code != 0 {
				t.Fatalf("greet: %+v", env)
			}
			gid = c.GeekCard.GeekID
		}
	}
	if gid == 0 {
		t.Fatal("李雷 is not on the first recommend page")
	}
	h.advance(10 * time.Minute) // the eager candidate answers: one unread
	if fr := call[FriendList](h, "GET", "/wapi/zprelation/friend/getBossFriendListV2.json", nil).ZPData; fr.UnreadAll != 1 {
		t.Fatalf("%d unread after the reply delay, want 1", fr.UnreadAll)
	}

	p := browsertest.Page(t)
	loginUI(t, p, h.srv.URL)
	row := fmt.Sprintf(`div.geek-item[data-id="%d-0"]`, gid)
	waitJS(t, p, "the unread badges", `(row) => document.querySelector(row + " span.badge-count")?.textContent === "1" &&
		document.querySelector("span.menu-chat-badge")?.textContent === "1"`, row)
	click(t, element(t, p, row), "the conversation row")
	waitJS(t, p, "the badges to clear", `() => !document.querySelector("span.badge-count") && !document.querySelector("span.menu-chat-badge")`)
	env := call[FriendList](h, "GET", "/wapi/zprelation/friend/getBossFriendListV2.json", nil)
	if env.Code != 0 || env.ZPData.UnreadAll != 0 {
		t.Fatalf("friend list after the page read the conversation: code %d, %d unread", env.Code, env.ZPData.UnreadAll)
	}
}
