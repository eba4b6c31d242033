package brain_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
)

// The golden files under testdata/reference/<line>/ hold one exchange each
// with the reference server (siliconbaselife/hunter_robot), in the shapes
// read from its two code lines: the request its own clients send and the
// body it answers, byte for byte as its handlers print it (Python
// json.dumps separators and \u escapes, text/html on success, the
// exception envelope without "ret" as application/json).

// refExchange is one golden file.
type refExchange struct {
	Endpoint    string          `json:"endpoint"`
	ContentType string          `json:"content_type"`
	Request     json.RawMessage `json:"request"`
	Body        string          `json:"response_body"`
}

func loadRef(t *testing.T, line, name string) refExchange {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "reference", line, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var ex refExchange
	if err := json.Unmarshal(raw, &ex); err != nil {
		t.Fatalf("%s/%s: %v", line, name, err)
	}
	return ex
}

// refServer answers every request with the current golden exchange and
// keeps what the client sent.
type refServer struct {
	mu      sync.Mutex
	ex      refExchange
	path    string
	body    []byte
	cookie  string
	calls   int
	missing []string
}

func (s *refServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.path = r.URL.Path
	s.body, _ = io.ReadAll(r.Body)
	if c, err := r.Cookie("user_name"); err == nil {
		s.cookie = c.Value
	}
	if r.Method != http.MethodPost || r.URL.Path != s.ex.Endpoint {
		http.NotFound(w, r) // Flask's answer for a route it does not have
		return
	}
	w.Header().Set("Content-Type", s.ex.ContentType)
	io.WriteString(w, s.ex.Body)
}

// subset lists the paths where want (the reference client's request) is
// not contained in got (ours): every key with an equal value, arrays item
// by item. Extra keys in got are fine (the reference ignores them).
func subset(path string, want, got any) []string {
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
			out = append(out, subset(path+"."+k, v, gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{path + ": list differs"}
		}
		var out []string
		for i := range w {
			out = append(out, subset(path+"["+strconv.Itoa(i)+"]", w[i], g[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{path + ": differs"}
	}
	return nil
}

// refCase calls the client against one golden exchange and checks what it
// decoded. sendsRequest=false: the golden request is the reference's answer
// to a shape the client no longer sends (documented, not compared).
type refCase struct {
	name         string
	opts         brain.Options
	sendsRequest bool
	call         func(c *brain.Client) error
}

func runRef(t *testing.T, line string, cases []refCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ex := loadRef(t, line, tc.name)
			srv := &refServer{ex: ex}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			opts := tc.opts
			opts.BaseURL = ts.URL
			if opts.MaxRetries == 0 {
				opts.MaxRetries = 3 // a retry would show as a second call
			}
			if opts.Dialect == "" {
				opts.Dialect = brain.Dialect(line)
			}
			c, err := brain.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			if opts.ManageCookie != "" && srv.cookie != opts.ManageCookie {
				t.Fatalf("user_name cookie %q not sent on %s", opts.ManageCookie, ex.Endpoint)
			}
			if srv.calls != 1 || srv.path != ex.Endpoint {
				t.Fatalf("calls %d, last path %s; want exactly one call of %s", srv.calls, srv.path, ex.Endpoint)
			}
			if !tc.sendsRequest {
				return
			}
			var want, got any
			if err := json.Unmarshal(ex.Request, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(srv.body, &got); err != nil {
				t.Fatalf("request body %s: %v", srv.body, err)
			}
			if diff := subset("request", want, got); len(diff) > 0 {
				t.Fatalf("the client's request lacks what the reference reads: %v\nsent: %s", diff, srv.body)
			}
		})
	}
}

func wantNoRet(err error) error {
	if !errors.Is(err, brain.ErrNoRet) {
		return errors.New("want the exception envelope as ErrNoRet, got " + errString(err))
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func check(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	b, _ := json.Marshal(args)
	return errors.New(format + " " + string(b))
}

var (
	refCtx  = context.Background()
	refHist = []brain.ChatMessage{
		{Speaker: "robot", Msg: "您好，看了您的简历很合适，方便聊聊吗", Time: 1764464400000},
		{Speaker: "user", Msg: "您好，薪资多少？", Time: 1764464460000},
	}
)

// refCard is the recommend-list item of the golden filter requests.
func refCard(t *testing.T, line, name string) json.RawMessage {
	var req struct {
		CandidateInfo json.RawMessage `json:"candidateInfo"`
	}
	if err := json.Unmarshal(loadRef(t, line, name).Request, &req); err != nil {
		t.Fatal(err)
	}
	return req.CandidateInfo
}

func TestReferenceV2Client(t *testing.T) {
	const acct, job = "account_Boss_27175761", "job_Boss_3001"
	card := refCard(t, "v2", "08_candidate_filter")
	runRef(t, "v2", []refCase{
		{name: "01_job_register", sendsRequest: true, call: func(c *brain.Client) error {
			id, err := c.RegisterJob(refCtx, brain.JobRegisterRequest{PlatformType: "Boss", PlatformID: "3001", JobName: "客服专员",
				JobJD: "电话客服，北京", RobotAPI: "/kefu", JobConfig: &brain.JobConfig{TouchMsg: "您好，看了您的简历很合适，方便聊聊吗",
					FilterConfig: "common_custom_service_filter"}})
			if err != nil {
				return err
			}
			return check(id == job, "jobID", id)
		}},
		{name: "02_job_register_duplicate", call: func(c *brain.Client) error {
			_, err := c.RegisterJob(refCtx, brain.JobRegisterRequest{PlatformType: "Boss", PlatformID: "3001", JobName: "客服专员", RobotAPI: "/kefu"})
			return wantNoRet(err)
		}},
		{name: "03_job_query", sendsRequest: true, call: func(c *brain.Client) error {
			id, err := c.QueryJob(refCtx, "Boss", "3001")
			if err != nil {
				return err
			}
			return check(id == job, "jobID", id)
		}},
		{name: "04_job_query_unknown", sendsRequest: true, call: func(c *brain.Client) error {
			_, err := c.QueryJob(refCtx, "Boss", "404")
			return wantNoRet(err)
		}},
		{name: "05_account_register_default_plan", sendsRequest: true, call: func(c *brain.Client) error {
			id, err := c.RegisterAccount(refCtx, brain.AccountRegisterRequest{PlatformType: "Boss", PlatformID: "27175761",
				Jobs: []string{job}, Desc: "北京一号"})
			if err != nil {
				return err
			}
			return check(id == acct, "accountID", id)
		}},
		{name: "06_account_query", sendsRequest: true, call: func(c *brain.Client) error {
			id, err := c.QueryAccount(refCtx, "Boss", "27175761")
			if err != nil {
				return err
			}
			return check(id == acct, "accountID", id)
		}},
		{name: "07_task_fetch", sendsRequest: true, call: func(c *brain.Client) error {
			tasks, err := c.FetchTasks(refCtx, brain.TaskFetchRequest{AccountID: acct})
			if err != nil {
				return err
			}
			if len(tasks) != 1 {
				return check(false, "tasks", tasks)
			}
			tk := tasks[0]
			var crit struct {
				City struct{ Area string } `json:"city"`
			}
			_ = json.Unmarshal(tk.Filter.Criteria, &crit)
			return check(tk.JobID == job && tk.HelloSum == 50 && len(tk.TimeMount) == 1 && tk.TimeMount[0].Mount == 50 &&
				tk.Filter.Ask && crit.City.Area == "北京", "task (filter object means ask)", tk)
		}},
		{name: "08_candidate_filter", sendsRequest: true, call: func(c *brain.Client) error {
			touch, err := c.Filter(refCtx, brain.FilterRequest{AccountID: acct, CandidateID: "46232784", CandidateInfo: card})
			if err != nil {
				return err
			}
			return check(touch, "touch", touch)
		}},
		{name: "09_task_report", sendsRequest: true, call: func(c *brain.Client) error {
			return c.ReportTask(refCtx, brain.TaskReportRequest{AccountID: acct, JobID: job, TaskStatus: []brain.TaskStatus{{
				TaskType: brain.TaskTypeBatchTouch, Details: brain.TaskDetails{CandidateList: []string{"46232784"}}}}},
				brain.WithIdempotencyKey("brain/report/x"))
		}},
		{name: "10_candidate_chat", sendsRequest: true, call: func(c *brain.Client) error {
			d, err := c.Chat(refCtx, brain.ChatRequest{AccountID: acct, JobID: job, CandidateID: "46232784", CandidateName: "张女士", HistoryMsg: refHist})
			if err != nil {
				return err
			}
			return check(d.NextStep == brain.StepNeedContact && strings.HasSuffix(d.NextStepContent, "我们可以详细沟通一下"), "chat", d)
		}},
		// The reference's answer to the "2006-01-02 15:04:05" times earlier
		// bots sent: an exception, not retried.
		{name: "11_candidate_chat_string_time", call: func(c *brain.Client) error {
			_, err := c.Chat(refCtx, brain.ChatRequest{AccountID: acct, CandidateID: "46232784", HistoryMsg: refHist})
			return wantNoRet(err)
		}},
		{name: "12_recall_list", sendsRequest: true, call: func(c *brain.Client) error {
			rs, err := c.RecallList(refCtx, brain.RecallListRequest{AccountID: acct, CandidateIDs: []string{"46232784", "46232785"}})
			if err != nil {
				return err
			}
			return check(len(rs) == 1 && rs[0].CandidateID == "46232784" && rs[0].NeedRecall && rs[0].RecallMsg != "", "recalls", rs)
		}},
		{name: "13_recall_result", sendsRequest: true, call: func(c *brain.Client) error {
			return c.RecallResult(refCtx, brain.RecallResultRequest{AccountID: acct, CandidateID: "46232784"})
		}},
		{name: "14_task_report_no_touch_msg", sendsRequest: true, call: func(c *brain.Client) error {
			err := c.ReportTask(refCtx, brain.TaskReportRequest{AccountID: "account_Boss_27175762", TaskStatus: []brain.TaskStatus{{
				TaskType: brain.TaskTypeBatchTouch, Details: brain.TaskDetails{CandidateList: []string{"46232784"}}}}})
			return wantNoRet(err)
		}},
		{name: "15_wechat_task_todo", sendsRequest: true, call: func(c *brain.Client) error {
			tasks, err := c.WechatTaskToDo(refCtx, "wx_1")
			if err != nil {
				return err
			}
			return check(len(tasks) == 2 && tasks[0].TaskType == brain.WechatAddFriend && len(tasks[0].Content) == 0, "tasks", tasks)
		}},
		{name: "16_wechat_msg_send_report", sendsRequest: true, call: func(c *brain.Client) error {
			err := c.WechatMsgSendReport(refCtx, brain.WechatMsgSendReport{AccountID: "wx_1", AliasID: "张女士-46232784", MsgSend: "您好"})
			return wantNoRet(err)
		}},
	})
}

func TestReferenceV3Client(t *testing.T) {
	const acct, job = "account_Boss_27175761", "job_Boss_4817362905"
	card := refCard(t, "v3", "06_candidate_filter")
	var crit json.RawMessage
	{
		var req struct {
			TaskConfig []struct {
				Filter json.RawMessage `json:"filter"`
			} `json:"taskConfig"`
		}
		if err := json.Unmarshal(loadRef(t, "v3", "03_manage_account_register").Request, &req); err != nil {
			t.Fatal(err)
		}
		crit = req.TaskConfig[0].Filter
	}
	runRef(t, "v3", []refCase{
		{name: "01_manage_job_register_no_login", sendsRequest: true, call: func(c *brain.Client) error {
			_, err := c.RegisterJob(refCtx, brain.JobRegisterRequest{PlatformType: "Boss", JobName: "客服专员"})
			var ae *brain.APIError
			return check(errors.Is(err, brain.ErrRejected) && errors.As(err, &ae) && ae.Reason == "未登录", "want ret -1 未登录", errString(err))
		}},
		{name: "02_manage_job_register", opts: brain.Options{ManageCookie: "c2Vzc2lvbg=="}, sendsRequest: true, call: func(c *brain.Client) error {
			id, err := c.RegisterJob(refCtx, brain.JobRegisterRequest{PlatformType: "Boss", JobName: "客服专员", JobJD: "电话客服，北京", RobotAPI: "/kefu"})
			if err != nil {
				return err
			}
			return check(id == job, "jobID", id)
		}},
		{name: "03_manage_account_register", sendsRequest: true, call: func(c *brain.Client) error {
			id, err := c.RegisterAccount(refCtx, brain.AccountRegisterRequest{PlatformType: "Boss", PlatformID: "27175761", Jobs: []string{job},
				TaskConfig: brain.TaskConfigs{job: {HelloSum: 30, TimeMount: []brain.TimeMount{{Time: "09:00", Mount: 15}, {Time: "16:00", Mount: 15}},
					Filter: brain.TaskFilter{Ask: true, Criteria: crit}}}})
			if err != nil {
				return err
			}
			return check(id == acct, "accountID", id)
		}},
		{name: "04_task_fetch", sendsRequest: true, call: func(c *brain.Client) error {
			tasks, err := c.FetchTasks(refCtx, brain.TaskFetchRequest{AccountID: acct})
			if err != nil {
				return err
			}
			return check(len(tasks) == 1 && tasks[0].HelloSum == 30 && tasks[0].Filter.Ask &&
				tasks[0].TouchMsg == "您好，看了您的简历很合适，方便聊聊吗", "tasks", tasks)
		}},
		{name: "05_task_fetch_no_touch_msg", sendsRequest: true, call: func(c *brain.Client) error {
			_, err := c.FetchTasks(refCtx, brain.TaskFetchRequest{AccountID: "account_Boss_27175762"})
			return wantNoRet(err)
		}},
		{name: "06_candidate_filter", sendsRequest: true, call: func(c *brain.Client) error {
			touch, err := c.Filter(refCtx, brain.FilterRequest{AccountID: acct, JobID: job, CandidateID: "46232784", CandidateInfo: card})
			if err != nil {
				return err
			}
			return check(!touch, "touch", touch)
		}},
		{name: "07_task_report", sendsRequest: true, call: func(c *brain.Client) error {
			return c.ReportTask(refCtx, brain.TaskReportRequest{AccountID: acct, JobID: job, TaskStatus: []brain.TaskStatus{{
				TaskType: brain.TaskTypeBatchTouch, Details: brain.TaskDetails{CandidateList: []string{"46232784"}}}}})
		}},
		{name: "08_candidate_chat", sendsRequest: true, call: func(c *brain.Client) error {
			d, err := c.Chat(refCtx, brain.ChatRequest{AccountID: acct, JobID: job, CandidateID: "46232784", CandidateName: "张女士", HistoryMsg: refHist})
			if err != nil {
				return err
			}
			return check(d.NextStep == brain.StepNeedContactNoWechat && d.NextStepContent != "", "chat", d)
		}},
		{name: "09_candidate_chat_no_talk", sendsRequest: true, call: func(c *brain.Client) error {
			h := append(append([]brain.ChatMessage(nil), refHist...),
				brain.ChatMessage{Speaker: "robot", Msg: "您好，方便留个联系方式咱细聊下吗?", Time: 1764464520000},
				brain.ChatMessage{Speaker: "user", Msg: "不考虑了", Time: 1764464580000})
			d, err := c.Chat(refCtx, brain.ChatRequest{AccountID: acct, JobID: job, CandidateID: "46232784", CandidateName: "张女士", HistoryMsg: h})
			if err != nil {
				return err
			}
			return check(d.NextStep == brain.StepNoTalk, "chat", d)
		}},
		{name: "10_recall_list", sendsRequest: true, call: func(c *brain.Client) error {
			rs, err := c.RecallList(refCtx, brain.RecallListRequest{AccountID: acct, CandidateIDs: []string{"46232784"}, CandidateIDsRead: []string{}})
			if err != nil {
				return err
			}
			return check(len(rs) == 1 && rs[0].CandidateID == "46232784" && rs[0].JobID == job, "recalls (independent id prefix removed)", rs)
		}},
		{name: "11_wechat_task_todo", sendsRequest: true, call: func(c *brain.Client) error {
			tasks, err := c.WechatTaskToDo(refCtx, "wx_1")
			if err != nil {
				return err
			}
			return check(len(tasks) == 2 && len(tasks[0].Content) == 1 && tasks[0].Content[0].AliasID == "张女士-46232784" &&
				tasks[0].Content[0].HelloMsg == "您好，我是客服专员岗位的招聘顾问", "tasks", tasks)
		}},
		{name: "12_wechat_user_msg", sendsRequest: true, call: func(c *brain.Client) error {
			_, err := c.WechatUserMsg(refCtx, brain.WechatUserMsg{AccountID: "wx_1", AliasID: "张女士-46232784", MsgReceive: "你好"})
			return wantNoRet(err)
		}},
	})
}
