package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// planFuzzRoutes are the plan-task routes FuzzPlanTaskRequests drives; plan
// 1, task 1 and member 1 exist.
var planFuzzRoutes = []struct{ method, path string }{
	{"POST", "/api/v1/marketing-notice/1/task"},
	{"POST", "/api/worker/plan-events"},
	{"POST", "/api/worker/plan-claim"},
	{"GET", "/api/v1/marketing-notice/task/1/members"},
	{"GET", "/api/v1/members/1/daily-reports"},
	{"GET", "/api/v1/marketing-notice/1/task"},
}

// FuzzPlanTaskRequests sends arbitrary bodies and query strings to the
// plan-task routes (real handlers, real bbolt file): every answer is JSON
// below 500, a 400 names its field, and an events answer accounts for
// every event it was sent.
func FuzzPlanTaskRequests(f *testing.F) {
	for _, s := range []struct {
		route       uint8
		query, body string
	}{
		{0, "", `{"name": "string", "startTime": "2024-03-04 16:00:00", "fileIds": [1]}`},
		{0, "", `{"name": "string", "startTime": "string", "fileIds": [0]}`},
		{0, "", `{"name": "x", "fileIds": [1, 1, 18446744073709551615]}`},
		{1, "", `{"events": [{"id": "e1", "memberId": 1, "account": "acct-a", "kind": "reached", "at": "2024-03-04T08:00:00Z"}]}`},
		{1, "", `{"events": [{"id": "e2", "memberId": 1, "account": "acct-a", "kind": "scene", "sceneId": 1, "status": "COMPLETE_SERVICE", "mood": "满意", "summary": "s"}]}`},
		{1, "", `{"events": [{"id": "", "memberId": 0}, {"id": "x", "memberId": 1, "account": "acct-a", "kind": "status", "status": "NOT_REACHED"}]}`},
		{2, "", `{"memberId": 1, "account": "acct-a", "epoch": 3}`},
		{3, "current=0&size=10&status=IN_SERVICE&sceneIds=1,2&moodValue=满意&keyWord=u&orderBy=reachTime", ``},
		{4, "startDate=2024-03-01&endDate=2024-03-31&keyword=到店", ``},
		{5, "current=1&size=1&orderBy=name,status&orderNullHandling=NULLS_FIRST", ``},
	} {
		f.Add(s.route, s.query, []byte(s.body))
	}
	ft := newFuzzTarget(f, time.Date(2024, 3, 4, 7, 30, 45, 0, time.UTC))
	db, h, pair := ft.db, ft.h, ft.pair
	if _, err := db.UpsertContacts(testWorker, []wire.ContactInput{{Account: "acct-a", CandidateID: "u1"}}); err != nil {
		f.Fatal(err)
	}
	g, err := db.CreateMNGroup("g")
	if err != nil {
		f.Fatal(err)
	}
	start, _ := wire.ParseSeedTime("2024-03-04 09:00:00")
	end, _ := wire.ParseSeedTime("2024-03-10 22:00:00")
	if _, err := db.CreateMNPlan(wire.MNPlanInput{Options: wire.MNOptionRelease, Data: &wire.MNPlanData{Name: "p", GroupID: g.ID, StartTime: start, EndTime: end}}); err != nil {
		f.Fatal(err)
	}
	if _, _, err := db.SaveFile("m.xlsx", "notification", testUser, bytes.NewReader(memberXLSX(f, []string{"userId", "city"}, [][]string{{"u1", "杭州"}})), 1<<20); err != nil {
		f.Fatal(err)
	}
	serve := func(method, target, body, token string) *httptest.ResponseRecorder {
		req, err := http.NewRequest(method, target, strings.NewReader(body))
		if err != nil {
			return nil // not a request a client could send
		}
		req.RemoteAddr = "192.0.2.1:1234"
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := serve("POST", "/api/v1/marketing-notice/1/task", `{"name": "t", "fileIds": [1]}`, pair.AccessToken); rec.Code != 200 {
		f.Fatalf("task 1: %d %s", rec.Code, rec.Body.Bytes())
	}

	f.Fuzz(func(t *testing.T, route uint8, query string, body []byte) {
		rt := planFuzzRoutes[int(route)%len(planFuzzRoutes)]
		target := rt.path
		if query != "" {
			target += "?" + query
		}
		token := pair.AccessToken
		if strings.HasPrefix(rt.path, "/api/worker/") {
			token = testWorkerTk
		}
		rec := serve(rt.method, target, string(body), token)
		if rec == nil {
			return
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, target, body, rec.Code, rec.Body.Bytes())
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s %q: %d answer is not a JSON object: %q", rt.method, target, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code == 400 && v["field"] == nil {
			t.Fatalf("%s %s %q: 400 without a field: %s", rt.method, target, body, rec.Body.Bytes())
		}
		if rt.path == "/api/worker/plan-events" && rec.Code == 200 {
			var req wire.PlanEventsRequest
			var res wire.PlanEventsResponse
			if json.Unmarshal(body, &req) != nil || json.Unmarshal(rec.Body.Bytes(), &res) != nil ||
				len(res.Results) != len(req.Events) || res.Accepted+res.Rejected != len(req.Events) {
				t.Fatalf("events %q answered %s", body, rec.Body.Bytes())
			}
		}
	})
}
