package brain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/clock"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/contract")

// exchange is one recorded request/response pair.
type exchange struct {
	Endpoint string            `json:"endpoint"`
	Headers  map[string]string `json:"headers,omitempty"`
	Request  any               `json:"request"`
	Response json.RawMessage   `json:"response"`
}

// recorder is a RoundTripper that keeps the last exchange.
type recorder struct {
	mu   sync.Mutex
	last *exchange
}

func (rec *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	ex := &exchange{Endpoint: req.URL.Path}
	if k := req.Header.Get("Idempotency-Key"); k != "" {
		ex.Headers = map[string]string{"Idempotency-Key": k}
	}
	mt, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		// The boundary is random; record the form's content instead.
		form := map[string]any{}
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			if p.FileName() != "" {
				form[p.FormName()+" (file)"] = map[string]any{"filename": p.FileName(), "bytes": len(b)}
			} else {
				form[p.FormName()] = string(b)
			}
		}
		ex.Request = map[string]any{"multipart/form-data": form}
	} else {
		ex.Request = json.RawMessage(body)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(rb))
	ex.Response = json.RawMessage(bytes.TrimSpace(rb))
	rec.mu.Lock()
	rec.last = ex
	rec.mu.Unlock()
	return resp, nil
}

func (rec *recorder) take() *exchange {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	ex := rec.last
	rec.last = nil
	return ex
}

// TestContract runs the client against the built-in server over real HTTP,
// once per endpoint (and the two error envelopes), and compares every
// request and response with testdata/contract/*.json.
func TestContract(t *testing.T) {
	start, _ := time.ParseInLocation("2006-01-02 15:04", "2026-11-23 12:00", clock.Shanghai)
	clk := clock.NewManual(start)
	srv, err := server.New(server.Options{DataDir: t.TempDir(), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	rec := &recorder{}
	c, err := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1, Dialect: brain.DialectBuiltin, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const acct, job = "account_boss_27175761", "job_boss_3001"
	geek := json.RawMessage(`{"encryptGeekId":"enc-46232784","activeTimeDesc":"刚刚活跃","geekCard":{"geekId":46232784,"geekName":"张女士","geekDegree":"硕士","ageDesc":"28岁","lowSalary":12,"highSalary":18,"expectLocationName":"北京","expectPositionName":"心理咨询师","applyStatusDesc":"离职-随时到岗","geekEdus":[{"school":"北京邮电大学"}],"geekWorks":[{"company":"阳光心理","positionName":"咨询师","responsibility":"个体咨询","workEmphasisList":["沙盘"]}]}}`)
	hist := func(pairs ...string) []brain.ChatMessage {
		var out []brain.ChatMessage
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, brain.ChatMessage{Speaker: pairs[i], Msg: pairs[i+1]})
		}
		return out
	}
	wantErr := func(sentinel error) func(error) error {
		return func(err error) error {
			if !errors.Is(err, sentinel) {
				return fmt.Errorf("err = %v, want %v", err, sentinel)
			}
			return nil
		}
	}
	ok := func(err error) error { return err }
	expect := func(cond bool, format string, a ...any) error {
		if !cond {
			return fmt.Errorf(format, a...)
		}
		return nil
	}

	steps := []struct {
		name  string
		run   func() error
		check func(error) error
	}{
		{"job_register", func() error {
			id, err := c.RegisterJob(ctx, brain.JobRegisterRequest{PlatformType: "boss", PlatformID: "3001", JobName: "心理咨询师",
				JobJD: "负责心理咨询", RobotAPI: "builtin", JobConfig: &brain.JobConfig{
					Texts:      brain.JobTexts{Salary: "薪资12-20K", Location: "望京SOHO"},
					FilterArgs: brain.FilterArgs{DegreeMin: "本科", Locations: []string{"北京"}, SalaryMin: 10, SalaryMax: 25}}})
			if err != nil {
				return err
			}
			return expect(id == job, "jobID %q", id)
		}, ok},
		{"job_query", func() error {
			id, err := c.QueryJob(ctx, "boss", "3001")
			if err != nil {
				return err
			}
			return expect(id == job, "jobID %q", id)
		}, ok},
		{"job_query_unknown", func() error { _, err := c.QueryJob(ctx, "boss", "404"); return err }, wantErr(brain.ErrNoRet)},
		{"account_register", func() error {
			id, err := c.RegisterAccount(ctx, brain.AccountRegisterRequest{PlatformType: "boss", PlatformID: "27175761", Jobs: []string{job},
				Desc: "北京一号", TaskConfig: brain.TaskConfigs{job: {HelloSum: 50, Filter: brain.FilterBool(true), TouchMsg: "您好",
					TimeMount: []brain.TimeMount{{Time: "09:00", Mount: 25}, {Time: "16:00", Mount: 25}}}}})
			if err != nil {
				return err
			}
			return expect(id == acct, "accountID %q", id)
		}, ok},
		{"account_query", func() error {
			id, err := c.QueryAccount(ctx, "boss", "27175761")
			if err != nil {
				return err
			}
			return expect(id == acct, "accountID %q", id)
		}, ok},
		{"task_fetch", func() error {
			tasks, err := c.FetchTasks(ctx, brain.TaskFetchRequest{AccountID: acct})
			if err != nil {
				return err
			}
			return expect(len(tasks) == 1 && tasks[0].HelloSum == 50 && len(tasks[0].TimeMount) == 1 && tasks[0].TimeMount[0].Mount == 50, "tasks %+v", tasks)
		}, ok},
		{"candidate_filter", func() error {
			touch, err := c.Filter(ctx, brain.FilterRequest{AccountID: acct, CandidateInfo: geek})
			if err != nil {
				return err
			}
			return expect(touch, "touch false")
		}, ok},
		{"task_report", func() error {
			return c.ReportTask(ctx, brain.TaskReportRequest{AccountID: acct, TaskStatus: []brain.TaskStatus{{TaskType: brain.TaskTypeBatchTouch,
				Details: brain.TaskDetails{CandidateList: []string{"46232784", "333442"}}}}}, brain.WithIdempotencyKey("report-46232784-333442"))
		}, ok},
		{"task_fetch_after_report", func() error {
			tasks, err := c.FetchTasks(ctx, brain.TaskFetchRequest{AccountID: acct, JobID: job})
			if err != nil {
				return err
			}
			return expect(len(tasks) == 1 && tasks[0].HelloSum == 48, "tasks %+v", tasks)
		}, ok},
		{"candidate_filter_already_greeted", func() error {
			touch, err := c.Filter(ctx, brain.FilterRequest{AccountID: acct, CandidateInfo: geek})
			if err != nil {
				return err
			}
			return expect(!touch, "touch true for a greeted candidate")
		}, ok},
		{"candidate_chat", func() error {
			d, err := c.Chat(ctx, brain.ChatRequest{AccountID: acct, CandidateID: "46232784", CandidateName: "张女士",
				HistoryMsg: hist("robot", "您好，看了您的简历", "user", "您好，工资多少？")})
			if err != nil {
				return err
			}
			return expect(d.NextStep == brain.StepNeedContact, "step %s", d.NextStep)
		}, ok},
		{"candidate_chat_missing_id", func() error {
			_, err := c.Chat(ctx, brain.ChatRequest{AccountID: acct, HistoryMsg: hist("user", "在吗")})
			return err
		}, wantErr(brain.ErrRejected)},
		{"candidate_chat_other", func() error {
			d, err := c.Chat(ctx, brain.ChatRequest{AccountID: acct, JobID: job, CandidateID: "333442", CandidateName: "李先生",
				HistoryMsg: hist("robot", "您好", "user", "在哪里上班")})
			if err != nil {
				return err
			}
			return expect(d.NextStep == brain.StepNeedContact, "step %s", d.NextStep)
		}, ok},
		{"candidate_result", func() error {
			return c.SubmitResult(ctx, brain.ResultRequest{AccountID: acct, CandidateID: "46232784", CandidateName: "张女士",
				Wechat: "zhang_wx_88", Filename: "张女士-简历.pdf", CV: []byte("%PDF-1.4 test")}, brain.WithIdempotencyKey("result-46232784-1"))
		}, ok},
		{"candidate_chat_after_result", func() error {
			d, err := c.Chat(ctx, brain.ChatRequest{AccountID: acct, CandidateID: "46232784", CandidateName: "张女士",
				HistoryMsg: hist("robot", "您好", "user", "您好，工资多少？", "robot", "方便加个微信", "system", "接受与您交换微信", "user", "加我吧")})
			if err != nil {
				return err
			}
			return expect(d.NextStep == brain.StepNoTalk, "step %s", d.NextStep)
		}, ok},
		{"recall_list", func() error {
			list, err := c.RecallList(ctx, brain.RecallListRequest{AccountID: acct, CandidateIDs: []string{"46232784", "333442", "unknown"},
				CandidateIDsRead: []string{"333442"}})
			if err != nil {
				return err
			}
			return expect(len(list) == 1 && list[0].CandidateID == "333442", "recalls %+v", list)
		}, ok},
		{"recall_result", func() error {
			return c.RecallResult(ctx, brain.RecallResultRequest{AccountID: acct, CandidateID: "333442"}, brain.WithIdempotencyKey("recall-333442-0"))
		}, ok},
		{"wechat_task_todo", func() error {
			tasks, err := c.WechatTaskToDo(ctx, acct)
			if err != nil {
				return err
			}
			return expect(len(tasks) == 1 && tasks[0].TaskType == brain.WechatAddFriend, "tasks %+v", tasks)
		}, ok},
		{"wechat_add_friend_report", func() error {
			return c.WechatAddFriendReport(ctx, brain.WechatAddFriendReport{AccountID: acct, SearchID: "zhang_wx_88", AliasID: "46232784"})
		}, ok},
		{"wechat_task_todo_after_add", func() error {
			tasks, err := c.WechatTaskToDo(ctx, acct)
			if err != nil {
				return err
			}
			return expect(len(tasks) == 1 && tasks[0].TaskType == brain.WechatSendMsg, "tasks %+v", tasks)
		}, ok},
		{"wechat_msg_send_report", func() error {
			return c.WechatMsgSendReport(ctx, brain.WechatMsgSendReport{AccountID: acct, AliasID: "46232784",
				MsgSend: "您好，已经加上了，岗位的详细情况我跟您介绍下，有问题随时问我"})
		}, ok},
		{"wechat_user_msg", func() error {
			msg, err := c.WechatUserMsg(ctx, brain.WechatUserMsg{AccountID: acct, AliasID: "46232784", MsgReceive: "工资怎么算？"})
			if err != nil {
				return err
			}
			return expect(msg == "薪资12-20K", "reply %q", msg)
		}, ok},
	}

	seen := map[string]bool{}
	for i, st := range steps {
		name := fmt.Sprintf("%02d_%s", i+1, st.name)
		t.Run(name, func(t *testing.T) {
			if err := st.check(st.run()); err != nil {
				t.Fatal(err)
			}
			ex := rec.take()
			if ex == nil {
				t.Fatal("no HTTP exchange recorded")
			}
			seen[ex.Endpoint] = true
			got, err := json.MarshalIndent(ex, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "contract", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./brain -run TestContract -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("exchange differs from %s\n got: %s\nwant: %s", path, got, want)
			}
		})
	}
	var missing []string
	for _, p := range []string{brain.PathJobRegister, brain.PathJobQuery, brain.PathAccountRegister, brain.PathAccountQuery,
		brain.PathTaskFetch, brain.PathTaskReport, brain.PathFilter, brain.PathChat, brain.PathResult, brain.PathRecallList,
		brain.PathRecallResult, brain.PathWechatTaskToDo, brain.PathWechatMsgSent, brain.PathWechatAddFriend, brain.PathWechatUserMsg} {
		if !seen[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("endpoints without a contract exchange: %v", missing)
	}
}
