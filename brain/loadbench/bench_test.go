package loadbench_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/loadbench"
	"github.com/hunterbot/hunterbot/brain/server"
)

// Environment of the re-executed test binary that serves the built-in brain
// in its own process, so its CPU time is measured apart from the load's.
const serveEnv = "HUNTERBOT_LOADBENCH_SERVE" // data directory

// Environment selecting an external server instead (e.g. the reference).
const (
	urlEnv     = "HUNTERBOT_LOADBENCH_URL"     // base URL
	pidsEnv    = "HUNTERBOT_LOADBENCH_PIDS"    // comma-separated server pids (descendants included)
	accountEnv = "HUNTERBOT_LOADBENCH_ACCOUNT" // accountID to use; registered when empty
	tokenEnv   = "HUNTERBOT_LOADBENCH_TOKEN"   // bearer token, optional
	// profileEnv makes the built-in brain's process write a CPU profile
	// of its whole life to this file (go tool pprof FILE).
	profileEnv = "HUNTERBOT_LOADBENCH_CPUPROFILE"
)

// conns is the closed-loop concurrency every figure in docs/brain.md uses.
const conns = 8

func TestMain(m *testing.M) {
	if dir := os.Getenv(serveEnv); dir != "" {
		if err := serve(dir); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	stopSelf()
	os.Exit(code)
}

// benchAccount is the account of benchConfig; benchJob its only job.
const (
	benchAccount = "account_Boss_lb1"
	benchJob     = "job_Boss_lb1"
)

// benchConfig is one job with every filter criterion set (so filter does
// its full work) and one account with a daily task.
func benchConfig() *server.Config {
	return &server.Config{
		Jobs: []server.JobSpec{{PlatformType: "Boss", PlatformID: "lb1", Name: "心理咨询师",
			Texts: brain.JobTexts{Salary: "薪资12-20K，底薪加咨询提成。", Location: "北京朝阳望京", Company: "心理健康服务机构"},
			FilterArgs: brain.FilterArgs{AgeMin: 22, AgeMax: 40, DegreeMin: "本科", SchoolTier: "211", Locations: []string{"北京"},
				JobTags: []string{"心理咨询"}, NegativeWords: []string{"兼职", "实习"}, NegativeCompanies: []string{"某竞品心理"},
				SalaryMin: 10, SalaryMax: 25, ApplyStatus: []string{"离职-随时到岗", "在职-考虑机会"}, ActiveWithinHours: 72}}},
		Accounts: []server.AccountSpec{{PlatformType: "Boss", PlatformID: "lb1", Jobs: []string{benchJob},
			Tasks: map[string]brain.TaskConfig{benchJob: {HelloSum: 1000000,
				TimeMount: []brain.TimeMount{{Time: "23:59", Mount: 1}}, Filter: brain.FilterBool(true), TouchMsg: "您好，方便聊聊吗？"}}}},
	}
}

// serve runs the built-in brain on a loopback port, prints "LISTEN addr"
// and serves until SIGTERM or SIGKILL.
func serve(dir string) error {
	if path := os.Getenv(profileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	srv, err := server.New(server.Options{DataDir: dir, Config: benchConfig()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	fmt.Printf("LISTEN %s\n", ln.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	hs.Shutdown(context.Background())
	return srv.Close()
}

// target is the server under measurement.
type target struct {
	url     string
	token   string
	pids    []int
	account string
}

var (
	selfOnce sync.Once
	self     target
	selfErr  error
)

// startSelf re-executes the test binary as a brain server (once per test
// binary; the process ends with the binary).
func startSelf(tb testing.TB) target {
	selfOnce.Do(func() {
		dir, err := os.MkdirTemp("", "loadbench-")
		if err != nil {
			selfErr = err
			return
		}
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), serveEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			selfErr = err
			return
		}
		if err := cmd.Start(); err != nil {
			selfErr = err
			return
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			selfErr = fmt.Errorf("brain child: %w", err)
			return
		}
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTEN ")
		if !ok {
			selfErr = fmt.Errorf("brain child said %q", line)
			return
		}
		self = target{url: "http://" + addr, pids: []int{cmd.Process.Pid}, account: benchAccount}
		selfCmd, selfDir = cmd, dir
	})
	if selfErr != nil {
		tb.Fatal(selfErr)
	}
	return self
}

var (
	selfCmd *exec.Cmd
	selfDir string
)

// stopSelf ends the child started by startSelf, if any.
func stopSelf() {
	if selfCmd != nil {
		selfCmd.Process.Signal(syscall.SIGTERM)
		selfCmd.Wait()
		os.RemoveAll(selfDir)
	}
}

// external reads the external target from the environment.
func external(tb testing.TB) target {
	t := target{url: os.Getenv(urlEnv), token: os.Getenv(tokenEnv), account: os.Getenv(accountEnv)}
	for _, f := range strings.FieldsFunc(os.Getenv(pidsEnv), func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := strconv.Atoi(f)
		if err != nil {
			tb.Fatalf("%s: %q is not a pid", pidsEnv, f)
		}
		t.pids = append(t.pids, p)
	}
	if t.account == "" {
		acct, err := register(t)
		if err != nil {
			tb.Fatalf("register a job and an account on %s: %v", t.url, err)
		}
		t.account = acct
	}
	return t
}

// register creates the benchmark's job and account on an external server
// with bodies both servers accept: jobConfig carries the reference's keys
// (filter_config, touch_msg) next to the built-in brain's filter_args, and
// taskConfig is the reference's list form.
func register(t target) (string, error) {
	id := strconv.FormatInt(time.Now().Unix(), 10)
	job := map[string]any{"platformType": "Boss", "platformID": "lbjob" + id, "jobName": "心理咨询师", "jobJD": "心理咨询",
		"robotApi": "/chat/common", "jobConfig": map[string]any{
			"filter_config": "common_custom_service_filter", "touch_msg": "您好，方便聊聊吗？", "group_msg": "beijing",
			"filter_args": benchConfig().Jobs[0].FilterArgs}}
	var jd brain.JobIDData
	if err := call(t, brain.PathJobRegister, job, &jd); err != nil {
		return "", err
	}
	acct := map[string]any{"platformType": "Boss", "platformID": "lbacct" + id, "jobs": []string{jd.JobID}, "desc": "loadbench",
		"taskConfig": []map[string]any{{"jobID": jd.JobID, "taskType": brain.TaskTypeBatchTouch, "helloSum": 1000000,
			"timeMount": []map[string]any{{"time": "23:59", "mount": 1}}, "filter": true}}}
	var ad brain.AccountIDData
	if err := call(t, brain.PathAccountRegister, acct, &ad); err != nil {
		return "", err
	}
	return ad.AccountID, nil
}

func call(t target, path string, body, data any) error {
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(t.url, "/")+path, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var env struct {
		Ret  *int            `json:"ret"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &env); err != nil || env.Ret == nil || *env.Ret != 0 {
		return fmt.Errorf("%s: %.300s", path, b)
	}
	return json.Unmarshal(env.Data, data)
}

// pickTarget is the external server when HUNTERBOT_LOADBENCH_URL is set,
// else the built-in brain in a child process.
func pickTarget(tb testing.TB) target {
	if os.Getenv(urlEnv) != "" {
		return external(tb)
	}
	return startSelf(tb)
}

// BenchmarkBrainHTTP measures each endpoint the bot calls with a closed
// loop of 8 connections over loopback HTTP against a brain in its own
// process (or HUNTERBOT_LOADBENCH_URL). Metrics: req/s, p50/p99 latency and
// the server's CPU time per request.
func BenchmarkBrainHTTP(b *testing.B) {
	t := pickTarget(b)
	client := loadbench.NewClient(conns)
	var chatBase int64 // Base of the last chat run: the conversations recall needs
	for _, e := range loadbench.Endpoints {
		b.Run(string(e), func(b *testing.B) {
			bodies := loadbench.NewBodies(t.account, time.Now().UnixMicro())
			switch e {
			case loadbench.Chat:
				chatBase = bodies.Base
			case loadbench.RecallList, loadbench.RecallResult:
				if chatBase == 0 { // chat was not selected: start the conversations
					chatBase = bodies.Base
					if _, err := loadbench.Run(context.Background(), client, bodies, loadbench.Chat,
						loadbench.Options{BaseURL: t.url, Token: t.token, Conns: conns, Requests: loadbench.ChatPool}); err != nil {
						b.Fatal(err)
					}
					b.ResetTimer()
				}
				bodies.PoolBase = chatBase
			}
			res, err := loadbench.Run(context.Background(), client, bodies, e,
				loadbench.Options{BaseURL: t.url, Token: t.token, Conns: conns, Requests: int64(b.N), PIDs: t.pids})
			if err != nil {
				b.Fatal(err)
			}
			if res.Errors > 0 {
				b.Fatalf("%d of %d requests failed; first: %s", res.Errors, res.Requests, res.FirstError)
			}
			b.ReportMetric(res.ReqPerSec(), "req/s")
			b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
			if len(t.pids) > 0 {
				b.ReportMetric(float64(res.CPUPerReq().Microseconds())/1000, "cpu-ms/req")
			}
			b.ReportMetric(float64(res.ClientCPUPerReq().Microseconds())/1000, "client-cpu-ms/req")
		})
	}
}
