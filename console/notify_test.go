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

// The notification-task pages list tasks and each member's result (names
// escaped) and terminate a running task with the CSRF token and a reason;
// without the token nothing moves.
func TestNotifyPages(t *testing.T) {
	e := newEnv(t, nil)
	now := e.clock.Now()
	// One member talks to a worker's account (PENDING until delivered),
	// one reaches no conversation (FAILED at once).
	if err := e.db.PutWorker("w1", "worker-token-0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpsertContacts("w1", []wire.ContactInput{{Account: "acc1", CandidateID: "c1", Name: "张女士"}}); err != nil {
		t.Fatal(err)
	}
	task, err := e.db.CreateNotifyTask(wire.NotifyTaskInput{TaskName: "<i>杭州</i>新岗位", TaskType: wire.NotifyCustomerResourceReminder,
		Start: now.Add(-time.Minute), End: now.Add(time.Hour),
		Contents: []wire.NotifyContent{{ContentType: wire.ContentText, ContentValue: "您好 {{name}}"}},
		Members: []wire.NotifyMember{{UserID: "c1", Vars: map[string]string{"name": "张女士"}},
			{UserID: "no-such-candidate", Nickname: "<script>m</script>", Vars: map[string]string{"name": "x"}}}})
	if err != nil {
		t.Fatal(err)
	}
	c := client(t)
	creds := url.Values{"username": {testUser}, "password": {testPass}, "csrf": {getCSRF(t, c, e.url+"/ui/login")}}
	if got := post(t, c, e.url+"/ui/login", creds, ""); got != http.StatusSeeOther {
		t.Fatalf("login = %d", got)
	}
	get := func(path string) string {
		t.Helper()
		res, err := c.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, res.StatusCode)
		}
		return string(body)
	}
	list := get("/ui/notify")
	if !strings.Contains(list, "&lt;i&gt;杭州&lt;/i&gt;新岗位") || strings.Contains(list, "<i>杭州") {
		t.Fatal("task name not escaped on the list")
	}
	id := strconv.FormatUint(task.ID, 10)
	detail := get("/ui/notify/" + id)
	// The member reaches no conversation: FAILED at once, with the reason.
	if !strings.Contains(detail, "&lt;script&gt;m&lt;/script&gt;") || strings.Contains(detail, "<script>m") ||
		!strings.Contains(detail, string(wire.ExecFailed)) {
		t.Fatalf("executions not shown (escaped, FAILED):\n%.2000s", detail)
	}
	token := csrfRe.FindStringSubmatch(detail)[1]
	path := e.url + "/ui/notify/" + id + "/terminate"
	if got := post(t, c, path, url.Values{"reason": {"活动取消"}}, ""); got != http.StatusForbidden {
		t.Fatalf("terminate without CSRF = %d, want 403", got)
	}
	if got := post(t, c, path, url.Values{"csrf": {token}}, ""); got != http.StatusBadRequest {
		t.Fatalf("terminate without a reason = %d, want 400", got)
	}
	if got, _ := e.db.NotifyTask(task.ID); got.Status == wire.NotifyTerminated {
		t.Fatal("a refused request terminated the task")
	}
	if got := post(t, c, path, url.Values{"csrf": {token}, "reason": {"活动取消"}}, ""); got != http.StatusSeeOther {
		t.Fatalf("terminate = %d, want 303", got)
	}
	got, _ := e.db.NotifyTask(task.ID)
	if got.Status != wire.NotifyTerminated {
		t.Fatalf("status %s after terminate", got.Status)
	}
	if strings.Contains(get("/ui/notify/"+id), `id="terminate"`) {
		t.Fatal("an ended task still offers termination")
	}
	if res, err := c.Get(e.url + "/ui/notify/999"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("missing task: %v %v", res, err)
	}
}
