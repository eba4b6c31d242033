package server

import (
	"time"

	"github.com/hunterbot/hunterbot/internal/clock"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
)

func h(pairs ...string) []brain.ChatMessage {
	var out []brain.ChatMessage
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, brain.ChatMessage{Speaker: pairs[i], Msg: pairs[i+1]})
	}
	return out
}

const (
	R = brain.SpeakerRobot
	U = brain.SpeakerUser
	S = brain.SpeakerSystem
)

var jobTexts = resolveTexts(brain.JobTexts{Salary: "薪资12-20K", Location: "望京SOHO", Company: "心理健康机构"})

func TestDecideChat(t *testing.T) {
	tests := []struct {
		name        string
		hist        []brain.ChatMessage
		st          chatState
		wantStep    string
		wantContain []string
		wantRefused bool
	}{
		{"empty history greets", nil, chatState{}, brain.StepNormalChat, []string{jobTexts.Greeting}, false},
		{"only robot: nothing to answer", h(R, "您好"), chatState{}, brain.StepNoTalk, nil, false},
		{"first turn asks contact", h(R, "您好", U, "还招人么"), chatState{}, brain.StepNeedContact, []string{"方便加个微信或者告知联系方式，咱们细聊"}, false},
		{"first turn with question answers then asks", h(R, "您好", U, "工资多少？在哪里上班"), chatState{}, brain.StepNeedContact,
			[]string{"薪资12-20K", "望京SOHO", "方便加个微信"}, false},
		{"first turn spanning two messages", h(R, "您好", U, "你好", U, "公司叫什么"), chatState{}, brain.StepNeedContact, []string{"心理健康机构", "方便加个微信"}, false},
		{"later question answered", h(R, "您好", U, "你好", R, "方便加个微信或者告知联系方式，咱们细聊", U, "待遇怎么样"), chatState{}, brain.StepNormalChat, []string{"薪资12-20K"}, false},
		{"later chit-chat gets default", h(R, "您好", U, "你好", R, "方便加个微信", U, "嗯嗯"), chatState{}, brain.StepNormalChat, []string{jobTexts.Default}, false},
		{"system item: acknowledge once", h(R, "您好", U, "好的", R, "方便加个微信", S, "接受与您交换微信"), chatState{}, brain.StepNormalChat, []string{"好的，我加您细聊"}, false},
		{"system item after ack: noTalk", h(R, "您好", U, "好的", S, "接受与您交换微信", R, "好的，我加您细聊", U, "好的"), chatState{}, brain.StepNoTalk, nil, false},
		{"system item: question still answered, no contact ask", h(R, "您好", U, "好", S, "我想要和您交换微信，您是否同意", U, "地址在哪"), chatState{}, brain.StepNormalChat, []string{"望京SOHO"}, false},
		{"contact typed in text", h(R, "您好", U, "我微信是 zhang_san88"), chatState{}, brain.StepNormalChat, []string{"好的，我加您细聊"}, false},
		{"phone typed in text", h(R, "您好", U, "13812345678 打我电话"), chatState{}, brain.StepNormalChat, []string{"好的，我加您细聊"}, false},
		{"stored contact: noTalk", h(R, "您好", U, "在吗"), chatState{HasContact: true}, brain.StepNoTalk, nil, false},
		{"refusal: noTalk and remembered", h(R, "您好", U, "不考虑，谢谢"), chatState{}, brain.StepNoTalk, nil, true},
		{"已入职 refusal", h(R, "您好", U, "我已入职了"), chatState{}, brain.StepNoTalk, nil, true},
		{"earlier refusal stays", h(R, "您好", U, "你好"), chatState{Refused: true}, brain.StepNoTalk, nil, false},
		{"robot had the last word: nothing to repeat", h(R, "您好", U, "在哪", R, "望京SOHO\n方便加个微信"), chatState{}, brain.StepNoTalk, nil, false},
		{"exchange card without words: acknowledge", h(R, "您好", U, "好", R, "方便加个微信", S, "接受与您交换微信"), chatState{}, brain.StepNormalChat, []string{"好的，我加您细聊"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decideChat(jobTexts, tt.hist, tt.st)
			if d.Step != tt.wantStep {
				t.Fatalf("step = %s (%q), want %s", d.Step, d.Content, tt.wantStep)
			}
			if d.Step != brain.StepNoTalk && strings.TrimSpace(d.Content) == "" {
				t.Fatalf("step %s with empty content", d.Step)
			}
			if d.Step == brain.StepNoTalk && d.Content != "" {
				t.Errorf("noTalk with content %q", d.Content)
			}
			for _, w := range tt.wantContain {
				if !strings.Contains(d.Content, w) {
					t.Errorf("content %q lacks %q", d.Content, w)
				}
			}
			if d.Refused != tt.wantRefused {
				t.Errorf("refused = %v, want %v", d.Refused, tt.wantRefused)
			}
		})
	}
}

// TestChatConversationSequence plays a whole conversation turn by turn,
// feeding each answer back into the history like the bot does.
func TestChatConversationSequence(t *testing.T) {
	var hist []brain.ChatMessage
	st := chatState{}
	say := func(speaker, msg string) { hist = append(hist, brain.ChatMessage{Speaker: speaker, Msg: msg}) }
	step := func() chatDecision {
		d := decideChat(jobTexts, hist, st)
		if d.Content != "" {
			say(R, d.Content)
		}
		return d
	}
	say(R, "您好，看了您的简历")
	say(U, "您好，工资多少")
	if d := step(); d.Step != brain.StepNeedContact {
		t.Fatalf("turn 1: %s", d.Step)
	}
	say(U, "那上班地点呢")
	if d := step(); d.Step != brain.StepNormalChat || !strings.Contains(d.Content, "望京SOHO") {
		t.Fatalf("turn 2: %+v", d)
	}
	say(S, "接受与您交换微信")
	say(U, "加我吧")
	if d := step(); d.Step != brain.StepNormalChat || d.Content != "好的，我加您细聊" {
		t.Fatalf("turn 3: %+v", d)
	}
	say(U, "好的")
	if d := step(); d.Step != brain.StepNoTalk {
		t.Fatalf("turn 4: %+v", d)
	}
}

func TestResolveTextsDefaults(t *testing.T) {
	got := resolveTexts(brain.JobTexts{Recall: []string{"", "自定义第二条"}})
	if got.ContactRequest != "方便加个微信或者告知联系方式，咱们细聊" || got.GotContact != "好的，我加您细聊" {
		t.Errorf("defaults not applied: %+v", got)
	}
	if len(got.Recall) != 3 || got.Recall[0] != defaultTexts.Recall[0] || got.Recall[1] != "自定义第二条" {
		t.Errorf("recall = %q", got.Recall)
	}
	if !strings.HasPrefix(got.Recall[0], "哈喽 哈喽 不知道看到消息了么？最近是在忙？") ||
		!strings.HasPrefix(defaultTexts.Recall[1], "hi 亲，您对我们感兴趣的话，方便交换个联系方式或者简历吗？") ||
		!strings.HasPrefix(defaultTexts.Recall[2], "哈喽 亲 看给你发消息一直没有回复，是不感兴趣？") {
		t.Errorf("recall texts differ from the spec: %q", defaultTexts.Recall)
	}
}

func TestAnswerWechat(t *testing.T) {
	if got := answerWechat(jobTexts, "工资怎么算"); got != "薪资12-20K" {
		t.Errorf("salary answer = %q", got)
	}
	if got := answerWechat(jobTexts, "好的谢谢"); got != jobTexts.WechatDefault {
		t.Errorf("default answer = %q", got)
	}
}

func TestRecallWindow(t *testing.T) {
	base := at("10:00")
	day := 24 * 60 * 60 * 1e9
	tests := []struct {
		count int
		after float64 // days
		want  bool
	}{
		{0, 0, false}, {0, 0.5, false}, {0, 1, true}, {0, 3, true}, {0, 3.5, true}, {0, 4, false},
		{1, 1, true}, {1, 4, false},
		{2, 1, false}, {2, 2, true}, {2, 7, true}, {2, 8, false},
	}
	for _, tt := range tests {
		now := base.Add(time.Duration(tt.after * day))
		if got := recallWindow(tt.count, base, now); got != tt.want {
			t.Errorf("recall #%d after %.1f days (%s): %v, want %v", tt.count, tt.after, now.In(clock.Shanghai).Format("01-02 15:04"), got, tt.want)
		}
	}
	// Calendar days: 23:50 -> 00:10 next day is one day.
	late := at("23:50")
	if !recallWindow(0, late, late.Add(20*time.Minute)) {
		t.Error("next calendar day should open the window")
	}
}
