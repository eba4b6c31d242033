// Package loadbench drives a brain server (the built-in one or the
// reference hunter_robot) over real HTTP with a closed-loop load: N
// connections, each sending its next request as soon as the previous answer
// arrived. It reports requests per second, latency percentiles and the
// server's CPU time per request, read from /proc for the server's processes
// and their descendants (gunicorn workers, for instance).
//
// The request bodies are the shapes the bot and the reference's own clients
// send (docs/brain.md), identical for both servers, so two runs against two
// servers measure the same work.
package loadbench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hunterbot/hunterbot/brain"
)

// Endpoint is one measured brain route.
type Endpoint string

// The endpoints the bot calls on its passes, in the order they are
// measured: recall and task_report need the candidates of earlier runs.
const (
	Filter       Endpoint = "filter"
	TaskFetch    Endpoint = "task_fetch"
	Chat         Endpoint = "chat"
	CVResult     Endpoint = "result"
	RecallList   Endpoint = "recall_list"
	RecallResult Endpoint = "recall_result"
	TaskReport   Endpoint = "task_report"
)

// Endpoints lists every measured endpoint.
var Endpoints = []Endpoint{Filter, TaskFetch, Chat, CVResult, RecallList, RecallResult, TaskReport}

// Path is the endpoint's URL path.
func (e Endpoint) Path() string {
	switch e {
	case Filter:
		return brain.PathFilter
	case TaskFetch:
		return brain.PathTaskFetch
	case Chat:
		return brain.PathChat
	case CVResult:
		return brain.PathResult
	case RecallList:
		return brain.PathRecallList
	case RecallResult:
		return brain.PathRecallResult
	case TaskReport:
		return brain.PathTaskReport
	}
	return ""
}

// ChatPool is how many distinct candidates chat and result cycle through:
// like a real inbox, most calls continue a stored conversation.
const ChatPool = 500

// Request is one prepared request.
type Request struct {
	Body        []byte
	ContentType string
	// IdempotencyKey is sent as the Idempotency-Key header when non-empty,
	// like the bot's outbox does for its exactly-once calls.
	IdempotencyKey string
}

// Bodies builds the requests of one run. Candidate ids start at Base so
// repeated runs against the same store keep asking about new candidates.
type Bodies struct {
	AccountID string
	Base      int64
	// Greeted are the candidate ids task_report reports, one per request
	// in order (see FilteredIDs). The bot reports candidates it asked
	// filter about, and the reference fails on others; empty: fresh ids.
	Greeted []string
	// PoolBase picks the ChatPool candidates chat, result and the recall
	// endpoints use (default Base): recall needs the conversations of an
	// earlier chat run, so give it that run's Base.
	PoolBase  int64
	filterPre []byte
	filterMid []byte
	filterEnd []byte
}

// NewBodies prepares the request templates for account.
func NewBodies(accountID string, base int64) *Bodies {
	b := &Bodies{AccountID: accountID, Base: base, PoolBase: base}
	// A recommend-list item as BOSS serves it, trimmed to the fields both
	// servers read (geekCard plus the show* lists the reference parses and
	// the geek* lists the built-in brain reads). The id appears twice.
	info := map[string]any{
		"activeTimeDesc": "刚刚活跃",
		"geekCard": map[string]any{
			"geekId": "@ID@", "encryptGeekId": "enc@ID@", "geekName": "候选人", "ageDesc": "28岁",
			"geekDegree": "硕士", "geekWorkYear": "5年", "salary": "12-18K", "lowSalary": 12, "highSalary": 18,
			"expectLocationName": "北京", "expectPositionName": "心理咨询师", "applyStatusDesc": "离职-随时到岗",
			"activeTime": 0, "activeTimeDesc": "刚刚活跃",
			"geekDesc": map[string]any{"content": "国家二级心理咨询师，五年个案咨询经验，擅长情绪与亲密关系议题。"},
			"geekEdus": []any{map[string]any{"school": "北京师范大学", "major": "应用心理学", "degreeName": "硕士",
				"startDate": "2014", "endDate": "2017"}},
			"geekWorks": []any{map[string]any{"company": "某心理咨询中心", "positionName": "心理咨询师",
				"positionCategory": "心理咨询师", "responsibility": "负责来访者个体咨询、团体辅导与心理评估。",
				"workEmphasisList": []string{"心理咨询", "心理评估"}, "startDate": "2017.07", "endDate": "至今"}},
		},
		"showEdus": []any{map[string]any{"school": "北京师范大学", "major": "应用心理学", "degreeName": "硕士",
			"startDate": "2014", "endDate": "2017"}},
		"showWorks": []any{map[string]any{"company": "某心理咨询中心", "positionName": "心理咨询师",
			"responsibility": "负责来访者个体咨询、团体辅导与心理评估。", "workEmphasisList": []string{"心理咨询", "心理评估"},
			"startDate": "2017.07", "endDate": "至今"}},
	}
	raw, _ := json.Marshal(map[string]any{"accountID": accountID, "candidateInfo": info})
	// geekId is a number on BOSS: drop the quotes around the first marker.
	raw = bytes.Replace(raw, []byte(`"@ID@"`), []byte("@ID@"), 1)
	parts := bytes.SplitN(raw, []byte("@ID@"), 3)
	b.filterPre, b.filterMid, b.filterEnd = parts[0], parts[1], parts[2]
	return b
}

// Make returns request number i of endpoint e.
func (b *Bodies) Make(e Endpoint, i int64) Request {
	id := strconv.FormatInt(b.Base+i, 10)
	switch e {
	case Filter:
		body := make([]byte, 0, len(b.filterPre)+len(b.filterMid)+len(b.filterEnd)+40)
		body = append(append(append(append(append(body, b.filterPre...), id...), b.filterMid...), id...), b.filterEnd...)
		return Request{Body: body, ContentType: "application/json"}
	case TaskFetch:
		body, _ := json.Marshal(brain.TaskFetchRequest{AccountID: b.AccountID})
		return Request{Body: body, ContentType: "application/json"}
	case Chat:
		body, _ := json.Marshal(brain.ChatRequest{AccountID: b.AccountID, CandidateID: b.poolID(i), CandidateName: "候选人",
			HistoryMsg: []brain.ChatMessage{
				{Speaker: brain.SpeakerRobot, Msg: "您好，看了您的经历，和我们心理咨询师岗位很匹配，方便聊聊吗？"},
				{Speaker: brain.SpeakerUser, Msg: "您好"},
				{Speaker: brain.SpeakerRobot, Msg: "方便加个微信或者告知联系方式，咱们细聊"},
				{Speaker: brain.SpeakerUser, Msg: "工资多少？"}}})
		return Request{Body: body, ContentType: "application/json"}
	case CVResult:
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, kv := range [][2]string{{"accountID", b.AccountID}, {"candidateID", b.poolID(i)},
			{"candidateName", "候选人"}, {"phone", "1380000" + fmt.Sprintf("%04d", i%10000)}} {
			w.WriteField(kv[0], kv[1])
		}
		w.Close()
		return Request{Body: buf.Bytes(), ContentType: w.FormDataContentType(), IdempotencyKey: "lb-result-" + id}
	case RecallList:
		ids := make([]string, 10) // an inbox page
		for k := range ids {
			ids[k] = b.poolID(i + int64(k))
		}
		body, _ := json.Marshal(brain.RecallListRequest{AccountID: b.AccountID, CandidateIDs: ids})
		return Request{Body: body, ContentType: "application/json"}
	case RecallResult:
		body, _ := json.Marshal(brain.RecallResultRequest{AccountID: b.AccountID, CandidateID: b.poolID(i)})
		return Request{Body: body, ContentType: "application/json", IdempotencyKey: "lb-recall-" + id}
	case TaskReport:
		cand := "g" + id
		if len(b.Greeted) > 0 {
			cand = b.Greeted[(i-1)%int64(len(b.Greeted))]
		}
		body, _ := json.Marshal(brain.TaskReportRequest{AccountID: b.AccountID, TaskStatus: []brain.TaskStatus{{
			TaskType: brain.TaskTypeBatchTouch, Details: brain.TaskDetails{CandidateList: []string{cand}}}}})
		return Request{Body: body, ContentType: "application/json", IdempotencyKey: "lb-report-" + id}
	}
	panic("loadbench: unknown endpoint " + string(e))
}

// FilteredIDs returns the candidate ids of the filter requests numbered
// answered (Result.Answered of a filter run with these bodies).
func (b *Bodies) FilteredIDs(answered []int64) []string {
	out := make([]string, len(answered))
	for k, i := range answered {
		out[k] = strconv.FormatInt(b.Base+i, 10)
	}
	return out
}

func (b *Bodies) poolID(i int64) string {
	return "c" + strconv.FormatInt(b.PoolBase%1e6+i%ChatPool, 10)
}

// Options configures one closed-loop run.
type Options struct {
	// BaseURL of the server, e.g. http://127.0.0.1:7003.
	BaseURL string
	// Token is sent as a bearer token when non-empty.
	Token string
	// Conns is the number of connections, each with one request in flight.
	Conns int
	// Requests stops the run after this many answers (0: Duration bounds it).
	Requests int64
	// Duration stops the run after this long (0: Requests bounds it).
	Duration time.Duration
	// PIDs are the server's processes; their CPU time and their
	// descendants' is charged to the run. Empty: CPU is not reported.
	PIDs []int
}

// Result is the outcome of one run.
type Result struct {
	Endpoint Endpoint
	Requests int64
	Errors   int64
	// FirstError describes the first failed request.
	FirstError string
	Elapsed    time.Duration
	P50, P99   time.Duration
	// ServerCPU is the CPU time (user+system) the server's processes spent.
	ServerCPU time.Duration
	// ClientCPU is the CPU time this process (the load generator) spent,
	// its child processes not included. On a machine with few cores it
	// competes with the server, so it bounds what a quiet machine can show.
	ClientCPU time.Duration
	// Answered are the numbers of the requests answered with success.
	Answered []int64
}

// ReqPerSec is the throughput of successful and failed answers alike.
func (r Result) ReqPerSec() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// CPUPerReq is the server CPU time per answered request (0 without PIDs).
func (r Result) CPUPerReq() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Requests)
}

// ClientCPUPerReq is the load generator's CPU time per answered request.
func (r Result) ClientCPUPerReq() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.ClientCPU / time.Duration(r.Requests)
}

func (r Result) String() string {
	return fmt.Sprintf("%-11s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  cpu/req %6.3f ms  client cpu/req %6.3f ms  n=%d errors=%d",
		r.Endpoint, r.ReqPerSec(), ms(r.P50), ms(r.P99), ms(r.CPUPerReq()), ms(r.ClientCPUPerReq()), r.Requests, r.Errors)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// NewClient returns an HTTP client with one kept-alive connection per
// closed-loop worker.
func NewClient(conns int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Run sends e's requests from bodies in a closed loop until opts.Requests
// answers arrived or opts.Duration passed (whichever is set and comes
// first). An answer counts as an error unless it is HTTP 200 with ret 0.
func Run(ctx context.Context, client *http.Client, bodies *Bodies, e Endpoint, opts Options) (Result, error) {
	if opts.Conns <= 0 {
		return Result{}, errors.New("loadbench: Conns must be > 0")
	}
	if opts.Requests <= 0 && opts.Duration <= 0 {
		return Result{}, errors.New("loadbench: set Requests or Duration")
	}
	url := strings.TrimRight(opts.BaseURL, "/") + e.Path()
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	cpu0, err := processCPU(opts.PIDs)
	if err != nil {
		return Result{}, err
	}
	self0 := selfCPU()
	var (
		next, errs atomic.Int64
		firstErr   atomic.Value
		wg         sync.WaitGroup
		lats       = make([][]time.Duration, opts.Conns)
		oks        = make([][]int64, opts.Conns)
	)
	start := time.Now() // throughput is wall-clock by definition
	for w := range opts.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1)
				if opts.Requests > 0 && i > opts.Requests {
					return
				}
				req := bodies.Make(e, i)
				t0 := time.Now()
				err := post(ctx, client, url, opts.Token, req)
				if err != nil && ctx.Err() != nil {
					return // the run ended mid-request; not an answer
				}
				lats[w] = append(lats[w], time.Since(t0))
				if err != nil {
					if errs.Add(1) == 1 {
						firstErr.Store(err.Error())
					}
				} else {
					oks[w] = append(oks[w], i)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := processCPU(opts.PIDs)
	if err != nil {
		return Result{}, err
	}
	self1 := selfCPU()
	all := slices.Concat(lats...)
	slices.Sort(all)
	answered := slices.Concat(oks...)
	slices.Sort(answered)
	res := Result{Endpoint: e, Requests: int64(len(all)), Errors: errs.Load(), Elapsed: elapsed, ServerCPU: cpu1 - cpu0,
		ClientCPU: self1 - self0, Answered: answered}
	if s, ok := firstErr.Load().(string); ok {
		res.FirstError = s
	}
	if len(all) > 0 {
		res.P50 = all[len(all)*50/100]
		res.P99 = all[min(len(all)*99/100, len(all)-1)]
	}
	return res, nil
}

// post sends one request and checks the envelope: HTTP 200 and "ret":0.
func post(ctx context.Context, client *http.Client, url, token string, r Request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", r.ContentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if r.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", r.IdempotencyKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
	}
	var env struct {
		Ret *int `json:"ret"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Ret == nil || *env.Ret != 0 {
		return fmt.Errorf("not a success envelope: %.200s", body)
	}
	return nil
}

// selfCPU is this process's user+system CPU time (all its threads, no
// children).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times; 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// processCPU sums user+system CPU of pids and all their descendants, live.
func processCPU(pids []int) (time.Duration, error) {
	if len(pids) == 0 {
		return 0, nil
	}
	stats, err := allStats()
	if err != nil {
		return 0, err
	}
	want := map[int]bool{}
	for _, p := range pids {
		if _, ok := stats[p]; !ok {
			return 0, fmt.Errorf("loadbench: process %d not found", p)
		}
		want[p] = true
	}
	// Mark descendants: repeat until no process is added.
	for changed := true; changed; {
		changed = false
		for pid, st := range stats {
			if !want[pid] && want[st.ppid] {
				want[pid], changed = true, true
			}
		}
	}
	var ticks int64
	for pid := range want {
		ticks += stats[pid].ticks
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

type procStat struct {
	ppid  int
	ticks int64
}

func allStats() (map[int]procStat, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil, err
	}
	out := make(map[int]procStat, len(dirs))
	for _, path := range dirs {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue // the process exited
		}
		pid, st, ok := parseStat(raw)
		if ok {
			out[pid] = st
		}
	}
	return out, nil
}

// parseStat reads pid, ppid, utime and stime of a /proc/<pid>/stat line.
// The command name is in parentheses and may contain spaces, so fields are
// counted after the last ')'.
func parseStat(raw []byte) (int, procStat, bool) {
	open := bytes.IndexByte(raw, '(')
	end := bytes.LastIndexByte(raw, ')')
	if open < 1 || end < open {
		return 0, procStat{}, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw[:open])))
	if err != nil {
		return 0, procStat{}, false
	}
	f := strings.Fields(string(raw[end+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return 0, procStat{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	ut, err2 := strconv.ParseInt(f[11], 10, 64)
	sy, err3 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, procStat{}, false
	}
	return pid, procStat{ppid: ppid, ticks: ut + sy}, true
}
