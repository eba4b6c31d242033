package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/rules"
)

// seedCreate is create_rule's request body from seed 004.
const seedCreate = `{
"name": "已回复",
"keyword": {"word_list": ["收到", "好的"], "is_case_sensitive":1, "match_rule":1, "is_trim_msg":1},
"semantics": {"semantics_list": [1, 2]},
"applicable_range": {
  "target_type":{"type_list":[1,2]},
  "department": {"id_list": [1, 2, 4]},
  "user": {"id_list": ["woaaaaaaaaa", "wobbbbbbbb"]},
  "external_contact": {"id_list": ["wossssssssss", "woxxxxxxxxxxx"]},
  "chat_type": {"type_list":[1,2]},
  "chat": {"id_list":["wrAAAAA","wrBBBBB"]},
  "msg_scope":3,
  "exclude_mobile": {"mobile_list": ["+8612345679876"]},
  "exclude_email": {"email_list": ["zhangsan@qq.com"]},
  "exclude_bank_card":{"bank_card_list": ["6234567891222"]},
  "exclude_keyword":{"word_list":["没收到", "不好的"]},
  "session_type":{"session_type_list":[1,2]}
}}`

type errcodeResp struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
	RuleID  string `json:"rule_id"`
}

func (e *env) createRule(body string) string {
	e.t.Helper()
	code, b := e.call("POST", "/api/keyword-rules", body)
	var r errcodeResp
	mustJSON(e.t, b, &r)
	if code != 200 || r.Errcode != 0 || r.Errmsg != "ok" || r.RuleID == "" {
		e.t.Fatalf("create: %d %s", code, b)
	}
	return r.RuleID
}

func (e *env) ruleDetail(id string) map[string]any {
	e.t.Helper()
	code, b := e.call("GET", "/api/keyword-rules/"+id, "")
	if code != 200 {
		e.t.Fatalf("detail: %d %s", code, b)
	}
	var m map[string]any
	mustJSON(e.t, b, &m)
	return m
}

func TestKeywordRuleCreateDetailDelete(t *testing.T) {
	e := newEnv(t)
	id := e.createRule(seedCreate)
	d := e.ruleDetail(id)
	requireFields(t, "detail", d, "errcode", "errmsg", "name", "keyword", "semantics", "applicable_range")
	var want map[string]any
	mustJSON(t, []byte(seedCreate), &want)
	for _, k := range []string{"name", "keyword", "semantics", "applicable_range"} {
		if g, w := jsonOf(t, d[k]), jsonOf(t, want[k]); g != w {
			t.Errorf("detail %s = %s, want %s", k, g, w)
		}
	}
	code, b := e.call("DELETE", "/api/keyword-rules/"+id, "")
	if code != 200 || !strings.Contains(string(b), `"errcode":0`) {
		t.Fatalf("delete: %d %s", code, b)
	}
	code, b = e.call("GET", "/api/keyword-rules/"+id, "")
	var r errcodeResp
	mustJSON(t, b, &r)
	if code != 404 || r.Errcode != api.ErrcodeNotFound || !strings.Contains(r.Errmsg, id) {
		t.Errorf("after delete: %d %s", code, b)
	}
	if code, _ := e.call("DELETE", "/api/keyword-rules/"+id, ""); code != 404 {
		t.Errorf("second delete: %d", code)
	}
}

// canon re-encodes a JSON text with sorted keys, as jsonOf does.
func canon(t *testing.T, s string) string {
	t.Helper()
	var v any
	mustJSON(t, []byte(s), &v)
	return jsonOf(t, v)
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKeywordRuleValidationErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		body, field string
	}{
		{`{"name":"","keyword":{"word_list":["a"]}}`, "name"},
		{`{"name":"123456789012345678901","keyword":{"word_list":["a"]}}`, "name"},
		{`{"name":"x"}`, "keyword.word_list"},
		{`{"name":"x","keyword":{"word_list":["` + strings.Repeat("字", 33) + `"]}}`, "keyword.word_list[0]"},
		{`{"name":"x","semantics":{"semantics_list":[13]}}`, "semantics.semantics_list[0]"},
		{`{"name":"x","keyword":{"is_case_sensitive":0},"semantics":{"semantics_list":[2]}}`, "keyword.is_case_sensitive"},
		{`{"name":"x","semantics":{"semantics_list":[2]},"applicable_range":{"msg_scope":7}}`, "applicable_range.msg_scope"},
		{`{"name":"x","semantics":{"semantics_list":[2]},"applicable_range":{"exclude_email":{"email_list":["no-at"]}}}`, "applicable_range.exclude_email.email_list[0]"},
		{`{"name":"x","semantics":{"semantics_list":[2]},"bogus":1}`, "bogus"},
		{`{"name":"x","semantics":{"semantics_list":"2"}}`, "semantics.semantics_list"},
		{`not json`, "body"},
	}
	for _, tt := range tests {
		code, b := e.call("POST", "/api/keyword-rules", tt.body)
		var r errcodeResp
		mustJSON(t, b, &r)
		if code != 400 || r.Errcode != api.ErrcodeInvalidParam || !strings.HasPrefix(r.Errmsg, tt.field) {
			t.Errorf("%s: %d %s, want 400 naming %s", tt.body, code, b, tt.field)
		}
	}
	// nothing was stored by the failed requests
	code, b := e.call("GET", "/api/keyword-rules", "")
	if code != 200 || !strings.Contains(string(b), `"rule_list":[]`) {
		t.Errorf("list after failures: %d %s", code, b)
	}
	// the 201st rule is refused
	for i := 0; i < rules.MaxRules; i++ {
		e.createRule(fmt.Sprintf(`{"name":"r%d","keyword":{"word_list":["w%d"]}}`, i, i))
	}
	code, b = e.call("POST", "/api/keyword-rules", `{"name":"one too many","keyword":{"word_list":["x"]}}`)
	if code != 400 || !strings.Contains(string(b), "at most 200 rules") {
		t.Errorf("201st rule: %d %s", code, b)
	}
}

func TestKeywordRuleListPaging(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, e.createRule(fmt.Sprintf(`{"name":"规则%d","keyword":{"word_list":["词%d"]}}`, i, i)))
	}
	type listResp struct {
		Errcode  int `json:"errcode"`
		RuleList []struct {
			RuleID     string `json:"rule_id"`
			Name       string `json:"name"`
			CreateTime int64  `json:"create_time"`
		} `json:"rule_list"`
		HasMore    bool   `json:"has_more"`
		NextCursor string `json:"next_cursor"`
	}
	var got []string
	cursor := ""
	for page := 0; page < 4; page++ {
		code, b := e.call("GET", "/api/keyword-rules?limit=2&cursor="+cursor, "")
		var r listResp
		mustJSON(t, b, &r)
		if code != 200 || r.Errcode != 0 {
			t.Fatalf("list: %d %s", code, b)
		}
		for _, it := range r.RuleList {
			got = append(got, it.RuleID)
			if it.CreateTime != e.clk.Now().Unix() || !strings.HasPrefix(it.Name, "规则") {
				t.Errorf("item %+v", it)
			}
		}
		if !r.HasMore {
			if r.NextCursor != "" {
				t.Errorf("next_cursor %q on the last page", r.NextCursor)
			}
			break
		}
		cursor = r.NextCursor
	}
	if strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("paged ids %v, want %v", got, ids)
	}
	// the seed interface: POST body {cursor, limit}, limit defaults to 100
	code, b := e.call("POST", "/cgi-bin/chatdata/keyword/get_rule_list", `{}`)
	var r listResp
	mustJSON(t, b, &r)
	if code != 200 || len(r.RuleList) != 5 || r.HasMore {
		t.Errorf("cgi list: %d %s", code, b)
	}
	code, b = e.call("POST", "/cgi-bin/chatdata/keyword/get_rule_list", `{"cursor":"`+ids[3]+`","limit":100}`)
	mustJSON(t, b, &r)
	if code != 200 || len(r.RuleList) != 1 || r.RuleList[0].RuleID != ids[4] {
		t.Errorf("cgi list after cursor: %s", b)
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=x"} {
		if code, b := e.call("GET", "/api/keyword-rules?"+q, ""); code != 400 || !strings.Contains(string(b), `"errmsg":"limit`) {
			t.Errorf("%s: %d %s", q, code, b)
		}
	}
}

func TestKeywordRuleUpdateSemantics(t *testing.T) {
	e := newEnv(t)
	id := e.createRule(seedCreate)
	put := func(body string) (int, errcodeResp) {
		code, b := e.call("PUT", "/api/keyword-rules/"+id, body)
		var r errcodeResp
		mustJSON(t, b, &r)
		return code, r
	}
	// absent fields keep their value
	if code, r := put(`{"name":"新名字"}`); code != 200 || r.Errcode != 0 {
		t.Fatalf("rename: %d %+v", code, r)
	}
	d := e.ruleDetail(id)
	ar := d["applicable_range"].(map[string]any)
	if d["name"] != "新名字" || jsonOf(t, d["keyword"]) != canon(t, `{"word_list":["收到","好的"],"is_case_sensitive":1,"match_rule":1,"is_trim_msg":1}`) ||
		jsonOf(t, ar["user"]) != `{"id_list":["woaaaaaaaaa","wobbbbbbbb"]}` {
		t.Errorf("after rename: %s", jsonOf(t, d))
	}
	// an explicitly empty list clears; siblings in the same object stay
	if code, r := put(`{"applicable_range":{"user":{"id_list":[]},"exclude_keyword":{"word_list":[]}},"keyword":{"word_list":["到岗"]}}`); code != 200 {
		t.Fatalf("clear: %d %+v", code, r)
	}
	d = e.ruleDetail(id)
	ar = d["applicable_range"].(map[string]any)
	if jsonOf(t, ar["user"]) != `{"id_list":[]}` || jsonOf(t, ar["exclude_keyword"]) != `{"word_list":[]}` ||
		jsonOf(t, ar["department"]) != `{"id_list":[1,2,4]}` || ar["msg_scope"] != 3.0 {
		t.Errorf("after clearing: %s", jsonOf(t, ar))
	}
	if jsonOf(t, d["keyword"]) != canon(t, `{"word_list":["到岗"],"is_case_sensitive":1,"match_rule":1,"is_trim_msg":1}`) {
		t.Errorf("keyword after word_list update: %s", jsonOf(t, d["keyword"]))
	}
	// the stored rule really evaluates with the cleared user list
	_, set, err := e.db.KeywordRuleSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Compile(set, 1)
	if err != nil {
		t.Fatal(err)
	}
	if h := rs.Evaluate(&rules.Message{Text: "到岗", Direction: rules.DirSent, AccountID: "someone-else", JobID: 1}, nil); len(h) != 1 {
		t.Errorf("cleared user list still restricts: %+v", h)
	}
	// an update that leaves neither keywords nor behaviours is rejected (the
	// seed forbids the keyword flags without words), and nothing changes
	code, r := put(`{"keyword":{"word_list":[]},"semantics":{"semantics_list":[]}}`)
	if code != 400 || r.Errcode != api.ErrcodeInvalidParam || !strings.HasPrefix(r.Errmsg, "keyword.is_case_sensitive") {
		t.Errorf("emptying both: %d %+v", code, r)
	}
	if d2 := e.ruleDetail(id); jsonOf(t, d2) != jsonOf(t, d) {
		t.Errorf("failed update changed the rule: %s", jsonOf(t, d2))
	}
	// validation, unknown fields, mismatching id, unknown id
	for _, tt := range []struct{ body, prefix string }{
		{`{"name":""}`, "name"},
		{`{"keyword":{"match_rule":5}}`, "keyword.match_rule"},
		{`{"applicable_range":{"chat_type":{"type_list":[3]}}}`, "applicable_range.chat_type.type_list[0]"},
		{`{"nme":"typo"}`, "nme"},
		{`{"rule_id":"other"}`, "rule_id"},
		{`[1]`, "body"},
	} {
		if code, r := put(tt.body); code != 400 || !strings.HasPrefix(r.Errmsg, tt.prefix) {
			t.Errorf("%s: %d %+v, want 400 naming %s", tt.body, code, r, tt.prefix)
		}
	}
	if code, _ := e.call("PUT", "/api/keyword-rules/nope", `{"name":"x"}`); code != 404 {
		t.Errorf("update unknown: %d", code)
	}
	// null removes a whole object
	if code, r := put(`{"semantics":null,"applicable_range":{"exclude_mobile":null}}`); code != 200 {
		t.Fatalf("null: %d %+v", code, r)
	}
	d = e.ruleDetail(id)
	if _, ok := d["semantics"]; ok {
		t.Errorf("semantics not removed: %s", jsonOf(t, d))
	}
	if _, ok := d["applicable_range"].(map[string]any)["exclude_mobile"]; ok {
		t.Errorf("exclude_mobile not removed")
	}
}

func TestKeywordRuleSeedInterfaceNames(t *testing.T) {
	e := newEnv(t)
	cgi := func(name, body string) (int, map[string]any) {
		code, b := e.call("POST", "/cgi-bin/chatdata/keyword/"+name, body)
		var m map[string]any
		mustJSON(t, b, &m)
		return code, m
	}
	code, m := cgi("create_rule", seedCreate)
	if code != 200 || m["errcode"] != 0.0 || m["rule_id"] == "" {
		t.Fatalf("create_rule: %d %v", code, m)
	}
	id := m["rule_id"].(string)
	code, m = cgi("get_rule_detail", `{"rule_id":"`+id+`"}`)
	if code != 200 || m["errcode"] != 0.0 || m["name"] != "已回复" {
		t.Fatalf("get_rule_detail: %v", m)
	}
	requireFields(t, "get_rule_detail", m, "errcode", "errmsg", "name", "keyword", "semantics", "applicable_range")
	// the seed's update_rule body
	code, m = cgi("update_rule", `{"rule_id":"`+id+`","name":"已回复2","keyword":{"word_list":["收到"]},
		"applicable_range":{"exclude_mobile":{"mobile_list":[]}}}`)
	if code != 200 || m["errcode"] != 0.0 || m["errmsg"] != "ok" || len(m) != 2 {
		t.Fatalf("update_rule: %v", m)
	}
	_, m = cgi("get_rule_detail", `{"rule_id":"`+id+`"}`)
	ar := m["applicable_range"].(map[string]any)
	if m["name"] != "已回复2" || jsonOf(t, ar["exclude_mobile"]) != `{"mobile_list":[]}` || jsonOf(t, ar["exclude_email"]) != `{"email_list":["zhangsan@qq.com"]}` {
		t.Errorf("after update_rule: %v", m)
	}
	// errors answer HTTP 200 with an errcode, like WeCom
	for _, tt := range []struct {
		name, body string
		errcode    int
	}{
		{"get_rule_detail", `{"rule_id":"missing"}`, api.ErrcodeNotFound},
		{"get_rule_detail", `{}`, api.ErrcodeInvalidParam},
		{"update_rule", `{"rule_id":"` + id + `","name":""}`, api.ErrcodeInvalidParam},
		{"create_rule", `{"name":"x"}`, api.ErrcodeInvalidParam},
		{"delete_rule", `{"rule_id":"missing"}`, api.ErrcodeNotFound},
		{"get_rule_list", `{"limit":-1}`, api.ErrcodeInvalidParam},
	} {
		code, m := cgi(tt.name, tt.body)
		if code != 200 || m["errcode"] != float64(tt.errcode) || m["errmsg"] == "" {
			t.Errorf("%s %s: %d %v, want errcode %d", tt.name, tt.body, code, m, tt.errcode)
		}
	}
	code, m = cgi("delete_rule", `{"rule_id":"`+id+`"}`)
	if code != 200 || m["errcode"] != 0.0 {
		t.Errorf("delete_rule: %v", m)
	}
}

func TestKeywordRoutesNeedAuth(t *testing.T) {
	e := newEnv(t)
	id := e.createRule(`{"name":"x","keyword":{"word_list":["a"]}}`)
	for _, rt := range []struct{ method, path string }{
		{"POST", "/api/keyword-rules"}, {"GET", "/api/keyword-rules"}, {"GET", "/api/keyword-rules/" + id},
		{"PUT", "/api/keyword-rules/" + id}, {"DELETE", "/api/keyword-rules/" + id}, {"GET", "/api/keyword-hits"},
		{"GET", "/api/keyword-hits/callback"}, {"PUT", "/api/keyword-hits/callback"},
		{"POST", "/cgi-bin/chatdata/keyword/create_rule"}, {"POST", "/cgi-bin/chatdata/keyword/get_rule_list"},
		{"POST", "/cgi-bin/chatdata/keyword/get_rule_detail"}, {"POST", "/cgi-bin/chatdata/keyword/update_rule"},
		{"POST", "/cgi-bin/chatdata/keyword/delete_rule"},
		{"GET", "/api/worker/keyword-rules"}, {"POST", "/api/worker/keyword-hits"},
	} {
		for _, tok := range []string{"", "wrong-token"} {
			code, b := e.callAs(tok, rt.method, rt.path, `{}`)
			want := 401
			if strings.HasPrefix(rt.path, "/cgi-bin/") {
				want = 200 // WeCom style: errcode carries the failure
			}
			if code != want || (!strings.HasPrefix(rt.path, "/api/worker/") && !strings.Contains(string(b), fmt.Sprintf(`"errcode":%d`, api.ErrcodeInvalidToken))) {
				t.Errorf("%s %s token %q: %d %s", rt.method, rt.path, tok, code, b)
			}
		}
	}
	// an operator token is not a worker token and vice versa
	if code, _ := e.call("GET", "/api/worker/keyword-rules", ""); code != 401 {
		t.Errorf("operator token on worker route: %d", code)
	}
	if code, _ := e.callAs(testWorkerTk, "GET", "/api/keyword-rules", ""); code != 401 {
		t.Errorf("worker token on operator route: %d", code)
	}
	// the rule is untouched
	if d := e.ruleDetail(id); d["name"] != "x" {
		t.Errorf("rule changed by unauthenticated calls: %v", d)
	}
}

func TestWorkerKeywordRulesByVersion(t *testing.T) {
	e := newEnv(t)
	get := func(hdr, query string) (*http.Response, wire.KeywordRuleSnapshot) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/worker/keyword-rules"+query, nil)
		req.Header.Set("Authorization", "Bearer "+testWorkerTk)
		if hdr != "" {
			req.Header.Set("If-None-Match", hdr)
		}
		resp, b := e.do(req)
		var snap wire.KeywordRuleSnapshot
		if resp.StatusCode == 200 {
			mustJSON(t, b, &snap)
		}
		return resp, snap
	}
	resp, snap := get("", "")
	if resp.StatusCode != 200 || snap.Version != 0 || len(snap.Rules) != 0 {
		t.Fatalf("empty set: %d %+v", resp.StatusCode, snap)
	}
	id := e.createRule(`{"name":"联系方式","semantics":{"semantics_list":[2]},"applicable_range":{"msg_scope":2}}`)
	resp, snap = get(`"kr-0"`, "")
	if resp.StatusCode != 200 || snap.Version != 1 || len(snap.Rules) != 1 || snap.Rules[0].RuleID != id {
		t.Fatalf("after create: %d %+v", resp.StatusCode, snap)
	}
	etag := resp.Header.Get("ETag")
	if resp, _ = get(etag, ""); resp.StatusCode != http.StatusNotModified {
		t.Errorf("same ETag: %d", resp.StatusCode)
	}
	if resp, _ = get("", "?since_version=1"); resp.StatusCode != http.StatusNotModified {
		t.Errorf("since_version=1: %d", resp.StatusCode)
	}
	if code, _ := e.call("PUT", "/api/keyword-rules/"+id, `{"name":"联系方式2"}`); code != 200 {
		t.Fatal("update failed")
	}
	resp, snap = get(etag, "")
	if resp.StatusCode != 200 || snap.Version != 2 || snap.Rules[0].Name != "联系方式2" {
		t.Errorf("after update: %d %+v", resp.StatusCode, snap)
	}
	// a worker compiles the snapshot and evaluates locally
	rs, err := rules.Compile(snap.Rules, snap.Version)
	if err != nil {
		t.Fatal(err)
	}
	if h := rs.Evaluate(&rules.Message{Text: "电话13812345678"}, nil); len(h) != 1 || h[0].RuleID != id {
		t.Errorf("local evaluation: %+v", h)
	}
	if resp, _ = get("", "?since_version=x"); resp.StatusCode != 400 {
		t.Errorf("bad since_version: %d", resp.StatusCode)
	}
}

// hitSink is a callback endpoint that fails the first failures requests.
type hitSink struct {
	mu       sync.Mutex
	failures int
	bodies   [][]byte
	sigs     []string
}

func (h *hitSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failures > 0 {
		h.failures--
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	h.bodies = append(h.bodies, b)
	h.sigs = append(h.sigs, r.Header.Get("X-Hunterbot-Signature"))
}

func hitInput(msgID, ruleID, account, candidate string, at time.Time) wire.KeywordHitInput {
	return wire.KeywordHitInput{RuleID: ruleID, Name: "联系方式", Semantics: []rules.Semantic{2}, Keywords: []string{},
		MsgID: msgID, Text: "电话13812345678", Direction: "received", AccountID: account, CandidateID: candidate, MsgTime: at}
}

func TestKeywordHitsStoreListAndCallback(t *testing.T) {
	e := newEnv(t)
	sink := &hitSink{failures: 2}
	cbSrv := httptest.NewServer(sink)
	defer cbSrv.Close()

	// callback config: validated, secret never echoed
	if code, b := e.call("PUT", "/api/keyword-hits/callback", `{"url":"ftp://x"}`); code != 400 || !strings.Contains(string(b), `"errmsg":"url`) {
		t.Errorf("bad url: %d %s", code, b)
	}
	code, b := e.call("PUT", "/api/keyword-hits/callback", `{"url":"`+cbSrv.URL+`","secret":"s3cret"}`)
	if code != 200 || strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), `"has_secret":true`) {
		t.Fatalf("set callback: %d %s", code, b)
	}
	if _, b := e.call("GET", "/api/keyword-hits/callback", ""); strings.Contains(string(b), "s3cret") || !strings.Contains(string(b), cbSrv.URL) {
		t.Errorf("get callback: %s", b)
	}

	now := e.clk.Now()
	push := func(hits ...wire.KeywordHitInput) wire.KeywordHitsResponse {
		body, _ := json.Marshal(wire.KeywordHitsRequest{Hits: hits})
		code, b := e.callAs(testWorkerTk, "POST", "/api/worker/keyword-hits", string(body))
		if code != 200 {
			t.Fatalf("push: %d %s", code, b)
		}
		var r wire.KeywordHitsResponse
		mustJSON(t, b, &r)
		return r
	}
	r1 := push(hitInput("m1", "kr1", "acc1", "geek1", now.Add(-3*time.Minute)),
		hitInput("m2", "kr1", "acc1", "geek2", now.Add(-2*time.Minute)),
		hitInput("m3", "kr2", "acc2", "geek1", now.Add(-time.Minute)))
	if len(r1.Hits) != 3 || r1.Hits[0].Callback != wire.CallbackPending || r1.Hits[0].WorkerID != testWorker {
		t.Fatalf("pushed: %+v", r1.Hits)
	}
	// a retried batch is idempotent
	r2 := push(hitInput("m1", "kr1", "acc1", "geek1", now.Add(-3*time.Minute)))
	if r2.Hits[0].ID != r1.Hits[0].ID {
		t.Errorf("retry stored a new hit: %d vs %d", r2.Hits[0].ID, r1.Hits[0].ID)
	}
	// bad hits name the field and store nothing
	body := `{"hits":[{"rule_id":"kr1","msg_id":"m9","direction":"sideways","account_id":"a","msg_time":"2024-03-04T07:00:00Z"}]}`
	if code, b := e.callAs(testWorkerTk, "POST", "/api/worker/keyword-hits", body); code != 400 || !strings.Contains(string(b), "hits[0].direction") {
		t.Errorf("bad direction: %d %s", code, b)
	}

	list := func(q string) api.HitListResponse {
		code, b := e.call("GET", "/api/keyword-hits?"+q, "")
		if code != 200 {
			t.Fatalf("list %s: %d %s", q, code, b)
		}
		var r api.HitListResponse
		mustJSON(t, b, &r)
		return r
	}
	all := list("")
	if len(all.HitList) != 3 || all.HitList[0].MsgID != "m3" || all.HasMore {
		t.Errorf("all hits (newest first): %+v", all)
	}
	if r := list("rule_id=kr1"); len(r.HitList) != 2 {
		t.Errorf("rule filter: %d", len(r.HitList))
	}
	if r := list("candidate_id=geek1&account_id=acc2"); len(r.HitList) != 1 || r.HitList[0].MsgID != "m3" {
		t.Errorf("candidate+account filter: %+v", r.HitList)
	}
	if r := list(fmt.Sprintf("since=%d", now.Add(-150*time.Second).Unix())); len(r.HitList) != 2 {
		t.Errorf("since filter: %d", len(r.HitList))
	}
	if r := list("until=" + now.Add(-150*time.Second).Format(time.RFC3339)); len(r.HitList) != 1 {
		t.Errorf("until filter: %d", len(r.HitList))
	}
	p1 := list("limit=2")
	if len(p1.HitList) != 2 || !p1.HasMore || p1.NextCursor == "" {
		t.Fatalf("page 1: %+v", p1)
	}
	p2 := list("limit=2&cursor=" + p1.NextCursor)
	if len(p2.HitList) != 1 || p2.HasMore || p2.HitList[0].MsgID != "m1" {
		t.Errorf("page 2: %+v", p2)
	}
	for _, q := range []string{"limit=0", "cursor=abc", "since=yesterday", "callback=maybe"} {
		if code, _ := e.call("GET", "/api/keyword-hits?"+q, ""); code != 400 {
			t.Errorf("%s accepted", q)
		}
	}

	// delivery: two failures, then success after the backoff on the manual clock
	ctx := context.Background()
	if n, err := e.api.DeliverKeywordHits(ctx); err != nil || n != 1 {
		t.Fatalf("first pass: delivered %d, %v", n, err) // m1, m2 fail; m3 succeeds
	}
	if n, _ := e.api.DeliverKeywordHits(ctx); n != 0 {
		t.Errorf("retried before the backoff: %d", n)
	}
	if r := list("callback=pending"); len(r.HitList) != 2 || r.HitList[0].Attempts != 1 || r.HitList[0].LastError == "" {
		t.Errorf("pending after failures: %+v", r.HitList)
	}
	e.clk.Advance(5 * time.Second)
	if n, err := e.api.DeliverKeywordHits(ctx); err != nil || n != 2 {
		t.Errorf("after backoff: delivered %d, %v", n, err)
	}
	if r := list("callback=delivered"); len(r.HitList) != 3 {
		t.Errorf("delivered: %+v", r.HitList)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.bodies) != 3 {
		t.Fatalf("sink got %d bodies", len(sink.bodies))
	}
	for i, b := range sink.bodies {
		m := hmac.New(sha256.New, []byte("s3cret"))
		m.Write(b)
		if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); sink.sigs[i] != want {
			t.Errorf("signature %q, want %q", sink.sigs[i], want)
		}
		var cb api.HitCallbackBody
		mustJSON(t, b, &cb)
		if cb.Event != "keyword_hit" || cb.Hit.RuleID == "" || cb.Hit.ID == 0 {
			t.Errorf("callback body %s", b)
		}
	}
}

func TestKeywordHitCallbackGivesUp(t *testing.T) {
	e := newEnv(t)
	sink := &hitSink{failures: 1000}
	cbSrv := httptest.NewServer(sink)
	defer cbSrv.Close()
	if err := e.db.SetKeywordCallback(wire.KeywordCallback{URL: cbSrv.URL}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.AddKeywordHits(testWorker, []wire.KeywordHitInput{hitInput("m1", "kr1", "a", "g", e.clk.Now())}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		if _, err := e.api.DeliverKeywordHits(ctx); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(10 * time.Minute)
	}
	hits, _, _, err := e.db.ListKeywordHits(wire.KeywordHitFilter{}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if h := hits[0]; h.Callback != wire.CallbackFailed || h.Attempts != 8 || h.NextAttemptAt != nil {
		t.Errorf("after giving up: %+v", h)
	}
}

// notifySink is a callback endpoint that fails the first failures
// requests and reports every request, with the clock time it arrived at,
// on got.
type notifySink struct {
	mu       sync.Mutex
	clk      *clock.Manual
	failures int
	got      chan sinkCall
}

type sinkCall struct {
	body []byte
	at   time.Time
}

func (n *notifySink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	n.mu.Lock()
	fail := n.failures > 0
	if fail {
		n.failures--
	}
	n.mu.Unlock()
	if fail {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}
	n.got <- sinkCall{body: b, at: n.clk.Now()}
}

// The delivery loop posts a pushed hit at once (no clock tick needed),
// retries a failed one when its backoff is due, and otherwise idles.
func TestKeywordHitDeliveryLoopWakesOnPush(t *testing.T) {
	e := newEnv(t)
	sink := &notifySink{clk: e.clk, failures: 1, got: make(chan sinkCall, 8)}
	cbSrv := httptest.NewServer(sink)
	defer cbSrv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.api.RunKeywordHitDelivery(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("RunKeywordHitDelivery = %v", err)
		}
	}()
	waitSleeping := func() {
		t.Helper()
		wctx, wcancel := context.WithDeadline(ctx, testwait.Guard(t))
		defer wcancel()
		if err := e.clk.WaitForWaiters(wctx, 1); err != nil {
			t.Fatal("the delivery loop did not go back to sleep")
		}
	}
	waitSleeping()
	if code, b := e.call("PUT", "/api/keyword-hits/callback", `{"url":"`+cbSrv.URL+`"}`); code != 200 {
		t.Fatalf("set callback: %d %s", code, b)
	}
	start := e.clk.Now()
	body, _ := json.Marshal(wire.KeywordHitsRequest{Hits: []wire.KeywordHitInput{hitInput("m1", "kr1", "acc1", "geek1", start)}})
	if code, b := e.callAs(testWorkerTk, "POST", "/api/worker/keyword-hits", string(body)); code != 200 {
		t.Fatalf("push: %d %s", code, b)
	}
	// The first attempt is made without the clock moving; it fails.
	if first := <-sink.got; !first.at.Equal(start) {
		t.Fatalf("first attempt at +%v, want at once", first.at.Sub(start))
	}
	var delivered *sinkCall
	for delivered == nil {
		waitSleeping()
		e.clk.AdvanceToNext()
		select {
		case c := <-sink.got:
			delivered = &c
		default:
		}
	}
	if took := delivered.at.Sub(start); took != 5*time.Second {
		t.Fatalf("retry after %v of clock time, want at its 5 s backoff", took)
	}
	if !strings.Contains(string(delivered.body), `"msg_id":"m1"`) {
		t.Fatalf("callback body %s", delivered.body)
	}
	// Nothing is due any more: the loop idles a minute per sleep.
	waitSleeping()
	before := e.clk.Now()
	e.clk.AdvanceToNext()
	waitSleeping()
	if idle := e.clk.Now().Sub(before); idle != time.Minute {
		t.Fatalf("idle sleep %v, want 1m", idle)
	}
	select {
	case c := <-sink.got:
		t.Fatalf("delivered again: %s", c.body)
	default:
	}
}
