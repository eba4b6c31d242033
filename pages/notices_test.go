package pages

import "testing"

func TestSiteTexts(t *testing.T) {
	notices := []struct {
		text, name string
		want       bool
	}{
		{"我想要和您交换微信，您是否同意", "", true},
		{"  接受与您交换联系方式 ", "", true},
		{"张女士的微信号：zw_2024", "张女士", true},
		{"我的微信号是 abc_123", "张女士", false}, // the candidate's own words
		{"张女士的微信号：zw_2024", "", false},   // without the name it is not recognisable
		{"您好，方便聊聊吗", "", false},
	}
	for _, tt := range notices {
		if got := IsExchangeNotice(tt.text, tt.name); got != tt.want {
			t.Errorf("IsExchangeNotice(%q, %q) = %v, want %v", tt.text, tt.name, got, tt.want)
		}
	}
	for text, want := range map[string]bool{"请求交换微信": true, " 方便发一份简历过来吗？": true, "请求交换微信吧": false} {
		if got := IsSiteEmitted(text); got != want {
			t.Errorf("IsSiteEmitted(%q) = %v", text, got)
		}
	}
	accepted := []struct {
		text string
		kind Exchange
		ok   bool
	}{
		{"接受与您交换微信", ExchangeWechat, true},
		{"张女士的微信号：zw_2024", ExchangeWechat, true},
		{"接受与您交换联系方式", ExchangePhone, true},
		{"张女士的手机号：13800138000", ExchangePhone, true},
		{"对方拒绝了您的交换微信请求", "", false},
	}
	for _, tt := range accepted {
		if kind, ok := AcceptedExchange(tt.text); kind != tt.kind || ok != tt.ok {
			t.Errorf("AcceptedExchange(%q) = %q %v, want %q %v", tt.text, kind, ok, tt.kind, tt.ok)
		}
	}
}
