package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Seed 002's response examples for the marketing-notice routes, as the
// seed prints them (Apifox placeholders: "" and 0).
const (
	seedGroupOut = `{"id": 0, "createTime": "", "lastUpdateTime": "", "name": ""}`
	seedSceneOut = `{"id": 0, "createTime": "", "lastUpdateTime": "", "name": "", "statisticalMethod": "",
		"prompt": "", "externalId": "", "sceneType": ""}`
	seedPlanOut = `{"id": 0, "groupId": 0, "createTime": "", "lastUpdateTime": "", "name": "", "description": "",
		"startTime": "", "endTime": "", "replyStrategy": "", "replyDelay": 0, "unifiedReply": false,
		"segmentSeparator": "", "minReplyInterval": 0, "prompt": "", "backgroundInfo": "", "timeInfo": "",
		"referenceCase": "", "timeoutWakeUp": false, "timeout": 0, "timeoutPrompt": "",
		"monitoringStrategy": [{"sceneId": 0, "strategy": [""]}], "status": "", "greetings": [{"type": ""}]}`
	seedSpringPage = `{"content": [{}], "pageable": {"paged": false, "unpaged": false, "pageNumber": 0,
		"pageSize": 0, "offset": 0, "sort": [{"direction": "", "property": "", "ignoreCase": false,
		"nullHandling": "", "ascending": false, "descending": false}]}, "total": 0, "empty": false,
		"number": 0, "size": 0, "numberOfElements": 0, "sort": [{"direction": "", "property": "",
		"ignoreCase": false, "nullHandling": "", "ascending": false, "descending": false}],
		"first": false, "last": false, "totalPages": 0, "totalElements": 0}`
	seedPlanList = `{"records": [{"groupId": 0, "groupName": "", "plan": [{"id": 0, "name": "",
		"memberNumber": 0, "lastTriggerTime": "", "contactSuccessOfPeopl": 0, "completeServiceOfPeopl": 0,
		"effectiveCommunicationOfPeopl": 0, "invitationSuccessfulOfPeopl": 0, "status": "",
		"taskCount": 0}]}], "page": {"current": 0, "size": 0, "total": 0}, "summary": {}}`
)

// sameShape checks that got has every key of want with the same JSON kind,
// recursively (the first element of arrays). A time the seed prints as ""
// may be null (not set yet); got may carry extra keys.
func sameShape(t *testing.T, path string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %T, want an object", path, got)
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s: missing", path, k)
				continue
			}
			sameShape(t, path+"."+k, wv, gv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			t.Errorf("%s: got %T, want an array", path, got)
			return
		}
		if len(w) > 0 && len(g) > 0 {
			sameShape(t, path+"[0]", w[0], g[0])
		}
	case string:
		if _, ok := got.(string); !ok && !(got == nil && strings.HasSuffix(path, "Time")) {
			t.Errorf("%s: got %T (%v), want a string", path, got, got)
		}
	case float64:
		if _, ok := got.(float64); !ok {
			t.Errorf("%s: got %T (%v), want a number", path, got, got)
		}
	case bool:
		if _, ok := got.(bool); !ok {
			t.Errorf("%s: got %T (%v), want a boolean", path, got, got)
		}
	}
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// mustCall sends a request as the admin and fails unless it answers 200.
func (e *env) mustCall(method, path, body string) map[string]any {
	e.t.Helper()
	code, b := e.call(method, path, body)
	if code != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	m, _ := decodeAny(e.t, b).(map[string]any)
	return m
}

// planBody is the seed's POST /api/v1/marketing-notice example with its
// placeholders replaced by values that mean something here.
func planBody(options string, groupID, sceneID int) string {
	return fmt.Sprintf(`{
"options": %q,
"data": {
"name": "杭州门店招聘",
"groupId": %d,
"description": "店员岗位，AI 托管",
"startTime": "2024-03-04 09:00:00",
"endTime": "2024-03-10 22:00:00",
"replyStrategy": "CONSULTANT_CONTINUE_AFTER_REPLY",
"replyDelay": 5,
"unifiedReply": true,
"segmentSeparator": "|",
"minReplyInterval": 3,
"sceneIds": [%d],
"monitoringStrategy": [{"sceneId": %d, "strategy": ["AI_SERVICE_END_UNTIL_RESTART"]}],
"prompt": "你是招聘助理",
"backgroundInfo": "连锁门店，月薪 6000-8000",
"timeInfo": "周一至周五 9:00-18:00 面试",
"referenceCase": "候选人问薪资时答 6000-8000",
"timeoutWakeUp": true,
"timeout": 30,
"timeoutPrompt": "候选人 30 分钟未回复时温和提醒",
"greetings": [{"type": "TEXT", "content": "您好，我们在杭州招店员"}, {"type": "IMAGE", "content": "https://files.example.com/api/v1/file/17"}]
}
}`, options, groupID, sceneID, sceneID)
}

// TestMarketingNoticeSeedShapes replays the seed's marketing-notice
// requests with the bearer header and compares each answer with the
// seed's response example, field by field.
func TestMarketingNoticeSeedShapes(t *testing.T) {
	e := newEnv(t)
	const base = "/api/v1/marketing-notice"

	g := e.mustCall("POST", base+"/group", `{"name": "string"}`)
	sameShape(t, "group", decodeAny(t, []byte(seedGroupOut)), g)
	if g["name"] != "string" || g["createTime"] != "2024-03-04 15:30:45" {
		t.Errorf("group = %v; want name and the Shanghai time of creation", g)
	}
	gid := int(g["id"].(float64))
	sameShape(t, "group get", decodeAny(t, []byte(seedGroupOut)), e.mustCall("GET", fmt.Sprintf("%s/group/%d", base, gid), ""))
	renamed := e.mustCall("PUT", fmt.Sprintf("%s/group/%d", base, gid), `{"name": "杭州门店"}`)
	if renamed["name"] != "杭州门店" {
		t.Errorf("renamed group = %v", renamed)
	}
	sameShape(t, "group page", decodeAny(t, []byte(seedSpringPage)), e.mustCall("GET", base+"/group?current=0&size=10&orderBy=name&orderDirection=DESC", ""))

	// A draft plan first (CUSTOM scenes belong to an existing plan), with a
	// SYSTEM scene (id 4, 转人工) monitored.
	p := e.mustCall("POST", base, planBody("DRAFT", gid, 4))
	sameShape(t, "plan", decodeAny(t, []byte(seedPlanOut)), p)
	if p["status"] != "DRAFT" || p["startTime"] != "2024-03-04 09:00:00" || p["timeout"] != float64(30) {
		t.Errorf("plan = %v", p)
	}
	pid := int(p["id"].(float64))

	sc := e.mustCall("POST", base+"/scene", fmt.Sprintf(`{"name": "问薪资", "statisticalMethod": "GRAND_TOTAL", "prompt": "候选人询问薪资", "externalId": "ext-1", "planId": %d}`, pid))
	sameShape(t, "scene", decodeAny(t, []byte(seedSceneOut)), sc)
	if sc["sceneType"] != "CUSTOM" || sc["statisticalMethod"] != "GRAND_TOTAL" {
		t.Errorf("scene = %v", sc)
	}
	sid := int(sc["id"].(float64))
	upd := e.mustCall("PUT", fmt.Sprintf("%s/scene/%d", base, sid), `{"name": "问工资", "prompt": "候选人询问工资", "externalId": "ext-2"}`)
	if upd["name"] != "问工资" || upd["externalId"] != "ext-2" || upd["statisticalMethod"] != "GRAND_TOTAL" {
		t.Errorf("updated scene = %v", upd)
	}
	unb := e.mustCall("PATCH", fmt.Sprintf("%s/scene/%d/unbundled-externalId", base, sid), "")
	sameShape(t, "unbundled scene", decodeAny(t, []byte(seedSceneOut)), unb)
	if unb["externalId"] != "" {
		t.Errorf("unbundled scene still has externalId %v", unb["externalId"])
	}
	scenes := e.mustCall("GET", fmt.Sprintf("%s/scene?planId=%d&keyWord=工资", base, pid), "")
	sameShape(t, "scene page", decodeAny(t, []byte(seedSpringPage)), scenes)
	if scenes["totalElements"] != float64(1) || scenes["pageable"].(map[string]any)["unpaged"] != true {
		t.Errorf("scene page = %v; want the one matching scene, unpaged", scenes)
	}

	// Release with the CUSTOM scene now attached, then list, terminate,
	// enable.
	rel := e.mustCall("PUT", fmt.Sprintf("%s/%d", base, pid), planBody("RELEASE", gid, sid))
	sameShape(t, "released plan", decodeAny(t, []byte(seedPlanOut)), rel)
	if rel["status"] != "EXECUTION" {
		t.Errorf("released plan status = %v", rel["status"])
	}
	list := e.mustCall("GET", base+"?current=0&size=20&status=EXECUTION&keyWord=杭州", "")
	sameShape(t, "plan list", decodeAny(t, []byte(seedPlanList)), list)
	recs := list["records"].([]any)
	if len(recs) != 1 || recs[0].(map[string]any)["groupName"] != "杭州门店" {
		t.Errorf("plan list records = %v", recs)
	}
	for _, step := range []struct{ path, want string }{{"termination", "TERMINATION"}, {"enable", "EXECUTION"}} {
		if got := e.mustCall("PATCH", fmt.Sprintf("%s/%d/%s", base, pid, step.path), ""); len(got) != 0 {
			t.Errorf("PATCH %s answered %v, want {}", step.path, got)
		}
		if got := e.mustCall("GET", fmt.Sprintf("%s/%d", base, pid), ""); got["status"] != step.want {
			t.Errorf("after %s status = %v, want %s", step.path, got["status"], step.want)
		}
	}
	// A running plan is COMPLETE once its end time has passed.
	e.clk.Advance(7 * 24 * time.Hour)
	e.token = e.login(testUser, testPassword).AccessToken
	if got := e.mustCall("GET", fmt.Sprintf("%s/%d", base, pid), ""); got["status"] != "COMPLETE" {
		t.Errorf("after endTime status = %v, want COMPLETE", got["status"])
	}
	if got := e.mustCall("DELETE", fmt.Sprintf("%s/%d", base, pid), ""); len(got) != 0 {
		t.Errorf("DELETE plan answered %v, want {}", got)
	}
	if code, _ := e.call("GET", fmt.Sprintf("%s/scene/%d", base, sid), ""); code != http.StatusNotFound {
		t.Errorf("a deleted plan's CUSTOM scene answers %d, want 404", code)
	}
	if got := e.mustCall("DELETE", fmt.Sprintf("%s/group/%d", base, gid), ""); len(got) != 0 {
		t.Errorf("DELETE group answered %v, want {}", got)
	}
}

// TestMarketingNoticeBadInput: every rejection is a 400 naming the field,
// and a rejected write changes nothing.
func TestMarketingNoticeBadInput(t *testing.T) {
	e := newEnv(t)
	const base = "/api/v1/marketing-notice"
	gid := int(e.mustCall("POST", base+"/group", `{"name": "一组"}`)["id"].(float64))
	pid := int(e.mustCall("POST", base, planBody("DRAFT", gid, 1))["id"].(float64))
	other := int(e.mustCall("POST", base, planBody("DRAFT", gid, 1))["id"].(float64))
	foreign := int(e.mustCall("POST", base+"/scene", fmt.Sprintf(`{"name": "别的计划", "statisticalMethod": "ONLY", "prompt": "x", "planId": %d}`, other))["id"].(float64))
	plan := func(edit func(string) string) string { return edit(planBody("DRAFT", gid, 1)) }
	for _, tc := range []struct {
		method, path, body, field string
	}{
		{"POST", base + "/group", `{"name": ""}`, "name"},
		{"POST", base + "/group", `{"name": "一组"}`, "name"},
		{"POST", base + "/group", `{"nmae": "x"}`, "nmae"},
		{"DELETE", fmt.Sprintf("%s/group/%d", base, gid), ``, "id"},
		{"GET", base + "/group?orderBy=secret", ``, "orderBy"},
		{"GET", base + "/group?orderDirection=UP", ``, "orderDirection"},
		{"GET", base + "/group?orderNullHandling=LAST", ``, "orderNullHandling"},
		{"GET", base + "/group?current=-1", ``, "current"},
		{"GET", base + "/group?size=0", ``, "size"},
		{"GET", base + "/group?ids=1,x", ``, "ids"},
		{"POST", base + "/scene", `{"name": "a", "statisticalMethod": "SOME", "prompt": "p", "planId": 1}`, "statisticalMethod"},
		{"POST", base + "/scene", `{"name": "a", "statisticalMethod": "ONLY", "prompt": "p", "planId": 999}`, "planId"},
		{"POST", base + "/scene", `{"name": "a", "statisticalMethod": "ONLY", "prompt": "", "planId": 1}`, "prompt"},
		{"PUT", base + "/scene/1", `{"name": "改系统场景", "prompt": "p"}`, "id"},
		{"POST", base, `{"data": {"name": "x", "groupId": 1}}`, "options"},
		{"POST", base, `{"options": "PUBLISH", "data": {"name": "x", "groupId": 1}}`, "options"},
		{"POST", base, `{"options": "DRAFT"}`, "data"},
		{"POST", base, plan(func(s string) string { return strings.Replace(s, `"杭州门店招聘"`, `""`, 1) }), "data.name"},
		{"POST", base, plan(func(s string) string {
			return strings.Replace(s, fmt.Sprintf(`"groupId": %d`, gid), `"groupId": 77`, 1)
		}), "data.groupId"},
		{"POST", base, plan(func(s string) string {
			return strings.Replace(s, `"CONSULTANT_CONTINUE_AFTER_REPLY"`, `"SOMETIMES"`, 1)
		}), "data.replyStrategy"},
		{"POST", base, plan(func(s string) string { return strings.Replace(s, `"replyDelay": 5`, `"replyDelay": -1`, 1) }), "data.replyDelay"},
		{"POST", base, plan(func(s string) string { return strings.Replace(s, `"2024-03-10 22:00:00"`, `"2024-03-01 22:00:00"`, 1) }), "data.endTime"},
		{"POST", base, plan(func(s string) string { return strings.Replace(s, `"2024-03-04 09:00:00"`, `"tomorrow"`, 1) }), "data.startTime"},
		{"POST", base, plan(func(s string) string { return strings.Replace(s, `"timeout": 30`, `"timeout": 0`, 1) }), "data.timeout"},
		{"POST", base, plan(func(s string) string { return strings.Replace(s, `"sceneIds": [1]`, `"sceneIds": [999]`, 1) }), "data.sceneIds[0]"},
		{"POST", base, plan(func(s string) string {
			return strings.Replace(s, `"sceneIds": [1]`, fmt.Sprintf(`"sceneIds": [1, %d]`, foreign), 1)
		}), "data.sceneIds[1]"},
		{"POST", base, plan(func(s string) string { return strings.Replace(s, `"sceneId": 1,`, `"sceneId": 2,`, 1) }), "data.monitoringStrategy[0].sceneId"},
		{"POST", base, plan(func(s string) string { return strings.Replace(s, `"AI_SERVICE_END_UNTIL_RESTART"`, `"REBOOT"`, 1) }), "data.monitoringStrategy[0].strategy[0]"},
		{"POST", base, plan(func(s string) string {
			return strings.Replace(s, `{"type": "TEXT", "content"`, `{"type": "VIDEO", "content"`, 1)
		}), "data.greetings[0].type"},
		{"POST", base, plan(func(s string) string {
			return strings.Replace(s, `"https://files.example.com/api/v1/file/17"`, `"javascript:alert(1)"`, 1)
		}), "data.greetings[1].content"},
		{"PUT", fmt.Sprintf("%s/%d", base, pid), strings.Replace(planBody("RELEASE", gid, 1), `"startTime": "2024-03-04 09:00:00",`, ``, 1), "data.startTime"},
		{"PATCH", fmt.Sprintf("%s/%d/termination", base, pid), ``, "id"},
		{"GET", base + "?status=RUNNING", ``, "status"},
		{"GET", base + "/abc", ``, "id"},
	} {
		before := e.mustCall("GET", fmt.Sprintf("%s/%d", base, pid), "")
		code, b := e.call(tc.method, tc.path, tc.body)
		if code != http.StatusBadRequest {
			t.Errorf("%s %s %.80s: %d %s; want 400", tc.method, tc.path, tc.body, code, b)
			continue
		}
		var eb struct{ Field, Detail string }
		mustJSON(t, b, &eb)
		if eb.Field != tc.field {
			t.Errorf("%s %s %.80s: field %q (%s); want %q", tc.method, tc.path, tc.body, eb.Field, eb.Detail, tc.field)
		}
		if after := e.mustCall("GET", fmt.Sprintf("%s/%d", base, pid), ""); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("%s %s changed the plan: %v -> %v", tc.method, tc.path, before, after)
		}
	}
	if code, b := e.callAs("", "GET", base+"/group", ""); code != http.StatusUnauthorized {
		t.Errorf("GET groups without a token: %d %s", code, b)
	}
	if code, _ := e.call("GET", base+"/999", ""); code != http.StatusNotFound {
		t.Errorf("GET a missing plan: %d, want 404", code)
	}
}
