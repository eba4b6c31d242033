package bot

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/pages"
)

const cand = 501 // the candidate most chat tests talk to

// candidateAsks greets cand, lets the candidate ask something and moves
// past the reply delay; it returns the question's message id.
func (h *harness) candidateAsks(text string) int64 {
	h.t.Helper()
	h.greeted(cand, "张女士")
	mid := h.site.say(cand, cand, text)
	h.clk.advance(11 * time.Second) // past DefaultHosting's 10 s reply delay
	return mid
}

func TestAnswerActsOnEveryNextStep(t *testing.T) {
	tests := []struct {
		name      string
		wechat    string // already known before the turn
		reply     brain.ChatData
		chatErr   error
		sent      []string
		requested []string
		status    wire.ConvStatus
		done      bool
		handed    bool
		answered  bool          // LastAnsweredMID moves to the question
		retryIn   time.Duration // RetryAt - now after the pass (0: none)
	}{
		{name: "normal_chat sends every segment", reply: brain.ChatData{NextStep: string(StepNormalChat), NextStepContent: "薪资面议\n 期待与您沟通 "},
			sent: []string{"薪资面议", "期待与您沟通"}, status: StatusInService, answered: true},
		{name: "normal_chat without text sends nothing", reply: brain.ChatData{NextStep: string(StepNormalChat), NextStepContent: " \n "},
			status: StatusInService, answered: true},
		{name: "need_contact sends and requests wechat", reply: brain.ChatData{NextStep: string(StepNeedContact), NextStepContent: "方便加个微信吗？"},
			sent: []string{"方便加个微信吗？"}, requested: []string{"501/wechat"}, status: StatusInService, answered: true},
		{name: "need_contact skips a contact already known", wechat: "zhang_w1", reply: brain.ChatData{NextStep: string(StepNeedContact), NextStepContent: "好的"},
			sent: []string{"好的"}, status: StatusInService, answered: true},
		{name: "noTalk without contact terminates", reply: brain.ChatData{NextStep: string(StepNoTalk)},
			status: StatusTerminated, done: true, answered: true},
		{name: "finish with a contact completes", wechat: "zhang_w1", reply: brain.ChatData{NextStep: string(StepFinish)},
			status: StatusComplete, done: true, answered: true},
		{name: "need_ensure hands over to a human", reply: brain.ChatData{NextStep: string(StepNeedEnsure), NextStepContent: "ignored"},
			status: StatusIntervened, handed: true, answered: true},
		{name: "algo_abnormal asks again in 10 minutes", reply: brain.ChatData{NextStep: string(StepAlgoAbnormal)},
			status: StatusInService, retryIn: 10 * time.Minute},
		{name: "unknown step sends nothing", reply: brain.ChatData{NextStep: "dance", NextStepContent: "hello"},
			status: StatusInService, answered: true},
		{name: "brain down retries in 2 minutes", chatErr: errBoom, status: StatusInService, retryIn: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t).login()
			q := h.candidateAsks("你好，请问薪资多少？")
			if tt.wechat != "" {
				c := h.conv(cand)
				c.Wechat = tt.wechat
				h.putConv(c)
			}
			h.brain.replies["501"] = []brain.ChatData{tt.reply}
			h.brain.chatErr = tt.chatErr
			before := len(h.site.sentTexts())
			h.chat()

			if got := h.site.sentTexts()[before:]; !slices.Equal(got, tt.sent) && len(got)+len(tt.sent) > 0 {
				t.Errorf("sent %q, want %q", got, tt.sent)
			}
			if !slices.Equal(h.site.requested, tt.requested) {
				t.Errorf("exchange requests %q, want %q", h.site.requested, tt.requested)
			}
			c := h.conv(cand)
			if c.Status != tt.status || c.Done != tt.done || c.HandedOver != tt.handed {
				t.Errorf("status=%s done=%v handed=%v, want %s %v %v", c.Status, c.Done, c.HandedOver, tt.status, tt.done, tt.handed)
			}
			if got := c.LastAnsweredMID == q; got != tt.answered {
				t.Errorf("answered = %v (LastAnsweredMID %d, question %d), want %v", got, c.LastAnsweredMID, q, tt.answered)
			}
			// The control plane hears each status change once, in order.
			want := []wire.ConvStatus{StatusNotReached, StatusInService}
			if tt.status != StatusInService {
				want = append(want, tt.status)
			}
			if got := h.statusTrail(cand); !slices.Equal(got, want) {
				t.Errorf("statuses pushed %q, want %q", got, want)
			}
			var retry time.Duration
			if !c.RetryAt.IsZero() {
				retry = c.RetryAt.Sub(h.clk.Now())
			}
			if retry != tt.retryIn {
				t.Errorf("retry in %v, want %v", retry, tt.retryIn)
			}
			// The brain saw the question as the user's last message and our
			// greeting as the robot's.
			req := h.brain.chats[0]
			if n := len(req.HistoryMsg); n < 2 || req.HistoryMsg[n-1].Speaker != "user" || req.HistoryMsg[0].Speaker != "robot" {
				t.Errorf("history = %+v", req.HistoryMsg)
			}
			if req.AccountID != "account_boss_p1" || req.JobID != "job_boss_101" || req.CandidateName != "张女士" {
				t.Errorf("chat request = %+v", req)
			}
			for i, line := range tt.sent {
				key := "chat/acc1/501/" + itoa(q) + "/0" + itoa(int64(i))
				if s := h.send(key); s.State != "done" || s.Text != line {
					t.Errorf("ledger %s = %+v", key, s)
				}
			}
		})
	}
}

func itoa(v int64) string { return strings.TrimSpace(jsonString(v)) }

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestAnswerNotAgainUntilRetryDueAndNeverTwice(t *testing.T) {
	h := newHarness(t).login()
	h.candidateAsks("在吗")
	h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepAlgoAbnormal)}}
	h.chat()
	h.chat() // nothing changed and the retry is not due
	if n := h.brain.chatCount(); n != 1 {
		t.Fatalf("brain asked %d times before the retry was due, want 1", n)
	}
	h.clk.advance(10 * time.Minute)
	h.chat()
	h.chat()
	if n := h.brain.chatCount(); n != 2 {
		t.Fatalf("brain asked %d times, want 2 (once more when due, then answered)", n)
	}
	if got := h.site.sentTexts(); !slices.Equal(got, []string{"好的"}) {
		t.Fatalf("sent %q, want one answer", got)
	}
}

func TestAnswerDebouncesAndHonoursTheHostingPolicy(t *testing.T) {
	unifiedOff := false
	tests := []struct {
		name    string
		hosting Hosting
		wait    time.Duration // after the last candidate message
		chats   int
		sent    []string
		status  wire.ConvStatus
	}{
		{name: "waits for the reply delay", wait: 5 * time.Second, chats: 0, status: StatusInService},
		{name: "unified answers the last message once", wait: 11 * time.Second, chats: 1, sent: []string{"好的"}, status: StatusInService},
		{name: "per message answers each", hosting: Hosting{UnifiedReply: &unifiedOff}, wait: 11 * time.Second, chats: 2,
			sent: []string{"好的", "好的"}, status: StatusInService},
		{name: "end after reply leaves it to the recruiter", hosting: Hosting{ReplyStrategy: StrategyEndAfterReply},
			wait: 11 * time.Second, chats: 0, status: StatusComplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(a *AccountConfig) { a.Hosting = tt.hosting }).login()
			h.greeted(cand, "张女士")
			h.site.say(cand, cand, "你好")
			h.site.say(cand, cand, "岗位还招吗")
			h.clk.advance(tt.wait)
			h.chat()
			if n := h.brain.chatCount(); n != tt.chats {
				t.Errorf("brain calls = %d, want %d", n, tt.chats)
			}
			if got := h.site.sentTexts(); !slices.Equal(got, tt.sent) && len(got)+len(tt.sent) > 0 {
				t.Errorf("sent %q, want %q", got, tt.sent)
			}
			c := h.conv(cand)
			if c.Status != tt.status {
				t.Errorf("status %s, want %s", c.Status, tt.status)
			}
			if tt.chats == 0 && tt.status == StatusInService && c.RetryAt.IsZero() {
				t.Error("a debounced answer must set RetryAt")
			}
		})
	}
}

func TestSegmentsAreSpacedByMinReplyInterval(t *testing.T) {
	h := newHarness(t, func(a *AccountConfig) {
		a.Hosting = Hosting{SegmentSeparator: "|", MinReplyInterval: time.Minute}
	}).login()
	h.candidateAsks("介绍一下")
	h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: "第一段|第二段"}}
	start := h.clk.Now()
	h.chat()
	if got := h.site.sentTexts(); !slices.Equal(got, []string{"第一段", "第二段"}) {
		t.Fatalf("sent %q", got)
	}
	if d := h.clk.Now().Sub(start); d < time.Minute {
		t.Fatalf("two segments went out %v apart, want >= 1m", d)
	}
}

func TestHumanRecruiterTakesOver(t *testing.T) {
	tests := []struct {
		name     string
		strategy ReplyStrategy
		handed   bool
		answers  int
	}{
		{name: "default strategy goes silent", handed: true, answers: 0},
		{name: "continue after reply keeps hosting", strategy: StrategyContinueAfterReply, handed: false, answers: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(a *AccountConfig) { a.Hosting.ReplyStrategy = tt.strategy }).login()
			h.greeted(cand, "张女士")
			h.chat()
			h.site.say(cand, fakeRecruiterUID, "我是招聘经理本人，稍后电话联系您") // typed by a human
			h.site.say(cand, fakeRecruiterUID, "请求交换微信")           // written by the page: not a human
			h.site.say(cand, cand, "好的")
			h.clk.advance(11 * time.Second)
			h.chat()
			c := h.conv(cand)
			if c.HandedOver != tt.handed {
				t.Errorf("handed over = %v, want %v", c.HandedOver, tt.handed)
			}
			if tt.handed && c.Status != StatusIntervened {
				t.Errorf("status %s, want %s", c.Status, StatusIntervened)
			}
			if n := h.brain.chatCount(); n != tt.answers {
				t.Errorf("brain calls %d, want %d", n, tt.answers)
			}
		})
	}
}

func TestCandidateTurnsRecordRepliesOptOutsAndContacts(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.chat()
	h.site.say(cand, cand, "在")
	h.clk.advance(11 * time.Second)
	h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: "我们是一家做云服务的公司"}}
	h.chat()
	c := h.conv(cand)
	if !c.Replied || c.ReplyText != "在" {
		t.Fatalf("reply not recorded: %+v", c)
	}
	// An echo of our own text is not a message to answer.
	h.site.say(cand, cand, "我们是一家做云服务的公司")
	h.clk.advance(11 * time.Second)
	calls := h.brain.chatCount()
	h.chat()
	if h.brain.chatCount() != calls {
		t.Fatal("the bot answered an echo of its own text")
	}
	h.site.say(cand, cand, "我的微信是 zhang_w1，电话 13800138000")
	h.clk.advance(11 * time.Second)
	h.chat()
	c = h.conv(cand)
	if c.ReplyText != "在" || c.Wechat != "zhang_w1" || c.Phone != "13800138000" {
		t.Fatalf("conv = replied %v wechat %q phone %q", c.Replied, c.Wechat, c.Phone)
	}
	if st := h.agent.Status(); st.Replies != 1 || st.Contacts != 2 {
		t.Fatalf("status counters = %+v", st)
	}
	if run, days := h.agent.DayCounts(); run == "" || len(days) != 1 || days[0].Day != "2026-03-05" || days[0].Replies != 1 || days[0].Contacts != 2 ||
		days[0].Messages != int64(len(h.site.sentTexts())) || days[0].Messages == 0 || days[0].Followups != 0 {
		t.Fatalf("day counts = %q %+v (sent %q)", run, days, h.site.sentTexts())
	}
	brainKinds := h.kinds(TargetBrain)
	if brainKinds[KindResult] != 2 || brainKinds[KindTaskReport] != 1 {
		t.Fatalf("brain outbox = %v, want 2 results and the task report", brainKinds)
	}
	var last wire.ContactInput
	for _, it := range h.outbox(TargetControl) {
		if it.Kind == KindContact {
			if err := json.Unmarshal(it.Payload, &last); err != nil {
				t.Fatal(err)
			}
		}
	}
	if last.Contact != "wechat:zhang_w1" || !last.Replied || !last.WechatExchanged || last.Phone != "13800138000" {
		t.Fatalf("last contact pushed = %+v", last)
	}

	h.site.say(cand, cand, "不考虑了，别再联系我")
	h.chat()
	c = h.conv(cand)
	if !c.OptedOut || c.Status != StatusTerminated {
		t.Fatalf("opt-out not recorded: %+v", c)
	}
	calls = h.brain.chatCount()
	h.site.say(cand, cand, "？")
	h.clk.advance(time.Minute)
	h.chat()
	if h.brain.chatCount() != calls {
		t.Fatal("the bot answered after the candidate opted out")
	}
}

func TestExchangeNoticesAndResumesAreCaptured(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.site.views[cand] = map[pages.Exchange]string{pages.ExchangeWechat: "zw_2024", pages.ExchangePhone: "+86 138-0013-8000"}
	h.site.downloads["https://site.test/cv/501.pdf"] = []byte("%PDF-1.4 cv")
	h.site.say(cand, cand, "接受与您交换微信")
	h.site.say(cand, cand, "接受与您交换联系方式")
	h.site.card(cand, cand, pages.BodyResume, "", "https://site.test/cv/501.pdf")
	h.chat()
	c := h.conv(cand)
	if c.Wechat != "zw_2024" || c.Phone != "13800138000" || c.CVFile == "" {
		t.Fatalf("captured wechat %q phone %q cv %q", c.Wechat, c.Phone, c.CVFile)
	}
	if fi, err := os.Stat(c.CVFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cv file %s: %v (mode %v), want 0600", c.CVFile, err, fi)
	}
	var withCV int
	for _, it := range h.outbox(TargetBrain) {
		if it.Kind == KindResult && it.Attachment == c.CVFile {
			withCV++
		}
	}
	if withCV != 1 {
		t.Fatalf("%d result items carry the cv, want 1", withCV)
	}
	if c.Replied {
		t.Fatal("site notices and cards are not the candidate replying")
	}
}

// Only the site's notices announce a completed exchange. The bot's own
// "方便留一下您的微信号吗" and a candidate's "我的微信号…" contain 的微信号 too,
// but the toolbar offers no 查看微信 for them: on the site, looking for it
// waited out a whole page step (15 s) on every such message.
func TestOnlySiteNoticesOpenTheExchangeTooltip(t *testing.T) {
	h := newHarness(t).login()
	h.candidateAsks("介绍一下")
	h.site.views[cand] = map[pages.Exchange]string{pages.ExchangeWechat: "zw_2024", pages.ExchangePhone: "13800138000"}
	h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: "后续沟通会更及时，您方便留一下您的微信号吗？"}}
	h.chat()
	if got := h.site.sentTexts(); !slices.Contains(got, "后续沟通会更及时，您方便留一下您的微信号吗？") {
		t.Fatalf("sent %q", got)
	}
	h.clk.advance(time.Minute)
	h.site.say(cand, cand, "我的微信号和手机号晚点发您")
	h.clk.advance(time.Minute)
	h.chat()
	if c := h.conv(cand); c.Wechat != "" || c.Phone != "" {
		t.Fatalf("wechat %q phone %q read from a tooltip no notice announced", c.Wechat, c.Phone)
	}
	if len(h.site.viewed) != 0 {
		t.Fatalf("the tooltip was looked up for texts that are not site notices: %q", h.site.viewed)
	}
	h.site.say(cand, cand, "张女士的微信号：zw_2024")
	h.chat()
	if c := h.conv(cand); c.Wechat != "zw_2024" || !slices.Equal(h.site.viewed, []string{"501/wechat"}) {
		t.Fatalf("after the site's notice: wechat %q, lookups %q", c.Wechat, h.site.viewed)
	}
}

func TestExchangeNoticeWithoutTooltipAndFailingDownload(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.site.say(cand, cand, "接受与您交换微信") // the tooltip shows nothing (ErrNotFound): not an error
	h.chat()
	if c := h.conv(cand); c.Wechat != "" {
		t.Fatalf("wechat %q from nowhere", c.Wechat)
	}
	h.site.card(cand, cand, pages.BodyHyperlink, "简历", "https://site.test/missing.pdf")
	// A failing download fails this conversation only: the pass goes on.
	h.chat()
	if c := h.conv(cand); c.CVFile != "" {
		t.Fatal("a failed download recorded a cv")
	}
}

func TestOneBrokenConversationDoesNotStopThePass(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.greeted(502, "李先生")
	h.site.say(cand, cand, "你好")
	h.site.say(502, 502, "你好")
	h.clk.advance(11 * time.Second)
	h.site.convs[cand].openErr = errUnknown
	h.chat()
	if c := h.conv(502); c.LastAnsweredMID == 0 {
		t.Fatal("the healthy conversation was not answered")
	}
	h.site.convs[cand].openErr = nil
	h.clk.advance(revisitAfter)
	h.chat()
	if c := h.conv(cand); c.LastAnsweredMID == 0 {
		t.Fatal("the failed conversation was not retried on the next pass")
	}
}

func TestAccountWideErrorsStopThePass(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.greeted(502, "李先生")
	h.site.convs[cand].openErr = pages.ErrRisk
	err := h.agent.chatPass(context.Background())
	if err == nil || !strings.Contains(err.Error(), "conversation 501") {
		t.Fatalf("chat pass = %v, want the risk error naming the conversation", err)
	}
	if slices.Contains(h.site.opened, 502) {
		t.Fatal("the pass went on to another conversation after a risk signal")
	}
}

// statusTrail lists the conversation statuses queued for the control
// plane for candidate uid, in order.
func (h *harness) statusTrail(uid int64) []wire.ConvStatus {
	h.t.Helper()
	var out []wire.ConvStatus
	for _, it := range h.outbox(TargetControl) {
		if it.Kind != KindConversation {
			continue
		}
		var st wire.ConversationStatus
		if err := json.Unmarshal(it.Payload, &st); err != nil {
			h.t.Fatal(err)
		}
		if st.CandidateID == itoa(uid) {
			out = append(out, st.Status)
		}
	}
	return out
}

// A contact the old holder of a moved account captured but never delivered
// (SIGKILLed with it in its outbox, which is fenced off once the account
// moves) is captured again by the new holder: its worker.db does not know
// the conversation, so the chat pass reads the whole history.
func TestNewHolderRecapturesContactsFromTheHistory(t *testing.T) {
	old := newHarness(t).login()
	old.greeted(cand, "张女士")
	old.site.say(cand, cand, "我的微信是 zhang_w1")
	old.clk.advance(11 * time.Second)
	old.chat()
	if c := old.conv(cand); c.Wechat != "zhang_w1" {
		t.Fatalf("old holder did not capture: %+v", c)
	}

	next := newHarness(t)
	next.site = old.site
	next.agent.Site = old.site
	next.login()
	next.chat()
	if c := next.conv(cand); c.Wechat != "zhang_w1" {
		t.Fatalf("new holder did not recapture: %+v", c)
	}
	var got []string
	for _, it := range next.outbox(TargetControl) {
		if it.Kind == KindContact {
			var in wire.ContactInput
			if err := json.Unmarshal(it.Payload, &in); err != nil {
				t.Fatal(err)
			}
			got = append(got, in.Contact)
		}
	}
	if len(got) != 1 || got[0] != "wechat:zhang_w1" {
		t.Fatalf("new holder's contact pushes = %v, want [wechat:zhang_w1]", got)
	}
	if k := next.kinds(TargetBrain); k[KindResult] != 1 {
		t.Fatalf("new holder's brain outbox = %v, want 1 result", k)
	}
}

// A brain outage: each failed chat call in a row doubles the wait before
// the conversation is reopened (2, 4, 8, 16, 16 minutes), and the first
// answer after the outage starts the count again.
func TestBrainOutageRetriesBackOff(t *testing.T) {
	h := newHarness(t).login()
	h.candidateAsks("你好，请问薪资多少？")
	h.brain.chatErr = errBoom
	var waits []time.Duration
	for range 5 {
		h.chat()
		c := h.conv(cand)
		waits = append(waits, c.RetryAt.Sub(h.clk.Now()))
		h.clk.advance(c.RetryAt.Sub(h.clk.Now()))
	}
	want := []time.Duration{2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 16 * time.Minute}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits %v, want %v", waits, want)
	}
	h.brain.chatErr = nil
	h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: "薪资面议"}}
	h.chat()
	if c := h.conv(cand); c.BrainFailures != 0 || !c.RetryAt.IsZero() {
		t.Fatalf("after an answer: %d failures, RetryAt %v; want the count reset", c.BrainFailures, c.RetryAt)
	}
	if got := h.site.sentTexts(); !slices.Contains(got, "薪资面议") {
		t.Fatalf("sent %q after the brain came back", got)
	}
	h.site.say(cand, cand, "好的，还有别的要求吗？")
	h.brain.chatErr = errBoom
	h.clk.advance(11 * time.Second)
	h.chat()
	if c := h.conv(cand); c.RetryAt.Sub(h.clk.Now()) != 2*time.Minute {
		t.Fatalf("the next outage waits %v first, want 2m", c.RetryAt.Sub(h.clk.Now()))
	}
}
