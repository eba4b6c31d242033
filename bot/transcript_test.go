package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// transcript collects the transcript messages queued for the control
// plane for candidate uid, in order, and the outbox keys they went under.
func (h *harness) transcript(uid int64) ([]wire.TranscriptMessage, []string) {
	h.t.Helper()
	var msgs []wire.TranscriptMessage
	var keys []string
	for _, it := range h.outbox(TargetControl) {
		if it.Kind != KindTranscript {
			continue
		}
		var in wire.TranscriptInput
		if err := json.Unmarshal(it.Payload, &in); err != nil {
			h.t.Fatal(err)
		}
		if in.CandidateID != itoa(uid) {
			continue
		}
		if in.Account != "acc1" || len(in.Messages) == 0 || len(in.Messages) > wire.MaxTranscriptPush {
			h.t.Fatalf("transcript item %s: account %q, %d messages", it.Key, in.Account, len(in.Messages))
		}
		msgs = append(msgs, in.Messages...)
		keys = append(keys, it.Key)
	}
	return msgs, keys
}

func authorsOf(ms []wire.TranscriptMessage) string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Author)+":"+m.Text)
	}
	return strings.Join(out, " | ")
}

// Every message the bot reads goes to the control plane once, with who
// wrote it: the bot's greeting and replies, the candidate's messages, the
// site's cards, a human recruiter's text.
func TestTranscriptPushesEachMessageOnceWithItsAuthor(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.site.say(cand, cand, "<script>alert(1)</script>你好，岗位还招吗")
	h.clk.advance(11 * time.Second)
	h.chat() // the bot answers 好的 (the fake brain's default)
	first, _ := h.transcript(cand)
	if got := authorsOf(first); got != "bot:您好，看了您的简历，方便聊聊吗？ | candidate:<script>alert(1)</script>你好，岗位还招吗" {
		t.Fatalf("after the first read: %s", got)
	}

	h.site.card(cand, cand, pages.BodyDialog, "我想要和您交换微信", "")
	h.site.say(cand, fakeRecruiterUID, "我是招聘经理本人，稍后电话联系您") // typed by a human
	h.site.card(cand, cand, pages.BodyImage, pages.ImageText, "https://site.test/img/1.png?token=secret")
	h.clk.advance(time.Minute)
	h.chat()
	all, keys := h.transcript(cand)
	want := "bot:您好，看了您的简历，方便聊聊吗？ | candidate:<script>alert(1)</script>你好，岗位还招吗 | bot:好的 | site:我想要和您交换微信 | human:我是招聘经理本人，稍后电话联系您 | candidate:[图片]"
	if got := authorsOf(all); got != want {
		t.Fatalf("transcript:\n got %s\nwant %s", got, want)
	}
	seen := map[string]bool{}
	for _, m := range all {
		if seen[m.MsgID] {
			t.Fatalf("message %s queued twice", m.MsgID)
		}
		seen[m.MsgID] = true
		if m.At.IsZero() || m.Type == "" {
			t.Fatalf("message without time or type: %+v", m)
		}
	}
	if all[3].Type != "card" || all[1].Type != "text" || all[5].Type != "image" {
		t.Fatalf("types: %+v", all)
	}
	// Attachment links carry the site's tokens: none goes out.
	for _, it := range h.outbox(TargetControl) {
		if it.Kind == KindTranscript && strings.Contains(string(it.Payload), "token=") {
			t.Fatalf("a transcript push carries an attachment URL: %s", it.Payload)
		}
	}
	// Nothing new on the site: nothing more is queued.
	h.clk.advance(time.Minute)
	h.chat()
	if again, keys2 := h.transcript(cand); len(again) != len(all) || len(keys2) != len(keys) {
		t.Fatalf("an unchanged conversation queued %d more messages", len(again)-len(all))
	}
}

// A conversation read for the first time with a long history (a new
// holder of a moved account, or an old conversation) goes out in bounded
// pushes; over-long texts are cut.
func TestTranscriptLongHistoryIsBatched(t *testing.T) {
	h := newHarness(t).login()
	h.site.addConv(cand, "张女士", "Go工程师", 101)
	for i := 0; i < 2*wire.MaxTranscriptPush+10; i++ {
		h.site.say(cand, cand, fmt.Sprint("消息", i))
	}
	h.site.say(cand, cand, strings.Repeat("长", wire.MaxTranscriptText+20))
	h.chat()
	msgs, keys := h.transcript(cand)
	if len(msgs) != 2*wire.MaxTranscriptPush+11 || len(keys) != 3 {
		t.Fatalf("%d messages in %d pushes, want %d in 3", len(msgs), len(keys), 2*wire.MaxTranscriptPush+11)
	}
	last := msgs[len(msgs)-1].Text
	if n := len([]rune(last)); n != wire.MaxTranscriptText || !strings.HasSuffix(last, "…") {
		t.Fatalf("long text kept %d runes (ends %q), want %d ending with …", n, string([]rune(last)[n-1:]), wire.MaxTranscriptText)
	}
}

// Long texts are cut and pushes are split by size too, so a push of the
// longest texts stays under the control plane's 1 MiB body limit.
func TestTranscriptPushesStayUnderTheBodyLimit(t *testing.T) {
	h := newHarness(t).login()
	h.site.addConv(cand, "张女士", "Go工程师", 101)
	for i := 0; i < 60; i++ {
		h.site.say(cand, cand, strings.Repeat("<长>", wire.MaxTranscriptText)) // escaped <> take 6 bytes each
	}
	h.chat()
	n := 0
	for _, it := range h.outbox(TargetControl) {
		if it.Kind != KindTranscript {
			continue
		}
		var in wire.TranscriptInput
		if err := json.Unmarshal(it.Payload, &in); err != nil {
			t.Fatal(err)
		}
		body, err := json.Marshal(wire.TranscriptsRequest{Transcripts: []wire.TranscriptInput{in}})
		if err != nil {
			t.Fatal(err)
		}
		if len(body) > 1<<20 {
			t.Fatalf("push %s is %d bytes, over 1 MiB", it.Key, len(body))
		}
		n += len(in.Messages)
	}
	if n != 60 {
		t.Fatalf("%d messages pushed, want 60", n)
	}
}

// transcriptControl is fakeControl with the transcript push.
type transcriptControl struct {
	fakeControl
	got []wire.TranscriptInput
}

func (f *transcriptControl) PushTranscripts(_ context.Context, in []wire.TranscriptInput) ([]wire.TranscriptResult, error) {
	f.got = append(f.got, in...)
	return nil, f.err
}

func TestTranscriptDeliveryCarriesTheEpoch(t *testing.T) {
	it := item(KindTranscript, wire.TranscriptInput{Account: "acc1", CandidateID: "501",
		Messages: []wire.TranscriptMessage{{MsgID: "1", Author: wire.AuthorCandidate, Text: "hi"}}})
	fc := &transcriptControl{}
	d := ControlDelivererFenced(fc, func(string) uint64 { return 7 })
	if err := d.Deliver(context.Background(), it); err != nil {
		t.Fatal(err)
	}
	if len(fc.got) != 1 || fc.got[0].Epoch != 7 || fc.got[0].CandidateID != "501" {
		t.Fatalf("delivered %+v", fc.got)
	}
	// A client without the push parks the item instead of losing it.
	if err := ControlDeliverer(&fakeControl{}).Deliver(context.Background(), it); !errors.Is(err, ErrPermanent) {
		t.Fatalf("client without transcripts: %v, want ErrPermanent", err)
	}
	if err := d.Deliver(context.Background(), worker.OutboxItem{Kind: KindTranscript, Payload: []byte("{")}); !errors.Is(err, ErrPermanent) {
		t.Fatalf("bad payload: %v, want ErrPermanent", err)
	}
}
