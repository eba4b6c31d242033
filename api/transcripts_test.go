package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/api/wire"
)

const transcriptBody = `{"transcripts":[{"account":"boss-a","candidate_id":"geek/1","messages":[
 {"msg_id":"11","at":"2026-11-30T09:00:00Z","author":"bot","text":"您好，看到您的简历","type":"text"},
 {"msg_id":"12","at":"2026-11-30T09:01:00Z","author":"candidate","text":"<script>alert(1)</script>可以聊聊","type":"text"},
 {"msg_id":"13","at":"2026-11-30T09:02:00Z","author":"site","text":"对方已同意交换微信","type":"card"}]}]}`

// TestTranscriptRoutes: a worker's push is stored once however often it
// is replayed, operators page through it oldest first, bad input names
// its field, and both routes need their own kind of token.
func TestTranscriptRoutes(t *testing.T) {
	e := newEnv(t)
	e.registerAccount(testWorkerTk, "boss-a")
	for i, want := range []int{3, 0} {
		code, body := e.callAs(testWorkerTk, "POST", "/api/worker/transcripts", transcriptBody)
		if code != http.StatusOK {
			t.Fatalf("push %d: %d %s", i, code, body)
		}
		var res wire.TranscriptsResponse
		mustJSON(t, body, &res)
		if len(res.Results) != 1 || res.Results[0].Added != want || res.Results[0].Duplicates != 3-want || res.Results[0].Total != 3 {
			t.Fatalf("push %d: %s", i, body)
		}
	}
	path := "/api/accounts/boss-a/conversations/geek%2F1/messages"
	code, body := e.call("GET", path+"?page=1&page_size=2", "")
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	var pg wire.MessagePage
	mustJSON(t, body, &pg)
	if pg.Total != 3 || pg.Page != 1 || pg.PageSize != 2 || len(pg.Results) != 2 || pg.Results[0].MsgID != "11" ||
		pg.Results[1].Author != wire.AuthorCandidate || pg.Results[1].Text != "<script>alert(1)</script>可以聊聊" {
		t.Fatalf("page 1 = %s", body)
	}
	if code, body = e.call("GET", path+"?page=2&page_size=2", ""); code != 200 {
		t.Fatalf("page 2: %d %s", code, body)
	}
	mustJSON(t, body, &pg)
	if len(pg.Results) != 1 || pg.Results[0].Author != wire.AuthorSite || pg.Results[0].WorkerID == "" {
		t.Fatalf("page 2 = %s", body)
	}
	// The JSON is data, never markup: the candidate's text is escaped by
	// the encoder, not interpreted.
	if strings.Contains(string(body), "<script>") {
		t.Fatalf("raw markup in a JSON answer: %s", body)
	}

	// Auth: the worker route wants a worker token, the operator route an
	// operator's; none at all is 401 for both.
	for _, c := range []struct{ what, token, method, body string }{
		{"push without token", "", "POST", transcriptBody},
		{"push with an operator token", e.token, "POST", transcriptBody},
		{"list without token", "", "GET", ""},
		{"list with a worker token", testWorkerTk, "GET", ""},
	} {
		p := "/api/worker/transcripts"
		if c.method == "GET" {
			p = path
		}
		code, body := e.callAs(c.token, c.method, p, c.body)
		wantErr(t, c.what, code, body, http.StatusUnauthorized, "")
	}

	// Bad input names the field.
	bad := []struct{ body, field string }{
		{`{"transcripts":[]}`, "transcripts"},
		{`{"transcripts":[{"account":"boss-a","candidate_id":"g","messages":[{"msg_id":"1","at":"2026-11-30T09:00:00Z","author":"robot","text":"x"}]}]}`,
			"transcripts[0].messages[0].author"},
		{`{"transcripts":[{"account":"boss-a","candidate_id":"g","messages":[{"msg_id":"1","author":"bot","text":"x"}]}]}`,
			"transcripts[0].messages[0].at"},
		{`{"transcripts":[{"account":"boss-a","candidate_id":"","messages":[{"msg_id":"1","at":"2026-11-30T09:00:00Z","author":"bot"}]}]}`,
			"transcripts[0].candidate_id"},
		{`{"transcripts":[{"account":"boss-a","candidate_id":"g","messages":[]}]}`, "transcripts[0].messages"},
	}
	for _, b := range bad {
		code, body := e.callAs(testWorkerTk, "POST", "/api/worker/transcripts", b.body)
		wantErr(t, b.field, code, body, http.StatusBadRequest, b.field)
	}
	code, body = e.call("GET", path+"?page=0", "")
	wantErr(t, "page 0", code, body, http.StatusBadRequest, "page")
	code, body = e.call("GET", "/api/accounts/nobody/conversations/g/messages", "")
	wantErr(t, "unknown account", code, body, http.StatusNotFound, "")
	// Another worker cannot write into boss-a's conversations.
	if err := e.db.PutWorker("worker-002", otherWorkerTk); err != nil {
		t.Fatal(err)
	}
	code, body = e.callAs(otherWorkerTk, "POST", "/api/worker/transcripts", transcriptBody)
	wantErr(t, "another worker's push", code, body, http.StatusForbidden, "")
}
