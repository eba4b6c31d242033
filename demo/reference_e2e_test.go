package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
)

// TestBuiltinBrainRegisteredLikeTheReference: the built-in brain starts
// empty and is set up only with what a client written for the reference
// sends — job/register with the reference's jobConfig keys (touch_msg,
// filter_config, filter_args with its key names), v3.0's console route for
// the account with its taskConfig list and criteria object — and the
// worker runs against it with brain.platform_type "Boss", the reference's
// name. Candidates are greeted only after a touch:true, every greeting is
// counted once via task/report, the brain's replies reach the site, and
// nothing is duplicated.
func TestBuiltinBrainRegisteredLikeTheReference(t *testing.T) {
	t.Parallel()
	sc := manualScenario()
	clk := clock.NewManual(sc.Start)
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: t.TempDir(), Scenario: sc,
		Clock: clk, Seed: 7, Log: zerolog.Nop(), Browser: browsertest.Browser(t), ChatPoll: time.Minute,
		BrainUnconfigured: true, BrainPlatformType: "Boss", Heartbeat: manualHeartbeat})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })

	post := func(path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, d.BrainURL+path, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+d.BrainToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var env struct {
			Ret  *int           `json:"ret"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(raw, &env); err != nil || env.Ret == nil || *env.Ret != 0 {
			t.Fatalf("POST %s: %s", path, raw)
		}
		return env.Data
	}
	const helloSum = 6
	acct := sc.Accounts[0]
	slot := sc.Start.In(clock.Shanghai).Add(10 * time.Minute).Format("15:04")
	var tasks []map[string]any
	var jobs []string
	for _, j := range acct.Jobs {
		id := strconv.FormatInt(j.ID, 10)
		jobCfg := map[string]any{"touch_msg": acct.Greeting, "filter_config": "boss_autoload_filter", "chat_config": "base_common_chat",
			"filter_args": map[string]any{"age_range": []any{"18", "60"}, "min_degree": "初中及以下", "location": []string{},
				"job_tags": "", "school": 0, "active_threshold": 0, "neg_words": []string{""}}}
		body, _ := json.Marshal(map[string]any{"platformType": "Boss", "platformID": id, "jobName": j.Name,
			"jobJD": j.City + "，" + j.Salary, "robotApi": "/chat", "jobConfig": jobCfg})
		jobID := post(brain.PathJobRegister, string(body))["jobID"].(string)
		jobs = append(jobs, jobID)
		tasks = append(tasks, map[string]any{"jobID": jobID, "taskType": "batchTouch", "helloSum": helloSum,
			"timeMount": []any{map[string]any{"time": slot, "mount": helloSum}},
			"filter":    map[string]any{"city": map[string]any{"area": j.City}, "pay": []string{j.Salary}, "boss_job_name": j.Name}})
	}
	body, _ := json.Marshal(map[string]any{"platformType": "Boss", "platformID": acct.ID, "jobs": jobs, "taskConfig": tasks})
	if got := post(brain.PathAccountRegisterV3, string(body))["accountID"]; got != "account_Boss_"+acct.ID {
		t.Fatalf("accountID %v", got)
	}

	h := &harness{t: t, d: d, clk: clk}
	h.run(sc.Start.Add(100 * time.Minute))

	truth := d.Sim.Truth().Accounts[acct.ID]
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 {
		t.Fatalf("duplicates: greetings %v, messages %v", truth.DuplicateGreetings, truth.DuplicateMessages)
	}
	if len(truth.Greetings) < helloSum {
		t.Fatalf("greeted %d, want at least %d (sim time reached %v)", len(truth.Greetings), helloSum, clk.Now())
	}
	approved := brainApprovals(t, d.BrainURL, d.BrainToken, "account_Boss_"+acct.ID)
	perJob := map[string]int{}
	for _, g := range truth.Greetings {
		if !approved[strconv.FormatInt(g.CandidateID, 10)] {
			t.Errorf("greeted %d without a touch:true decision", g.CandidateID)
		}
		perJob["job_Boss_"+strconv.FormatInt(g.JobID, 10)]++
	}
	// Counted once each by task/report: the plan left is the plan minus
	// the site's greetings.
	bc, err := brain.New(brain.Options{BaseURL: d.BrainURL, Token: d.BrainToken, Dialect: brain.DialectBuiltin})
	if err != nil {
		t.Fatal(err)
	}
	left, err := bc.FetchTasks(context.Background(), brain.TaskFetchRequest{AccountID: "account_Boss_" + acct.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range left {
		if want := helloSum - perJob[task.JobID]; task.HelloSum != want || !task.Filter.Ask || task.TouchMsg != acct.Greeting {
			t.Errorf("%s: brain plans %d more (want %d), filter %s, touch_msg %q", task.JobID, task.HelloSum, want, task.Filter.Criteria, task.TouchMsg)
		}
	}
	// The brain's chat replies reached the site.
	replies := 0
	for _, m := range truth.Messages {
		if m.By == sim.ByBot && m.Kind == sim.KindText {
			replies++
		}
	}
	if replies == 0 {
		t.Fatalf("no bot message besides greetings reached the site (%d messages)", len(truth.Messages))
	}
	t.Logf("sim %v..%v: greeted %d (per job %v), bot messages %d, site messages %d",
		sc.Start.Format("15:04"), clk.Now().Format("15:04"), len(truth.Greetings), perJob, replies, len(truth.Messages))
}
