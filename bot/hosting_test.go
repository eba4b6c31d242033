package bot

import (
	"strings"
	"testing"
	"time"
)

func TestHostingSegmentsAndMerge(t *testing.T) {
	h := Hosting{SegmentSeparator: "|"}.merged(DefaultHosting())
	got := h.segments("您好|我们在招Go开发\n\n薪资20-35K | 五险一金|")
	want := []string{"您好", "我们在招Go开发", "薪资20-35K", "五险一金"}
	if strings.Join(got, "/") != strings.Join(want, "/") {
		t.Fatalf("segments = %q, want %q", got, want)
	}
	if h.ReplyDelay != 10*time.Second || !h.unified() || h.ReplyStrategy != StrategyNoFurtherReply {
		t.Fatalf("defaults not merged: %+v", h)
	}
	off := false
	job := Hosting{ReplyDelay: time.Minute, UnifiedReply: &off, ReplyStrategy: StrategyContinueAfterReply}.merged(h)
	if job.ReplyDelay != time.Minute || job.unified() || job.SegmentSeparator != "|" || job.ReplyStrategy != StrategyContinueAfterReply {
		t.Fatalf("job override = %+v", job)
	}
	if len(DefaultHosting().segments("  \n ")) != 0 {
		t.Fatal("blank reply produced messages")
	}
}

func TestHostingValidateNamesKey(t *testing.T) {
	for _, tc := range []struct {
		h    Hosting
		want string
	}{
		{Hosting{ReplyDelay: -time.Second}, "hosting.reply_delay"},
		{Hosting{MinReplyInterval: -1}, "hosting.min_reply_interval"},
		{Hosting{ReplyStrategy: "ALWAYS"}, "hosting.reply_strategy"},
	} {
		if err := tc.h.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want prefix %s", tc.h, err, tc.want)
		}
	}
	if err := DefaultHosting().Validate(); err != nil {
		t.Fatal(err)
	}
}
