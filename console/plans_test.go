package console_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// The plans page lists the seed-002 plans by group (names escaped) and
// enables a draft with the CSRF token; without it nothing moves.
func TestPlansPage(t *testing.T) {
	e := newEnv(t, nil)
	g, err := e.db.CreateMNGroup("<b>春招</b>")
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()
	p, err := e.db.CreateMNPlan(wire.MNPlanInput{Options: wire.MNOptionDraft, Data: &wire.MNPlanData{Name: "<script>x</script>回访",
		GroupID: g.ID, StartTime: wire.SeedTime{Time: now.Add(-time.Hour)}, EndTime: wire.SeedTime{Time: now.Add(24 * time.Hour)}}})
	if err != nil {
		t.Fatal(err)
	}
	c := client(t)
	creds := url.Values{"username": {testUser}, "password": {testPass}, "csrf": {getCSRF(t, c, e.url+"/ui/login")}}
	if got := post(t, c, e.url+"/ui/login", creds, ""); got != http.StatusSeeOther {
		t.Fatalf("login = %d", got)
	}
	res, err := c.Get(e.url + "/ui/plans")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page := string(body)
	if !strings.Contains(page, "&lt;script&gt;x&lt;/script&gt;回访") || !strings.Contains(page, "&lt;b&gt;春招&lt;/b&gt;") || strings.Contains(page, "<script>x") {
		t.Fatalf("plan and group names not escaped on the plans page")
	}
	token := csrfRe.FindStringSubmatch(page)[1]
	path := e.url + "/ui/plans/" + strconv.FormatUint(p.ID, 10) + "/status"
	if got := post(t, c, path, url.Values{"status": {wire.MNPlanExecution}}, ""); got != http.StatusForbidden {
		t.Fatalf("status change without CSRF = %d, want 403", got)
	}
	if got := post(t, c, path, url.Values{"status": {wire.MNPlanExecution}, "csrf": {token}}, ""); got != http.StatusSeeOther {
		t.Fatalf("enable = %d, want 303", got)
	}
	if got, _ := e.db.GetMNPlan(p.ID); got.Status != wire.MNPlanExecution {
		t.Fatalf("plan status %s, want %s", got.Status, wire.MNPlanExecution)
	}
	// The plan's task counters, from the store's plan counters.
	if _, err := e.db.CreateMNTask(wire.MNTaskCreate{PlanID: p.ID, Name: "t", Members: []wire.NotifyMember{
		{UserID: "u1", Account: "nobody"}, {UserID: "u2", Account: "nobody"}}}); err != nil {
		t.Fatal(err)
	}
	res, err = c.Get(e.url + "/ui/plans")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `<td class="ptasks">1</td><td class="pmembers">2</td>`) {
		t.Fatalf("plans page lacks the task counters")
	}
	// A move the seed does not allow is a 400 naming the field.
	if got := post(t, c, path, url.Values{"status": {wire.MNPlanExecution}, "csrf": {token}}, ""); got != http.StatusBadRequest {
		t.Fatalf("enabling a running plan = %d, want 400", got)
	}
}
