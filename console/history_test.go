package console

import (
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// The merged history shows each message once: a follow-up or manual send
// the site's history also shows takes the transcript's line with the
// record's status (a manual send labelled the human's), a reply record the
// transcript holds is not repeated, and what only one side knows stays.
func TestMergeHistoryDeduplicates(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	line := func(sec int, a wire.Author, text string) wire.StoredMessage {
		return wire.StoredMessage{TranscriptMessage: wire.TranscriptMessage{MsgID: text, At: t0.Add(time.Duration(sec) * time.Second), Author: a, Text: text, Type: "text"}}
	}
	at := func(sec int) *time.Time { v := t0.Add(time.Duration(sec) * time.Second); return &v }
	script := uint64(3)
	lines := []wire.StoredMessage{
		line(0, wire.AuthorBot, "您好，方便聊聊吗？"),
		line(60, wire.AuthorCandidate, "可以"),
		line(90, wire.AuthorSite, "对方已读"),
		line(120, wire.AuthorBot, "请问您的期望薪资？"),  // follow-up, clock 2 s apart
		line(200, wire.AuthorBot, "我是经理，稍后电话您"), // a manual send, typed by the bot
		line(300, wire.AuthorCandidate, "<script>x</script>两万"),
		line(400, wire.AuthorHuman, "人工直接在平台打的字"),
	}
	recs := []wire.FollowupRecord{
		{Content: "请问您的期望薪资？", ScriptID: &script, Status: wire.StatusSent, SentAt: at(122),
			GotReply: true, ReplyContent: "<script>x</script>两万", RepliedAt: at(301)},
		{Content: "我是经理，稍后电话您", Status: wire.StatusSent, SentAt: at(199)},
		{Content: "还在排队的人工消息", Status: wire.StatusQueued, CreatedAt: t0.Add(500 * time.Second)},
		// Sent long before the transcript began: nothing to match.
		{Content: "您好，方便聊聊吗？", ScriptID: &script, Status: wire.StatusSent, SentAt: at(-3 * 86400)},
	}
	got := mergeHistory(lines, recs)
	var b strings.Builder
	for _, m := range got {
		b.WriteString(m.Who + ":" + m.Text + ":" + m.Status + "\n")
	}
	want := `bot:您好，方便聊聊吗？:sent
bot:您好，方便聊聊吗？:
candidate:可以:
site:对方已读:
bot:请问您的期望薪资？:sent
human:我是经理，稍后电话您:sent
candidate:<script>x</script>两万:
human:人工直接在平台打的字:
human:还在排队的人工消息:queued
`
	if b.String() != want {
		t.Fatalf("merged history:\n%s\nwant:\n%s", b.String(), want)
	}
}
