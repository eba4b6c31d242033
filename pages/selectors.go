// Package pages holds hunterbot's page objects for the recruiter web app
// (login, recommend list, chat list, conversation). Every URL and selector
// lives in Selectors, so a site redesign is fixed in configs/selectors.yaml,
// not in code. Page objects use rod's error-returning API; every blocking
// call is bounded by the page's context or a short Timeout clone.
package pages

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/hunterbot/hunterbot/internal/config"
)

// Selectors are the URLs (paths relative to the site's base URL), CSS
// selectors and marker texts the page objects use. Defaults follow the real
// site as documented in docs (spec/recruiter-site.md); the simulator serves
// the same. Load overrides with LoadSelectors.
type Selectors struct {
	// URLs (paths).
	LoginPath     string `yaml:"login_path"`
	ChatPath      string `yaml:"chat_path"`
	RecommendPath string `yaml:"recommend_path"`

	// XHR path fragments observed through CDP network events.
	XHRUserInfo   string `yaml:"xhr_user_info"`
	XHRGeekList   string `yaml:"xhr_geek_list"`
	XHRHistoryMsg string `yaml:"xhr_history_msg"`
	XHRFriendList string `yaml:"xhr_friend_list"`
	// XHRGeekInfo is the chat page's request for the open conversation's
	// header and exchange states, which its toolbar is drawn from.
	XHRGeekInfo string `yaml:"xhr_geek_info"`
	// XHRQRNew is the login page's request for a new QR code (its answer
	// says how long the code stays valid).
	XHRQRNew string `yaml:"xhr_qr_new"`
	// PushPath is the chat push channel's WebSocket path (MQTT over
	// WebSocket; pages/push.go decodes its frames).
	PushPath string `yaml:"push_path"`

	// Login.
	LoginUser     string   `yaml:"login_user"`
	LoginPassword string   `yaml:"login_password"`
	LoginSubmit   string   `yaml:"login_submit"`
	LoginError    string   `yaml:"login_error"`
	QRRefresh     string   `yaml:"qr_refresh"`
	QRSwitch      string   `yaml:"qr_switch"`
	QRImage       string   `yaml:"qr_image"`
	LoginURLMarks []string `yaml:"login_url_marks"` // URL substrings meaning "logged out"

	// Popups dismissed on arrival.
	PopupCloses []string `yaml:"popup_closes"`

	// Recommend list (inside the frame).
	RecommendFrame string `yaml:"recommend_frame"`
	CardItem       string `yaml:"card_item"`
	CardInner      string `yaml:"card_inner"` // carries data-geek=<encryptGeekId>
	CardName       string `yaml:"card_name"`
	GreetButton    string `yaml:"greet_button"`
	ChatButton     string `yaml:"chat_button"` // 继续沟通 after greeting
	GreetConfirm   string `yaml:"greet_confirm"`
	QuotaDialog    string `yaml:"quota_dialog"`
	QuotaClose     string `yaml:"quota_close"`
	JobMenu        string `yaml:"job_menu"`
	JobItems       string `yaml:"job_items"`

	// Chat list and conversation.
	ConversationRow string `yaml:"conversation_row"` // data-id="<uid>-<src>"
	RowName         string `yaml:"row_name"`
	RowUnread       string `yaml:"row_unread"`
	UnreadFilter    string `yaml:"unread_filter"`
	HeaderName      string `yaml:"header_name"`
	MessageList     string `yaml:"message_list"`
	MessageItem     string `yaml:"message_item"` // carries data-mid
	MoreMessages    string `yaml:"more_messages"`
	Editor          string `yaml:"editor"`
	SendButton      string `yaml:"send_button"`
	ToolbarButton   string `yaml:"toolbar_button"` // text 求简历 / 换电话 / 换微信 / 查看微信 ...
	ConfirmButton   string `yaml:"confirm_button"`
	ExchangeValue   string `yaml:"exchange_value"`
	CardButton      string `yaml:"card_button"` // 同意 / 拒绝 on interactive cards
	ImageInput      string `yaml:"image_input"` // the 图片 button's file input (image.go)

	// Risk signals.
	RiskURLMarks []string `yaml:"risk_url_marks"`
	RiskElements []string `yaml:"risk_elements"`
	RiskTexts    []string `yaml:"risk_texts"`
	QuotaTexts   []string `yaml:"quota_texts"`
}

// DefaultSelectors returns the selectors of the recruiter site as documented.
func DefaultSelectors() Selectors {
	return Selectors{
		LoginPath:     "/web/user/?ka=header-login",
		ChatPath:      "/web/chat/index",
		RecommendPath: "/web/chat/recommend",

		XHRUserInfo:   "/wapi/zpuser/wap/getUserInfo.json",
		XHRGeekList:   "/wapi/zpjob/rec/geek/list",
		XHRHistoryMsg: "/wapi/zpchat/boss/historyMsg",
		XHRFriendList: "/wapi/zprelation/friend/getBossFriendListV2.json",
		XHRGeekInfo:   "/wapi/zpchat/boss/geekInfo",
		XHRQRNew:      "/wapi/zppassport/qrcode/new",
		PushPath:      "/chatws",

		LoginUser:     "input[name=account]",
		LoginPassword: "input[name=password]",
		LoginSubmit:   "button.btn-sign-submit",
		LoginError:    ".sign-error",
		QRSwitch:      "div.btn-sign-switch.ewm-switch",
		QRImage:       "div.qr-img-box > img",
		QRRefresh:     "div.qr-img-box button.btn-refresh",
		LoginURLMarks: []string{"/web/user", "login", "bticket"},

		PopupCloses: []string{"div.boss-popup__close", ".dialog-uninstall-extension .confirm-btn"},

		RecommendFrame: `iframe[name="recommendFrame"]`,
		CardItem:       "ul.card-list > li.card-item",
		CardInner:      "div.card-inner",
		CardName:       "span.name",
		GreetButton:    "div.operate-side button.btn-greet",
		ChatButton:     "div.operate-side div.button-chat",
		GreetConfirm:   "div.dialog-wrap button.btn-sure-v2",
		QuotaDialog:    ".business-block-dialog, .business-block-wrap",
		QuotaClose:     ".business-block-dialog .btn-close",
		JobMenu:        "div.ui-dropmenu",
		JobItems:       "ul.job-list > li",

		ConversationRow: "div.geek-item[data-id]",
		RowName:         "span.geek-name",
		RowUnread:       "span.badge-count",
		UnreadFilter:    "div.chat-message-filter-left > span",
		HeaderName:      "span.name-box",
		MessageList:     "div.chat-message-list",
		MessageItem:     "div.message-item",
		MoreMessages:    "div.more-message",
		Editor:          "#boss-chat-editor-input",
		SendButton:      "div.submit",
		ToolbarButton:   "span.operate-btn",
		ConfirmButton:   "span.boss-btn-primary",
		ExchangeValue:   "div.exchange-tooltip > span.exchanged > span",
		CardButton:      "div.message-card-buttons span.card-btn",
		ImageInput:      "input.chat-image-input",

		RiskURLMarks: []string{"/web/user/safe/verify-slider", "/web/passport/zp/verify"},
		RiskElements: []string{"#nc_mask", ".nc-container", ".geetest_panel", "iframe[src*=captcha]",
			"iframe[src*=verify]", ".dialog-verify"},
		RiskTexts:  []string{"安全验证", "滑动滑块", "操作过于频繁", "存在风险"},
		QuotaTexts: []string{"今日沟通人数已达上限", "今日沟通已达上限"},
	}
}

// LoadSelectors returns the defaults overridden by the keys present in the
// YAML file at path (an empty path returns the defaults). Unknown keys and
// emptied selectors are errors naming the key.
func LoadSelectors(path string) (Selectors, error) {
	s := DefaultSelectors()
	if path == "" {
		return s, nil
	}
	if err := config.LoadFile(path, &s); err != nil {
		return Selectors{}, err
	}
	return s, nil
}

// Validate reports the first selector left empty, by its YAML key.
func (s *Selectors) Validate() error {
	v := reflect.ValueOf(s).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		key := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			if strings.TrimSpace(f.String()) == "" {
				return fmt.Errorf("%s: must not be empty", key)
			}
		case reflect.Slice:
			if f.Len() == 0 {
				return fmt.Errorf("%s: must list at least one value", key)
			}
		}
	}
	return nil
}
