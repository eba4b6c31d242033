package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/server"
)

// killServeEnv makes the re-executed test binary serve the built-in brain
// on the data directory it names (see TestMain).
const killServeEnv = "HUNTERBOT_BRAIN_TEST_SERVE"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killServeEnv); dir != "" {
		if err := serveForKill(dir); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killToken is the child's bearer token (/debug/decisions needs one).
const killToken = "kill-test-token"

func killConfig() *server.Config {
	cfg := &server.Config{
		Jobs: []server.JobSpec{{PlatformType: "boss", PlatformID: "1", Name: "岗位",
			FilterArgs: brain.FilterArgs{DegreeMin: "本科"}}},
		Accounts: []server.AccountSpec{{PlatformType: "boss", PlatformID: "2", Jobs: []string{"job_boss_1"},
			Tasks: map[string]brain.TaskConfig{"job_boss_1": {HelloSum: 1000, TimeMount: []brain.TimeMount{{Time: "23:59", Mount: 1}}}}}},
	}
	cfg.Server.Token = killToken
	return cfg
}

// serveForKill is the child process: the brain on a loopback port, printed
// as "LISTEN addr", served until the process is killed.
func serveForKill(dir string) error {
	// Nothing is committed to brain.db while the test runs: every
	// answered write is only in the redo log when the process is killed.
	srv, err := server.New(server.Options{DataDir: dir, Config: killConfig(), CommitEvery: time.Hour})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("LISTEN %s\n", ln.Addr())
	go (&http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	return srv.Close()
}

// startBrainProcess runs the brain in a child process on dir and returns
// its base URL and process.
func startBrainProcess(t *testing.T, dir string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killServeEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTEN ")
	if err != nil || !ok {
		t.Fatalf("brain process said %q (%v)", line, err)
	}
	return "http://" + addr, cmd
}

// TestAcknowledgedDecisionsSurviveSIGKILL kills a real brain process right
// after its last acknowledged answer and checks, after a restart on the
// same directory, everything the bot relies on: every filter decision
// (served by /debug/decisions), the reported greetings and chats that make
// filter refuse a candidate again, a refusal, a stored contact and a
// recall count. The child never commits to brain.db before the kill
// (CommitEvery), so all of it comes back from the redo log.
func TestAcknowledgedDecisionsSurviveSIGKILL(t *testing.T) {
	dir := t.TempDir()
	url, cmd := startBrainProcess(t, dir)
	c, err := brain.New(brain.Options{BaseURL: url, Token: killToken, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const account = "account_boss_2"
	geek := func(id int, degree string) json.RawMessage {
		raw, _ := json.Marshal(map[string]any{"geekCard": map[string]any{"geekId": id, "geekDegree": degree}})
		return raw
	}

	// Greetings reported and a chat: filter must refuse these candidates
	// again after the restart.
	if err := c.ReportTask(ctx, brain.TaskReportRequest{AccountID: account, TaskStatus: []brain.TaskStatus{
		{TaskType: brain.TaskTypeBatchTouch, Details: brain.TaskDetails{CandidateList: []string{"101", "102"}}}}},
		brain.WithIdempotencyKey("kill-report-1")); err != nil {
		t.Fatal(err)
	}
	refusal, err := c.Chat(ctx, brain.ChatRequest{AccountID: account, CandidateID: "103", CandidateName: "乙",
		HistoryMsg: []brain.ChatMessage{{Speaker: "robot", Msg: "您好"}, {Speaker: "user", Msg: "不考虑，谢谢"}}})
	if err != nil || refusal.NextStep != brain.StepNoTalk {
		t.Fatalf("refusal chat = %+v, %v", refusal, err)
	}
	if err := c.SubmitResult(ctx, brain.ResultRequest{AccountID: account, CandidateID: "104", CandidateName: "丙",
		Phone: "13800001111"}, brain.WithIdempotencyKey("kill-result-1")); err != nil {
		t.Fatal(err)
	}
	// Then a run of filter decisions, the last acknowledged just before
	// the kill; concurrent, as the bot's accounts ask in parallel.
	type decided struct {
		id    string
		touch bool
	}
	const n = 200
	results := make(chan decided, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			id := 5000 + i
			degree := "硕士"
			if i%3 == 0 {
				degree = "大专"
			}
			touch, err := c.Filter(ctx, brain.FilterRequest{AccountID: account, CandidateInfo: geek(id, degree)})
			if err != nil {
				errs <- err
				return
			}
			results <- decided{strconv.Itoa(id), touch}
		}()
	}
	want := map[string]bool{}
	for range n {
		select {
		case err := <-errs:
			t.Fatal(err)
		case d := <-results:
			want[d.id] = d.touch
		}
	}
	// Writes answered just before the kill: a conversation with a recall.
	if _, err := c.Chat(ctx, brain.ChatRequest{AccountID: account, CandidateID: "105", CandidateName: "丁",
		HistoryMsg: []brain.ChatMessage{{Speaker: "robot", Msg: "您好"}, {Speaker: "user", Msg: "工资多少？"}}}); err != nil {
		t.Fatal(err)
	}
	if err := c.RecallResult(ctx, brain.RecallResultRequest{AccountID: account, CandidateID: "105"},
		brain.WithIdempotencyKey("kill-recall-1")); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("brain process ended with %v; want killed", err)
	}

	url, _ = startBrainProcess(t, dir)
	c, err = brain.New(brain.Options{BaseURL: url, Token: killToken, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, url+"/debug/decisions?limit=1000&accountID="+account, nil)
	req.Header.Set("Authorization", "Bearer "+killToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Data []server.Decision `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, d := range env.Data {
		got[d.CandidateID] = d.Touch
	}
	for id, touch := range want {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("acknowledged decision for %s lost across SIGKILL", id)
		case g != touch:
			t.Errorf("decision for %s = %v after restart; answered %v", id, g, touch)
		}
	}
	if len(env.Data) != n {
		t.Errorf("%d decisions after restart; want %d", len(env.Data), n)
	}

	for _, id := range []int{101, 102, 103, 104} {
		touch, err := c.Filter(ctx, brain.FilterRequest{AccountID: account, CandidateInfo: geek(id, "硕士")})
		if err != nil || touch {
			t.Errorf("filter(%d) after restart = %v, %v; the greeting, chat or result was lost", id, touch, err)
		}
	}
	for _, id := range []string{"103", "104"} {
		d, err := c.Chat(ctx, brain.ChatRequest{AccountID: account, CandidateID: id, CandidateName: "乙",
			HistoryMsg: []brain.ChatMessage{{Speaker: "robot", Msg: "您好"}, {Speaker: "user", Msg: "不考虑，谢谢"},
				{Speaker: "robot", Msg: "好的"}, {Speaker: "user", Msg: "工资多少？"}}})
		if err != nil || d.NextStep != brain.StepNoTalk {
			t.Errorf("chat(%s) after restart = %+v, %v; want noTalk (refusal / contact remembered)", id, d, err)
		}
	}
	// The recall was counted: the next one is the second message.
	recalls, err := c.RecallList(ctx, brain.RecallListRequest{AccountID: account, CandidateIDsRead: []string{"105"}})
	if err != nil || len(recalls) != 1 || recalls[0].RecallMsg != "hi 亲，您对我们感兴趣的话，方便交换个联系方式或者简历吗？" {
		t.Errorf("recallList(105) after restart = %+v, %v; want the second recall message", recalls, err)
	}
	// A replayed report is recognised: the idempotency record survived.
	tasks, err := c.FetchTasks(ctx, brain.TaskFetchRequest{AccountID: account})
	if err != nil || len(tasks) != 1 || tasks[0].HelloSum != 998 {
		t.Fatalf("tasks after restart = %+v, %v; want helloSum 998 (two greetings kept)", tasks, err)
	}
}
