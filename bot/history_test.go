package bot

import (
	"testing"

	"github.com/hunterbot/hunterbot/pages"
)

const (
	recruiter = 8800123
	geek      = 46232784
)

func msg(mid int64, from int64, bodyType int, text string) pages.Message {
	to := int64(geek)
	if from == geek {
		to = recruiter
	}
	names := map[int64]string{recruiter: "王经理", geek: "张女士"}
	return pages.Message{MID: mid, Time: 1732240000000 + mid*1000, Type: 1,
		From: pages.Party{UID: from, Name: names[from]}, To: pages.Party{UID: to, Name: names[to]},
		Body: pages.MsgBody{Type: bodyType, Text: text}, Status: 2}
}

func TestClassifyBySenderIDNotPosition(t *testing.T) {
	msgs := []pages.Message{
		msg(5, geek, pages.BodyText, "我的微信号是 abc_123"),
		msg(1, recruiter, pages.BodyText, "您好，看了您的简历很合适"),
		msg(2, geek, pages.BodyText, "您好"),
		msg(3, recruiter, pages.BodyText, "我想要和您交换微信，您是否同意"),
		msg(4, geek, pages.BodyDialog, "接受与您交换微信"),
		msg(6, geek, pages.BodyText, "张女士的微信号：zhang_ns88"),
		msg(7, geek, pages.BodyHyperlink, "张女士的简历.pdf"),
		{MID: 8, From: pages.Party{UID: geek}, Body: pages.MsgBody{Type: 1, Text: "撤回的"}, Status: pages.StatusRevoked},
		// A message from the recruiter's account that mentions 微信号 is
		// still ours: direction comes from the sender id.
		msg(9, recruiter, pages.BodyText, "方便留一下您的微信号吗？"),
	}
	got := Classify(msgs, recruiter)
	want := []struct {
		mid     int64
		speaker Speaker
		own     bool
	}{
		{1, Robot, true}, {2, User, false}, {3, System, true}, {4, System, false},
		{5, User, false}, {6, System, false}, {7, System, false}, {9, Robot, true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d turns, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].MID != w.mid || got[i].Speaker != w.speaker || got[i].Own != w.own {
			t.Errorf("turn %d = mid %d %s own=%v, want mid %d %s own=%v", i, got[i].MID, got[i].Speaker, got[i].Own, w.mid, w.speaker, w.own)
		}
	}
}

func TestBrainHistoryDropsEchoes(t *testing.T) {
	script := "后续沟通会更及时,您方便留一下您的微信号吗?我这边加您。"
	turns := Classify([]pages.Message{
		msg(1, recruiter, pages.BodyText, script),
		msg(2, geek, pages.BodyText, "“"+script+"”"),
		msg(3, geek, pages.BodyText, "好的"),
		msg(4, geek, pages.BodyText, "  "),
	}, recruiter)
	h := BrainHistory(turns, []string{script})
	if len(h) != 2 || h[0].Speaker != Robot || h[1].Speaker != User || h[1].Msg != "好的" {
		t.Fatalf("history = %+v", h)
	}
	// The reference divides time by 1000: epoch milliseconds of the site message.
	if h[0].Time != 1732240001000 {
		t.Fatalf("time = %d, want the message's epoch milliseconds", h[0].Time)
	}
}

func TestIsEchoNeedsASubstantialOwnText(t *testing.T) {
	if IsEcho("好的", []string{"好"}) {
		t.Fatal("a one-character own text made every reply an echo")
	}
	if !IsEcho("您好，期待与您进一步沟通。", []string{"期待与您进一步沟通"}) {
		t.Fatal("quoted script not recognised")
	}
}
