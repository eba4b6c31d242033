package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/api/wire"
)

// TestBadInput: every route rejects bad input with the right status, an
// error naming the field, and no change to the store.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	if code, body := e.call("POST", "/api/followup-configs", `{"name":"c","position":"p"}`); code != 201 {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := e.call("POST", "/api/followup-scripts", `{"config_id":1,"day_number":1,"content":"x"}`); code != 201 {
		t.Fatalf("%d %s", code, body)
	}
	e.pushContacts(wire.ContactInput{Account: "a1", CandidateID: "c1", Name: "张三"})
	big := `{"name":"` + strings.Repeat("x", 70<<10) + `"}`

	tests := []struct {
		method, path, body string
		status             int
		field              string // must appear in the error
	}{
		{"POST", "/api/followup-configs", ``, 400, "body"},
		{"POST", "/api/followup-configs", `{`, 400, "body"},
		{"POST", "/api/followup-configs", `[]`, 400, "body"},
		{"POST", "/api/followup-configs", `{"position":"p"}`, 400, "name"},
		{"POST", "/api/followup-configs", `{"name":""}`, 400, "name"},
		{"POST", "/api/followup-configs", `{"name":123}`, 400, "name"},
		{"POST", "/api/followup-configs", `{"name":"n","is_active":"yes"}`, 400, "is_active"},
		{"POST", "/api/followup-configs", `{"name":"n","colour":"red"}`, 400, "colour"},
		{"POST", "/api/followup-configs", `{"name":"` + strings.Repeat("长", 129) + `"}`, 400, "name"},
		{"POST", "/api/followup-configs", `{"name":"a"} {"name":"b"}`, 400, "body"},
		{"POST", "/api/followup-configs", big, 413, "body"},
		{"GET", "/api/followup-configs?is_active=maybe", "", 400, "is_active"},
		{"GET", "/api/followup-configs/abc", "", 400, "id"},
		{"GET", "/api/followup-configs/99", "", 404, "99"},
		{"PUT", "/api/followup-configs/99", `{"name":"x"}`, 404, "99"},
		{"PUT", "/api/followup-configs/0", `{"name":"x"}`, 400, "id"},
		{"PUT", "/api/followup-configs/1", `{"name":null,"position":7}`, 400, "position"},
		{"DELETE", "/api/followup-configs/99", "", 404, "99"},
		{"DELETE", "/api/followup-configs/-1", "", 400, "id"},
		{"GET", "/api/followup-scripts?config_id=x", "", 400, "config_id"},
		{"GET", "/api/followup-scripts?config_id=99", "", 404, "config_id"},
		{"GET", "/api/followup-scripts?day_number=-1", "", 400, "day_number"},
		{"POST", "/api/followup-scripts", `{"day_number":1,"content":"x"}`, 400, "config_id"},
		{"POST", "/api/followup-scripts", `{"config_id":1,"content":"x"}`, 400, "day_number"},
		{"POST", "/api/followup-scripts", `{"config_id":1,"day_number":1}`, 400, "content"},
		{"POST", "/api/followup-scripts", `{"config_id":99,"day_number":1,"content":"x"}`, 400, "config_id"},
		{"POST", "/api/followup-scripts", `{"config_id":1,"day_number":-1,"content":"x"}`, 400, "day_number"},
		{"POST", "/api/followup-scripts", `{"config_id":1,"day_number":"1","content":"x"}`, 400, "day_number"},
		{"POST", "/api/followup-scripts", `{"config_id":1,"day_number":1,"content":"  "}`, 400, "content"},
		{"POST", "/api/followup-scripts", `{"config_id":1,"day_number":1,"content":"x","interval_hours":-5}`, 400, "interval_hours"},
		{"POST", "/api/followup-scripts", `{"config_id":1,"day_number":1,"content":"x","order":1.5}`, 400, "order"},
		{"PUT", "/api/followup-scripts/99", `{"content":"x"}`, 404, "99"},
		{"PUT", "/api/followup-scripts/1", `{"config_id":99}`, 400, "config_id"},
		{"PUT", "/api/followup-scripts/1", `{"day_number":999}`, 400, "day_number"},
		{"DELETE", "/api/followup-scripts/99", "", 404, "99"},
		{"GET", "/api/followup-records?page=0", "", 400, "page"},
		{"GET", "/api/followup-records?page=-1", "", 400, "page"},
		{"GET", "/api/followup-records?page_size=100000", "", 400, "page_size"},
		{"GET", "/api/followup-records?contact_id=abc", "", 400, "contact_id"},
		{"GET", "/api/followup-records?got_reply=2", "", 400, "got_reply"},
		{"POST", "/api/followup-records/send", `{"content":"hi"}`, 400, "contact_id"},
		{"POST", "/api/followup-records/send", `{"contact_id":1}`, 400, "content"},
		{"POST", "/api/followup-records/send", `{"contact_id":1,"content":""}`, 400, "content"},
		{"POST", "/api/followup-records/send", `{"contact_id":"1","content":"hi"}`, 400, "contact_id"},
		{"POST", "/api/followup-records/send", `{"contact_id":99,"content":"hi"}`, 404, "contact_id"},
		{"GET", "/api/contacts?page=0", "", 400, "page"},
		{"GET", "/api/contacts?page=x", "", 400, "page"},
		{"GET", "/api/contacts?page_size=-3", "", 400, "page_size"},
		{"GET", "/api/contacts?reply_status=maybe", "", 400, "reply_status"},
		{"GET", "/api/contacts?wechat_exchanged=perhaps", "", 400, "wechat_exchanged"},
		{"GET", "/api/contacts?start_date=2024-13-01", "", 400, "start_date"},
		{"GET", "/api/contacts?end_date=2024/01/01", "", 400, "end_date"},
		{"GET", "/api/contacts?start_date=2024-02-01&end_date=2024-01-01", "", 400, "end_date"},
		{"GET", "/api/contacts/export?start_date=yesterday", "", 400, "start_date"},
		{"GET", "/api/contacts/export?page=2", "", 400, "page"},
	}
	before := snapshot(t, e)
	for _, tt := range tests {
		name := tt.method + " " + tt.path + " " + tt.body
		if len(name) > 90 {
			name = name[:90]
		}
		code, body := e.call(tt.method, tt.path, tt.body)
		if code != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", name, code, tt.status, body)
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Errorf("%s: body not JSON: %s", name, body)
			continue
		}
		msg := ""
		if strings.HasPrefix(tt.path, "/api/contacts") {
			if m["code"] != float64(tt.status) {
				t.Errorf("%s: envelope code = %v", name, m["code"])
			}
			msg, _ = m["msg"].(string)
		} else {
			msg, _ = m["detail"].(string)
		}
		if !strings.Contains(msg, tt.field) {
			t.Errorf("%s: error %q does not name %q", name, msg, tt.field)
		}
	}
	if after := snapshot(t, e); after != before {
		t.Errorf("bad requests changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot summarises what the API can see, to prove nothing was written.
func snapshot(t *testing.T, e *env) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{"/api/followup-configs", "/api/followup-scripts", "/api/followup-records", "/api/contacts"} {
		_, body := e.call("GET", p, "")
		b.Write(body)
	}
	sends, _ := e.db.PendingSends(testWorker)
	b.WriteString(strings.Repeat("s", len(sends)))
	return b.String()
}

// TestWorkerBadInput covers the worker routes and all-or-nothing batches.
func TestWorkerBadInput(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"POST", "/api/worker/contacts", `{"contacts":[]}`, 400, "contacts"},
		{"POST", "/api/worker/contacts", `{"contacts":[{"account":"a","candidate_id":"c1"},{"account":"a"}]}`, 400, "contacts[1].candidate_id"},
		{"POST", "/api/worker/contacts", `{"contacts":[{"account":"","candidate_id":"c"}]}`, 400, "contacts[0].account"},
		{"POST", "/api/worker/contacts", `{"contacts":[{"account":"a","candidate_id":"c","contacted_at":"yesterday"}]}`, 400, "contacts[0].contacted_at"},
		{"POST", "/api/worker/sends/1/ack", `{"status":"sent","sent_at":"soon"}`, 400, "sent_at"},
		{"POST", "/api/worker/contacts", `{"contacts":[{"account":"a","candidate_id":"c","replied":"yes"}]}`, 400, "replied"},
		{"POST", "/api/worker/followup-records", `{"records":[{"account":"a","candidate_id":"c"}]}`, 400, "records[0].uid"},
		{"POST", "/api/worker/followup-records", `{"records":[{"uid":"u","account":"a","candidate_id":"c","day_number":-2}]}`, 400, "day_number"},
		{"POST", "/api/worker/heartbeat", `{"accounts":[{"key":""}]}`, 400, "accounts[0].key"},
		{"POST", "/api/worker/heartbeat", `{"accounts":[{"key":"a","state":"` + strings.Repeat("x", 40) + `"}]}`, 400, "accounts[0].state"},
		{"GET", "/api/worker/followup-configs?since_version=-1", "", 400, "since_version"},
		{"POST", "/api/worker/sends/99/ack", `{"status":"sent"}`, 404, "99"},
		{"POST", "/api/worker/sends/1/ack", `{"status":"done"}`, 400, "status"},
	}
	for _, tt := range tests {
		code, body := e.callAs(testWorkerTk, tt.method, tt.path, tt.body)
		if code != tt.status || !strings.Contains(string(body), tt.field) {
			t.Errorf("%s %s %s: %d %s; want %d naming %q", tt.method, tt.path, tt.body, code, body, tt.status, tt.field)
		}
	}
	if n := e.db.CountContacts(wire.ContactFilter{}); n != 0 {
		t.Errorf("a rejected batch stored %d contacts", n)
	}
	if accs, _ := e.db.ListAccounts(); len(accs) != 0 {
		t.Errorf("a rejected batch created accounts: %+v", accs)
	}
}
