package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
)

// The plan calls against a hand-written server implementing the worker
// contract of api/wire/marketing_task.go: paths, methods, the worker
// token, the account filter and the bodies both ways; an error answer is
// a *client.Error with its status.
func TestPlanCallsFollowTheContract(t *testing.T) {
	var claims []wire.PlanClaimRequest
	var events []wire.PlanEvent
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+workerToken {
				http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
				return
			}
			// resty decodes a result only from a JSON content type.
			w.Header().Set("Content-Type", "application/json")
			h(w, r)
		}
	}
	mux.HandleFunc("GET /api/worker/plan-members", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("account") != "boss-a" {
			http.Error(w, `{"error":"account"}`, http.StatusBadRequest)
			return
		}
		_ = json.NewEncoder(w).Encode(wire.PlanMembersResponse{
			Members: []wire.PlanMember{{MemberID: 5, TaskID: 9, PlanID: 3, Account: "boss-a", UserID: "501", Status: wire.MemberNotReached,
				TaskStatus: wire.MNTaskExecution, Vars: map[string]string{"city": "杭州"}}},
			Plans: []wire.PlanHosting{{PlanID: 3, Data: wire.MNPlanData{ReplyDelay: 30, Greetings: []wire.MNGreeting{{Type: "TEXT", Content: "您好"}}},
				Scenes: []wire.MNScene{{ID: 1, Name: "联系成功", SceneType: wire.SceneSystem}}}},
		})
	}))
	mux.HandleFunc("POST /api/worker/plan-claim", auth(func(w http.ResponseWriter, r *http.Request) {
		var req wire.PlanClaimRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		claims = append(claims, req)
		_ = json.NewEncoder(w).Encode(wire.PlanClaimResponse{OK: req.MemberID == 5, Reason: "", Status: wire.MemberNotReached})
	}))
	mux.HandleFunc("POST /api/worker/plan-events", auth(func(w http.ResponseWriter, r *http.Request) {
		var req wire.PlanEventsRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Events) == 0 {
			http.Error(w, `{"error":"events"}`, http.StatusBadRequest)
			return
		}
		events = append(events, req.Events...)
		res := wire.PlanEventsResponse{}
		for _, ev := range req.Events {
			res.Accepted++
			res.Results = append(res.Results, wire.PlanEventResult{ID: ev.ID, Outcome: wire.PlanEventApplied, MemberStatus: wire.MemberInService})
		}
		_ = json.NewEncoder(w).Encode(res)
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()
	w := client.NewWorker(srv.URL, workerToken, 5*time.Second)

	res, err := w.PlanMembers(ctx, "boss-a")
	if err != nil || len(res.Members) != 1 || res.Members[0].Vars["city"] != "杭州" || len(res.Plans) != 1 || res.Plans[0].Data.ReplyDelay != 30 {
		t.Fatalf("members %+v, %v", res, err)
	}
	cl, err := w.ClaimPlanMember(ctx, wire.PlanClaimRequest{MemberID: 5, Account: "boss-a", Epoch: 2})
	if err != nil || !cl.OK || len(claims) != 1 || claims[0].Epoch != 2 || claims[0].Account != "boss-a" {
		t.Fatalf("claim %+v %+v, %v", cl, claims, err)
	}
	at := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	ev := wire.PlanEvent{ID: "boss-a/5/reached", MemberID: 5, Account: "boss-a", Kind: wire.PlanEventReached, At: at}
	if res, err := w.PlanEvents(ctx, []wire.PlanEvent{ev}); err != nil || len(events) != 1 || events[0] != ev ||
		len(res.Results) != 1 || res.Results[0].Outcome != wire.PlanEventApplied {
		t.Fatalf("events %+v, answer %+v, %v", events, res, err)
	}
	if _, err := w.PlanMembers(ctx, ""); err == nil {
		t.Fatal("a 400 answered no error")
	} else if ce, ok := err.(*client.Error); !ok || ce.Status != http.StatusBadRequest {
		t.Fatalf("err %#v, want a *client.Error 400", err)
	}
	bad := client.NewWorker(srv.URL, "wrong-token-0123456789abcdef", 5*time.Second)
	if _, err := bad.PlanEvents(ctx, []wire.PlanEvent{ev}); err == nil {
		t.Fatal("a wrong token was accepted")
	}
}
