package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
	"github.com/hunterbot/hunterbot/state/worker"
)

// callCounter is a reverse proxy in front of a brain that counts calls by
// endpoint and outcome (ok, rejected, exception, http_<code>).
type callCounter struct {
	mu  sync.Mutex
	got map[string]map[string]int
}

func (c *callCounter) proxy(t *testing.T, target string) *httptest.Server {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		outcome := "http_" + strconv.Itoa(resp.StatusCode)
		var env map[string]json.RawMessage
		if resp.StatusCode == http.StatusOK && json.Unmarshal(body, &env) == nil {
			switch ret, ok := env["ret"]; {
			case !ok:
				outcome = "exception"
			case string(ret) == "0":
				outcome = "ok"
			default:
				outcome = "rejected"
			}
		}
		c.mu.Lock()
		if c.got[resp.Request.URL.Path] == nil {
			c.got[resp.Request.URL.Path] = map[string]int{}
		}
		c.got[resp.Request.URL.Path][outcome]++
		c.mu.Unlock()
		return nil
	}
	return httptest.NewServer(rp)
}

func (c *callCounter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var eps []string
	for ep := range c.got {
		eps = append(eps, ep)
	}
	sort.Strings(eps)
	var b strings.Builder
	for _, ep := range eps {
		var parts []string
		for o, n := range c.got[ep] {
			parts = append(parts, fmt.Sprintf("%s=%d", o, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(&b, "\n  %-36s %s", ep, strings.Join(parts, " "))
	}
	return b.String()
}

// TestLiveReferenceBrain runs the scenario against a running
// reference server (siliconbaselife/hunter_robot): sim site + control
// plane + a worker whose brain.url is the reference. It is a developer
// verification: CI has no reference server, so it is skipped unless
// HUNTERBOT_REFBRAIN_URL is set (HUNTERBOT_REFBRAIN_DIALECT v2|v3, and for
// v3 HUNTERBOT_REFBRAIN_COOKIE, the console's user_name cookie).
func TestLiveReferenceBrain(t *testing.T) {
	refURL := os.Getenv("HUNTERBOT_REFBRAIN_URL")
	if refURL == "" {
		t.Skip("needs a running reference server: set HUNTERBOT_REFBRAIN_URL (developer verification; CI has none)")
	}
	dialect, err := brain.ParseDialect(os.Getenv("HUNTERBOT_REFBRAIN_DIALECT"))
	if err != nil {
		t.Fatal(err)
	}
	cookie := os.Getenv("HUNTERBOT_REFBRAIN_COOKIE")
	counter := &callCounter{got: map[string]map[string]int{}}
	px := counter.proxy(t, refURL)
	defer px.Close()
	ctx := context.Background()
	rc, err := brain.New(brain.Options{BaseURL: refURL, Dialect: dialect, ManageCookie: cookie, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if dialect, err = rc.Detect(ctx); err != nil {
		t.Fatal(err)
	}

	// v2.0's candidate/result raises without the job's WeCom group
	// (HUNTERBOT_REFBRAIN_GROUP_MSG=- leaves it out to watch the reports
	// being parked).
	groupMsg := os.Getenv("HUNTERBOT_REFBRAIN_GROUP_MSG")
	switch groupMsg {
	case "":
		groupMsg = "beijing"
	case "-":
		groupMsg = ""
	}
	sc := sim.DefaultScenario()
	acct, job := sc.Accounts[0], sc.Accounts[0].Jobs[0]
	run := strconv.FormatInt(time.Now().Unix()%1_000_000, 10)
	const helloSum = 8
	platformID := "hb" + run
	var jobID, accountID string
	if dialect == brain.DialectV3 {
		jobID, accountID = setUpV3(t, rc, refURL, cookie, platformID, acct.Greeting, job.Name, helloSum)
	} else {
		// One job: v2.0 counts every report against the account's first job.
		jobID, err = rc.RegisterJob(ctx, brain.JobRegisterRequest{PlatformType: "Boss", PlatformID: "hb" + run + "-" + strconv.FormatInt(job.ID, 10),
			JobName: job.Name, JobJD: job.City + "，" + job.Salary, RobotAPI: "/chat",
			JobConfig: &brain.JobConfig{TouchMsg: acct.Greeting, FilterConfig: "no_condition_common_filter", GroupMsg: groupMsg}})
		if err != nil {
			t.Fatalf("register job: %v", err)
		}
		// timeMount []: the whole helloSum is due at once, whatever the
		// reference's local time and the sim's clock.
		crit := json.RawMessage(`{"city":{"area":"北京"},"education":["大专","本科"],"pay":["20-35K"],"status":["离职-随时到岗"]}`)
		accountID, err = rc.RegisterAccount(ctx, brain.AccountRegisterRequest{PlatformType: "Boss", PlatformID: platformID,
			Jobs: []string{jobID}, Desc: "hunterbot live check " + run,
			TaskConfig: brain.TaskConfigs{jobID: {HelloSum: helloSum, TimeMount: []brain.TimeMount{}, Filter: brain.TaskFilter{Ask: true, Criteria: crit}}}})
		if err != nil {
			t.Fatalf("register account: %v", err)
		}
	}
	t.Logf("reference %s (%s): job %s, account %s", refURL, dialect, jobID, accountID)

	clk := clock.NewManual(sc.Start)
	d, err := Start(ctx, Options{AddrBase: "127.0.0.1:0", DataDir: t.TempDir(), Scenario: sc, Clock: clk, Seed: 11,
		Log: zerolog.Nop(), Browser: browsertest.Browser(t), ChatPoll: time.Minute,
		WorkerHook: func(cfg *bot.Config) {
			cfg.Brain.URL, cfg.Brain.PlatformType, cfg.Brain.Dialect = px.URL, "Boss", string(dialect)
			cfg.Brain.Token = "" // the demo brain's token is not the reference's
			cfg.Accounts[0].PlatformID = platformID
			cfg.Accounts[0].Jobs = []bot.JobConfig{{BrainJobID: jobID, SiteJobID: strconv.FormatInt(job.ID, 10)}}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	h := &harness{t: t, d: d, clk: clk}
	h.run(sc.Start.Add(3 * time.Hour))

	truth := d.Sim.Truth().Accounts[acct.ID]
	replies := 0
	for _, m := range truth.Messages {
		if m.By == sim.ByBot && m.Kind == sim.KindText {
			replies++
		}
	}
	left, err := rc.FetchTasks(ctx, brain.TaskFetchRequest{AccountID: accountID})
	if err != nil {
		t.Fatalf("fetch after the run: %v", err)
	}
	wdb, err := worker.Open(filepath.Join(d.WorkerConfig.DataDir, "worker.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	var parked map[string]int
	var pending map[string]int
	_ = wdb.View(func(tx *worker.Tx) (err error) {
		if parked, err = tx.CountParked(); err != nil {
			return err
		}
		pending, err = tx.Pending()
		return err
	})
	handed := 0
	for _, c := range workerConversations(t, wdb, acct.ID) {
		if c.HandedOver {
			handed++
		}
	}
	wdb.Close()
	counted := -1
	for _, tk := range left {
		if tk.JobID == jobID {
			counted = helloSum - tk.HelloSum
		}
	}
	t.Logf("sim %v..%v: greetings %d (counted by the reference: %d), chat replies sent %d, exchange requests %d, "+
		"disclosures %d, duplicates %d/%d, parked reports %v, undelivered %v, conversations handed to a human %d; brain calls by endpoint and outcome:%s",
		sc.Start.Format("15:04"), clk.Now().Format("15:04"), len(truth.Greetings), counted, replies, len(truth.ExchangeRequests),
		len(truth.Disclosures), len(truth.DuplicateGreetings), len(truth.DuplicateMessages), parked, pending, handed, counter)
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicates: %+v %+v", truth.DuplicateGreetings, truth.DuplicateMessages)
	}
	if len(truth.Greetings) == 0 || counted != len(truth.Greetings) {
		t.Fatalf("greetings %d, counted by the reference %d", len(truth.Greetings), counted)
	}
	if replies == 0 {
		t.Fatal("none of the reference's chat replies reached the site")
	}
}

// setUpV3 creates the account with the client (v3.0's console route) and
// the job the way v3.0's console does for BOSS (taskUpdate/v3: its v3
// filter and chat robot; the job registered by /backend/manage/job/register
// gets "base_common_chat", whose contact() does not even run), then sets
// the top-level touch_msg its v1 task/fetch reads (jobUpdate).
func setUpV3(t *testing.T, rc *brain.Client, refURL, cookie, platformID, greeting, position string, helloSum int) (jobID, accountID string) {
	t.Helper()
	ctx := context.Background()
	accountID, err := rc.RegisterAccount(ctx, brain.AccountRegisterRequest{PlatformType: "Boss", PlatformID: platformID, Jobs: []string{}})
	if err != nil {
		t.Fatalf("register account: %v", err)
	}
	console := func(path string, body any) json.RawMessage {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, refURL+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "user_name", Value: cookie})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var env struct {
			Ret  *int            `json:"ret"`
			Data json.RawMessage `json:"data"`
		}
		out, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(out, &env) != nil || env.Ret == nil || *env.Ret != 0 {
			t.Fatalf("%s: %s", path, out)
		}
		return env.Data
	}
	jobName := position + " " + platformID
	jobCfg := map[string]any{"job_name": jobName, "touch_msg": greeting, "recall_msg_list": []string{},
		"min_age": "18", "max_age": "60", "min_degree": "初中及以下", "school": "0", "expect_jobs": []string{position},
		"min_salary": "0", "max_salary": "100", "location": []string{"北京", "上海"}, "status": []string{"0", "1", "2", "3"},
		"job_tags": []string{}, "ex_company": []string{}, "neg_words": []string{}, "neg_company": []string{}, "ask_wechat": true}
	tmpl := map[string]any{"template_id": "", "job_requirements": position, "job_description": "北京 " + position}
	update := func() {
		console("/backend/manage/taskUpdate/v3", map[string]any{"account_id": accountID, "platform": "Boss", "params": map[string]any{
			"template_config": tmpl, "job_config": jobCfg, "task_config": map[string]any{"hello_sum": helloSum, "location": []string{"北京"}}}})
	}
	update()
	var jobs []struct {
		JobID    string `json:"job_id"`
		JobName  string `json:"job_name"`
		Template string `json:"robot_template"`
	}
	if err := json.Unmarshal(console("/backend/manage/myJobList", map[string]any{}), &jobs); err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.JobName == jobName {
			jobID = j.JobID
			tmpl["template_id"], tmpl["template_name"] = j.Template, jobName
		}
	}
	if jobID == "" {
		t.Fatalf("job %q not in myJobList", jobName)
	}
	// Its v1 candidate/filter hands the v3 filter a parsed card it cannot
	// read (KeyError 'geekCard'): the job goes back to the v1 BOSS filter,
	// whose filter_args jobUpdate sets with the top-level touch_msg.
	jobCfg["job_id"], jobCfg["filter_config"] = jobID, "boss_autoload_filter"
	update()
	console("/backend/manage/jobUpdate", map[string]any{"job_id": jobID, "robot_api": "/chat", "touch_msg": greeting,
		"filter_args": map[string]any{"age_range": []int{18, 60}, "min_degree": "初中及以下", "location": []string{"北京", "上海"},
			"active_threshold": 600, "school": 0, "job_tags": []string{}, "neg_words": []string{}}})
	return jobID, accountID
}
