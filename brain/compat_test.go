package brain_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
)

func TestMsgTimeDecodesEveryObservedForm(t *testing.T) {
	want := time.Date(2025, 11, 30, 9, 0, 0, 0, clock.Shanghai).UnixMilli()
	for _, in := range []string{`1764464400000`, `1764464400`, `"1764464400000"`, `"2025-11-30 09:00:00"`, `1764464400000.0`} {
		var m brain.MsgTime
		if err := json.Unmarshal([]byte(in), &m); err != nil || int64(m) != want {
			t.Errorf("%s -> %d, %v; want %d", in, m, err, want)
		}
	}
	for _, in := range []string{`"yesterday"`, `-5`, `true`} {
		var m brain.MsgTime
		if err := json.Unmarshal([]byte(in), &m); err == nil {
			t.Errorf("%s accepted as %d", in, m)
		}
	}
	b, _ := json.Marshal(brain.ChatMessage{Speaker: "user", Msg: "x", Time: brain.MsgTime(want)})
	if string(b) != `{"speaker":"user","msg":"x","time":1764464400000}` {
		t.Errorf("marshal = %s", b)
	}
	b, _ = json.Marshal(brain.ChatMessage{Speaker: "user", Msg: "x"})
	if strings.Contains(string(b), "time") {
		t.Errorf("zero time not omitted: %s", b)
	}
}

func TestTaskFilterBoolOrObject(t *testing.T) {
	var tk brain.Task
	if err := json.Unmarshal([]byte(`{"jobID":"j","filter":{"city":{"area":"北京"}}}`), &tk); err != nil || !tk.Filter.Ask {
		t.Fatalf("object: %+v %v", tk, err)
	}
	if b, _ := json.Marshal(tk.Filter); string(b) != `{"city":{"area":"北京"}}` {
		t.Fatalf("object not passed back: %s", b)
	}
	for in, ask := range map[string]bool{`true`: true, `false`: false, `null`: false} {
		var f brain.TaskFilter
		if err := json.Unmarshal([]byte(in), &f); err != nil || f.Ask != ask {
			t.Fatalf("%s: %+v %v", in, f, err)
		}
	}
	var f brain.TaskFilter
	if err := json.Unmarshal([]byte(`"yes"`), &f); err == nil {
		t.Fatal("string filter accepted")
	}
	var tc brain.TaskConfig
	if err := yaml.Unmarshal([]byte("helloSum: 3\nfilter:\n  city: {area: 北京}\n"), &tc); err != nil || !tc.Filter.Ask ||
		!strings.Contains(string(tc.Filter.Criteria), "北京") {
		t.Fatalf("yaml mapping: %+v %v", tc, err)
	}
	if err := yaml.Unmarshal([]byte("filter: true\n"), &tc); err != nil || !tc.Filter.Ask || tc.Filter.Criteria != nil {
		t.Fatalf("yaml bool: %+v %v", tc, err)
	}
}

func TestTaskConfigsListOrMap(t *testing.T) {
	var req brain.AccountRegisterRequest
	list := `{"taskConfig":[{"jobID":"j1","taskType":"batchTouch","helloSum":5,"timeMount":[],"filter":true}]}`
	if err := json.Unmarshal([]byte(list), &req); err != nil || req.TaskConfig["j1"].HelloSum != 5 {
		t.Fatalf("list: %+v %v", req, err)
	}
	if err := json.Unmarshal([]byte(`{"taskConfig":{"j2":{"helloSum":7}}}`), &req); err != nil || req.TaskConfig["j2"].HelloSum != 7 {
		t.Fatalf("map: %+v %v", req, err)
	}
	for in, key := range map[string]string{
		`{"taskConfig":[{"helloSum":5}]}`:                       "taskConfig[0].jobID",
		`{"taskConfig":[{"jobID":"a"},{"jobID":"a"}]}`:          "taskConfig[1].jobID",
		`{"taskConfig":[{"jobID":"a","taskType":"batchChat"}]}`: "taskConfig[0].taskType",
	} {
		if err := json.Unmarshal([]byte(in), &req); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %v, want one naming %s", in, err, key)
		}
	}
	b, _ := json.Marshal(brain.AccountRegisterRequest{Jobs: []string{"j1"}, TaskConfig: brain.TaskConfigs{"j1": {HelloSum: 2}}})
	if !strings.Contains(string(b), `"taskConfig":[{"jobID":"j1","taskType":"batchTouch","helloSum":2`) {
		t.Fatalf("marshal: %s", b)
	}
}

func TestJobConfigReferenceKeys(t *testing.T) {
	var c brain.JobConfig
	in := `{"touch_msg":"您好","filter_config":"boss_autoload_filter","chat_config":"base_common_chat",
		"filter_args":{"age_range":["20","35"],"min_degree":"大专","location":"北京","school":2,"active_threshold":90,
		"job_tags":["客服",""],"neg_words":["外包"],"neg_company":["某某"],"min_salary":"5","max_salary":10,"ex_company":["x"]}}`
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	a := c.FilterArgs
	if c.TouchMsg != "您好" || a.AgeMin != 20 || a.AgeMax != 35 || a.DegreeMin != "大专" || len(a.Locations) != 1 ||
		a.SchoolTier != "985" || a.ActiveWithinHours != 2 || len(a.JobTags) != 1 || a.NegativeWords[0] != "外包" ||
		a.NegativeCompanies[0] != "某某" || a.SalaryMin != 5 || a.SalaryMax != 10 || len(a.Unapplied) != 1 {
		t.Fatalf("decoded %+v", c)
	}
	// The preset of a named reference filter applies without filter_args.
	if err := json.Unmarshal([]byte(`{"filter_config":"common_custom_service_filter"}`), &c); err != nil || c.FilterArgs.AgeMax != 35 {
		t.Fatalf("preset: %+v %v", c, err)
	}
	// Round trip through the built-in store's JSON.
	b, _ := json.Marshal(c)
	var back brain.JobConfig
	if err := json.Unmarshal(b, &back); err != nil || back.FilterArgs.AgeMax != 35 || back.FilterConfig != c.FilterConfig {
		t.Fatalf("round trip %s: %+v %v", b, back, err)
	}
	for in, key := range map[string]string{
		`{"filter_config":"magic_filter"}`:            "jobConfig.filter_config",
		`{"filter_args":{"age_range":[1]}}`:           "filter_args.age_range",
		`{"filter_args":{"school":5}}`:                "filter_args.school",
		`{"colour":"red"}`:                            "jobConfig.colour",
		`{"dynamic_job_config":{"min_age":"abc"}}`:    "jobConfig.dynamic_job_config.min_age",
		`{"filter_args":{"location":[{"city":"x"}]}}`: "filter_args.location",
	} {
		if err := json.Unmarshal([]byte(in), &c); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %v, want one naming %s", in, err, key)
		}
	}
}

// The v2.0 line divides historyMsg times by 1000; the v3.0 line hands them
// to datetime.fromtimestamp as they are. The client sends each its unit.
func TestChatHistoryTimeUnitPerDialect(t *testing.T) {
	at := time.Date(2025, 11, 30, 9, 0, 0, 0, clock.Shanghai)
	for _, tc := range []struct {
		dialect brain.Dialect
		want    int64
	}{
		{brain.DialectV2, at.UnixMilli()},
		{brain.DialectBuiltin, at.UnixMilli()},
		{brain.DialectV3, at.Unix()},
		// An auto client probes first: this server answers the v3 console
		// route, so the history goes out in seconds.
		{brain.DialectAuto, at.Unix()},
	} {
		var got struct {
			HistoryMsg []struct {
				Time int64 `json:"time"`
			} `json:"historyMsg"`
		}
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == brain.PathJobRegisterV3 {
				io.WriteString(w, `{"msg": "exception: 'platformType'", "status": 0, "data": []}`)
				return
			}
			if r.URL.Path != brain.PathChat {
				http.NotFound(w, r)
				return
			}
			if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
				t.Errorf("%s: decode: %v", tc.dialect, err)
			}
			io.WriteString(w, `{"ret":0,"msg":"success","data":{"nextStep":"normal_chat","nextStepContent":"好的"}}`)
		}))
		c, err := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1, Dialect: tc.dialect})
		if err != nil {
			t.Fatal(err)
		}
		hist := []brain.ChatMessage{{Speaker: "user", Msg: "薪资多少", Time: brain.MsgTimeOf(at)}}
		if _, err := c.Chat(context.Background(), brain.ChatRequest{AccountID: "a", CandidateID: "c", CandidateName: "张三", HistoryMsg: hist}); err != nil {
			t.Fatalf("%s: chat: %v", tc.dialect, err)
		}
		ts.Close()
		if len(got.HistoryMsg) != 1 || got.HistoryMsg[0].Time != tc.want {
			t.Errorf("%s: sent %+v, want time %d", tc.dialect, got.HistoryMsg, tc.want)
		}
		if hist[0].Time != brain.MsgTimeOf(at) {
			t.Errorf("%s: the caller's history was changed to %d", tc.dialect, hist[0].Time)
		}
	}
}
