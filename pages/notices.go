package pages

import "strings"

// The site's own texts in conversations. They are facts about the site
// like its selectors, so they live here; the agent asks these helpers
// instead of matching strings itself.

// exchangeNotices are texts the site writes for exchange events. They can
// arrive with either party as sender, so they are recognised by content.
var exchangeNotices = []string{
	"我想要和您交换联系方式，您是否同意",
	"我想要和您交换微信，您是否同意",
	"对方想发送附件简历给您，您是否同意",
	"接受与您交换微信",
	"接受与您交换联系方式",
	"对方拒绝了您的交换微信请求",
	"对方拒绝了您的交换联系方式请求",
	"您可至邮箱中查看和下载",
}

// siteEmittedTexts are the messages the page writes from the recruiter's
// account when a toolbar request is made (RequestExchange): own messages,
// but neither the bot's typing nor a human's.
var siteEmittedTexts = map[string]bool{"请求交换联系方式": true, "请求交换微信": true, "方便发一份简历过来吗？": true}

// exchangeResultSuffixes follow the candidate's name in the notice the site
// shows when an exchange completes ("张女士的微信号：…").
var exchangeResultSuffixes = []string{"的微信号", "的手机号", "的联系方式"}

// IsExchangeNotice reports whether text is one of the site's exchange
// notices. candidateName recognises "<name>的微信号…" results; a
// candidate's own "我的微信号是…" is not a notice.
func IsExchangeNotice(text, candidateName string) bool {
	t := strings.TrimSpace(text)
	for _, s := range exchangeNotices {
		if strings.Contains(t, s) {
			return true
		}
	}
	if candidateName != "" {
		for _, suffix := range exchangeResultSuffixes {
			if strings.HasPrefix(t, candidateName+suffix) {
				return true
			}
		}
	}
	return false
}

// IsSiteEmitted reports whether an own message is one the page wrote for a
// toolbar request.
func IsSiteEmitted(text string) bool { return siteEmittedTexts[strings.TrimSpace(text)] }

// AcceptedExchange reports which exchange a message announces as completed
// (the candidate accepted, or the site shows the result), so that the
// exchanged value can be read from the toolbar with ViewExchange.
func AcceptedExchange(text string) (Exchange, bool) {
	switch {
	case strings.Contains(text, "接受与您交换微信") || strings.Contains(text, "的微信号"):
		return ExchangeWechat, true
	case strings.Contains(text, "接受与您交换联系方式") || strings.Contains(text, "的手机号"):
		return ExchangePhone, true
	}
	return "", false
}
