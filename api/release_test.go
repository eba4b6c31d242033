package api_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/state"
)

const otherWorkerTk = "other-worker-token-0123456789"

// registerAccount reports account key as running for the worker with tok.
func (e *env) registerAccount(tok, key string) {
	e.t.Helper()
	code, body := e.callAs(tok, "POST", "/api/worker/heartbeat", `{"accounts":[{"key":"`+key+`","state":"running"}]}`)
	if code != 200 {
		e.t.Fatalf("heartbeat %s: %d %s", key, code, body)
	}
}

func wantErr(t *testing.T, what string, code int, body []byte, wantCode int, field string) {
	t.Helper()
	if code != wantCode {
		t.Fatalf("%s: status %d, want %d (%s)", what, code, wantCode, body)
	}
	if field == "" {
		return
	}
	var e struct{ Detail, Field string }
	mustJSON(t, body, &e)
	if e.Field != field {
		t.Fatalf("%s: field %q, want %q (%s)", what, e.Field, field, body)
	}
}

// TestReleaseCommandFlow: an operator's release is queued for the worker
// owning the account, only that worker sees it, a second release of the
// same open conversation does not duplicate it, acks are idempotent, and a
// closed command is gone from the worker's list.
func TestReleaseCommandFlow(t *testing.T) {
	e := newEnv(t)
	if err := e.db.PutWorker("worker-002", otherWorkerTk); err != nil {
		t.Fatal(err)
	}
	e.registerAccount(testWorkerTk, "boss-a")
	e.registerAccount(otherWorkerTk, "boss-b")

	// A candidate id with a slash and a space survives path escaping.
	path := "/api/accounts/boss-a/conversations/geek%2F1%20x/release"
	code, body := e.call("POST", path, `{"note":"talked to him by phone"}`)
	if code != http.StatusAccepted {
		t.Fatalf("release: %d %s", code, body)
	}
	var cmd wire.Command
	mustJSON(t, body, &cmd)
	if cmd.ID == 0 || cmd.Kind != "release" || cmd.Account != "boss-a" || cmd.CandidateID != "geek/1 x" ||
		cmd.Status != wire.CommandPending || cmd.Note != "talked to him by phone" || cmd.RequestedBy != testUser || cmd.AckedAt != nil {
		t.Fatalf("command = %+v", cmd)
	}
	// Releasing again while open returns the same command, 200.
	code, body = e.call("POST", path, "")
	var again wire.Command
	mustJSON(t, body, &again)
	if code != http.StatusOK || again.ID != cmd.ID {
		t.Fatalf("second release: %d %s", code, body)
	}
	// Another conversation and another account's conversation.
	if code, body := e.call("POST", "/api/accounts/boss-a/conversations/geek-2/release", `{}`); code != 202 {
		t.Fatalf("release geek-2: %d %s", code, body)
	}
	if code, body := e.call("POST", "/api/accounts/boss-b/conversations/geek-9/release", ``); code != 202 {
		t.Fatalf("release boss-b: %d %s", code, body)
	}

	pull := func(tok string) []wire.Command {
		t.Helper()
		code, body := e.callAs(tok, "GET", "/api/worker/commands", "")
		if code != 200 {
			t.Fatalf("commands: %d %s", code, body)
		}
		var out wire.CommandsResponse
		mustJSON(t, body, &out)
		return out.Commands
	}
	mine := pull(testWorkerTk)
	if len(mine) != 2 || mine[0].ID != cmd.ID || mine[1].CandidateID != "geek-2" {
		t.Fatalf("worker-001 commands = %+v", mine)
	}
	if theirs := pull(otherWorkerTk); len(theirs) != 1 || theirs[0].Account != "boss-b" {
		t.Fatalf("worker-002 commands = %+v", theirs)
	}

	// The other worker cannot ack worker-001's command.
	ackPath := "/api/worker/commands/" + itoa(cmd.ID) + "/ack"
	code, body = e.callAs(otherWorkerTk, "POST", ackPath, `{"done":true}`)
	wantErr(t, "foreign ack", code, body, 404, "")

	code, body = e.callAs(testWorkerTk, "POST", ackPath, `{"done":true}`)
	var acked wire.Command
	mustJSON(t, body, &acked)
	if code != 200 || acked.Status != wire.CommandDone || acked.WorkerID != testWorker || acked.AckedAt == nil {
		t.Fatalf("ack: %d %s", code, body)
	}
	// Idempotent: a replayed ack (even with another outcome) keeps the first.
	e.clk.Advance(time.Minute)
	code, body = e.callAs(testWorkerTk, "POST", ackPath, `{"done":false,"reason":"late replay"}`)
	var replay wire.Command
	mustJSON(t, body, &replay)
	if code != 200 || replay.Status != wire.CommandDone || replay.Reason != "" || !replay.AckedAt.Equal(*acked.AckedAt) {
		t.Fatalf("replayed ack: %d %s", code, body)
	}
	// A failed ack records the reason.
	code, body = e.callAs(testWorkerTk, "POST", "/api/worker/commands/"+itoa(mine[1].ID)+"/ack", `{"done":false,"reason":"conversation not found"}`)
	if code != 200 || !strings.Contains(string(body), `"status":"failed"`) || !strings.Contains(string(body), "conversation not found") {
		t.Fatalf("failed ack: %d %s", code, body)
	}
	if left := pull(testWorkerTk); len(left) != 0 {
		t.Fatalf("acked commands still listed: %+v", left)
	}
	// Once closed, a new release of the same conversation is a new command.
	code, body = e.call("POST", path, "")
	var fresh wire.Command
	mustJSON(t, body, &fresh)
	if code != 202 || fresh.ID == cmd.ID {
		t.Fatalf("release after close: %d %s", code, body)
	}

	// Commands follow the account: when worker-002 takes boss-a over, it
	// gets boss-a's open command and worker-001 no longer does.
	e.registerAccount(otherWorkerTk, "boss-a")
	if got := pull(otherWorkerTk); len(got) != 2 || got[0].Account != "boss-b" || got[1].ID != fresh.ID {
		t.Fatalf("after takeover worker-002 = %+v", got)
	}
	if got := pull(testWorkerTk); len(got) != 0 {
		t.Fatalf("after takeover worker-001 = %+v", got)
	}
}

func itoa(v uint64) string { b, _ := json.Marshal(v); return string(b) }

// TestReleaseBadInput: unknown account 404, bad fields 400 naming them,
// auth on every route, and nothing is queued by a rejected request.
func TestReleaseBadInput(t *testing.T) {
	e := newEnv(t)
	e.registerAccount(testWorkerTk, "boss-a")
	long := strings.Repeat("x", 2001)
	cases := []struct {
		name, tok, method, path, body string
		code                          int
		field                         string
	}{
		{"unknown account", e.token, "POST", "/api/accounts/nobody/conversations/g1/release", "", 404, ""},
		{"long note", e.token, "POST", "/api/accounts/boss-a/conversations/g1/release", `{"note":"` + long + `"}`, 400, "note"},
		{"note type", e.token, "POST", "/api/accounts/boss-a/conversations/g1/release", `{"note":5}`, 400, "note"},
		{"unknown field", e.token, "POST", "/api/accounts/boss-a/conversations/g1/release", `{"notes":"x"}`, 400, "notes"},
		{"long candidate", e.token, "POST", "/api/accounts/boss-a/conversations/" + strings.Repeat("c", 129) + "/release", "", 400, "candidate_id"},
		{"bad json", e.token, "POST", "/api/accounts/boss-a/conversations/g1/release", `{"note":`, 400, "body"},
		{"no token", "", "POST", "/api/accounts/boss-a/conversations/g1/release", "", 401, ""},
		{"worker token on operator route", testWorkerTk, "POST", "/api/accounts/boss-a/conversations/g1/release", "", 401, ""},
		{"worker token on list", testWorkerTk, "GET", "/api/conversations", "", 401, ""},
		{"operator token on commands", e.token, "GET", "/api/worker/commands", "", 401, ""},
		{"operator token on ack", e.token, "POST", "/api/worker/commands/1/ack", `{"done":true}`, 401, ""},
		{"operator token on push", e.token, "POST", "/api/worker/conversations", `[]`, 401, ""},
		{"no token on commands", "", "GET", "/api/worker/commands", "", 401, ""},
		{"ack bad id", testWorkerTk, "POST", "/api/worker/commands/abc/ack", `{"done":true}`, 400, "id"},
		{"ack zero id", testWorkerTk, "POST", "/api/worker/commands/0/ack", `{"done":true}`, 400, "id"},
		{"ack unknown", testWorkerTk, "POST", "/api/worker/commands/99/ack", `{"done":true}`, 404, ""},
		{"ack no done", testWorkerTk, "POST", "/api/worker/commands/1/ack", `{"reason":"x"}`, 400, "done"},
		{"ack done type", testWorkerTk, "POST", "/api/worker/commands/1/ack", `{"done":"yes"}`, 400, "done"},
		{"ack no body", testWorkerTk, "POST", "/api/worker/commands/1/ack", ``, 400, "body"},
		{"list bad status", e.token, "GET", "/api/conversations?status=HAPPY", "", 400, "status"},
		{"list bad page", e.token, "GET", "/api/conversations?page=0", "", 400, "page"},
		{"list bad page size", e.token, "GET", "/api/conversations?page_size=5000", "", 400, "page_size"},
		{"list unknown account", e.token, "GET", "/api/conversations?account=nobody", "", 404, ""},
		{"push empty", testWorkerTk, "POST", "/api/worker/conversations", `{"conversations":[]}`, 400, "conversations"},
		{"push bad status", testWorkerTk, "POST", "/api/worker/conversations",
			`{"conversations":[{"account":"boss-a","candidate_id":"g1","status":"IN_SERVICE"},{"account":"boss-a","candidate_id":"g2","status":"nope"}]}`, 400, "conversations[1].status"},
		{"push no candidate", testWorkerTk, "POST", "/api/worker/conversations", `[{"account":"boss-a","status":"IGNORE"}]`, 400, "conversations[0].candidate_id"},
		{"push bad account", testWorkerTk, "POST", "/api/worker/conversations", `[{"account":"a b","candidate_id":"g","status":"IGNORE"}]`, 400, "conversations[0].account"},
		{"push bad time", testWorkerTk, "POST", "/api/worker/conversations", `[{"account":"boss-a","candidate_id":"g","status":"IGNORE","updated_at":"yesterday"}]`, 400, "conversations[0].updated_at"},
	}
	for _, c := range cases {
		code, body := e.callAs(c.tok, c.method, c.path, c.body)
		wantErr(t, c.name, code, body, c.code, c.field)
	}
	// Nothing was queued or stored by the rejected requests.
	if cmds, _ := e.db.PendingCommands(testWorker); len(cmds) != 0 {
		t.Fatalf("rejected releases queued %+v", cmds)
	}
	if _, total, _ := e.db.ListConversations(wire.ConversationFilter{}, 1, 10); total != 0 {
		t.Fatalf("rejected pushes stored %d conversations", total)
	}
}

// TestConversationStatuses: workers upsert statuses (object or bare array
// body), an older report never overwrites a newer one, and operators page
// through them filtered by account and status.
func TestConversationStatuses(t *testing.T) {
	e := newEnv(t)
	if err := e.db.PutWorker("worker-002", otherWorkerTk); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 3, 4, 8, 0, 0, 0, time.UTC)
	push := func(tok string, body any) []wire.Conversation {
		t.Helper()
		b, _ := json.Marshal(body)
		code, out := e.callAs(tok, "POST", "/api/worker/conversations", string(b))
		if code != 200 {
			t.Fatalf("push: %d %s", code, out)
		}
		var res wire.ConversationsResponse
		mustJSON(t, out, &res)
		return res.Results
	}
	var batch []wire.ConversationStatus
	for i, st := range wire.ConversationStatuses {
		batch = append(batch, wire.ConversationStatus{Account: "boss-a", CandidateID: "g" + string(rune('0'+i)), Name: "候选人", Status: st, UpdatedAt: t0})
	}
	batch = append(batch, wire.ConversationStatus{Account: "boss-a", CandidateID: "gx", Status: wire.ConvIntervened, UpdatedAt: t0})
	res := push(testWorkerTk, wire.ConversationsRequest{Conversations: batch})
	if len(res) != len(batch) || res[0].AccountID != 1 || res[0].WorkerID != testWorker || !res[0].UpdatedAt.Equal(t0) {
		t.Fatalf("push result = %+v", res)
	}
	// Bare array body from another worker and account.
	push(otherWorkerTk, []wire.ConversationStatus{{Account: "boss-b", CandidateID: "g1", Status: wire.ConvIntervened, UpdatedAt: t0}})

	// A newer report wins; an older replay is ignored; the name is kept
	// when the new report has none.
	push(testWorkerTk, []wire.ConversationStatus{{Account: "boss-a", CandidateID: "g2", Status: wire.ConvInService, UpdatedAt: t0.Add(time.Minute)}})
	res = push(testWorkerTk, []wire.ConversationStatus{{Account: "boss-a", CandidateID: "g2", Status: wire.ConvIntervened, UpdatedAt: t0}})
	if res[0].Status != wire.ConvInService || res[0].Name != "候选人" {
		t.Fatalf("older replay overwrote: %+v", res[0])
	}

	type page struct {
		Total    int                 `json:"total"`
		Page     int                 `json:"page"`
		PageSize int                 `json:"page_size"`
		Results  []wire.Conversation `json:"results"`
	}
	list := func(q string) page {
		t.Helper()
		code, body := e.call("GET", "/api/conversations"+q, "")
		if code != 200 {
			t.Fatalf("list %s: %d %s", q, code, body)
		}
		var p page
		mustJSON(t, body, &p)
		return p
	}
	if p := list(""); p.Total != 9 || p.Page != 1 || p.PageSize != 20 || len(p.Results) != 9 {
		t.Fatalf("all = %+v", p)
	}
	p := list("?status=CUSTOMER_SERVICE_INTERVENES")
	if p.Total != 2 || p.Results[0].CandidateID != "gx" || p.Results[1].Account != "boss-b" {
		t.Fatalf("intervened = %+v", p)
	}
	if p := list("?account=boss-b"); p.Total != 1 || p.Results[0].WorkerID != "worker-002" {
		t.Fatalf("boss-b = %+v", p)
	}
	if p := list("?account=boss-a&status=CUSTOMER_SERVICE_INTERVENES"); p.Total != 1 || p.Results[0].CandidateID != "gx" {
		t.Fatalf("boss-a intervened = %+v", p)
	}
	// Paging: 8 of boss-a, pages of 3.
	var seen []string
	for pg := 1; pg <= 3; pg++ {
		p := list("?account=boss-a&page_size=3&page=" + string(rune('0'+pg)))
		if p.Total != 8 {
			t.Fatalf("page %d total %d", pg, p.Total)
		}
		for _, c := range p.Results {
			seen = append(seen, c.CandidateID)
		}
	}
	if strings.Join(seen, ",") != "g0,g1,g2,g3,g4,g5,g6,gx" {
		t.Fatalf("paged = %v", seen)
	}
	if p := list("?page=9"); p.Total != 9 || len(p.Results) != 0 {
		t.Fatalf("past the end = %+v", p)
	}
}

// TestReleaseSurvivesRestart: queued commands and conversation statuses are
// in control.db, not memory.
func TestReleaseSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "control.db")
	db, err := state.Open(path, state.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Heartbeat("w1", []wire.AccountStatus{{Key: "boss-a", State: "running"}}); err != nil {
		t.Fatal(err)
	}
	cmd, created, err := db.QueueRelease("boss-a", "g1", "", "op")
	if err != nil || !created {
		t.Fatal(created, err)
	}
	if _, err := db.UpsertConversations("w1", []wire.ConversationStatus{{Account: "boss-a", CandidateID: "g1", Status: wire.ConvIntervened}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = state.Open(path, state.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cmds, err := db.PendingCommands("w1")
	if err != nil || len(cmds) != 1 || cmds[0].ID != cmd.ID {
		t.Fatalf("after reopen: %+v %v", cmds, err)
	}
	convs, total, err := db.ListConversations(wire.ConversationFilter{Status: wire.ConvIntervened}, 1, 10)
	if err != nil || total != 1 || convs[0].CandidateID != "g1" {
		t.Fatalf("conversations after reopen: %+v %v", convs, err)
	}
}
