package bot

import (
	"fmt"
	"strings"
	"time"
)

// Reply strategies of seed 002's hosted conversations: what the bot does
// once a human recruiter has written in a conversation, or once the
// candidate replied.
const (
	// StrategyNoFurtherReply: the bot stops once a human replied (default).
	StrategyNoFurtherReply ReplyStrategy = "CONSULTANT_NO_FURTHER_REPLY"
	// StrategyContinueAfterReply: the bot keeps hosting after a human replied.
	StrategyContinueAfterReply ReplyStrategy = "CONSULTANT_CONTINUE_AFTER_REPLY"
	// StrategyEndAfterReply: hosting ends when the candidate replies; the
	// conversation is left to the recruiter.
	StrategyEndAfterReply ReplyStrategy = "AI_HOSTING_END_AFTER_REPLY"
)

// ReplyStrategy is one of the Strategy constants.
type ReplyStrategy string

// Hosting is a job's conversation policy, after seed 002's AI-hosted plans.
type Hosting struct {
	// ReplyDelay waits this long after the candidate's latest message
	// before answering (debounce).
	ReplyDelay time.Duration `yaml:"reply_delay"`
	// UnifiedReply answers all candidate messages that arrived during the
	// delay together, once; when false each message gets its own answer.
	UnifiedReply *bool `yaml:"unified_reply"`
	// SegmentSeparator splits a reply into several messages (besides
	// newlines), e.g. "|".
	SegmentSeparator string `yaml:"segment_separator"`
	// MinReplyInterval is the minimum gap between two of our consecutive
	// messages in a conversation.
	MinReplyInterval time.Duration `yaml:"min_reply_interval"`
	// ReplyStrategy is one of the Strategy constants.
	ReplyStrategy ReplyStrategy `yaml:"reply_strategy"`
	// Gate is the send gate's policy (sendgate.go).
	Gate GateConfig `yaml:"gate"`
}

// DefaultHosting answers after 10 s, unified, without extra separators,
// at least 3 s apart, and stops when a human takes over.
func DefaultHosting() Hosting {
	unified := true
	return Hosting{ReplyDelay: 10 * time.Second, UnifiedReply: &unified, MinReplyInterval: 3 * time.Second,
		ReplyStrategy: StrategyNoFurtherReply}
}

// merged returns h with unset fields taken from base.
func (h Hosting) merged(base Hosting) Hosting {
	if h.ReplyDelay == 0 {
		h.ReplyDelay = base.ReplyDelay
	}
	if h.UnifiedReply == nil {
		h.UnifiedReply = base.UnifiedReply
	}
	if h.SegmentSeparator == "" {
		h.SegmentSeparator = base.SegmentSeparator
	}
	if h.MinReplyInterval == 0 {
		h.MinReplyInterval = base.MinReplyInterval
	}
	if h.ReplyStrategy == "" {
		h.ReplyStrategy = base.ReplyStrategy
	}
	h.Gate = h.Gate.merged(base.Gate)
	return h
}

// unified reports the effective UnifiedReply.
func (h Hosting) unified() bool { return h.UnifiedReply == nil || *h.UnifiedReply }

// Validate checks the policy; errors name the key.
func (h Hosting) Validate() error {
	if h.ReplyDelay < 0 {
		return fmt.Errorf("hosting.reply_delay: must be >= 0")
	}
	if h.MinReplyInterval < 0 {
		return fmt.Errorf("hosting.min_reply_interval: must be >= 0")
	}
	switch h.ReplyStrategy {
	case "", StrategyNoFurtherReply, StrategyContinueAfterReply, StrategyEndAfterReply:
	default:
		return fmt.Errorf("hosting.reply_strategy: want %s, %s or %s, got %q",
			StrategyNoFurtherReply, StrategyContinueAfterReply, StrategyEndAfterReply, h.ReplyStrategy)
	}
	return h.Gate.Validate()
}

// segments splits a brain reply into the messages to send: by line, then
// by the separator, dropping empty pieces.
func (h Hosting) segments(content string) []string {
	var out []string
	for _, line := range strings.Split(content, "\n") {
		parts := []string{line}
		if h.SegmentSeparator != "" {
			parts = strings.Split(line, h.SegmentSeparator)
		}
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
