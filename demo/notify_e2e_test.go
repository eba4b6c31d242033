package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/xuri/excelize/v2"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
	"github.com/hunterbot/hunterbot/state"
)

// TestNotificationTasksEndToEnd: seed 002's notification tasks through the
// whole system — control plane, a worker process driving real Chromium,
// the sim. A task from an Excel member list to 10 candidates with {{name}}
// and one image puts exactly 10 rendered texts and 10 images on the site,
// although the worker is SIGKILLed in the middle; an unknown member, an
// opted-out candidate and a conversation a human took over end FAILED with
// their reasons; a second task terminated half-way sends nothing more; the
// executions and statistics equal the sim's truth.
func TestNotificationTasksEndToEnd(t *testing.T) {
	t.Parallel()
	sc := sim.DefaultScenario()
	const speed = 120.0
	anchor := time.Now()
	clk := clock.NewScaledFrom(sc.Start, anchor, speed)
	dir := t.TempDir()
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: dir, Scenario: sc, Clock: clk,
		Seed: 21, Log: zerolog.Nop(), NoWorker: true, HelloSum: 9, AllAtOnce: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = d.Run(runCtx) }()

	cfg := *d.WorkerConfig
	cfg.Accounts = append([]bot.AccountConfig(nil), cfg.Accounts...)
	for i := range cfg.Accounts {
		cfg.Accounts[i].ChatPoll = time.Minute
	}
	logFile := childLog(t, filepath.Join(dir, "children.log"), 120, false)
	startWorker := func(i int) *exec.Cmd {
		cfg.Browser.ProfileDir = filepath.Join(dir, fmt.Sprintf("profile-%02d", i))
		return startChild(t, childSpec{Config: &cfg, Start: sc.Start, Anchor: anchor, Speed: speed},
			filepath.Join(dir, fmt.Sprintf("child-%02d.json", i)), logFile)
	}
	worker := startWorker(0)
	t.Cleanup(func() { _ = worker.Process.Kill(); _ = worker.Wait() })

	// Candidates the bot greeted: their contacts reach the control plane.
	persona := map[string]string{}
	for _, c := range d.Sim.Truth().Accounts["demo"].Candidates {
		persona[strconv.FormatInt(c.ID, 10)] = c.Persona
	}
	type member struct{ id, name string }
	var members []member // 10 message recipients, then the opted-out and the taken-over one
	waitUntil(t, "12 greeted candidates in the control plane", func() bool {
		cs, _, err := d.Store.QueryContacts(wire.ContactFilter{}, 1, 200)
		if err != nil {
			t.Fatal(err)
		}
		members = members[:0]
		for _, c := range cs {
			// An opt_out persona opts out by itself: not a recipient.
			if persona[c.CandidateID] != sim.PersonaOptOut && c.Name != "" {
				members = append(members, member{c.CandidateID, c.Name})
			}
		}
		return len(members) >= 12
	}, func() string { return fmt.Sprintf("%d usable contacts", len(members)) })
	members = members[:12]
	optedOut, takenOver := members[10], members[11]
	idOf := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	if err := d.Sim.Inject("demo", idOf(optedOut.id), "不需要了，别发了"); err != nil {
		t.Fatal(err)
	}
	if err := d.Sim.HumanMessage("demo", idOf(takenOver.id), "您好，我是招聘负责人，稍后电话联系您"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the worker to see the opt-out and the takeover", func() bool {
		term, _, _ := d.Store.ListConversations(wire.ConversationFilter{Account: "demo", Status: wire.ConvTerminated}, 1, 100)
		inter, _, _ := d.Store.ListConversations(wire.ConversationFilter{Account: "demo", Status: wire.ConvIntervened}, 1, 100)
		has := func(cs []wire.Conversation, id string) bool {
			for _, c := range cs {
				if c.CandidateID == id {
					return true
				}
			}
			return false
		}
		return has(term, optedOut.id) && has(inter, takenOver.id)
	}, nil)

	// The operator's token lives 3 sim hours, 90 s of this clock: a loaded
	// machine outlasts it (a run failed with HTTP 401 terminating task B),
	// so opNow logs in again once less than an hour of it is left.
	ctx := context.Background()
	var op *client.Operator
	var tokenUntil time.Time
	opNow := func() *client.Operator {
		t.Helper()
		if op != nil && clk.Now().Add(time.Hour).Before(tokenUntil) {
			return op
		}
		// A new client: the old one's bearer token would replace the
		// password grant's client credentials.
		op = operatorClient(d)
		tok, err := op.Login(ctx, d.ClientID, d.ClientSecret, d.Username, d.Password)
		if err != nil {
			t.Fatal(err)
		}
		op.SetToken(tok.AccessToken)
		tokenUntil = clk.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
		return op
	}
	img := notifyPNG(t)
	imgInfo, err := opNow().UploadFile(ctx, "岗位海报.png", "notification", bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(img)
	imgSHA := hex.EncodeToString(sum[:])
	rows := [][]string{}
	for _, m := range members {
		rows = append(rows, []string{m.id, m.name})
	}
	rows = append(rows, []string{"987654321", "查无此人"})
	listInfo, err := opNow().UploadFile(ctx, "members.xlsx", "notification", bytes.NewReader(notifyXLSX(t, rows)))
	if err != nil {
		t.Fatal(err)
	}
	now := clk.Now().In(clock.Shanghai)
	const layout = "2006-01-02 15:04:05"
	textA := "{{name}}您好，杭州有新的Go开发岗位，感兴趣可以聊聊"
	rawA, err := opNow().NotifyCall(ctx, "POST", "/api/v1/notification-tasks", nil, map[string]any{
		"taskName": "杭州新岗位", "taskType": "CUSTOMER_RESOURCE_REMINDER",
		"scheduledStartTime": now.Add(2 * time.Minute).Format(layout),
		"scheduledEndTime":   time.Date(now.Year(), now.Month(), now.Day(), 21, 0, 0, 0, clock.Shanghai).Format(layout),
		"contents": []map[string]string{{"contentType": "TEXT", "contentValue": textA},
			{"contentType": "IMAGE", "contentValue": fmt.Sprintf("%s/api/v1/file/%d", d.ControlURL, imgInfo.ID)}},
		"fileIds": []uint64{listInfo.ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID           uint64
		TotalMembers int
	}
	_ = json.Unmarshal(rawA, &created)
	if created.TotalMembers != 13 {
		t.Fatalf("task A: %s", rawA)
	}
	recipients := map[string]string{} // candidate -> rendered text
	for _, m := range members[:10] {
		recipients[m.id] = strings.ReplaceAll(textA, "{{name}}", m.name)
	}
	countA := func(tr sim.AccountTruth) (texts, images int) {
		for _, m := range tr.Messages {
			if recipients[strconv.FormatInt(m.CandidateID, 10)] == m.Text {
				texts++
			}
		}
		for _, im := range tr.Images {
			if _, ok := recipients[strconv.FormatInt(im.CandidateID, 10)]; ok && im.SHA256 == imgSHA {
				images++
			}
		}
		return
	}

	// SIGKILL the worker in the middle of task A, restart it on the same
	// worker.db.
	waitUntil(t, "task A half-way", func() bool { _, n := countA(d.Sim.Truth().Accounts["demo"]); return n >= 3 }, nil)
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	texts, images := countA(d.Sim.Truth().Accounts["demo"])
	t.Logf("SIGKILL with %d texts and %d images of task A on the site", texts, images)
	waitUntil(t, "the killed worker's Chromium to exit", func() bool { return len(processesUsing(cfg.Browser.ProfileDir)) == 0 }, nil)
	worker = startWorker(1)

	taskA := func() notifyTaskView { return getNotifyTask(t, opNow(), created.ID) }
	waitUntil(t, "task A to complete", func() bool { return taskA().Status == "COMPLETED" },
		func() string { return fmt.Sprintf("%+v", taskA()) })
	tr := d.Sim.Truth().Accounts["demo"]
	texts, images = countA(tr)
	if texts != 10 || images != 10 {
		t.Errorf("task A on the site: %d texts and %d images, want 10 and 10", texts, images)
	}
	for id, text := range recipients {
		n, k := 0, 0
		for _, m := range tr.Messages {
			if strconv.FormatInt(m.CandidateID, 10) == id && m.Text == text {
				n++
			}
		}
		for _, im := range tr.Images {
			if strconv.FormatInt(im.CandidateID, 10) == id {
				k++
			}
		}
		if n != 1 || k != 1 {
			t.Errorf("candidate %s got %d × %q and %d images", id, n, text, k)
		}
	}
	if len(tr.DuplicateMessages) != 0 || len(tr.DuplicateImages) != 0 {
		t.Errorf("duplicates: messages %+v images %+v", tr.DuplicateMessages, tr.DuplicateImages)
	}
	for _, m := range append(tr.MessagesAfterOptOut, tr.MessagesAfterHuman...) {
		if m.Kind == sim.KindImage || strings.Contains(m.Text, "杭州有新的Go开发岗位") {
			t.Errorf("notification sent into an opted-out or taken-over conversation: %+v", m)
		}
	}
	a := taskA()
	if a.Statistics.TotalMembers != 13 || a.Statistics.SuccessCount != 10 {
		t.Errorf("task A statistics %+v", a.Statistics)
	}
	execs := notifyExecutions(t, opNow(), created.ID)
	want := map[string]string{optedOut.id: bot.ReasonNotifyOptedOut, takenOver.id: bot.ReasonNotifyTakenOver, "987654321": state.ReasonNoConversation}
	success := 0
	for _, e := range execs {
		switch {
		case e.Status == "SUCCESS":
			success++
			if recipients[e.UserID] == "" || e.ExecuteTime == nil {
				t.Errorf("success for a non-recipient or without time: %+v", e)
			}
		case e.Status == "FAILED" && want[e.UserID] == e.FailureReason:
			delete(want, e.UserID)
		default:
			t.Errorf("unexpected execution %+v", e)
		}
	}
	if success != 10 || len(want) != 0 {
		t.Errorf("executions: %d successes, missing failures %v", success, want)
	}

	// Task B (text only, inline members) is terminated half-way.
	textB := "第二轮：{{name}}，岗位还在招，欢迎随时回复"
	var inline []map[string]string
	for _, m := range members[:10] {
		inline = append(inline, map[string]string{"userId": m.id, "nickname": m.name})
	}
	now = clk.Now().In(clock.Shanghai)
	rawB, err := opNow().NotifyCall(ctx, "POST", "/api/v1/notification-tasks", nil, map[string]any{
		"taskName": "第二轮", "taskType": "APPOINTMENT_REMINDER", "scheduledStartTime": now.Format(layout),
		"contents": []map[string]string{{"contentType": "TEXT", "contentValue": textB}}, "members": inline,
	})
	if err != nil {
		t.Fatal(err)
	}
	var createdB struct{ ID uint64 }
	_ = json.Unmarshal(rawB, &createdB)
	countB := func() int {
		n := 0
		for _, m := range d.Sim.Truth().Accounts["demo"].Messages {
			if strings.HasPrefix(m.Text, "第二轮：") {
				n++
			}
		}
		return n
	}
	waitUntil(t, "task B half-way", func() bool { return countB() >= 2 }, nil)
	rawT, err := opNow().NotifyCall(ctx, "PUT", fmt.Sprintf("/api/v1/notification-tasks/%d/termination", createdB.ID), nil,
		map[string]string{"reason": "客户临时取消活动"})
	if err != nil {
		t.Fatalf("terminate task B (sent %d): %v", countB(), err)
	}
	if !bytes.Contains(rawT, []byte(`"previousStatus":"EXECUTING"`)) {
		t.Fatalf("termination answer %s", rawT)
	}
	waitUntil(t, "task B's members to settle", func() bool {
		for _, e := range notifyExecutions(t, opNow(), createdB.ID) {
			if e.Status == "PENDING" {
				return false
			}
		}
		return true
	}, nil)
	settled := clk.Now()
	sentB := countB()
	// Let the worker pull and cycle for another 20 sim minutes.
	waitUntil(t, "20 more sim minutes", func() bool { return clk.Now().Sub(settled) > 20*time.Minute }, nil)
	b := getNotifyTask(t, opNow(), createdB.ID)
	if after := countB(); after != sentB || b.Statistics.SuccessCount != sentB || sentB >= 10 || b.Status != "TERMINATED" {
		t.Errorf("task B: %d texts at settlement, %d later, statistics %+v, status %s", sentB, after, b.Statistics, b.Status)
	}
	failed := 0
	for _, e := range notifyExecutions(t, opNow(), createdB.ID) {
		if e.Status == "FAILED" && e.FailureReason == "task terminated: 客户临时取消活动" {
			failed++
		}
	}
	if failed != 10-sentB {
		t.Errorf("task B: %d members failed as terminated, want %d", failed, 10-sentB)
	}
	t.Logf("task A: 10 texts + 10 images, 3 failures; task B: %d of 10 sent before the termination", sentB)
	if err := worker.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()
	waitUntil(t, "the worker's Chromium to exit", func() bool { return len(processesUsing(cfg.Browser.ProfileDir)) == 0 }, nil)
}

type notifyTaskView struct {
	Status     string
	Statistics struct{ TotalMembers, SuccessCount int }
}

func getNotifyTask(t *testing.T, op *client.Operator, id uint64) notifyTaskView {
	t.Helper()
	raw, err := op.NotifyCall(context.Background(), "GET", fmt.Sprintf("/api/v1/notification-tasks/%d", id), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v notifyTaskView
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

type notifyExec struct {
	UserID        string  `json:"userId"`
	Status        string  `json:"status"`
	ExecuteTime   *string `json:"executeTime"`
	FailureReason string  `json:"failureReason"`
}

func notifyExecutions(t *testing.T, op *client.Operator, id uint64) []notifyExec {
	t.Helper()
	raw, err := op.NotifyCall(context.Background(), "GET", fmt.Sprintf("/api/v1/notification-tasks/%d/executions", id),
		url.Values{"size": {"100"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Records []notifyExec }
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v.Records
}

func notifyPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 24, 24))
	for x := 0; x < 24; x++ {
		img.Set(x, x, color.RGBA{200, 30, 30, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func notifyXLSX(t *testing.T, rows [][]string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	all := append([][]string{{"userId", "name"}}, rows...)
	for i, r := range all {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		vals := []any{r[0], r[1]}
		if err := f.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
