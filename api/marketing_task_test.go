package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/state"
)

// Seed 002's response examples for the plan-task routes, as the seed
// prints them.
const (
	seedTaskOut = `{"id": 0, "createTime": "", "lastUpdateTime": "", "name": "", "status": "",
		"totalMember": 0, "startDate": "", "startTime": ""}`
	seedTaskPage = `{"content": [{"": {}}], "pageable": {"paged": false, "unpaged": false, "pageNumber": 0,
		"pageSize": 0, "offset": 0, "sort": [{"direction": "", "property": "", "ignoreCase": false,
		"nullHandling": "", "ascending": false, "descending": false}]}, "total": 0, "empty": false,
		"number": 0, "size": 0, "numberOfElements": 0, "sort": [{"direction": "", "property": "",
		"ignoreCase": false, "nullHandling": "", "ascending": false, "descending": false}],
		"first": false, "last": false, "totalPages": 0, "totalElements": 0}`
	seedSchema = `[{"label": "", "key": "", "type": ""}]`
	seedReport = `{"completeServiceOfPeopl": 0, "completeServiceRate": 0, "contactSuccessOfPeopl": 0,
		"contactSuccessRate": 0, "effectiveCommunicationOfPeopl": 0, "effectiveCommunicationRate": 0,
		"invitationSuccessfulOfPeopl": 0, "invitationSuccessfulRate": 0, "plannedNumberOfPeopl": 0,
		"sceneStatistics": [{"id": 0, "name": "", "number": 0}]}`
	seedDaily = `{"records": [{"reportDate": "2025-04-21", "moodValues": ["满意"], "scenes": ["转人工"],
		"content": "用于同意明天到店参加xxx活动"}, {"reportDate": "2025-04-10", "moodValues": [], "scenes": ["完成服务"]}]}`
)

const mnBase = "/api/v1/marketing-notice"

// System scene ids (state.SystemScenes, created by the migration in order).
const (
	scContact   = 1 // 联系成功 ONLY
	scEffective = 2 // 有效沟通 ONLY
	scInvite    = 3 // 邀约成功 ONLY
	scHuman     = 4 // 转人工 GRAND_TOTAL
	scComplete  = 5 // 完成服务 ONLY
)

// planFixture is a released plan with one CUSTOM GRAND_TOTAL scene.
type planFixture struct {
	group, plan, scene int
}

func (e *env) releasedPlan() planFixture {
	e.t.Helper()
	g := e.mustCall("POST", mnBase+"/group", fmt.Sprintf(`{"name": "门店-%d"}`, time.Now().UnixNano()))
	gid := int(g["id"].(float64))
	p := e.mustCall("POST", mnBase, planBody("RELEASE", gid, scHuman))
	pid := int(p["id"].(float64))
	sc := e.mustCall("POST", mnBase+"/scene", fmt.Sprintf(`{"name": "问薪资", "statisticalMethod": "GRAND_TOTAL", "prompt": "候选人询问薪资", "planId": %d}`, pid))
	sid := int(sc["id"].(float64))
	e.mustCall("PUT", fmt.Sprintf("%s/%d", mnBase, pid), planBody("RELEASE", gid, sid))
	return planFixture{gid, pid, sid}
}

// worker sends a worker request and decodes a 200 answer into out.
func (e *env) worker(method, path string, body any, out any) {
	e.t.Helper()
	var s string
	if body != nil {
		b, _ := json.Marshal(body)
		s = string(b)
	}
	code, b := e.callAs(testWorkerTk, method, path, s)
	if code != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	if out != nil {
		mustJSON(e.t, b, out)
	}
}

func (e *env) claim(member uint64, account string) wire.PlanClaimResponse {
	e.t.Helper()
	var res wire.PlanClaimResponse
	e.worker("POST", "/api/worker/plan-claim", wire.PlanClaimRequest{MemberID: member, Account: account}, &res)
	return res
}

func (e *env) events(evs ...wire.PlanEvent) wire.PlanEventsResponse {
	e.t.Helper()
	var res wire.PlanEventsResponse
	e.worker("POST", "/api/worker/plan-events", wire.PlanEventsRequest{Events: evs}, &res)
	return res
}

func (e *env) planMembers(account string) wire.PlanMembersResponse {
	e.t.Helper()
	var res wire.PlanMembersResponse
	path := "/api/worker/plan-members"
	if account != "" {
		path += "?account=" + account
	}
	e.worker("GET", path, nil, &res)
	return res
}

// taskMembers lists a task's members (unpaged) with extra query q.
func (e *env) taskMembers(task int, q string) []wire.MNTaskMember {
	e.t.Helper()
	code, b := e.call("GET", fmt.Sprintf("%s/task/%d/members?%s", mnBase, task, q), "")
	if code != http.StatusOK {
		e.t.Fatalf("members %s: %d %s", q, code, b)
	}
	var page struct{ Content []wire.MNTaskMember }
	mustJSON(e.t, b, &page)
	return page.Content
}

func (e *env) report(path string) wire.MNReport {
	e.t.Helper()
	code, b := e.call("GET", path, "")
	if code != http.StatusOK {
		e.t.Fatalf("report %s: %d %s", path, code, b)
	}
	var r wire.MNReport
	mustJSON(e.t, b, &r)
	return r
}

func (e *env) taskStatus(task int) string {
	e.t.Helper()
	return e.mustCall("GET", fmt.Sprintf("%s/task/%d", mnBase, task), "")["status"].(string)
}

func byUser(ms []wire.MNTaskMember) map[string]wire.MNTaskMember {
	out := map[string]wire.MNTaskMember{}
	for _, m := range ms {
		if _, dup := out[m.UserID]; !dup { // a repeated row is the later member
			out[m.UserID] = m
		}
	}
	return out
}

func sceneNumber(r wire.MNReport, id uint64) int64 {
	for _, s := range r.SceneStatistics {
		if s.ID == id {
			return s.Number
		}
	}
	return -1
}

// TestPlanTaskSeedExamples replays seed 002's plan-task requests (the
// bodies as the seed writes them, placeholders replaced) and checks each
// answer against the seed's response example, key by key.
func TestPlanTaskSeedExamples(t *testing.T) {
	e := newEnv(t)
	fx := e.releasedPlan()
	e.pushContacts(wire.ContactInput{Account: "acct-a", CandidateID: "72529037", Name: "张三"})
	file := e.uploadFile("members.xlsx", memberXLSX(t, []string{"userId", "nickname", "city"}, [][]string{{"72529037", "张三", "杭州"}}))

	// The seed's body literally: "startTime": "string" and fileIds [0] are
	// rejected naming the field.
	lit := `{"name": "string", "startTime": "string", "fileIds": [0]}`
	if code, b := e.call("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), lit); code != 400 || !strings.Contains(string(b), `"field":"startTime"`) {
		t.Errorf("seed body literally: %d %s; want 400 on startTime", code, b)
	}
	lit = `{"name": "string", "startTime": "", "fileIds": [0]}`
	if code, b := e.call("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), lit); code != 400 || !strings.Contains(string(b), `"field":"fileIds[0]"`) {
		t.Errorf("seed body with fileIds [0]: %d %s; want 400 on fileIds[0]", code, b)
	}

	body := fmt.Sprintf(`{"name": "string", "startTime": "2024-03-04 16:00:00", "fileIds": [%d]}`, file)
	task := e.mustCall("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), body)
	sameShape(t, "task", decodeAny(t, []byte(seedTaskOut)), task)
	if task["status"] != "NOT_STARTED" || task["startDate"] != "2024-03-04" || task["startTime"] != "16:00" ||
		task["totalMember"] != float64(1) || task["createTime"] != "2024-03-04 15:30:45" {
		t.Errorf("task = %v", task)
	}
	tid := int(task["id"].(float64))
	sameShape(t, "task get", decodeAny(t, []byte(seedTaskOut)), e.mustCall("GET", fmt.Sprintf("%s/task/%d", mnBase, tid), ""))
	page := e.mustCall("GET", fmt.Sprintf("%s/%d/task?current=0&size=10&orderBy=createTime&orderDirection=DESC&orderNullHandling=NATIVE&keyWord=str", mnBase, fx.plan), "")
	sameShape(t, "task page", decodeAny(t, []byte(seedSpringPage)), page)
	if page["totalElements"] != float64(1) || page["pageable"].(map[string]any)["paged"] != true {
		t.Errorf("task page = %v", page)
	}

	code, b := e.call("GET", fmt.Sprintf("%s/%d/task/schema", mnBase, fx.plan), "")
	if code != 200 {
		t.Fatalf("schema: %d %s", code, b)
	}
	sameShape(t, "schema", decodeAny(t, []byte(seedSchema)), decodeAny(t, b))
	var schema []wire.MNSchemaField
	mustJSON(t, b, &schema)
	if !slices.Contains(schema, wire.MNSchemaField{Label: "city", Key: "vars.city", Type: "STRING"}) {
		t.Errorf("schema %v lacks the sheet's city column", schema)
	}

	for _, p := range []string{fmt.Sprintf("%s/%d/report", mnBase, fx.plan), fmt.Sprintf("%s/task/%d/report", mnBase, tid)} {
		sameShape(t, p, decodeAny(t, []byte(seedReport)), e.mustCall("GET", p, ""))
	}
	members := e.mustCall("GET", fmt.Sprintf("%s/task/%d/members?current=0&size=10&orderBy=status&orderDirection=ASC&orderNullHandling=NULLS_LAST&keyWord=张&status=NOT_REACHED", mnBase, tid), "")
	sameShape(t, "members", decodeAny(t, []byte(seedSpringPage)), members)
	if members["totalElements"] != float64(1) {
		t.Errorf("members page = %v", members)
	}
	for _, step := range []string{"enable", "termination"} {
		if got := e.mustCall("PATCH", fmt.Sprintf("%s/task/%d/%s", mnBase, tid, step), ""); len(got) != 0 {
			t.Errorf("PATCH task %s answered %v, want {}", step, got)
		}
	}

	// The member template is a spreadsheet with the member columns.
	req := mustReq(t, "GET", e.srv.URL+mnBase+"/members/template")
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, tpl := e.do(req)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "spreadsheetml") || !strings.HasPrefix(string(tpl), "PK") {
		t.Errorf("template: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// A member's daily reports, after events on two days.
	mid := e.taskMembers(tid, "")[0].ID
	e.mustCall("PATCH", fmt.Sprintf("%s/task/%d/enable", mnBase, tid), "")
	day1 := time.Date(2024, 3, 4, 8, 0, 0, 0, time.UTC) // 16:00 Shanghai
	res := e.events(
		wire.PlanEvent{ID: "e1", MemberID: mid, Account: "acct-a", Kind: "reached", At: day1},
		wire.PlanEvent{ID: "e2", MemberID: mid, Account: "acct-a", Kind: "scene", SceneID: scComplete, At: day1.Add(time.Minute)},
		wire.PlanEvent{ID: "e3", MemberID: mid, Account: "acct-a", Kind: "reply", Mood: "满意", At: day1.Add(25 * time.Hour),
			Summary: "用于同意明天到店参加xxx活动"},
		wire.PlanEvent{ID: "e4", MemberID: mid, Account: "acct-a", Kind: "scene", SceneID: scHuman, At: day1.Add(25*time.Hour + time.Minute)},
	)
	if res.Accepted != 4 {
		t.Fatalf("events: %+v", res)
	}
	code, b = e.call("GET", fmt.Sprintf("/api/v1/members/%d/daily-reports?startDate=2024-03-01&endDate=2024-03-31&keyword=", mid), "")
	if code != 200 {
		t.Fatalf("daily: %d %s", code, b)
	}
	sameShape(t, "daily", decodeAny(t, []byte(seedDaily)), decodeAny(t, b))
	var daily wire.MNDailyReports
	mustJSON(t, b, &daily)
	want := []wire.MNDailyReport{
		{ReportDate: "2024-03-05", MoodValues: []string{"满意"}, Scenes: []string{"转人工"}, Content: "用于同意明天到店参加xxx活动"},
		{ReportDate: "2024-03-04", MoodValues: []string{}, Scenes: []string{"完成服务"}, Content: "已发送开场白；触发场景：完成服务。"},
	}
	if fmt.Sprint(daily.Records) != fmt.Sprint(want) {
		t.Errorf("daily reports:\n got %+v\nwant %+v", daily.Records, want)
	}
}

// TestPlanTaskLifecycle drives a task through its statuses with the
// worker endpoints and checks members, reports, the plan list's counters
// and daily reports against the events sent.
func TestPlanTaskLifecycle(t *testing.T) {
	e := newEnv(t)
	fx := e.releasedPlan()
	// acct-a knows u1..u3 as contacts; acct-b holds u5 only as a
	// conversation; u9 is nobody's; acct-c belongs to another worker.
	e.pushContacts(
		wire.ContactInput{Account: "acct-a", CandidateID: "u1", Name: "张一"},
		wire.ContactInput{Account: "acct-a", CandidateID: "u2", Name: "张二"},
		wire.ContactInput{Account: "acct-a", CandidateID: "u3", Name: "张三"},
	)
	if _, err := e.db.UpsertConversations(testWorker, []wire.ConversationStatus{{Account: "acct-b", CandidateID: "u5", Name: "王五", Status: wire.ConvInService}}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutWorker("worker-002", "worker-token-other-0123456789"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpsertContacts("worker-002", []wire.ContactInput{{Account: "acct-c", CandidateID: "u6"}}); err != nil {
		t.Fatal(err)
	}
	// Sheet without an account column: resolved through contacts and
	// conversations; an unknown candidate and a repeated row are IGNOREd.
	noAcct := e.uploadFile("a.xlsx", memberXLSX(t, []string{"userId", "nickname", "city"}, [][]string{
		{"u1", "", "杭州"}, {"u2", "", "上海"}, {"u3", "", ""}, {"u5", "", ""}, {"u9", "无名", ""}, {"u1", "", ""},
	}))
	// Sheet with an account column: u7 is reached through acct-a even
	// without a contact; an unknown account is IGNOREd.
	withAcct := e.uploadFile("b.xlsx", memberXLSX(t, []string{"userId", "account", "nickname"}, [][]string{
		{"u7", "acct-a", "赵七"}, {"u8", "acct-x", "钱八"},
	}))
	task := e.mustCall("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan),
		fmt.Sprintf(`{"name": "三月批次", "startTime": "2024-03-04 16:00:00", "fileIds": [%d, %d]}`, noAcct, withAcct))
	tid := int(task["id"].(float64))
	if task["status"] != "NOT_STARTED" || task["totalMember"] != float64(8) {
		t.Fatalf("task = %v", task)
	}
	ms := byUser(e.taskMembers(tid, ""))
	for u, want := range map[string]struct{ status, account, name string }{
		"u1": {"NOT_REACHED", "acct-a", "张一"}, "u2": {"NOT_REACHED", "acct-a", "张二"}, "u3": {"NOT_REACHED", "acct-a", "张三"},
		"u5": {"NOT_REACHED", "acct-b", ""}, "u9": {"IGNORE", "", "无名"}, "u7": {"NOT_REACHED", "acct-a", "赵七"},
		"u8": {"IGNORE", "", "钱八"},
	} {
		m := ms[u]
		if m.Status != want.status || m.Account != want.account || m.Name != want.name {
			t.Errorf("member %s = %+v, want %+v", u, m, want)
		}
	}
	if ig := e.taskMembers(tid, "status=IGNORE"); len(ig) != 3 || !strings.Contains(fmt.Sprint(ig), "listed twice") ||
		!strings.Contains(fmt.Sprint(ig), `unknown account "acct-x"`) || !strings.Contains(fmt.Sprint(ig), "no conversation") {
		t.Errorf("ignored members = %+v", ig)
	}
	if ms["u1"].Vars["city"] != "杭州" {
		t.Errorf("u1 vars = %v", ms["u1"].Vars)
	}
	u1, u2, u3, u5, u7 := ms["u1"].ID, ms["u2"].ID, ms["u3"].ID, ms["u5"].ID, ms["u7"].ID

	// NOT_STARTED: nothing to do for the worker; a claim is refused.
	if pm := e.planMembers(""); len(pm.Members) != 0 {
		t.Errorf("plan members before the start: %+v", pm.Members)
	}
	if c := e.claim(u1, "acct-a"); c.OK || c.Reason != "task is NOT_STARTED" || c.Status != "NOT_REACHED" {
		t.Errorf("claim before the start = %+v", c)
	}
	e.clk.Advance(30 * time.Minute) // 16:00:45 Shanghai
	if s := e.taskStatus(tid); s != "EXECUTION" {
		t.Fatalf("task after its start = %s", s)
	}
	pm := e.planMembers("")
	if len(pm.Members) != 5 || len(pm.Plans) != 1 || pm.Plans[0].PlanID != uint64(fx.plan) || len(pm.Plans[0].Scenes) != 6 ||
		pm.Plans[0].Data.Greetings[0].Content != "您好，我们在杭州招店员" {
		t.Fatalf("plan members = %+v", pm)
	}
	if only := e.planMembers("acct-b"); len(only.Members) != 1 || only.Members[0].MemberID != u5 || only.Members[0].TaskStatus != "EXECUTION" {
		t.Errorf("plan members of acct-b = %+v", only.Members)
	}

	// Claims: idempotent per account; another account is refused; another
	// worker's account is forbidden.
	first := e.claim(u1, "acct-a")
	if !first.OK || first.Status != "NOT_REACHED" || first.Resumed || !first.ClaimedAt.IsZero() {
		t.Errorf("first claim of u1 = %+v", first)
	}
	e.clk.Advance(time.Minute)
	// The repeat says when the first claim was: a worker that took the
	// account over without a ledger settles the greetings since then.
	if c := e.claim(u1, "acct-a"); !c.OK || c.Status != "NOT_REACHED" || !c.Resumed || !c.ClaimedAt.Equal(e.clk.Now().Add(-time.Minute)) {
		t.Errorf("repeated claim of u1 = %+v, want resumed with the first claim's time", c)
	}
	if c := e.claim(u1, "acct-b"); c.OK || !strings.Contains(c.Reason, `through account "acct-a"`) {
		t.Errorf("claim through the wrong account = %+v", c)
	}
	b, _ := json.Marshal(wire.PlanClaimRequest{MemberID: u1, Account: "acct-c"})
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/plan-claim", string(b)); code != 403 {
		t.Errorf("claim through another worker's account: %d %s", code, body)
	}
	b, _ = json.Marshal(wire.PlanClaimRequest{MemberID: 999, Account: "acct-a"})
	if code, body := e.callAs(testWorkerTk, "POST", "/api/worker/plan-claim", string(b)); code != 404 {
		t.Errorf("claim of an unknown member: %d %s", code, body)
	}

	at := time.Date(2024, 3, 4, 8, 5, 0, 0, time.UTC)
	ev := func(id string, m uint64, kind string) wire.PlanEvent {
		return wire.PlanEvent{ID: id, MemberID: m, Account: "acct-a", Kind: kind, At: at}
	}
	reached := []wire.PlanEvent{ev("r1", u1, "reached"), ev("r2", u2, "reached"), ev("r3", u3, "reached"), ev("r7", u7, "reached")}
	res := e.events(reached...)
	if res.Accepted != 4 || res.Rejected != 0 || res.Results[0].MemberStatus != "IN_SERVICE" {
		t.Fatalf("reached: %+v", res)
	}
	// The outbox delivers the batch again: duplicates, nothing changes.
	if res := e.events(reached...); res.Accepted != 4 || res.Results[0].Outcome != "duplicate" {
		t.Errorf("replayed reached: %+v", res)
	}
	if c := e.claim(u1, "acct-a"); !c.OK || c.Status != "IN_SERVICE" {
		t.Errorf("claim after reach = %+v", c)
	}

	scene := func(id string, m uint64, sc int) wire.PlanEvent {
		x := ev(id, m, "scene")
		x.SceneID = uint64(sc)
		return x
	}
	batch := []wire.PlanEvent{
		scene("s1", u1, scContact), scene("s2", u1, scContact), // ONLY: u1 counts once
		scene("s3", u2, scContact),
		scene("s4", u1, scHuman), scene("s5", u2, scHuman), scene("s6", u2, scHuman), // GRAND_TOTAL: 3
		scene("s7", u1, fx.scene), scene("s8", u1, fx.scene), // CUSTOM GRAND_TOTAL: 2
		scene("s9", u1, scEffective), scene("s10", u1, scInvite),
		{ID: "m1", MemberID: u1, Account: "acct-a", Kind: "reply", Mood: "满意", At: at, Summary: "同意明天到店面试"},
		{ID: "m2", MemberID: u2, Account: "acct-a", Kind: "reply", Mood: "犹豫", At: at},
		{ID: "st1", MemberID: u1, Account: "acct-a", Kind: "scene", SceneID: scComplete, Status: "COMPLETE_SERVICE", At: at},
		{ID: "st2", MemberID: u2, Account: "acct-a", Kind: "status", Status: "CUSTOMER_SERVICE_INTERVENES", Reason: "候选人要求人工", At: at},
		// Rejected alone, the batch goes through:
		{ID: "bad1", MemberID: 999, Account: "acct-a", Kind: "reply", At: at},
		{ID: "bad2", MemberID: u3, Account: "acct-a", Kind: "dance", At: at},
		{ID: "bad3", MemberID: u3, Account: "acct-b", Kind: "reply", At: at},
		{ID: "bad4", MemberID: u3, Account: "acct-a", Kind: "scene", SceneID: 999, At: at},
	}
	res = e.events(batch...)
	if res.Accepted != len(batch)-4 || res.Rejected != 4 {
		t.Fatalf("batch: %+v", res)
	}
	for i, want := range []struct {
		code  int
		field string
	}{{404, "events[14].memberId"}, {400, "events[15].kind"}, {403, "events[16].account"}, {400, "events[17].sceneId"}} {
		if r := res.Results[14+i]; r.Outcome != "rejected" || r.Code != want.code || r.Field != want.field {
			t.Errorf("result %d = %+v, want %+v", 14+i, r, want)
		}
	}
	// A final status never changes.
	res = e.events(wire.PlanEvent{ID: "late", MemberID: u1, Account: "acct-a", Kind: "status", Status: "TIMEOUT_COMPLETE_SERVICE", At: at},
		wire.PlanEvent{ID: "late2", MemberID: u1, Account: "acct-a", Kind: "status", Status: "IN_SERVICE", At: at})
	if res.Results[0].MemberStatus != "COMPLETE_SERVICE" || res.Results[1].MemberStatus != "COMPLETE_SERVICE" {
		t.Errorf("final status changed: %+v", res)
	}
	// A running task's plan is listed even to an account with no open
	// member in it (a final member's conversation may still follow it).
	if pm := e.planMembers("acct-none"); len(pm.Members) != 0 || len(pm.Plans) != 1 || pm.Plans[0].PlanID != uint64(fx.plan) {
		t.Errorf("plans of running tasks = %+v", pm)
	}
	if c := e.claim(u1, "acct-a"); c.OK || c.Reason != "member is COMPLETE_SERVICE" {
		t.Errorf("claim of a final member = %+v", c)
	}

	rep := e.report(fmt.Sprintf("%s/task/%d/report", mnBase, tid))
	if rep.PlannedNumberOfPeopl != 8 || rep.ContactSuccessOfPeopl != 2 || rep.EffectiveCommunicationOfPeopl != 1 ||
		rep.InvitationSuccessfulOfPeopl != 1 || rep.CompleteServiceOfPeopl != 1 ||
		rep.ContactSuccessRate != 0.25 || rep.CompleteServiceRate != 0.125 {
		t.Errorf("task report = %+v", rep)
	}
	for id, want := range map[int]int64{scContact: 2, scEffective: 1, scInvite: 1, scHuman: 3, scComplete: 1, fx.scene: 2} {
		if n := sceneNumber(rep, uint64(id)); n != want {
			t.Errorf("scene %d = %d, want %d (%+v)", id, n, want, rep.SceneStatistics)
		}
	}
	if len(rep.SceneStatistics) != 6 {
		t.Errorf("scene statistics = %+v; want the 5 SYSTEM scenes and the plan's CUSTOM one", rep.SceneStatistics)
	}
	// u1's 邀约成功 made its contact an interview: the contacts funnel's
	// last stage counts it, on its account, and nobody else.
	byAccount, _ := e.db.ContactFunnel()
	interviews := 0
	for _, f := range byAccount {
		interviews += f.Interview
	}
	contacts, _, err := e.db.QueryContacts(wire.ContactFilter{}, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var u1Interview bool
	for _, c := range contacts {
		u1Interview = u1Interview || (c.CandidateID == "u1" && c.Interview)
	}
	if interviews != 1 || !u1Interview {
		t.Errorf("interviews in the funnel = %d, u1's contact an interview = %v; want 1 and true", interviews, u1Interview)
	}

	// Members list filters.
	for q, want := range map[string][]uint64{
		"status=IN_SERVICE":                               {u3, u7},
		"sceneIds=" + fmt.Sprint(fx.scene):                {u1},
		fmt.Sprintf("sceneIds=%d,%d", scHuman, scInvite):  {u1, u2},
		"moodValue=犹豫":                                    {u2},
		"keyWord=赵":                                       {u7},
		"status=NOT_REACHED&keyWord=u5":                   {u5},
		"orderBy=id&orderDirection=DESC&current=0&size=2": {ms["u8"].ID, u7},
	} {
		var got []uint64
		for _, m := range e.taskMembers(tid, q) {
			got = append(got, m.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("members?%s = %v, want %v", q, got, want)
		}
	}
	m1 := byUser(e.taskMembers(tid, ""))["u1"]
	if m1.ReachTime.IsZero() || m1.LastTriggerTime.IsZero() || !slices.Equal(m1.MoodValues, []string{"满意"}) ||
		!slices.Equal(m1.SceneIDs, []uint64{scContact, scHuman, uint64(fx.scene), scEffective, scInvite, scComplete}) {
		t.Errorf("u1 = %+v", m1)
	}

	// Termination while u3 and u7 are in service: TERMINATING, the worker
	// sees only them (to stop), unreached members wait; the stops make it
	// TERMINATION.
	e.mustCall("PATCH", fmt.Sprintf("%s/task/%d/termination", mnBase, tid), "")
	if s := e.taskStatus(tid); s != "TERMINATING" {
		t.Fatalf("after termination = %s", s)
	}
	pm = e.planMembers("")
	if len(pm.Members) != 2 || pm.Members[0].TaskStatus != "TERMINATING" || pm.Members[0].Status != "IN_SERVICE" {
		t.Errorf("plan members while terminating = %+v", pm.Members)
	}
	if c := e.claim(u5, "acct-b"); c.OK || c.Reason != "task is TERMINATING" {
		t.Errorf("claim while terminating = %+v", c)
	}
	e.events(wire.PlanEvent{ID: "stop3", MemberID: u3, Account: "acct-a", Kind: "status", Status: "TERMINATE_SERVICE", At: at})
	if s := e.taskStatus(tid); s != "TERMINATING" {
		t.Errorf("with u7 still in service = %s", s)
	}
	e.events(wire.PlanEvent{ID: "stop7", MemberID: u7, Account: "acct-a", Kind: "status", Status: "TERMINATE_SERVICE", At: at})
	if s := e.taskStatus(tid); s != "TERMINATION" {
		t.Errorf("after every stop = %s", s)
	}
	if pm := e.planMembers(""); len(pm.Members) != 0 {
		t.Errorf("plan members of a terminated task = %+v", pm.Members)
	}
	// A terminated task cannot be terminated again; enable resumes u5.
	if code, b := e.call("PATCH", fmt.Sprintf("%s/task/%d/termination", mnBase, tid), ""); code != 400 || !strings.Contains(string(b), `"field":"taskId"`) {
		t.Errorf("second termination: %d %s", code, b)
	}
	e.mustCall("PATCH", fmt.Sprintf("%s/task/%d/enable", mnBase, tid), "")
	if pm := e.planMembers(""); len(pm.Members) != 1 || pm.Members[0].MemberID != u5 {
		t.Errorf("after enable = %+v", pm.Members)
	}
	if c := e.claim(u5, "acct-b"); !c.OK {
		t.Errorf("claim after enable = %+v", c)
	}
	e.events(wire.PlanEvent{ID: "r5", MemberID: u5, Account: "acct-b", Kind: "reached", At: at},
		wire.PlanEvent{ID: "w5", MemberID: u5, Account: "acct-b", Kind: "wakeup", At: at.Add(time.Hour)},
		wire.PlanEvent{ID: "t5", MemberID: u5, Account: "acct-b", Kind: "status", Status: "TIMEOUT_COMPLETE_SERVICE", At: at.Add(2 * time.Hour)})
	if s := e.taskStatus(tid); s != "COMPLETE" {
		t.Errorf("every member final = %s", s)
	}
	code, body := e.call("GET", fmt.Sprintf("/api/v1/members/%d/daily-reports", u5), "")
	if code != 200 || !strings.Contains(string(body), "已发送开场白；发送超时唤醒1次；状态变为超时完成。") {
		t.Errorf("u5 daily: %d %s", code, body)
	}
	code, body = e.call("GET", fmt.Sprintf("/api/v1/members/%d/daily-reports?keyword=面试", u1), "")
	if code != 200 || !strings.Contains(string(body), "同意明天到店面试") {
		t.Errorf("u1 daily by keyword: %d %s", code, body)
	}
	code, body = e.call("GET", fmt.Sprintf("/api/v1/members/%d/daily-reports?startDate=2024-03-05", u1), "")
	if code != 200 || string(body) != "{\"records\":[]}\n" {
		t.Errorf("u1 daily from the next day: %d %s", code, body)
	}

	// The plan's report and list counters add up its tasks.
	prep := e.report(fmt.Sprintf("%s/%d/report", mnBase, fx.plan))
	if prep.PlannedNumberOfPeopl != 8 || prep.ContactSuccessOfPeopl != 2 || sceneNumber(prep, scHuman) != 3 {
		t.Errorf("plan report = %+v", prep)
	}
	list := e.mustCall("GET", mnBase+"?current=0&size=20", "")
	sameShape(t, "plan list", decodeAny(t, []byte(seedPlanList)), list)
	var sum wire.MNPlanSummary
	for _, g := range list["records"].([]any) {
		for _, p := range g.(map[string]any)["plan"].([]any) {
			if p.(map[string]any)["id"] == float64(fx.plan) {
				b, _ := json.Marshal(p)
				mustJSON(t, b, &sum)
			}
		}
	}
	if sum.MemberNumber != 8 || sum.TaskCount != 1 || sum.ContactSuccessOfPeopl != 2 || sum.CompleteServiceOfPeopl != 1 ||
		sum.EffectiveCommunicationOfPeopl != 1 || sum.InvitationSuccessfulOfPeopl != 1 ||
		!sum.LastTriggerTime.Equal(at) {
		t.Errorf("plan summary = %+v", sum)
	}
	// A plan with tasks cannot be deleted (its reports live on them).
	e.mustCall("PATCH", fmt.Sprintf("%s/%d/termination", mnBase, fx.plan), "")
	if code, b := e.call("DELETE", fmt.Sprintf("%s/%d", mnBase, fx.plan), ""); code != 400 || !strings.Contains(string(b), "has tasks") {
		t.Errorf("delete a plan with tasks: %d %s", code, b)
	}
}

// TestPlanTaskStops: a dead worker cannot keep a task TERMINATING; a
// stopped plan stops its tasks; a task nobody can be reached in is IGNORE;
// a greeting reported after the stop ends the member.
func TestPlanTaskStops(t *testing.T) {
	e := newEnv(t)
	fx := e.releasedPlan()
	e.pushContacts(wire.ContactInput{Account: "acct-a", CandidateID: "u1"}, wire.ContactInput{Account: "acct-a", CandidateID: "u2"})
	file := e.uploadFile("a.xlsx", memberXLSX(t, []string{"userId"}, [][]string{{"u1"}, {"u2"}}))
	create := func() (int, map[string]wire.MNTaskMember) {
		task := e.mustCall("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), fmt.Sprintf(`{"name": "t", "fileIds": [%d]}`, file))
		id := int(task["id"].(float64))
		if task["status"] != "EXECUTION" {
			t.Fatalf("task without startTime = %v", task)
		}
		return id, byUser(e.taskMembers(id, ""))
	}
	tid, ms := create()
	e.events(wire.PlanEvent{ID: "a", MemberID: ms["u1"].ID, Account: "acct-a", Kind: "reached"})
	e.mustCall("PATCH", fmt.Sprintf("%s/task/%d/termination", mnBase, tid), "")
	e.clk.Advance(state.TerminateGrace - time.Second)
	if s := e.taskStatus(tid); s != "TERMINATING" {
		t.Fatalf("inside the grace = %s", s)
	}
	e.clk.Advance(time.Second)
	if s := e.taskStatus(tid); s != "TERMINATION" {
		t.Errorf("after the grace = %s", s)
	}
	got := byUser(e.taskMembers(tid, ""))
	if got["u1"].Status != "TERMINATE_SERVICE" || got["u1"].Reason != state.ReasonNoStop || got["u2"].Status != "NOT_REACHED" {
		t.Errorf("members after the grace = %+v", got)
	}
	// Greetings reported after the task stopped end the member at once.
	res := e.events(wire.PlanEvent{ID: "b", MemberID: got["u2"].ID, Account: "acct-a", Kind: "reached"})
	if res.Results[0].MemberStatus != "TERMINATE_SERVICE" {
		t.Errorf("late reach = %+v", res)
	}

	// The plan's termination stops its running tasks.
	e.token = e.login(testUser, testPassword).AccessToken
	tid2, ms2 := create()
	// One conversation follows one running task at a time.
	again := e.mustCall("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), fmt.Sprintf(`{"name": "again", "fileIds": [%d]}`, file))
	if again["status"] != "IGNORE" {
		t.Errorf("task of members hosted elsewhere = %v", again)
	}
	for _, m := range e.taskMembers(int(again["id"].(float64)), "") {
		if want := fmt.Sprintf("%s (task %d, member %d)", state.ReasonHostedElsewhere, tid2, ms2[m.UserID].ID); m.Reason != want {
			t.Errorf("member %s reason %q, want %q", m.UserID, m.Reason, want)
		}
	}
	e.events(wire.PlanEvent{ID: "c", MemberID: ms2["u2"].ID, Account: "acct-a", Kind: "reached"})
	e.mustCall("PATCH", fmt.Sprintf("%s/%d/termination", mnBase, fx.plan), "")
	if s := e.taskStatus(tid2); s != "TERMINATING" {
		t.Errorf("task of a terminated plan = %s", s)
	}
	if code, b := e.call("PATCH", fmt.Sprintf("%s/task/%d/enable", mnBase, tid2), ""); code != 400 || !strings.Contains(string(b), "enable the plan first") {
		t.Errorf("enable a task of a stopped plan: %d %s", code, b)
	}
	if code, b := e.call("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), fmt.Sprintf(`{"name": "t", "fileIds": [%d]}`, file)); code != 400 || !strings.Contains(string(b), `"field":"id"`) {
		t.Errorf("task on a terminated plan: %d %s", code, b)
	}
	e.mustCall("PATCH", fmt.Sprintf("%s/%d/enable", mnBase, fx.plan), "")

	// Nobody reachable: IGNORE.
	nobody := e.uploadFile("n.xlsx", memberXLSX(t, []string{"userId"}, [][]string{{"x1"}, {"x2"}}))
	task := e.mustCall("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), fmt.Sprintf(`{"name": "n", "fileIds": [%d]}`, nobody))
	if task["status"] != "IGNORE" {
		t.Errorf("task of unreachable members = %v", task)
	}
}

// TestPlanTaskBadInput: every rejection is a 400 (or 404 for an unknown
// object) naming the field, and creates nothing.
func TestPlanTaskBadInput(t *testing.T) {
	e := newEnv(t)
	fx := e.releasedPlan()
	e.pushContacts(wire.ContactInput{Account: "acct-a", CandidateID: "u1"})
	file := e.uploadFile("a.xlsx", memberXLSX(t, []string{"userId"}, [][]string{{"u1"}}))
	badSheet := e.uploadFile("bad.xlsx", memberXLSX(t, []string{"name"}, [][]string{{"x"}}))
	badRows := e.uploadFile("rows.xlsx", memberXLSX(t, []string{"userId", "ciq"}, [][]string{{"u1", "abc"}}))
	pdf := e.uploadFile("a.pdf", []byte("%PDF-1.4 not a sheet"))
	draft := e.mustCall("POST", mnBase, planBody("DRAFT", fx.group, scHuman))
	post := func(plan any) string { return fmt.Sprintf("%s/%v/task", mnBase, plan) }
	for _, c := range []struct {
		path, body string
		code       int
		field      string
	}{
		{post(fx.plan), `{"startTime": "", "fileIds": [1]}`, 400, "name"},
		{post(fx.plan), `{"name": "  ", "fileIds": [1]}`, 400, "name"},
		{post(fx.plan), `{"name": "t", "startTime": "2024-03-04T16:00:00Z", "fileIds": [1]}`, 400, "startTime"},
		{post(fx.plan), `{"name": "t", "startTime": "2024-03-40 16:00:00", "fileIds": [1]}`, 400, "startTime"},
		{post(fx.plan), fmt.Sprintf(`{"name": "t", "startTime": "2024-03-11 10:00:00", "fileIds": [%d]}`, file), 400, "startTime"},
		{post(fx.plan), `{"name": "t"}`, 400, "fileIds"},
		{post(fx.plan), `{"name": "t", "fileIds": []}`, 400, "fileIds"},
		{post(fx.plan), `{"name": "t", "fileIds": ["1"]}`, 400, "fileIds"},
		{post(fx.plan), `{"name": "t", "fileIds": [999]}`, 400, "fileIds[0]"},
		{post(fx.plan), fmt.Sprintf(`{"name": "t", "fileIds": [%d, %d]}`, file, pdf), 400, "fileIds[1]"},
		{post(fx.plan), fmt.Sprintf(`{"name": "t", "fileIds": [%d]}`, badSheet), 400, "fileIds[0]"},
		{post(fx.plan), fmt.Sprintf(`{"name": "t", "fileIds": [%d]}`, badRows), 400, "fileIds[0]"},
		{post(fx.plan), fmt.Sprintf(`{"name": "t", "fileIds": [%d], "extra": 1}`, file), 400, "extra"},
		{post(999), fmt.Sprintf(`{"name": "t", "fileIds": [%d]}`, file), 404, ""},
		{post("abc"), fmt.Sprintf(`{"name": "t", "fileIds": [%d]}`, file), 400, "id"},
		{post(int(draft["id"].(float64))), fmt.Sprintf(`{"name": "t", "fileIds": [%d]}`, file), 400, "id"},
	} {
		code, b := e.call("POST", c.path, c.body)
		if code != c.code || (c.field != "" && !strings.Contains(string(b), `"field":"`+c.field+`"`)) {
			t.Errorf("POST %s %s: %d %s; want %d on %q", c.path, c.body, code, b, c.code, c.field)
		}
	}
	if page := e.mustCall("GET", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), ""); page["totalElements"] != float64(0) {
		t.Errorf("rejected creations left tasks: %v", page)
	}
	task := e.mustCall("POST", post(fx.plan), fmt.Sprintf(`{"name": "t", "fileIds": [%d]}`, file))
	tid := int(task["id"].(float64))
	for _, c := range []struct {
		method, path string
		code         int
		field        string
	}{
		{"GET", fmt.Sprintf("%s/task/%d/members?status=DONE", mnBase, tid), 400, "status"},
		{"GET", fmt.Sprintf("%s/task/%d/members?sceneIds=a,b", mnBase, tid), 400, "sceneIds"},
		{"GET", fmt.Sprintf("%s/task/%d/members?orderBy=salary", mnBase, tid), 400, "orderBy"},
		{"GET", fmt.Sprintf("%s/task/%d/members?size=0", mnBase, tid), 400, "size"},
		{"GET", fmt.Sprintf("%s/task/%d/members", mnBase, 999), 404, ""},
		{"GET", mnBase + "/task/abc", 400, "taskId"},
		{"GET", mnBase + "/task/999", 404, ""},
		{"GET", mnBase + "/task/999/report", 404, ""},
		{"GET", mnBase + "/999/report", 404, ""},
		{"GET", mnBase + "/999/task", 404, ""},
		{"GET", mnBase + "/999/task/schema", 404, ""},
		{"GET", mnBase + "/1/nothing", 404, ""},
		{"GET", fmt.Sprintf("%s/%d/task?orderDirection=UP", mnBase, fx.plan), 400, "orderDirection"},
		{"PATCH", fmt.Sprintf("%s/task/%d/enable", mnBase, tid), 400, "taskId"},
		{"PATCH", mnBase + "/task/0/termination", 400, "taskId"},
		{"GET", "/api/v1/members/1/daily-reports?startDate=2024-3-1", 400, "startDate"},
		{"GET", "/api/v1/members/1/daily-reports?endDate=tomorrow", 400, "endDate"},
		{"GET", "/api/v1/members/1/daily-reports?startDate=2024-03-05&endDate=2024-03-01", 400, "endDate"},
		{"GET", "/api/v1/members/999/daily-reports", 404, ""},
		{"GET", "/api/v1/members/x/daily-reports", 400, "id"},
	} {
		code, b := e.call(c.method, c.path, "")
		if code != c.code || (c.field != "" && !strings.Contains(string(b), `"field":"`+c.field+`"`)) {
			t.Errorf("%s %s: %d %s; want %d on %q", c.method, c.path, code, b, c.code, c.field)
		}
	}
	for _, c := range []struct {
		path, body, field string
	}{
		{"/api/worker/plan-claim", `{"account": "acct-a"}`, "memberId"},
		{"/api/worker/plan-claim", `{"memberId": 1}`, "account"},
		{"/api/worker/plan-claim", `{"memberId": 1, "account": "nope"}`, "account"},
		{"/api/worker/plan-events", `{"events": []}`, "events"},
		{"/api/worker/plan-events", `{}`, "events"},
		{"/api/worker/plan-events", `{"events": [{"id": 1}]}`, "events.id"},
	} {
		code, b := e.callAs(testWorkerTk, "POST", c.path, c.body)
		if code != 400 || !strings.Contains(string(b), `"field":"`+c.field+`"`) {
			t.Errorf("POST %s %s: %d %s; want 400 on %q", c.path, c.body, code, b, c.field)
		}
	}
	// Event fields, each rejected alone.
	mid := e.taskMembers(tid, "")[0].ID
	for _, c := range []struct {
		ev    wire.PlanEvent
		field string
	}{
		{wire.PlanEvent{MemberID: mid, Account: "acct-a", Kind: "reply"}, "id"},
		{wire.PlanEvent{ID: "x", Account: "acct-a", Kind: "reply"}, "memberId"},
		{wire.PlanEvent{ID: "x", MemberID: mid, Kind: "reply"}, "account"},
		{wire.PlanEvent{ID: "x", MemberID: mid, Account: "acct-a", Kind: "scene"}, "sceneId"},
		{wire.PlanEvent{ID: "x", MemberID: mid, Account: "acct-a", Kind: "status"}, "status"},
		{wire.PlanEvent{ID: "x", MemberID: mid, Account: "acct-a", Kind: "status", Status: "NOT_REACHED"}, "status"},
		{wire.PlanEvent{ID: "x", MemberID: mid, Account: "acct-a", Kind: "reply", Status: "DONE"}, "status"},
		{wire.PlanEvent{ID: "x", MemberID: mid, Account: "acct-a", Kind: "reply", Mood: strings.Repeat("很", 33)}, "mood"},
	} {
		res := e.events(c.ev)
		if res.Rejected != 1 || res.Results[0].Code != 400 || res.Results[0].Field != "events[0]."+c.field {
			t.Errorf("event %+v: %+v; want rejected on %s", c.ev, res, c.field)
		}
	}
	if m := e.taskMembers(tid, "")[0]; m.Status != "NOT_REACHED" || len(m.MoodValues) != 0 {
		t.Errorf("rejected events changed the member: %+v", m)
	}
	// An overlong summary is cut, not a reason to lose the event.
	res := e.events(wire.PlanEvent{ID: "long", MemberID: mid, Account: "acct-a", Kind: "reply", Summary: strings.Repeat("长", 2500)})
	if res.Accepted != 1 {
		t.Fatalf("long summary: %+v", res)
	}
	var daily wire.MNDailyReports
	code, b := e.call("GET", fmt.Sprintf("/api/v1/members/%d/daily-reports", mid), "")
	mustJSON(t, b, &daily)
	if code != 200 || len(daily.Records) != 1 || len([]rune(daily.Records[0].Content)) != 2000 || !strings.HasSuffix(daily.Records[0].Content, "…") {
		t.Errorf("daily after a long summary: %d %s", code, b)
	}
}

// TestPlanTaskRoutesNeedAuth: every plan-task route refuses a missing,
// garbage or wrong-kind token.
func TestPlanTaskRoutesNeedAuth(t *testing.T) {
	e := newEnv(t)
	routes := []struct{ method, path string }{
		{"GET", mnBase + "/members/template"}, {"POST", mnBase + "/1/task"}, {"GET", mnBase + "/1/task"},
		{"GET", mnBase + "/task/1"}, {"GET", mnBase + "/1/task/schema"}, {"GET", mnBase + "/1/report"},
		{"GET", mnBase + "/task/1/members"}, {"GET", mnBase + "/task/1/report"},
		{"PATCH", mnBase + "/task/1/enable"}, {"PATCH", mnBase + "/task/1/termination"},
		{"GET", "/api/v1/members/1/daily-reports"},
		{"GET", "/api/worker/plan-members"}, {"POST", "/api/worker/plan-claim"}, {"POST", "/api/worker/plan-events"},
	}
	for _, rt := range routes {
		for _, tok := range []string{"", "garbage", testWorkerTk, e.token} {
			isWorker := strings.HasPrefix(rt.path, "/api/worker/")
			if (tok == testWorkerTk && isWorker) || (tok == e.token && !isWorker) {
				continue // the right credential
			}
			if code, body := e.callAs(tok, rt.method, rt.path, ""); code != 401 {
				t.Errorf("%s %s with token %q: %d %s", rt.method, rt.path, tok, code, body)
			}
		}
	}
}

// TestPlanReportRates: rates are count / planned in 0..1, and 0 with
// nobody planned.
func TestPlanReportRates(t *testing.T) {
	e := newEnv(t)
	fx := e.releasedPlan()
	r := e.report(fmt.Sprintf("%s/%d/report", mnBase, fx.plan))
	if r.PlannedNumberOfPeopl != 0 || r.ContactSuccessRate != 0 || math.IsNaN(r.CompleteServiceRate) || len(r.SceneStatistics) != 6 {
		t.Errorf("empty plan report = %+v", r)
	}
}

// TestPlanTaskTransitions covers the moves the lifecycle test does not:
// terminated before its start, enabled while TERMINATING (members in
// service go on), a worker IGNOREs a member it cannot reach, a status
// event IN_SERVICE reaches a member like `reached`.
func TestPlanTaskTransitions(t *testing.T) {
	e := newEnv(t)
	fx := e.releasedPlan()
	e.pushContacts(wire.ContactInput{Account: "acct-a", CandidateID: "u1"}, wire.ContactInput{Account: "acct-a", CandidateID: "u2"},
		wire.ContactInput{Account: "acct-a", CandidateID: "u3"})
	file := e.uploadFile("a.xlsx", memberXLSX(t, []string{"userId"}, [][]string{{"u1"}, {"u2"}, {"u3"}}))
	later := e.mustCall("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), fmt.Sprintf(`{"name": "later", "startTime": "2024-03-05 09:00:00", "fileIds": [%d]}`, file))
	lid := int(later["id"].(float64))
	e.mustCall("PATCH", fmt.Sprintf("%s/task/%d/termination", mnBase, lid), "")
	if s := e.taskStatus(lid); s != "TERMINATION" {
		t.Fatalf("terminated before its start = %s", s)
	}
	e.clk.Advance(24 * time.Hour) // past its start: it stays terminated
	e.token = e.login(testUser, testPassword).AccessToken
	if s := e.taskStatus(lid); s != "TERMINATION" {
		t.Errorf("terminated task after its start time = %s", s)
	}
	// Its members are not final (an enable would resume them), so they
	// keep their conversations; a new task over them is IGNORE.
	again := e.mustCall("POST", fmt.Sprintf("%s/%d/task", mnBase, fx.plan), fmt.Sprintf(`{"name": "again", "fileIds": [%d]}`, file))
	if again["status"] != "IGNORE" {
		t.Errorf("task over members of a terminated task = %v", again)
	}
	e.mustCall("PATCH", fmt.Sprintf("%s/task/%d/enable", mnBase, lid), "")
	if s := e.taskStatus(lid); s != "EXECUTION" {
		t.Fatalf("enabled = %s", s)
	}
	ms := byUser(e.taskMembers(lid, ""))
	res := e.events(
		wire.PlanEvent{ID: "a", MemberID: ms["u1"].ID, Account: "acct-a", Kind: "status", Status: "IN_SERVICE"},
		wire.PlanEvent{ID: "b", MemberID: ms["u2"].ID, Account: "acct-a", Kind: "status", Status: "IGNORE", Reason: "no conversation on the site"},
	)
	if res.Results[0].MemberStatus != "IN_SERVICE" || res.Results[1].MemberStatus != "IGNORE" {
		t.Fatalf("status events = %+v", res)
	}
	if m := byUser(e.taskMembers(lid, ""))["u2"]; m.Reason != "no conversation on the site" || !m.ReachTime.IsZero() {
		t.Errorf("ignored member = %+v", m)
	}
	e.mustCall("PATCH", fmt.Sprintf("%s/task/%d/termination", mnBase, lid), "")
	if s := e.taskStatus(lid); s != "TERMINATING" {
		t.Fatalf("terminated with u1 in service = %s", s)
	}
	e.mustCall("PATCH", fmt.Sprintf("%s/task/%d/enable", mnBase, lid), "")
	pm := e.planMembers("acct-a")
	if s := e.taskStatus(lid); s != "EXECUTION" || len(pm.Members) != 2 || pm.Members[0].Status != "IN_SERVICE" || pm.Members[0].TaskStatus != "EXECUTION" {
		t.Errorf("enabled while terminating: %s %+v", s, pm.Members)
	}
}
