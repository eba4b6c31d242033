// Package plans_test runs seed 002's marketing-notice plan tasks end to
// end: the control plane (plans, scenes, tasks from an uploaded member
// sheet, the worker contract, reports), a worker hosting the members'
// conversations by the plan in real Chromium, the sim's personas, and the
// built-in brain answering through a fake OpenAI-compatible model.
package plans_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/xuri/excelize/v2"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot"
	brainserver "github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/demo"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/llm"
	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
	"github.com/hunterbot/hunterbot/internal/testwait"
	"github.com/hunterbot/hunterbot/sim"
	"github.com/hunterbot/hunterbot/state/worker"
)

func TestMain(m *testing.M) { browsertest.Main(m) }

// The plan's texts and settings.
const (
	greetingText  = "{{name}}您好，我是{{city}}门店的招聘顾问，方便加个微信详细聊聊吗？"
	wakeUpText    = "还在考虑这个岗位吗？有问题随时问我"
	replyDelay    = 30 // s
	timeoutMin    = 90 // min
	separatorPart = "我是门店的招聘顾问"
)

// Inventions the fake model writes; none may reach a candidate.
var inventions = []string{"99K", "jobs.example.cn", "13800138000"}

// fakeModel answers the brain: scene verdicts by the scene's name and the
// candidate's words, summaries, and replies that are good ("您好|…", split
// on the plan's separator) or invent a salary, a URL or a phone number.
func fakeModel(calls *atomic.Int64) llmtest.Script {
	return func(r llmtest.Request) llmtest.Answer {
		calls.Add(1)
		name := ""
		if r.ResponseFormat != nil && r.ResponseFormat.JSONSchema != nil {
			name = r.ResponseFormat.JSONSchema.Name
		}
		last := r.LastUser()
		switch name {
		case "scene_verdict":
			hit := false
			switch {
			case strings.Contains(r.System(), "「拒绝」"):
				hit = strings.Contains(last, "不方便") || strings.Contains(last, "先在平台") || strings.Contains(last, "不留了")
			case strings.Contains(r.System(), "「问薪资」"):
				hit = strings.Contains(last, "薪资")
			}
			return llmtest.Answer{Content: fmt.Sprintf(`{"hit":%v,"reason":"fake"}`, hit)}
		case "member_summary":
			return llmtest.Answer{Content: `{"mood":"一般","summary":"候选人在了解岗位"}`}
		}
		switch {
		case strings.Contains(last, "薪资"):
			return llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "这个岗位月薪能到99K")}
		case strings.Contains(last, "网址"):
			return llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "详情看 https://jobs.example.cn/apply")}
		case strings.Contains(last, "电话"):
			return llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "直接打我电话 13800138000")}
		case strings.Contains(last, "在吗") || strings.Contains(last, "你好"):
			return llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "您好|"+separatorPart)}
		}
		return llmtest.Answer{Content: llmtest.JSONReply("normal_chat", "好的，有问题随时问我")}
	}
}

// TestPlanTaskEndToEnd: a released plan (greetings TEXT + IMAGE, a 30 s
// reply delay, unified replies, a separator, two scenes, a captured
// contact completing the service, a timeout wake-up) runs a task over sim
// candidates from an uploaded member sheet. Each member status a persona
// reaches by a real flow is checked against what the site recorded and
// against the control plane's members and report: eager candidates give
// a contact (COMPLETE_SERVICE), a refuser triggers the ending scene
// (TERMINATE_SERVICE), a silent one gets the wake-up once and times out
// (TIMEOUT_COMPLETE_SERVICE), a human recruiter writes in one
// (CUSTOMER_SERVICE_INTERVENES), an opted-out one and an unknown id are
// IGNOREd. The fake model's invented salary, URL and phone are never sent
// and are counted as blocked.
func TestPlanTaskEndToEnd(t *testing.T) {
	var calls atomic.Int64
	fake := llmtest.New(fakeModel(&calls))
	defer fake.Close()

	sc := sim.DefaultScenario()
	sc.Personas = map[string]int{sim.PersonaEager: 3, sim.PersonaPhoneOnly: 1, sim.PersonaRefuser: 2, sim.PersonaSilent: 5, sim.PersonaOptOut: 2}
	const speed = 120.0
	clk := clock.NewScaled(sc.Start, speed)
	// Before the task the bot answers nobody (a reply delay of weeks), so
	// the plan's greetings open every member's conversation.
	quiet := bot.DefaultHosting()
	quiet.ReplyDelay = 24 * 7 * time.Hour
	d, err := demo.Start(context.Background(), demo.Options{AddrBase: "127.0.0.1:0", DataDir: t.TempDir(), Scenario: sc,
		Clock: clk, Seed: 15, Log: zerolog.Nop(), Browser: browsertest.Browser(t), HelloSum: 14, AllAtOnce: true,
		Hosting: &quiet,
		BrainHook: func(c *brainserver.Config) {
			c.LLM = llm.Config{BaseURL: fake.BaseURL(), Model: "fake", Allow: []string{"127.0.0.1"}, Timeout: 5 * time.Second}
			if err := demo.FactsFromScenario(sc, c); err != nil {
				t.Fatal(err)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	// Members by persona, among candidates whose conversation the control
	// plane knows, who have not disclosed anything yet.
	truth := func() sim.AccountTruth { return d.Sim.Truth().Accounts["demo"] }
	persona := map[string]sim.CandidateTruth{}
	for _, c := range truth().Candidates {
		persona[strconv.FormatInt(c.ID, 10)] = c
	}
	roles := map[string][]string{} // role -> candidate ids
	want := map[string]int{"complete": 2, "refuser": 1, "timeout": 1, "human": 1, "asker": 1, "optout": 1}
	enough := func() bool {
		for r, n := range want {
			if len(roles[r]) < n {
				return false
			}
		}
		return true
	}
	testwait.Until(t, "greeted candidates of each persona in the control plane", func() bool {
		cs, _, err := d.Store.QueryContacts(wire.ContactFilter{}, 1, 500)
		if err != nil {
			t.Fatal(err)
		}
		disclosed := map[int64]bool{}
		for _, x := range truth().Disclosures {
			disclosed[x.CandidateID] = true
		}
		optedSeen := map[string]bool{}
		term, _, _ := d.Store.ListConversations(wire.ConversationFilter{Account: "demo", Status: wire.ConvTerminated}, 1, 500)
		for _, c := range term {
			optedSeen[c.CandidateID] = true
		}
		roles = map[string][]string{}
		for _, c := range cs {
			p, ok := persona[c.CandidateID]
			if !ok || c.Name == "" || disclosed[p.ID] {
				continue
			}
			add := func(r string) bool {
				if len(roles[r]) < want[r] {
					roles[r] = append(roles[r], c.CandidateID)
					return true
				}
				return false
			}
			switch p.Persona {
			case sim.PersonaEager, sim.PersonaPhoneOnly:
				add("complete")
			case sim.PersonaRefuser:
				add("refuser")
			case sim.PersonaSilent:
				_ = add("timeout") || add("human") || add("asker")
			case sim.PersonaOptOut:
				if optedSeen[c.CandidateID] {
					add("optout")
				}
			}
		}
		return enough()
	}, func() string { return fmt.Sprintf("roles %v", roles) })
	t.Logf("members by role: %v", roles)

	var op *client.Operator
	ctx := context.Background()
	login := func() {
		t.Helper()
		// A fresh client: the token endpoint wants the client's Basic
		// auth, not the old bearer token.
		op = client.NewOperator(d.ControlURL, 30*time.Second)
		tok, err := op.Login(ctx, d.ClientID, d.ClientSecret, d.Username, d.Password)
		if err != nil {
			t.Fatal(err)
		}
		op.SetToken(tok.AccessToken)
	}
	login()
	call := func(method, path string, body any, out any) {
		t.Helper()
		raw, err := op.NotifyCall(ctx, method, path, nil, body)
		if errors.Is(err, client.ErrUnauthorized) {
			// The token's lifetime runs on the scaled clock: log in again.
			login()
			raw, err = op.NotifyCall(ctx, method, path, nil, body)
		}
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		if out != nil {
			if err := json.Unmarshal(raw, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, raw)
			}
		}
	}
	const base = "/api/v1/marketing-notice"
	var group wire.MNGroup
	call("POST", base+"/group", map[string]string{"name": "杭州门店"}, &group)
	var scenes struct{ Content []wire.MNScene }
	call("GET", base+"/scene", nil, &scenes)
	var contactScene uint64
	for _, s := range scenes.Content {
		if s.Name == bot.ContactScene && s.SceneType == wire.SceneSystem {
			contactScene = s.ID
		}
	}
	if contactScene == 0 {
		t.Fatalf("no SYSTEM scene %s in %+v", bot.ContactScene, scenes.Content)
	}
	now := clk.Now().In(clock.Shanghai)
	img := pngImage(t)
	imgInfo, err := op.UploadFile(ctx, "门店海报.png", "marketing_notice", bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	data := wire.MNPlanData{Name: "杭州门店招聘", GroupID: group.ID, Description: "AI 托管",
		StartTime: wire.SeedTime{Time: now.Add(-time.Hour)}, EndTime: wire.SeedTime{Time: now.Add(72 * time.Hour)},
		ReplyStrategy: wire.ReplyConsultantNoFurther, ReplyDelay: replyDelay, UnifiedReply: true, SegmentSeparator: "|",
		MinReplyInterval: 1, Prompt: "你是门店的招聘顾问，先回答问题再引导加微信", BackgroundInfo: "连锁门店",
		TimeInfo: "周六面试", ReferenceCase: "候选人问薪资时答范围", TimeoutWakeUp: true, Timeout: timeoutMin,
		TimeoutPrompt: wakeUpText,
		Greetings: []wire.MNGreeting{{Type: wire.ContentText, Content: greetingText},
			{Type: wire.ContentImage, Content: fmt.Sprintf("%s/api/v1/file/%d", d.ControlURL, imgInfo.ID)}}}
	var plan wire.MNPlan
	call("POST", base, wire.MNPlanInput{Options: wire.MNOptionDraft, Data: &data}, &plan)
	var salaryScene, refuseScene wire.MNScene
	call("POST", base+"/scene", wire.MNSceneInput{Name: "问薪资", StatisticalMethod: wire.SceneGrandTotal, Prompt: "候选人在问薪资", PlanID: plan.ID}, &salaryScene)
	call("POST", base+"/scene", wire.MNSceneInput{Name: "拒绝", StatisticalMethod: wire.SceneOnly, Prompt: "候选人拒绝留联系方式", PlanID: plan.ID}, &refuseScene)
	data.SceneIDs = []uint64{contactScene, salaryScene.ID, refuseScene.ID}
	data.MonitoringStrategy = []wire.MNMonitoring{
		{SceneID: contactScene, Strategy: []string{wire.StrategyCompleteService}},
		{SceneID: refuseScene.ID, Strategy: []string{wire.StrategyEndUntilRestart}},
	}
	call("PUT", fmt.Sprintf("%s/%d", base, plan.ID), wire.MNPlanInput{Options: wire.MNOptionRelease, Data: &data}, nil)

	// The member sheet: every role, and an id nobody talks to.
	name := func(id string) string { return persona[id].Name }
	var rows [][]string
	var all []string
	for _, r := range []string{"complete", "refuser", "timeout", "human", "asker", "optout"} {
		for _, id := range roles[r] {
			rows = append(rows, []string{id, name(id), "杭州"})
			all = append(all, id)
		}
	}
	const unknown = "987654321"
	rows = append(rows, []string{unknown, "查无此人", "杭州"})
	sheet, err := op.UploadFile(ctx, "members.xlsx", "marketing_notice", bytes.NewReader(memberSheet(t, rows)))
	if err != nil {
		t.Fatal(err)
	}
	var task wire.MNTask
	call("POST", fmt.Sprintf("%s/%d/task", base, plan.ID), wire.MNTaskInput{Name: "三月批次", FileIDs: []uint64{sheet.ID}}, &task)
	if task.TotalMember != int64(len(rows)) {
		t.Fatalf("task %+v, want %d members", task, len(rows))
	}
	members := func() map[string]wire.MNTaskMember {
		var page struct{ Content []wire.MNTaskMember }
		call("GET", fmt.Sprintf("%s/task/%d/members", base, task.ID), nil, &page)
		out := map[string]wire.MNTaskMember{}
		for _, m := range page.Content {
			out[m.UserID] = m
		}
		return out
	}
	statusOf := func(id string) string { return members()[id].Status }
	statuses := func() string {
		var b strings.Builder
		for id, m := range members() {
			fmt.Fprintf(&b, "%s=%s(%s) ", id, m.Status, m.Reason)
		}
		return b.String()
	}
	rendered := func(id string) string {
		return strings.NewReplacer("{{name}}", name(id), "{{city}}", "杭州").Replace(greetingText)
	}
	botTexts := func(id string) []sim.RecruiterMessage {
		var out []sim.RecruiterMessage
		cid, _ := strconv.ParseInt(id, 10, 64)
		for _, m := range truth().Messages {
			if m.CandidateID == cid && m.By == sim.ByBot && m.Kind == sim.KindText {
				out = append(out, m)
			}
		}
		return out
	}

	// Greetings reach every member with a conversation.
	reachable := append(append(append([]string{}, roles["complete"]...), roles["refuser"]...), roles["timeout"]...)
	reachable = append(append(reachable, roles["human"]...), roles["asker"]...)
	testwait.Until(t, "every reachable member greeted", func() bool {
		for _, id := range reachable {
			if ms := botTexts(id); !slices.ContainsFunc(ms, func(m sim.RecruiterMessage) bool { return m.Text == rendered(id) }) {
				return false
			}
		}
		return true
	}, statuses)

	t.Logf("every reachable member greeted: %s", statuses())
	// A human recruiter writes in one conversation.
	human := roles["human"][0]
	testwait.Until(t, "the human's member reached", func() bool { return statusOf(human) != wire.MemberNotReached }, statuses)
	hid, _ := strconv.ParseInt(human, 10, 64)
	if err := d.Sim.HumanMessage("demo", hid, "您好，我是招聘负责人王经理，稍后电话联系您"); err != nil {
		t.Fatal(err)
	}

	// The asker (a silent persona: only the injected words) sends two
	// messages at once: one answer after the reply delay, split on "|".
	asker := roles["asker"][0]
	aid, _ := strconv.ParseInt(asker, 10, 64)
	testwait.Until(t, "the asker's member reached", func() bool { return statusOf(asker) == wire.MemberInService }, statuses)
	for _, text := range []string{"你好", "在吗"} {
		if err := d.Sim.Inject("demo", aid, text); err != nil {
			t.Fatal(err)
		}
	}
	askedAt := clk.Now()
	testwait.Until(t, "the unified, split answer", func() bool {
		return slices.ContainsFunc(botTexts(asker), func(m sim.RecruiterMessage) bool { return m.Text == separatorPart })
	}, statuses)
	// Three questions the fake model answers with inventions: each is
	// blocked by the brain's gate. The next question waits until the
	// worker answered the previous one (its record's last answered
	// message): a question arriving while the bot types its answer counts
	// as answered by it. The rule text after a block may be dropped by the
	// worker's gate as a repeat, so the site may show no new message.
	answered := func() int64 {
		var c bot.Conversation
		if err := d.Runtime.DB().View(func(tx *worker.Tx) error { return tx.Conversation("demo", asker, &c) }); err != nil {
			t.Fatal(err)
		}
		return c.LastAnsweredMID
	}
	ask := func(q, outcome string) {
		t.Helper()
		before, prev := d.Brain.LLMStats().Outcomes[outcome], answered()
		if err := d.Sim.Inject("demo", aid, q); err != nil {
			t.Fatal(err)
		}
		testwait.Until(t, "the answer to "+q+" (its invention blocked)", func() bool {
			return d.Brain.LLMStats().Outcomes[outcome] > before && answered() > prev
		}, func() string { return fmt.Sprintf("%v %s", d.Brain.LLMStats().Outcomes, statuses()) })
	}
	testwait.Until(t, "the greeting answer recorded", func() bool { return answered() > 0 }, statuses)
	ask("请问薪资多少？", "gate_salary")
	ask("有没有招聘网址？", "gate_url")
	ask("你电话多少？", "gate_phone")

	// Every member ends in a final status.
	testwait.Until(t, "every member final", func() bool {
		for _, m := range members() {
			if !wire.MemberFinal(m.Status) {
				return false
			}
		}
		return true
	}, statuses)
	ms := members()
	tr := truth()
	t.Logf("final: %s", statuses())

	// Statuses against the site's record.
	disclosedAfter := func(id string) bool {
		cid, _ := strconv.ParseInt(id, 10, 64)
		greet := greetingTime(botTexts(id), rendered(id))
		for _, x := range tr.Disclosures {
			if x.CandidateID == cid && !x.Time.Before(greet) {
				return true
			}
		}
		return false
	}
	expect := func(id, status string) {
		t.Helper()
		if got := ms[id].Status; got != status {
			t.Errorf("member %s (%s): status %s (%s), want %s", id, persona[id].Persona, got, ms[id].Reason, status)
		}
	}
	for _, id := range roles["complete"] {
		if !disclosedAfter(id) {
			t.Errorf("member %s (%s): the site recorded no contact after the greetings", id, persona[id].Persona)
		}
		expect(id, wire.MemberCompleteService)
	}
	for _, id := range roles["refuser"] {
		expect(id, wire.MemberTerminateService)
		if n := len(botTexts(id)); n != 1 {
			t.Errorf("refuser %s: %d bot texts, want the greeting only", id, n)
		}
	}
	for _, id := range append(append([]string{}, roles["timeout"]...), asker) {
		expect(id, wire.MemberTimeoutCompleteService)
		var wakes []sim.RecruiterMessage
		for _, m := range botTexts(id) {
			if m.Text == wakeUpText {
				wakes = append(wakes, m)
			}
		}
		if len(wakes) != 1 {
			t.Errorf("member %s: %d wake-ups on the site, want 1", id, len(wakes))
		}
	}
	timeoutID := roles["timeout"][0]
	if g, w := greetingTime(botTexts(timeoutID), rendered(timeoutID)), wakeTime(botTexts(timeoutID)); w.Sub(g) < timeoutMin*time.Minute {
		t.Errorf("wake-up %v after the greetings, want at least %d minutes", w.Sub(g), timeoutMin)
	}
	expect(human, wire.MemberCustomerServiceIntervene)
	for _, m := range tr.MessagesAfterHuman {
		if m.CandidateID == hid {
			t.Errorf("the bot wrote after the human: %+v", m)
		}
	}
	for _, id := range roles["optout"] {
		expect(id, wire.MemberIgnore)
		if len(botTexts(id)) != 0 {
			t.Errorf("opted-out %s got %d bot texts", id, len(botTexts(id)))
		}
		if ms[id].Reason != bot.ReasonPlanOptedOut {
			t.Errorf("opted-out %s: reason %q", id, ms[id].Reason)
		}
	}
	expect(unknown, wire.MemberIgnore)

	// Greetings exactly once each: the rendered text and the image.
	sum := imgDigest(img)
	for _, id := range reachable {
		n := 0
		for _, m := range botTexts(id) {
			if m.Text == rendered(id) {
				n++
			}
		}
		k := 0
		cid, _ := strconv.ParseInt(id, 10, 64)
		for _, im := range tr.Images {
			if im.CandidateID == cid && im.SHA256 == sum {
				k++
			}
		}
		if n != 1 || k != 1 {
			t.Errorf("member %s: greeting text %d times, image %d times; want 1 and 1", id, n, k)
		}
	}

	// The asker: one answer for the two messages, after the reply delay,
	// split on the separator; no invention on the site; the inventions
	// counted as blocked.
	var hello []sim.RecruiterMessage
	for _, m := range botTexts(asker) {
		if m.Text == "您好" || m.Text == separatorPart {
			hello = append(hello, m)
		}
	}
	if len(hello) != 2 {
		t.Errorf("asker: %d parts of the greeting answer, want 2 (one answer, split on |)", len(hello))
	} else if hello[0].Time.Sub(askedAt) < (replyDelay-1)*time.Second {
		t.Errorf("asker: answered %v after the messages, want the %d s reply delay", hello[0].Time.Sub(askedAt), replyDelay)
	}
	for _, m := range tr.Messages {
		for _, bad := range inventions {
			if strings.Contains(m.Text, bad) {
				t.Errorf("an invention reached candidate %d: %q", m.CandidateID, m.Text)
			}
		}
	}
	out := d.Brain.LLMStats().Outcomes
	if out["gate_salary"] < 1 || out["gate_url"] < 1 || out["gate_phone"] < 1 {
		t.Errorf("brain outcomes %v: want the salary, URL and phone inventions counted as blocked", out)
	}
	if len(tr.DuplicateMessages) != 0 || len(tr.DuplicateImages) != 0 {
		t.Errorf("duplicates on the site: %+v %+v", tr.DuplicateMessages, tr.DuplicateImages)
	}

	// The report equals the members and the site.
	var rep wire.MNReport
	call("GET", fmt.Sprintf("%s/task/%d/report", base, task.ID), nil, &rep)
	scene := func(id uint64) int64 {
		for _, s := range rep.SceneStatistics {
			if s.ID == id {
				return s.Number
			}
		}
		return -1
	}
	contacts := 0
	for _, id := range all {
		if disclosedAfter(id) {
			contacts++
		}
	}
	if rep.PlannedNumberOfPeopl != int64(len(rows)) || rep.CompleteServiceOfPeopl != 2 || rep.ContactSuccessOfPeopl != int64(contacts) ||
		scene(salaryScene.ID) != 1 || scene(refuseScene.ID) != 1 {
		t.Errorf("report %+v; want planned %d, complete 2, contact %d (site), 问薪资 1, 拒绝 1", rep, len(rows), contacts)
	}
	if m := ms[asker]; len(m.MoodValues) == 0 {
		t.Errorf("asker: no mood values from the brain's extension: %+v", m)
	}
	if v := fake.Violations(); len(v) > 0 {
		t.Errorf("model requests off the documented shape: %v", v)
	}
	t.Logf("model calls %d, brain outcomes %v, %d site messages", calls.Load(), out, len(tr.Messages))
}

func greetingTime(ms []sim.RecruiterMessage, text string) time.Time {
	for _, m := range ms {
		if m.Text == text {
			return m.Time
		}
	}
	return time.Time{}
}

func wakeTime(ms []sim.RecruiterMessage) time.Time {
	for _, m := range ms {
		if m.Text == wakeUpText {
			return m.Time
		}
	}
	return time.Time{}
}

func imgDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func pngImage(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 24, 24))
	for x := 0; x < 24; x++ {
		img.Set(x, 23-x, color.RGBA{30, 120, 200, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func memberSheet(t *testing.T, rows [][]string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	all := append([][]string{{"userId", "nickname", "city"}}, rows...)
	for i, r := range all {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		vals := []any{r[0], r[1], r[2]}
		if err := f.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
