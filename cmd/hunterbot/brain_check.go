package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// brainCheckOut is where `hunterbot brain check` prints (tests swap it).
var brainCheckOut io.Writer = os.Stdout

// Outcomes of one probe.
const (
	checkOK    = "ok"
	checkWarn  = "warn"  // works, with a caveat the operator should know
	checkBreak = "BREAK" // the bot cannot work with this answer
	checkSkip  = "skip"
)

// checkRow is one line of the compatibility table.
type checkRow struct {
	Endpoint string `json:"endpoint"`
	Result   string `json:"result"`
	Detail   string `json:"detail"`
}

// errCheckBreak makes the command exit 1 after printing the table.
var errCheckBreak = errors.New("brain check: incompatible answers (see BREAK rows)")

// sampleCard is a recommend-list item in the site's shape with a made-up
// candidate, so filter and chat can be probed without touching a real one.
const sampleCard = `{"encryptGeekId":"hunterbot-check","activeTimeDesc":"刚刚活跃",` +
	`"geekCard":{"geekId":%q,"encryptGeekId":"hunterbot-check","geekName":"hunterbot check","ageDesc":"28岁",` +
	`"geekDegree":"本科","expectLocationName":"北京","salary":"8-10K","lowSalary":8,"highSalary":10,` +
	`"expectPositionName":"客服","applyStatus":0,"applyStatusDesc":"离职-随时到岗","activeTime":%d,` +
	`"geekEdus":[{"school":"北京大学","major":"汉语言文学","degreeName":"本科"}],"geekWorks":[]},` +
	`"showEdus":[{"school":"北京大学","major":"汉语言文学","degreeName":"本科"}],"showWorks":[]}`

// knownSteps are the nextStep values the bot acts on (both reference lines
// and the built-in brain).
var knownSteps = []string{brain.StepNormalChat, brain.StepNeedContact, brain.StepNeedContactNoWechat, brain.StepNoTalk,
	brain.StepFinish, brain.StepAlgoAbnormal, brain.StepNeedEnsure, brain.StepInit}

// runBrainCheck probes a brain with safe calls and sample data and prints
// a per-endpoint compatibility table; it fails when an answer would break
// the bot.
func runBrainCheck(ctx context.Context, args []string) error {
	fs := newFlagSet("brain check")
	u := fs.String("url", "", "the brain's base URL (required), e.g. http://10.0.0.5:2040")
	account := fs.String("account", "", "accountID to probe task/fetch, filter, chat, recallList and taskToDo with (e.g. account_Boss_27175761)")
	token := fs.String("token", "", "bearer token (built-in brain with server.token)")
	dialect := fs.String("dialect", "auto", "auto, builtin, v2 or v3")
	platform := fs.String("platform-type", "boss", "platformType of the sample job/account look-ups (the reference's BOSS type is Boss)")
	timeout := fs.Duration("timeout", 15*time.Second, "timeout of each call")
	asJSON := fs.Bool("json", false, "print the rows as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if pu, err := url.Parse(*u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return usagef("--url: want an http(s) URL, got %q", *u)
	}
	d, err := brain.ParseDialect(*dialect)
	if err != nil {
		return usagef("--dialect: %v", err)
	}
	if *timeout <= 0 {
		return usagef("--timeout: must be > 0")
	}
	c, err := brain.New(brain.Options{BaseURL: *u, Token: *token, Timeout: *timeout, MaxRetries: -1, Dialect: d})
	if err != nil {
		return usagef("--url: %v", err)
	}
	rows := brainCheck(ctx, c, *account, *platform, clock.Real{}.Now())
	if *asJSON {
		enc := json.NewEncoder(brainCheckOut)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(brainCheckOut, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ENDPOINT\tRESULT\tDETAIL")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Endpoint, r.Result, oneLine(r.Detail, 120))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if r.Result == checkBreak {
			return errCheckBreak
		}
	}
	return nil
}

// brainCheck runs the probes. Only calls without a lasting effect on real
// data are made: look-ups, the day's plan, a filter and a chat about a
// made-up candidate, a recall list of that candidate, the WeChat queue.
// task/report, candidate/result, recallResult and the WeChat reports count
// or store things and are not probed.
func brainCheck(ctx context.Context, c *brain.Client, account, platform string, now time.Time) []checkRow {
	var rows []checkRow
	add := func(ep, res, format string, a ...any) {
		rows = append(rows, checkRow{Endpoint: ep, Result: res, Detail: fmt.Sprintf(format, a...)})
	}
	d, err := c.Detect(ctx)
	if err != nil {
		add("dialect", checkBreak, "probe failed: %v", err)
		return rows
	}
	add("dialect", checkOK, "%s", d)

	// Look-ups of ids that do not exist: any envelope is a compatible answer.
	lookup := func(ep string, call func() (string, error)) {
		id, err := call()
		switch {
		case err == nil:
			add(ep, checkOK, "answered %s", id)
		case errors.Is(err, brain.ErrNoRet), errors.Is(err, brain.ErrRejected):
			add(ep, checkOK, "unknown id answered with an envelope (%v)", err)
		default:
			add(ep, checkBreak, "%v", err)
		}
	}
	lookup(brain.PathJobQuery, func() (string, error) { return c.QueryJob(ctx, platform, "hunterbot-check") })
	lookup(brain.PathAccountQuery, func() (string, error) { return c.QueryAccount(ctx, platform, "hunterbot-check") })

	probes := []string{brain.PathTaskFetch, brain.PathFilter, brain.PathChat, brain.PathRecallList, brain.PathWechatTaskToDo}
	if account == "" {
		for _, ep := range probes {
			add(ep, checkSkip, "needs --account")
		}
	} else {
		checkAccount(ctx, c, account, now, add)
	}
	for _, ep := range []string{brain.PathTaskReport, brain.PathResult, brain.PathRecallResult, brain.PathWechatMsgSent,
		brain.PathWechatAddFriend, brain.PathWechatUserMsg} {
		add(ep, checkSkip, "not probed: it counts or stores (covered by the contract tests)")
	}
	return rows
}

func checkAccount(ctx context.Context, c *brain.Client, account string, now time.Time, add func(ep, res, format string, a ...any)) {
	tasks, err := c.FetchTasks(ctx, brain.TaskFetchRequest{AccountID: account})
	switch {
	case err != nil:
		add(brain.PathTaskFetch, checkBreak, "no plan, so no greeting: %v", err)
	case len(tasks) == 0:
		add(brain.PathTaskFetch, checkWarn, "an empty plan: the account greets nobody today")
	default:
		var parts []string
		for _, t := range tasks {
			form := "filter=bool"
			if len(t.Filter.Criteria) > 0 {
				form = "filter=object"
			}
			greeting := "touch_msg set"
			if t.TouchMsg == "" {
				greeting = "no touch_msg (the site's default greeting)"
			}
			parts = append(parts, fmt.Sprintf("%s helloSum=%d slots=%d %s %s", t.JobID, t.HelloSum, len(t.TimeMount), form, greeting))
		}
		add(brain.PathTaskFetch, checkOK, "%s", strings.Join(parts, "; "))
	}

	cid := fmt.Sprintf("hunterbot-check-%d", now.Unix())
	card := json.RawMessage(fmt.Sprintf(sampleCard, cid, now.Unix()))
	if touch, err := c.Filter(ctx, brain.FilterRequest{AccountID: account, CandidateID: cid, CandidateInfo: card}); err != nil {
		add(brain.PathFilter, checkBreak, "%v", err)
	} else {
		add(brain.PathFilter, checkOK, "touch=%v for the sample candidate %s", touch, cid)
	}

	hist := []brain.ChatMessage{
		{Speaker: brain.SpeakerRobot, Msg: "您好，方便聊聊吗", Time: brain.MsgTimeOf(now.Add(-2 * time.Minute))},
		{Speaker: brain.SpeakerUser, Msg: "您好，这个岗位在哪里？", Time: brain.MsgTimeOf(now.Add(-time.Minute))},
	}
	reply, err := c.Chat(ctx, brain.ChatRequest{AccountID: account, CandidateID: cid, CandidateName: "hunterbot check", HistoryMsg: hist})
	switch {
	case err != nil:
		add(brain.PathChat, checkBreak, "%v", err)
	case !contains(knownSteps, reply.NextStep):
		add(brain.PathChat, checkBreak, "unknown nextStep %q: the bot would send nothing", reply.NextStep)
	case reply.NextStep == brain.StepAlgoAbnormal:
		add(brain.PathChat, checkWarn, "algo_abnormal: the brain's chat model did not answer (the bot asks again later)")
	default:
		add(brain.PathChat, checkOK, "nextStep=%s, %d characters of content", reply.NextStep, len([]rune(reply.NextStepContent)))
	}

	if rs, err := c.RecallList(ctx, brain.RecallListRequest{AccountID: account, CandidateIDs: []string{cid}}); err != nil {
		add(brain.PathRecallList, checkBreak, "%v", err)
	} else {
		add(brain.PathRecallList, checkOK, "%d recall(s) for the sample candidate", len(rs))
	}

	if wt, err := c.WechatTaskToDo(ctx, account); err != nil {
		// The bot has no WeChat worker; the reference raises for an
		// account without a WeChat row.
		add(brain.PathWechatTaskToDo, checkWarn, "not usable: %v", err)
	} else {
		add(brain.PathWechatTaskToDo, checkOK, "%d task group(s)", len(wt))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
