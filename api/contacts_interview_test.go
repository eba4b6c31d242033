package api_test

import (
	"testing"
)

// A worker reports an interview with interview=true on its contact push
// (POST /api/worker/contacts, real HTTP); like replied it only turns on, so
// a later push without it keeps it, and GET /api/contacts shows it.
func TestContactInterviewStage(t *testing.T) {
	e := newEnv(t)
	push := func(body string) {
		t.Helper()
		if code, out := e.callAs(testWorkerTk, "POST", "/api/worker/contacts", body); code != 200 {
			t.Fatalf("push %s: %d %s", body, code, out)
		}
	}
	push(`{"contacts":[{"account":"acct-i","candidate_id":"g1","name":"王芳","position":"Go开发"},{"account":"acct-i","candidate_id":"g2","name":"李娜"}]}`)
	push(`{"contacts":[{"account":"acct-i","candidate_id":"g1","interview":true,"replied":true}]}`)
	push(`{"contacts":[{"account":"acct-i","candidate_id":"g1","notes":"约了周三下午"}]}`)
	code, body := e.call("GET", "/api/contacts?page_size=10", "")
	var m struct {
		Data struct {
			Results []struct {
				CandidateID string `json:"candidate_id"`
				Interview   *bool  `json:"interview"`
				Notes       string `json:"notes"`
			} `json:"results"`
		} `json:"data"`
	}
	mustJSON(t, body, &m)
	if code != 200 || len(m.Data.Results) != 2 {
		t.Fatalf("GET /api/contacts: %d %s", code, body)
	}
	for _, r := range m.Data.Results {
		if r.Interview == nil {
			t.Fatalf("%s: no interview field in %s", r.CandidateID, body)
		}
		if want := r.CandidateID == "g1"; *r.Interview != want {
			t.Errorf("%s: interview = %v, want %v", r.CandidateID, *r.Interview, want)
		}
	}
	acc, pos := e.db.ContactFunnel()
	var interviews int
	for _, f := range acc {
		interviews += f.Interview
	}
	if interviews != 1 || pos["Go开发"].Interview != 1 || pos[""].Interview != 0 {
		t.Errorf("funnel interviews: by account %v, by position %v", acc, pos)
	}
}
