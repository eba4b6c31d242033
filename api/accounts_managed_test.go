package api_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/secret"
	"github.com/hunterbot/hunterbot/state"
)

const (
	w2ID = "worker-002"
	w2Tk = "worker-token-two-0123456789abcdef"
	ttl  = 30 * time.Second
)

// newManagedEnv is newEnv with a secret key, the bot's spec validation and
// a second worker.
func newManagedEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2024, 3, 4, 7, 30, 45, 0, time.UTC))
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost, LeaseTTL: ttl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, err := range []error{db.PutUser(testUser, testPassword), db.PutClient(testClient, testSecret),
		db.PutWorker(testWorker, testWorkerTk), db.PutWorker(w2ID, w2Tk)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	box, err := secret.New(bytes.Repeat([]byte{42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, clk: clk, data: dir}
	e.srv = httptest.NewServer(nil)
	t.Cleanup(e.srv.Close)
	s, err := api.NewServer(api.Options{Store: db, Clock: clk, DataDir: dir, PublicURL: e.srv.URL, MaxBodyBytes: 1 << 20,
		Secrets: box, ValidateAccount: bot.ValidateSpec})
	if err != nil {
		t.Fatal(err)
	}
	e.api = s
	e.srv.Config.Handler = s.Handler()
	e.token = e.login(testUser, testPassword).AccessToken
	return e
}

func (e *env) pull(token string, max int, held ...wire.HeldLease) map[string]wire.Assigned {
	e.t.Helper()
	b, _ := json.Marshal(wire.AssignmentRequest{MaxAccounts: max, Held: held})
	code, body := e.callAs(token, "POST", "/api/worker/assignment", string(b))
	if code != 200 {
		e.t.Fatalf("pull: %d %s", code, body)
	}
	var resp wire.AssignmentResponse
	mustJSON(e.t, body, &resp)
	if resp.LeaseSeconds != ttl.Seconds() {
		e.t.Fatalf("lease_seconds = %v", resp.LeaseSeconds)
	}
	out := map[string]wire.Assigned{}
	for _, a := range resp.Accounts {
		out[a.Spec.Key] = a
	}
	return out
}

func heldOf(m map[string]wire.Assigned) []wire.HeldLease {
	var out []wire.HeldLease
	for k, a := range m {
		out = append(out, wire.HeldLease{Key: k, Epoch: a.Epoch})
	}
	return out
}

func wantField(t *testing.T, code int, body []byte, field string) {
	t.Helper()
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	if code != 400 || m["field"] != field {
		t.Fatalf("want 400 naming %q, got %d %s", field, code, body)
	}
}

const (
	accQR = `{"key":"acc-qr","platform_id":"1001","login":{"method":"qr"},"jobs":[{"brain_job_id":"job_boss_1","site_job_id":"1","position":"dev"}],"chat_poll":"5s"}`
	accPW = `{"key":"acc-pw","platform_id":"1002","login":{"method":"password","username":"hr2","password":"s3cret-pw-xyz"},"pacing":{"greet":{"gap":{"min":"1s","max":"2s"}}}}`
	accP3 = `{"key":"acc-p3","platform_id":"1003","login":{"method":"password","username":"hr3","password":"other-pw-123"}}`
)

func TestManagedAccountsCRUDAndValidation(t *testing.T) {
	e := newManagedEnv(t)
	code, body := e.call("POST", "/api/accounts", accPW)
	if code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	if bytes.Contains(body, []byte("s3cret")) {
		t.Fatalf("password returned: %s", body)
	}
	var m wire.ManagedAccount
	mustJSON(t, body, &m)
	if !m.HasPassword || m.Desired != "running" || m.ID == 0 || len(m.History) != 1 || m.Pacing == nil {
		t.Fatalf("created: %+v", m)
	}
	for _, c := range []struct{ body, field string }{
		{accPW, "key"}, // duplicate
		{`{"key":"x","login":{"method":"qr"}}`, "platform_id"},
		{`{"key":"x","platform_id":"1","login":{"method":"sms"}}`, "login.method"},
		{`{"key":"x","platform_id":"1","login":{"method":"password","username":"u"}}`, "login.password"},
		{`{"key":"x y","platform_id":"1","login":{"method":"qr"}}`, "key"},
		{`{"key":"x","platform_id":"1","login":{"method":"qr"},"desired":"flying"}`, "desired"},
		{`{"key":"x","platform_id":"1","login":{"method":"qr"},"chat_poll":"often"}`, "chat_poll"},
		{`{"key":"x","platform_id":"1","login":{"method":"qr"},"chat_safety_poll":"hourly"}`, "chat_safety_poll"},
		{`{"key":"x","platform_id":"1","login":{"method":"qr"},"pacing":{"greet":{"per_dai":3}}}`, "pacing"},
		{`{"key":"x","platform_id":"1","login":{"method":"qr"},"contact_requests":["fax"]}`, "contact_requests"},
	} {
		code, body := e.call("POST", "/api/accounts", c.body)
		wantField(t, code, body, c.field)
	}
	code, body = e.call("PATCH", "/api/accounts/acc-pw", `{"desired":"sleeping"}`)
	wantField(t, code, body, "desired")
	code, body = e.call("PATCH", "/api/accounts/acc-pw", `{"login":{"method":"password","username":""}}`)
	wantField(t, code, body, "login.username")
	// Changing only the username keeps the stored password.
	code, body = e.call("PATCH", "/api/accounts/acc-pw", `{"login":{"method":"password","username":"hr2b"},"reason":"renamed"}`)
	if code != 200 {
		t.Fatalf("patch: %d %s", code, body)
	}
	mustJSON(t, body, &m)
	if m.Login.Username != "hr2b" || !m.HasPassword {
		t.Fatalf("patched: %+v", m)
	}
	// The push settings of a YAML account are a managed account's too.
	code, body = e.call("PATCH", "/api/accounts/acc-pw", `{"chat_safety_poll":"10m","disable_push":true}`)
	if code != 200 {
		t.Fatalf("patch push settings: %d %s", code, body)
	}
	mustJSON(t, body, &m)
	if m.ChatSafetyPoll != "10m" || !m.DisablePush || m.Login.Username != "hr2b" {
		t.Fatalf("patched push settings: %+v", m)
	}
	code, body = e.call("PATCH", "/api/accounts/acc-pw", `{"chat_safety_poll":"-1s"}`)
	wantField(t, code, body, "chat_safety_poll")
	code, body = e.call("GET", "/api/accounts/acc-pw", "")
	if code != 200 || bytes.Contains(body, []byte("s3cret")) {
		t.Fatalf("get: %d %s", code, body)
	}
	if code, _ := e.call("GET", "/api/accounts/nope", ""); code != 404 {
		t.Fatalf("unknown account: %d", code)
	}
	// Listing includes the managed account with its desired state.
	code, body = e.call("GET", "/api/accounts", "")
	var list []wire.Account
	mustJSON(t, body, &list)
	if code != 200 || len(list) != 1 || !list[0].Managed || list[0].Desired != "running" {
		t.Fatalf("list: %d %s", code, body)
	}
	// The password is encrypted at rest: the bbolt file never holds it.
	raw, err := os.ReadFile(e.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("s3cret-pw-xyz")) {
		t.Fatal("control.db holds the password in clear")
	}
	// Operators need a token; workers cannot manage accounts.
	if code, _ := e.callAs(testWorkerTk, "POST", "/api/accounts", accQR); code != 401 {
		t.Fatalf("worker creating an account: %d", code)
	}
	if code, _ := e.call("DELETE", "/api/accounts/acc-pw", ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ := e.call("GET", "/api/accounts/acc-pw", ""); code != 404 {
		t.Fatalf("deleted account still there: %d", code)
	}
}

func TestAssignmentLeasesAndFencing(t *testing.T) {
	e := newManagedEnv(t)
	for _, b := range []string{accQR, accPW, accP3} {
		if code, body := e.call("POST", "/api/accounts", b); code != 201 {
			t.Fatalf("create: %d %s", code, body)
		}
	}
	// Worker 1 alone takes everything; worker 2 joining makes worker 1
	// give up its surplus, which worker 2 then takes.
	got1 := e.pull(testWorkerTk, 10)
	if len(got1) != 3 {
		t.Fatalf("w1 got %d accounts", len(got1))
	}
	if got1["acc-pw"].Password != "s3cret-pw-xyz" {
		t.Fatalf("worker did not get the password")
	}
	if got2 := e.pull(w2Tk, 10); len(got2) != 0 {
		t.Fatalf("w2 got leased accounts: %v", got2)
	}
	got1 = e.pull(testWorkerTk, 10, heldOf(got1)...) // surplus revoked (not returned)
	if len(got1) != 2 {
		t.Fatalf("w1 keeps %d, want its share 2", len(got1))
	}
	got1 = e.pull(testWorkerTk, 10, heldOf(got1)...) // agent stopped: lease released
	got2 := e.pull(w2Tk, 10)
	if len(got1) != 2 || len(got2) != 1 {
		t.Fatalf("spread: w1 %d, w2 %d", len(got1), len(got2))
	}
	var w1Key, w2Key string
	for k := range got1 {
		w1Key = k
	}
	for k := range got2 {
		w2Key = k
	}
	ep1 := got1[w1Key].Epoch

	// Fencing: worker 2 writing for worker 1's account answers 403 and
	// changes nothing (the probe finding).
	contact := func(acc string, epoch uint64, name string) string {
		b, _ := json.Marshal(wire.ContactsRequest{Contacts: []wire.ContactInput{{Account: acc, Epoch: epoch, CandidateID: "c1", Name: name}}})
		return string(b)
	}
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/contacts", contact(w1Key, ep1, "Alice")); code != 200 {
		t.Fatalf("holder's push: %d %s", code, body)
	}
	for _, try := range []struct {
		tok, body string
	}{
		{w2Tk, contact(w1Key, ep1, "Mallory")},
		{testWorkerTk, contact(w1Key, ep1+7, "Mallory")},
		{testWorkerTk, contact(w1Key, 0, "Mallory")},
	} {
		if code, body := e.callAs(try.tok, "POST", "/api/worker/contacts", try.body); code != 403 {
			t.Fatalf("fenced push: %d %s", code, body)
		}
	}
	rec, _ := json.Marshal(wire.RecordsRequest{Records: []wire.RecordInput{{UID: "u1", Account: w1Key, Epoch: ep1, CandidateID: "c1", Content: "x"}}})
	if code, body := e.callAs(w2Tk, "POST", "/api/worker/followup-records", string(rec)); code != 403 {
		t.Fatalf("fenced record: %d %s", code, body)
	}
	hb, _ := json.Marshal(wire.HeartbeatRequest{Accounts: []wire.AccountStatus{{Key: w1Key, State: "running", Epoch: ep1}}})
	if code, body := e.callAs(w2Tk, "POST", "/api/worker/heartbeat", string(hb)); code != 403 {
		t.Fatalf("fenced heartbeat: %d %s", code, body)
	}
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/heartbeat", string(hb)); code != 200 {
		t.Fatalf("holder heartbeat: %d %s", code, body)
	}
	code, body := e.call("GET", "/api/contacts?account_key="+w1Key, "")
	if code != 200 || strings.Contains(string(body), "Mallory") || !strings.Contains(string(body), "Alice") {
		t.Fatalf("contacts after fenced writes: %d %s", code, body)
	}
	if code, body = e.call("GET", "/api/accounts/"+w1Key, ""); code != 200 {
		t.Fatal(code)
	}
	var m wire.ManagedAccount
	mustJSON(t, body, &m)
	if m.Lease == nil || m.Lease.WorkerID != testWorker || m.State != "running" {
		t.Fatalf("account after fenced heartbeat: %+v", m)
	}

	// Session moves with the account.
	sess, _ := json.Marshal(wire.SessionUpload{Epoch: ep1, Session: []byte("cookie=abc")})
	if code, body := e.callAs(w2Tk, "POST", "/api/worker/accounts/"+w1Key+"/session", string(sess)); code != 403 {
		t.Fatalf("fenced session: %d %s", code, body)
	}
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/accounts/"+w1Key+"/session", string(sess)); code != 204 {
		t.Fatalf("session: %d %s", code, body)
	}

	// Worker 1 goes silent: within the lease nothing moves; after it,
	// worker 2 takes its accounts with a new epoch and worker 1's late
	// writes are refused.
	e.clk.Advance(ttl / 2)
	got2 = e.pull(w2Tk, 10, heldOf(got2)...)
	if len(got2) != 1 {
		t.Fatalf("moved before the lease ended: %v", got2)
	}
	e.clk.Advance(ttl/2 + time.Second)
	got2 = e.pull(w2Tk, 10, heldOf(got2)...)
	if len(got2) != 3 || got2[w1Key].Epoch != ep1+1 || string(got2[w1Key].Session) != "cookie=abc" {
		t.Fatalf("after w1's lease: %d accounts, %+v", len(got2), got2[w1Key])
	}
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/contacts", contact(w1Key, ep1, "Late")); code != 403 {
		t.Fatalf("stale holder's push: %d %s", code, body)
	}
	if code, body := e.callAs(w2Tk, "POST", "/api/worker/contacts", contact(w1Key, ep1+1, "Bob")); code != 200 {
		t.Fatalf("new holder's push: %d %s", code, body)
	}
	// Worker 1 comes back: it gets nothing (all leased) and stops its agents.
	if got1 := e.pull(testWorkerTk, 10, heldOf(got1)...); len(got1) != 0 {
		t.Fatalf("returning worker kept %v", got1)
	}
	mustJSON(t, mustGet(e, "/api/accounts/"+w1Key), &m)
	if !historyHas(m.History, "expired") {
		t.Fatalf("history lacks the expiry: %+v", m.History)
	}
	_ = w2Key
}

func mustGet(e *env, path string) []byte {
	e.t.Helper()
	code, body := e.call("GET", path, "")
	if code != 200 {
		e.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

func historyHas(h []wire.StateChange, word string) bool {
	for _, c := range h {
		if strings.Contains(c.Reason, word) || c.State == word {
			return true
		}
	}
	return false
}

func TestPauseResumeMoveAndQR(t *testing.T) {
	e := newManagedEnv(t)
	if code, body := e.call("POST", "/api/accounts", accQR); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	got := e.pull(testWorkerTk, 5)
	a := got["acc-qr"]
	if a.Epoch != 1 {
		t.Fatalf("first epoch %d", a.Epoch)
	}
	// QR relay: the worker posts the image; operators read it.
	png := []byte("\x89PNG fake image bytes")
	qr, _ := json.Marshal(wire.QRUpload{Epoch: a.Epoch, PNG: png, ExpiresAt: e.clk.Now().Add(time.Minute)})
	if code, body := e.callAs(w2Tk, "POST", "/api/worker/accounts/acc-qr/login", string(qr)); code != 403 {
		t.Fatalf("fenced qr: %d %s", code, body)
	}
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/accounts/acc-qr/login", string(qr)); code != 204 {
		t.Fatalf("qr: %d %s", code, body)
	}
	var ls wire.LoginStatus
	mustJSON(t, mustGet(e, "/api/accounts/acc-qr/login"), &ls)
	if !ls.Pending || !bytes.Equal(ls.PNG, png) || ls.ExpiresAt == nil {
		t.Fatalf("login status: %+v", ls)
	}
	done, _ := json.Marshal(wire.QRUpload{Epoch: a.Epoch, Done: true})
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/accounts/acc-qr/login", string(done)); code != 204 {
		t.Fatalf("qr done: %d %s", code, body)
	}
	ls = wire.LoginStatus{}
	mustJSON(t, mustGet(e, "/api/accounts/acc-qr/login"), &ls)
	if ls.Pending || ls.PNG != nil {
		t.Fatalf("login still pending: %+v", ls)
	}

	// Pause: the holder's next pull no longer lists it; once it reports
	// the agent stopped the lease is released. Resume grants it again.
	if code, body := e.call("PATCH", "/api/accounts/acc-qr", `{"desired":"paused","reason":"holiday"}`); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	if got := e.pull(testWorkerTk, 5, heldOf(got)...); len(got) != 0 {
		t.Fatalf("paused account still assigned")
	}
	e.pull(testWorkerTk, 5)
	var m wire.ManagedAccount
	mustJSON(t, mustGet(e, "/api/accounts/acc-qr"), &m)
	if m.Lease != nil || !historyHas(m.History, "holiday") {
		t.Fatalf("paused: lease %+v history %+v", m.Lease, m.History)
	}
	if code, body := e.call("PATCH", "/api/accounts/acc-qr", `{"desired":"running"}`); code != 200 {
		t.Fatalf("resume: %d %s", code, body)
	}
	got = e.pull(testWorkerTk, 5)
	if got["acc-qr"].Epoch != 2 {
		t.Fatalf("resumed: %+v", got)
	}
	// Move to worker 2 by pinning.
	if code, body := e.call("PATCH", "/api/accounts/acc-qr", `{"pin":"`+w2ID+`"}`); code != 200 {
		t.Fatalf("move: %d %s", code, body)
	}
	if g := e.pull(w2Tk, 5); len(g) != 0 {
		t.Fatalf("w2 took it before w1 stopped it: %v", g)
	}
	if g := e.pull(testWorkerTk, 5, heldOf(got)...); len(g) != 0 {
		t.Fatalf("w1 keeps a moved account")
	}
	e.pull(testWorkerTk, 5)
	g := e.pull(w2Tk, 5)
	if g["acc-qr"].Epoch != 3 {
		t.Fatalf("w2 after move: %+v", g)
	}
	mustJSON(t, mustGet(e, "/api/accounts/acc-qr"), &m)
	if m.Lease == nil || m.Lease.WorkerID != w2ID || m.LastChange == nil {
		t.Fatalf("moved: %+v", m)
	}
	// Bad pull input names the field.
	code, body := e.callAs(w2Tk, "POST", "/api/worker/assignment", `{"max_accounts":0}`)
	wantField(t, code, body, "max_accounts")
}

func TestConversationStatusesAreFenced(t *testing.T) {
	e := newManagedEnv(t)
	if code, body := e.call("POST", "/api/accounts", accQR); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	ep := e.pull(testWorkerTk, 5)["acc-qr"].Epoch
	conv := func(epoch uint64) string {
		b, _ := json.Marshal(map[string]any{"conversations": []wire.ConversationStatus{{Account: "acc-qr", Epoch: epoch, CandidateID: "c9", Status: wire.ConversationStatuses[0]}}})
		return string(b)
	}
	if code, body := e.callAs(w2Tk, "POST", "/api/worker/conversations", conv(ep)); code != 403 {
		t.Fatalf("other worker's statuses: %d %s", code, body)
	}
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/conversations", conv(ep)); code != 200 {
		t.Fatalf("holder's statuses: %d %s", code, body)
	}
	// A human took over c7 (and c9 is in service): when the account moves,
	// the new holder's grant lists c7 so its bot stays silent there.
	b, _ := json.Marshal(map[string]any{"conversations": []wire.ConversationStatus{{Account: "acc-qr", Epoch: ep, CandidateID: "c7", Status: wire.ConvIntervened}}})
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/conversations", string(b)); code != 200 {
		t.Fatalf("intervened status: %d %s", code, body)
	}
	if code, body := e.call("PATCH", "/api/accounts/acc-qr", `{"pin":"`+w2ID+`"}`); code != 200 {
		t.Fatalf("move: %d %s", code, body)
	}
	e.pull(testWorkerTk, 5, wire.HeldLease{Key: "acc-qr", Epoch: ep}) // w1 stops it
	e.pull(testWorkerTk, 5)                                           // and reports it stopped
	a := e.pull(w2Tk, 5)["acc-qr"]
	if a.Epoch <= ep || len(a.HandedOver) != 1 || a.HandedOver[0] != "c7" {
		t.Fatalf("grant to the new holder: epoch %d, handed over %q; want c7 only", a.Epoch, a.HandedOver)
	}
	if again := e.pull(w2Tk, 5, wire.HeldLease{Key: "acc-qr", Epoch: a.Epoch})["acc-qr"]; again.HandedOver != nil {
		t.Fatalf("a renewal repeats the handed-over list: %q", again.HandedOver)
	}
}

// After a release (pause) the last holder may still deliver what it
// captured at its epoch, until the account is granted again.
func TestLastHolderDrainsAfterRelease(t *testing.T) {
	e := newManagedEnv(t)
	if code, body := e.call("POST", "/api/accounts", accQR); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	got := e.pull(testWorkerTk, 5)
	ep := got["acc-qr"].Epoch
	if code, body := e.call("PATCH", "/api/accounts/acc-qr", `{"desired":"paused"}`); code != 200 {
		t.Fatalf("pause: %d %s", code, body)
	}
	e.pull(testWorkerTk, 5, heldOf(got)...)
	e.pull(testWorkerTk, 5) // stopped: released
	contact := func(epoch uint64) string {
		b, _ := json.Marshal(wire.ContactsRequest{Contacts: []wire.ContactInput{{Account: "acc-qr", Epoch: epoch, CandidateID: "c1", Name: "Late"}}})
		return string(b)
	}
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/contacts", contact(ep)); code != 200 {
		t.Fatalf("last holder draining: %d %s", code, body)
	}
	if code, _ := e.callAs(w2Tk, "POST", "/api/worker/contacts", contact(ep)); code != 403 {
		t.Fatalf("another worker after release: %d", code)
	}
	if code, body := e.call("PATCH", "/api/accounts/acc-qr", `{"desired":"running"}`); code != 200 {
		t.Fatalf("resume: %d %s", code, body)
	}
	if g := e.pull(w2Tk, 5); g["acc-qr"].Epoch != ep+1 {
		t.Fatalf("w2 after resume: %+v", g)
	}
	if code, _ := e.callAs(testWorkerTk, "POST", "/api/worker/contacts", contact(ep)); code != 403 {
		t.Fatalf("former holder after a new grant: %d", code)
	}
}

// The check a worker makes before each site action: yes while it holds
// the lease at that epoch and the account should run; no from the moment a
// pause (or a pin elsewhere) is acknowledged, before any pull.
func TestWorkerMayActFlipsWithThePause(t *testing.T) {
	e := newManagedEnv(t)
	if code, body := e.call("POST", "/api/accounts", accQR); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	a := e.pull(testWorkerTk, 5)["acc-qr"]
	act := func(token, query string) wire.ActGate {
		t.Helper()
		code, body := e.callAs(token, "GET", "/api/worker/accounts/acc-qr/act"+query, "")
		if code != 200 {
			t.Fatalf("act%s: %d %s", query, code, body)
		}
		var g wire.ActGate
		mustJSON(t, body, &g)
		return g
	}
	ep := "?epoch=" + strconv.FormatUint(a.Epoch, 10)
	if g := act(testWorkerTk, ep); !g.Act {
		t.Fatalf("holder may not act: %+v", g)
	}
	if g := act(w2Tk, ep); g.Act {
		t.Fatalf("another worker may act: %+v", g)
	}
	if g := act(testWorkerTk, "?epoch=99"); g.Act {
		t.Fatalf("a stale epoch may act: %+v", g)
	}
	for _, tc := range []struct{ patch, want string }{
		{`{"desired":"paused"}`, "paused"},
		{`{"desired":"running","pin":"` + w2ID + `"}`, "pinned to " + w2ID},
	} {
		if code, body := e.call("PATCH", "/api/accounts/acc-qr", tc.patch); code != 200 {
			t.Fatalf("patch %s: %d %s", tc.patch, code, body)
		}
		if g := act(testWorkerTk, ep); g.Act || !strings.Contains(g.Reason, tc.want) {
			t.Fatalf("after %s: %+v, want no naming %q", tc.patch, g, tc.want)
		}
	}
	code, body := e.callAs(testWorkerTk, "GET", "/api/worker/accounts/acc-qr/act", "")
	wantField(t, code, body, "epoch")
	// Deleted: the account record stays (contacts keep its id), the agent
	// must stop.
	if code, body := e.call("DELETE", "/api/accounts/acc-qr", ""); code != 204 {
		t.Fatalf("delete: %d %s", code, body)
	}
	if g := act(testWorkerTk, ep); g.Act {
		t.Fatalf("deleted account may act: %+v", g)
	}
	if code, _ := e.callAs(testWorkerTk, "GET", "/api/worker/accounts/nope/act?epoch=1", ""); code != 404 {
		t.Fatalf("unknown account: %d, want 404", code)
	}
	if code, _ := e.call("GET", "/api/worker/accounts/acc-qr/act"+ep, ""); code != 401 && code != 403 {
		t.Fatalf("operator token on a worker route: %d", code)
	}
}

func TestAccountDayCountersRoute(t *testing.T) {
	e := newManagedEnv(t) // 2024-03-04 15:30 in Shanghai
	hb, _ := json.Marshal(wire.HeartbeatRequest{Accounts: []wire.AccountStatus{{Key: "static-1", State: "running", Run: "r1",
		Days: []wire.DayCount{{Day: "2024-03-03", Greetings: 7}, {Day: "2024-03-04", Greetings: 2, Messages: 3, Followups: 1, Contacts: 1, Replies: 1}}}}})
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/heartbeat", string(hb)); code != 200 {
		t.Fatalf("heartbeat: %d %s", code, body)
	}
	var got wire.AccountDays
	mustJSON(t, mustGet(e, "/api/accounts/static-1/counters"), &got)
	if got.From != "2024-02-04" || got.To != "2024-03-04" || len(got.Days) != 2 || got.Days[1].Messages != 3 || got.Days[0].Greetings != 7 {
		t.Fatalf("default range: %+v", got)
	}
	mustJSON(t, mustGet(e, "/api/accounts/static-1/counters?from=2024-03-04&to=2024-03-04"), &got)
	if len(got.Days) != 1 || got.Days[0] != (wire.DayCount{Day: "2024-03-04", Greetings: 2, Messages: 3, Followups: 1, Contacts: 1, Replies: 1}) {
		t.Fatalf("one day: %+v", got)
	}
	code, body := e.call("GET", "/api/accounts/static-1/counters?from=2024-03-05&to=2024-03-04", "")
	wantField(t, code, body, "from")
	code, body = e.call("GET", "/api/accounts/static-1/counters?to=yesterday", "")
	wantField(t, code, body, "to")
	code, body = e.call("GET", "/api/accounts/static-1/counters?from=2020-01-01", "")
	wantField(t, code, body, "from")
	if code, _ := e.call("GET", "/api/accounts/nope/counters", ""); code != 404 {
		t.Fatalf("unknown account: %d", code)
	}
	if code, _ := e.callAs(testWorkerTk, "GET", "/api/accounts/static-1/counters", ""); code != 401 && code != 403 {
		t.Fatalf("worker token on an operator route: %d", code)
	}
}
