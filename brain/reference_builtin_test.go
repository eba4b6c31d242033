package brain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// builtinRef posts raw request bodies to a built-in brain.
type builtinRef struct {
	t  *testing.T
	ts *httptest.Server
}

func newBuiltinRef(t *testing.T) *builtinRef {
	t.Helper()
	// 12:00 in Shanghai: the 09:00 slot is past, the 16:00 one ahead.
	clk := clock.NewManual(time.Date(2026, 11, 30, 12, 0, 0, 0, clock.Shanghai))
	srv, err := server.New(server.Options{DataDir: t.TempDir(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &builtinRef{t: t, ts: ts}
}

// post sends body to path and returns the envelope's data, failing the
// test unless ret is 0.
func (b *builtinRef) post(path string, body []byte) any {
	b.t.Helper()
	resp, err := http.Post(b.ts.URL+path, "application/json", bytes.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env struct {
		Ret  *int `json:"ret"`
		Data any  `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Ret == nil || *env.Ret != 0 {
		b.t.Fatalf("POST %s %s: %s", path, body, raw)
	}
	return env.Data
}

// golden posts a golden exchange's request and returns our data and the
// reference's, with the replacements old→new applied to both (ids the
// built-in brain draws differently).
func (b *builtinRef) golden(line, name string, repl ...string) pair {
	b.t.Helper()
	ex := loadRef(b.t, line, name)
	body, answer := string(ex.Request), ex.Body
	for i := 0; i+1 < len(repl); i += 2 {
		body = strings.ReplaceAll(body, repl[i], repl[i+1])
		answer = strings.ReplaceAll(answer, repl[i], repl[i+1])
	}
	ours := b.post(ex.Endpoint, []byte(body))
	var env struct{ Data any }
	if err := json.Unmarshal([]byte(answer), &env); err != nil {
		b.t.Fatal(err)
	}
	return pair{ours, env.Data}
}

// pair is our data and the reference's for the same request.
type pair struct{ ours, theirs any }

// shape lists where got lacks a key of want or has another JSON type;
// values are not compared (ours are extensions where keys differ).
func shape(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": not an object"}
		}
		var out []string
		for k, v := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, path+"."+k+": missing")
				continue
			}
			out = append(out, shape(path+"."+k, v, gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{path + ": not a list"}
		}
		if len(w) > 0 && len(g) > 0 {
			return shape(path+"[0]", w[0], g[0])
		}
		return nil
	case string:
		if _, ok := got.(string); !ok {
			return []string{path + ": not a string"}
		}
	case float64:
		if _, ok := got.(float64); !ok {
			return []string{path + ": not a number"}
		}
	case bool:
		if _, ok := got.(bool); !ok {
			return []string{path + ": not a bool"}
		}
	}
	return nil
}

// TestReferenceShapesOnBuiltin: what the reference's own clients send is
// accepted by the built-in brain, which answers in the reference's shapes
// (values too where the inputs determine them).
func TestReferenceShapesOnBuiltin(t *testing.T) {
	b := newBuiltinRef(t)
	same := func(what string, p pair) {
		t.Helper()
		if d := subset("data", p.theirs, p.ours); len(d) > 0 {
			got, _ := json.Marshal(p.ours)
			t.Fatalf("%s: %v\nours: %s", what, d, got)
		}
	}
	like := func(what string, p pair) {
		t.Helper()
		if d := shape("data", p.theirs, p.ours); len(d) > 0 {
			got, _ := json.Marshal(p.ours)
			t.Fatalf("%s: %v\nours: %s", what, d, got)
		}
	}

	// v2.0: job with touch_msg + filter_config, account without taskConfig
	// (the generated plan), fetch, filter, report, chat in epoch ms.
	same("job/register", b.golden("v2", "01_job_register"))
	same("account/register", b.golden("v2", "05_account_register_default_plan"))
	same("job/query", b.golden("v2", "03_job_query"))
	same("account/query", b.golden("v2", "06_account_query"))
	same("task/fetch (generated plan, filter object)", b.golden("v2", "07_task_fetch"))
	same("candidate/filter", b.golden("v2", "08_candidate_filter"))
	same("task/report", b.golden("v2", "09_task_report"))
	like("candidate/chat (epoch ms)", b.golden("v2", "10_candidate_chat"))
	like("recallList", b.golden("v2", "12_recall_list"))
	like("wechat/taskToDo (accountID)", b.golden("v2", "15_wechat_task_todo", `"wx_1"`, `"account_Boss_27175761"`))

	// v3.0: console registration under /backend/manage/ (no platformID; a
	// taskConfig list with its criteria object), fetch with touch_msg.
	jobData := b.post(brain.PathJobRegisterV3, []byte(`{"platformType":"Boss","jobName":"客服专员","robotApi":"",`+
		`"jobConfig":{"dynamic_job_config":{"touch_msg":"您好，看了您的简历很合适，方便聊聊吗","min_age":"20","max_age":"40","min_degree":"大专","school":"0"}}}`))
	job3, _ := jobData.(map[string]any)["jobID"].(string)
	if !strings.HasPrefix(job3, "job_Boss_") || len(job3) != len("job_Boss_")+10 {
		t.Fatalf("v3 job register: jobID %q, want job_Boss_<10 digits>", job3)
	}
	const golden3 = "job_Boss_4817362905"
	same("manage/account/register", b.golden("v3", "03_manage_account_register", golden3, job3, "27175761", "27175763"))
	same("task/fetch v3 (touch_msg from the job)", b.golden("v3", "04_task_fetch", golden3, job3, "27175761", "27175763"))
	like("candidate/chat v3", b.golden("v3", "08_candidate_chat", golden3, job3, "27175761", "27175763"))
	like("recallList v3", b.golden("v3", "10_recall_list", "27175761", "27175763"))

	// Older bots: "2006-01-02 15:04:05" history times and account_id.
	b.post(brain.PathChat, []byte(`{"accountID":"account_Boss_27175761","candidateID":"46232784",`+
		`"historyMsg":[{"speaker":"user","msg":"您好","time":"2026-11-30 09:00:00"}]}`))
	todo := b.post(brain.PathWechatTaskToDo, []byte(`{"account_id":"account_Boss_27175761"}`)).(map[string]any)
	if _, ok := todo["task"]; !ok {
		t.Fatalf("taskToDo answer lacks the reference's task key: %v", todo)
	}
	if _, ok := todo["task_list"]; !ok {
		t.Fatalf("taskToDo answer lacks task_list: %v", todo)
	}
}

// TestReferenceFilterArgsOnBuiltin is the case: a job configured
// with the reference's filter_args keys must exclude a 50-year-old with
// 初中及以下 in 上海 expecting 销售, and accept the golden card.
func TestReferenceFilterArgsOnBuiltin(t *testing.T) {
	b := newBuiltinRef(t)
	b.post(brain.PathJobRegister, []byte(`{"platformType":"Boss","platformID":"5001","jobName":"客服","robotApi":"/kefu",
		"jobConfig":{"touch_msg":"您好","filter_config":"boss_autoload_filter","chat_config":"base_common_chat",
		"filter_args":{"age_range":[20,35],"min_degree":"大专","location":["北京"],"job_tags":["客服"],"school":0,
		"active_threshold":60,"neg_words":[""]}}}`))
	b.post(brain.PathAccountRegister, []byte(`{"platformType":"Boss","platformID":"9","jobs":["job_Boss_5001"]}`))
	card := string(refCard(t, "v2", "08_candidate_filter"))
	excluded := strings.NewReplacer(`"46232784"`, `"46232799"`, `46232784`, `46232799`, `"28岁"`, `"50岁"`,
		`"geekDegree": "本科"`, `"geekDegree": "初中及以下"`, `"expectLocationName": "北京"`, `"expectLocationName": "上海"`,
		`"expectPositionName": "客服"`, `"expectPositionName": "销售"`, `"positionName": "客服专员"`, `"positionName": "销售代表"`,
		`"电话销售"`, `"门店"`).Replace(card)
	for _, tc := range []struct {
		card  string
		touch bool
	}{{excluded, false}, {card, true}} {
		got := b.post(brain.PathFilter, []byte(`{"accountID":"account_Boss_9","candidateInfo":`+tc.card+`}`))
		if touch := got.(map[string]any)["touch"]; touch != tc.touch {
			t.Fatalf("touch = %v, want %v for %.200s", touch, tc.touch, tc.card)
		}
	}
	// An unknown key is an error naming it, and nothing is stored.
	resp, err := http.Post(b.ts.URL+brain.PathJobRegister, "application/json", strings.NewReader(
		`{"platformType":"Boss","platformID":"5002","jobName":"x","robotApi":"","jobConfig":{"filter_args":{"age_rang":[1,2]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(raw, []byte("filter_args.age_rang")) {
		t.Fatalf("unknown filter_args key: %s", raw)
	}
	c, err := brain.New(brain.Options{BaseURL: b.ts.URL, Dialect: brain.DialectBuiltin})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueryJob(context.Background(), "Boss", "5002"); err == nil {
		t.Fatal("a rejected job/register stored the job")
	}
}
