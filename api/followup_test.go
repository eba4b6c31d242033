package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// TestSeed000Scenario runs the seed's curl scenarios 1-3 (bodies verbatim,
// Authorization added) and checks the response shapes field by field.
func TestSeed000Scenario(t *testing.T) {
	e := newEnv(t)
	// Scenario 1.1: create config.
	code, body := e.call("POST", "/api/followup-configs", `{
    "name": "Python开发复聊配置",
    "position": "Python开发",
    "is_active": true
  }`)
	if code != 201 {
		t.Fatalf("create config: %d %s", code, body)
	}
	var cfg map[string]any
	mustJSON(t, body, &cfg)
	requireFields(t, "config", cfg, "id", "name", "position", "is_active", "scripts")
	if cfg["id"] != float64(1) || cfg["name"] != "Python开发复聊配置" || cfg["position"] != "Python开发" || cfg["is_active"] != true {
		t.Fatalf("config = %v", cfg)
	}
	// 1.2-1.4: scripts for day 1, day 2 and day 0 (forever).
	scripts := []string{`{
    "config_id": 1,
    "day_number": 1,
    "content": "后续沟通会更及时，您方便留一下您的微信号吗？我这边加您。",
    "interval_hours": 24,
    "order": 1,
    "is_active": true
  }`, `{
    "config_id": 1,
    "day_number": 2,
    "content": "您好，不知道您是否方便留个联系方式？",
    "interval_hours": 24,
    "order": 1,
    "is_active": true
  }`, `{
    "config_id": 1,
    "day_number": 0,
    "content": "您好，如果您感兴趣可以随时联系我。",
    "interval_hours": 72,
    "order": 1,
    "is_active": true
  }`}
	for i, s := range scripts {
		code, body := e.call("POST", "/api/followup-scripts", s)
		if code != 201 {
			t.Fatalf("script %d: %d %s", i, code, body)
		}
		var sc map[string]any
		mustJSON(t, body, &sc)
		requireFields(t, "script", sc, "id", "config_id", "day_number", "content", "interval_hours", "order", "is_active")
		if sc["id"] != float64(i+1) || sc["config_id"] != float64(1) {
			t.Fatalf("script %d = %v", i, sc)
		}
	}
	// GET configs: bare array, nested scripts in day order with day 0 last.
	code, body = e.call("GET", "/api/followup-configs?position=Python开发&is_active=true", "")
	if code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	var list []map[string]any
	mustJSON(t, body, &list)
	if len(list) != 1 {
		t.Fatalf("list = %s", body)
	}
	nested := list[0]["scripts"].([]any)
	var days []float64
	for _, s := range nested {
		m := s.(map[string]any)
		requireFields(t, "nested script", m, "id", "day_number", "content", "interval_hours", "order")
		days = append(days, m["day_number"].(float64))
	}
	if fmt.Sprint(days) != "[1 2 0]" {
		t.Fatalf("script order by day = %v, want [1 2 0]", days)
	}
	if m := nested[2].(map[string]any); m["interval_hours"] != float64(72) || m["content"] != "您好，如果您感兴趣可以随时联系我。" {
		t.Fatalf("day-0 script = %v", m)
	}
	// Filters exclude.
	for _, q := range []string{"?position=Java", "?is_active=false"} {
		_, body = e.call("GET", "/api/followup-configs"+q, "")
		if string(body) != "[]\n" {
			t.Fatalf("GET %s = %s, want []", q, body)
		}
	}
	// Scripts list by config and day.
	_, body = e.call("GET", "/api/followup-scripts?config_id=1&day_number=2", "")
	var sl []map[string]any
	mustJSON(t, body, &sl)
	if len(sl) != 1 || sl[0]["content"] != "您好，不知道您是否方便留个联系方式？" {
		t.Fatalf("scripts day 2 = %s", body)
	}

	// A worker owns contact 1 and reported one automatic follow-up.
	e.pushContacts(wire.ContactInput{Account: "acct-1", CandidateID: "cand-1", Name: "张三", Position: "Python开发"})
	cfgID, scID := uint64(1), uint64(1)
	sent := e.clk.Now()
	if _, err := e.db.UpsertRecords(testWorker, []wire.RecordInput{{UID: "r1", Account: "acct-1", CandidateID: "cand-1",
		ConfigID: &cfgID, ScriptID: &scID, DayNumber: 1, Content: "您好，期待与您进一步沟通。", SentAt: &sent,
		GotReply: true, ReplyContent: "好的，我的微信是 wx123456", RepliedAt: &sent}}); err != nil {
		t.Fatal(err)
	}
	// Scenario 2: records of contact 1.
	code, body = e.call("GET", "/api/followup-records?contact_id=1", "")
	if code != 200 {
		t.Fatalf("records: %d %s", code, body)
	}
	var page map[string]any
	mustJSON(t, body, &page)
	requireFields(t, "records page", page, "total", "page", "page_size", "results")
	if page["total"] != float64(1) || page["page"] != float64(1) || page["page_size"] != float64(20) {
		t.Fatalf("page = %v", page)
	}
	rec := page["results"].([]any)[0].(map[string]any)
	requireFields(t, "record", rec, "id", "contact_id", "config_id", "script_id", "day_number", "content", "sent_at", "got_reply", "reply_content", "replied_at")
	if rec["sent_at"] != "2024-03-04T07:30:45Z" || rec["got_reply"] != true || rec["reply_content"] != "好的，我的微信是 wx123456" {
		t.Fatalf("record = %v", rec)
	}

	// Scenario 3: manual send -> queued for the worker; sent_at after ack.
	code, body = e.call("POST", "/api/followup-records/send", `{
    "contact_id": 1,
    "content": "您好，我想和您聊聊这个职位。"
  }`)
	if code != 202 {
		t.Fatalf("send: %d %s", code, body)
	}
	var queued map[string]any
	mustJSON(t, body, &queued)
	if queued["status"] != "queued" || queued["sent_at"] != nil || queued["contact_id"] != float64(1) {
		t.Fatalf("queued = %v", queued)
	}
	pending, err := e.db.PendingSends(testWorker)
	if err != nil || len(pending) != 1 || pending[0].Content != "您好，我想和您聊聊这个职位。" || pending[0].CandidateID != "cand-1" {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	e.clk.Advance(time.Minute)
	if _, err := e.db.AckSend(testWorker, pending[0].ID, true, nil, ""); err != nil {
		t.Fatal(err)
	}
	_, body = e.call("GET", "/api/followup-records?contact_id=1&page_size=1&page=2", "")
	mustJSON(t, body, &page)
	rec = page["results"].([]any)[0].(map[string]any)
	if page["total"] != float64(2) || rec["sent_at"] != "2024-03-04T07:31:45Z" || rec["status"] != "sent" {
		t.Fatalf("after ack: %s", body)
	}
	// got_reply filter.
	_, body = e.call("GET", "/api/followup-records?got_reply=true", "")
	mustJSON(t, body, &page)
	if page["total"] != float64(1) {
		t.Fatalf("got_reply filter: %s", body)
	}

	// Update config (partial) keeps position; delete cascades scripts.
	code, body = e.call("PUT", "/api/followup-configs/1", `{
  "name": "Python开发复聊配置更新",
  "is_active": true
}`)
	mustJSON(t, body, &cfg)
	if code != 200 || cfg["name"] != "Python开发复聊配置更新" || cfg["position"] != "Python开发" || len(cfg["scripts"].([]any)) != 3 {
		t.Fatalf("update: %d %s", code, body)
	}
	code, body = e.call("PUT", "/api/followup-scripts/1", `{
  "content": "更新后的话术内容",
  "interval_hours": 48
}`)
	var sc map[string]any
	mustJSON(t, body, &sc)
	if code != 200 || sc["content"] != "更新后的话术内容" || sc["interval_hours"] != float64(48) || sc["day_number"] != float64(1) {
		t.Fatalf("update script: %d %s", code, body)
	}
	if code, body := e.call("DELETE", "/api/followup-scripts/2", ""); code != 204 {
		t.Fatalf("delete script: %d %s", code, body)
	}
	if code, body := e.call("DELETE", "/api/followup-configs/1", ""); code != 204 {
		t.Fatalf("delete config: %d %s", code, body)
	}
	if code, _ := e.call("GET", "/api/followup-scripts?config_id=1", ""); code != 404 {
		t.Fatalf("scripts of deleted config: %d", code)
	}
	if _, body := e.call("GET", "/api/followup-scripts", ""); string(body) != "[]\n" {
		t.Fatalf("scripts not cascaded: %s", body)
	}
}
