package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// SendImage makes the fake site an image-capable one: the picture lands
// as an own image message.
func (s *fakeSite) SendImage(_ context.Context, uid int64, path string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "send_image")
	s.sent = append(s.sent, "image:"+path[len(path)-6:])
	return s.addLocked(uid, s.me.UserID, pages.BodyImage, pages.ImageText), nil
}

// fakeNotifyControl answers claims and serves one image.
type fakeNotifyControl struct {
	refuse  string // claim refusal reason ("" accepts)
	resumed bool   // claims answer "claimed before"
	claims  int
}

func (f *fakeNotifyControl) NotifyDeliveries(context.Context) ([]wire.NotifyDelivery, error) {
	return nil, nil
}

func (f *fakeNotifyControl) ClaimNotify(_ context.Context, task, seq, epoch uint64) (wire.NotifyClaimResponse, error) {
	f.claims++
	if f.refuse != "" {
		return wire.NotifyClaimResponse{Reason: f.refuse}, nil
	}
	return wire.NotifyClaimResponse{OK: true, Resumed: f.resumed}, nil
}

func (f *fakeNotifyControl) FetchFile(_ context.Context, id uint64, dst io.Writer, max int64) (string, error) {
	if id != 17 {
		return "", fmt.Errorf("no file %d", id)
	}
	_, err := dst.Write([]byte("\x89PNG\r\n\x1a\nfake"))
	return "image/png", err
}

func notifyDelivery(candidate string) wire.NotifyDelivery {
	return wire.NotifyDelivery{TaskID: 7, Seq: 3, Account: "acc1", CandidateID: candidate, Parts: []wire.NotifyContent{
		{ContentType: wire.ContentText, ContentValue: "张女士您好\n杭州新岗位"},
		{ContentType: wire.ContentImage, ContentValue: "http://x/api/v1/file/17", FileID: 17},
	}}
}

func (h *harness) notifyAcks(t *testing.T) []wire.NotifyAck {
	var acks []wire.NotifyAck
	for _, it := range h.outbox(TargetControl) {
		if it.Kind == KindNotifyAck {
			var a wire.NotifyAck
			if err := json.Unmarshal(it.Payload, &a); err != nil {
				t.Fatal(err)
			}
			acks = append(acks, a)
		}
	}
	return acks
}

func TestNotifyMembers(t *testing.T) {
	img := "17.png"
	tests := []struct {
		name   string
		setup  func(h *harness, ctl *fakeNotifyControl)
		cand   string
		sent   []string
		ack    bool // an ack is expected
		sentOK bool
		reason string
	}{
		{name: "delivered: lines then the image, acked once", cand: "501",
			sent: []string{"张女士您好", "杭州新岗位", "image:" + img}, ack: true, sentOK: true},
		{name: "no conversation", cand: "777", ack: true, reason: ReasonNotifyNoConversation},
		{name: "opted out", cand: "501", setup: func(h *harness, _ *fakeNotifyControl) {
			c := h.conv(cand)
			c.OptedOut = true
			h.putConv(c)
		}, ack: true, reason: ReasonNotifyOptedOut},
		{name: "taken over by a human", cand: "501", setup: func(h *harness, _ *fakeNotifyControl) {
			c := h.conv(cand)
			c.HandedOver = true
			h.putConv(c)
		}, ack: true, reason: ReasonNotifyTakenOver},
		{name: "claim refused (terminated): nothing sent, nothing acked", cand: "501",
			setup: func(_ *harness, ctl *fakeNotifyControl) { ctl.refuse = "task is TERMINATED" }},
		{name: "crash after the image landed: settled from the history", cand: "501", setup: func(h *harness, _ *fakeNotifyControl) {
			for _, k := range []string{"notify/acc1/7/3/0.0", "notify/acc1/7/3/0.1"} {
				h.intend(t, k, sendKindNotify, "x")
				if err := h.db.Update(func(tx *worker.Tx) error { _, err := tx.SettleSend(k, worker.Done, ""); return err }); err != nil {
					t.Fatal(err)
				}
			}
			h.intend(t, "notify/acc1/7/3/1", sendKindNotifyImage, pages.ImageText)
			h.site.addLocked(cand, h.site.me.UserID, pages.BodyImage, pages.ImageText)
		}, ack: true, sentOK: true},
		{name: "moved from a dead worker with everything on the site: nothing resent", cand: "501", setup: func(h *harness, ctl *fakeNotifyControl) {
			ctl.resumed = true
			h.site.say(cand, h.site.me.UserID, "张女士您好")
			h.site.say(cand, h.site.me.UserID, "杭州新岗位")
			h.site.addLocked(cand, h.site.me.UserID, pages.BodyImage, pages.ImageText)
		}, ack: true, sentOK: true},
		{name: "moved from a dead worker after its first line: the rest sent", cand: "501", setup: func(h *harness, ctl *fakeNotifyControl) {
			ctl.resumed = true
			h.site.say(cand, h.site.me.UserID, "张女士您好")
		}, sent: []string{"杭州新岗位", "image:" + img}, ack: true, sentOK: true},
		{name: "crash before the text landed: sent once", cand: "501", setup: func(h *harness, _ *fakeNotifyControl) {
			h.intend(t, "notify/acc1/7/3/0.0", sendKindNotify, "张女士您好")
		}, sent: []string{"张女士您好", "杭州新岗位", "image:" + img}, ack: true, sentOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t).login()
			h.greeted(cand, "张女士")
			h.chat()
			ctl := &fakeNotifyControl{}
			if tt.setup != nil {
				tt.setup(h, ctl)
			}
			h.site.sent = nil
			for range 2 { // listed again until the ack arrives
				h.agent.SetNotifyDeliveries([]wire.NotifyDelivery{notifyDelivery(tt.cand)}, ctl, nil)
				if err := h.agent.notifyPass(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if got := h.site.sentTexts(); !slices.Equal(got, tt.sent) && len(got)+len(tt.sent) > 0 {
				t.Fatalf("sent %q, want %q", got, tt.sent)
			}
			acks := h.notifyAcks(t)
			if !tt.ack {
				if len(acks) != 0 {
					t.Fatalf("acks %+v, want none", acks)
				}
				return
			}
			if len(acks) != 1 || acks[0].TaskID != 7 || acks[0].Seq != 3 || acks[0].Sent != tt.sentOK || acks[0].Reason != tt.reason {
				t.Fatalf("acks %+v, want one (sent %v, reason %q)", acks, tt.sentOK, tt.reason)
			}
			if tt.sentOK {
				// The chat pass does not take the bot's own notification
				// (the image included) for a human's.
				h.chat()
				if c := h.conv(cand); c.HandedOver {
					t.Fatal("own notification taken for a human takeover")
				}
			}
		})
	}
}

func (h *harness) intend(t *testing.T, key, kind, text string) {
	t.Helper()
	if err := h.db.Update(func(tx *worker.Tx) error {
		_, _, err := tx.IntendSend(worker.Send{Key: key, AccountID: "acc1", CandidateID: "501", Kind: kind, Text: text, After: 0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// A member's rendered text passes the send gate: a variable carrying
// someone else's WeChat id fails the member before anything is typed.
func TestNotifyTextPassesTheSendGate(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.chat()
	h.site.sent = nil
	d := notifyDelivery("501")
	d.Parts[0].ContentValue = "张女士您好，有问题加我微信 other_hr_99"
	ctl := &fakeNotifyControl{}
	h.agent.SetNotifyDeliveries([]wire.NotifyDelivery{d}, ctl, nil)
	if err := h.agent.notifyPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.site.sentTexts(); len(got) != 0 {
		t.Fatalf("sent %q; a gated member must send nothing", got)
	}
	acks := h.notifyAcks(t)
	if len(acks) != 1 || acks[0].Sent || !strings.HasPrefix(acks[0].Reason, ReasonNotifyGate) {
		t.Fatalf("acks %+v, want one failure blocked by the send gate", acks)
	}
	if ctl.claims != 0 {
		t.Fatalf("%d claims; a gated member is failed before it is claimed", ctl.claims)
	}
	if st := h.agent.GateStats(); st.Total() == 0 {
		t.Fatalf("gate stats %+v, want the block counted", st)
	}
}

// A worker killed after a notification reached the site but before it
// recorded that leaves the parts intended. When the restarted worker's chat
// pass reaches that conversation before its notification pass has settled
// them, the texts on the site are the bot's own, not a human recruiter's:
// the conversation stays hosted (the demo's notification e2e test saw such
// a member fail as "a human took over" in its next task).
func TestChatPassTakesIntendedNotificationsForOwn(t *testing.T) {
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.chat()
	h.intend(t, "notify/acc1/7/3/0.0", sendKindNotify, "张女士您好")
	h.intend(t, "notify/acc1/7/3/1", sendKindNotifyImage, pages.ImageText)
	h.site.say(cand, h.site.me.UserID, "张女士您好")
	h.site.mu.Lock()
	h.site.addLocked(cand, h.site.me.UserID, pages.BodyImage, pages.ImageText)
	h.site.mu.Unlock()
	h.chat()
	if c := h.conv(cand); c.HandedOver || c.Status == StatusIntervened {
		t.Fatal("the bot's own notification, intended before a crash, was taken for a human takeover")
	}
	// A text of ours that no ledger entry explains is still a human's.
	h.site.say(cand, h.site.me.UserID, "我是招聘负责人，稍后电话联系您")
	h.chat()
	if c := h.conv(cand); !c.HandedOver {
		t.Fatal("a human recruiter's message was not detected next to the intended notification")
	}
}
