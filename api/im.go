package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// IM robots: alerts go to WeCom (企业微信), DingTalk (钉钉) and Feishu/Lark
// (飞书) group robots in each vendor's own message format, besides the
// generic signed webhook. Each route has its own durable queue in the
// store (state/alert_routes.go) and is driven by the alert delivery loop
// (RunAlertDelivery), with the same backoff and attempt limit as the
// webhook. Bursts are batched: at most one message per alert kind per
// route per BatchWindow, listing every alert of that kind queued since.
//
// Vendor documentation followed (request shapes and signatures):
//   - WeCom group robot: https://developer.work.weixin.qq.com/document/path/91770
//   - DingTalk custom robot: https://open.dingtalk.com/document/robots/custom-robot-access
//     and its signing: https://open.dingtalk.com/document/robots/customize-robot-security-settings
//   - Feishu custom bot: https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot

// Robot kinds of AlertRoute.Type.
const (
	RobotWeCom    = "wecom"
	RobotDingTalk = "dingtalk"
	RobotFeishu   = "feishu"
)

// Alert kinds a route can select (alertKind).
var alertKinds = []string{"paused_risk", "needs_login", "quota_reached", "error", "recovered",
	wire.AlertReportsParked, wire.AlertTextsBlocked, wire.AlertAuthBurst, wire.AlertWorkerLost}

// imBatchMax bounds the alerts listed in one message, and imTextMax its
// markdown in bytes: robots cap the body (WeCom markdown content 4096
// bytes, Feishu 20 KB). What does not fit goes in the next message.
const (
	imBatchMax = 15
	imTextMax  = 3800
)

// AlertRoute sends alerts of some kinds and account groups to one robot.
type AlertRoute struct {
	// Name identifies the route in logs, metrics and the store; it must
	// stay stable (renaming starts a new queue).
	Name string `yaml:"name"`
	// Type is wecom, dingtalk or feishu.
	Type string `yaml:"type"`
	// URL is the robot's webhook address (it carries the robot's key or
	// token: keep it in the environment, see URLEnv).
	URL string `yaml:"url"`
	// URLEnv names an environment variable holding URL instead.
	URLEnv string `yaml:"url_env"`
	// Secret is the DingTalk ("SEC...") or Feishu signing secret; empty:
	// unsigned. SecretEnv names an environment variable holding it.
	Secret    string `yaml:"secret"`
	SecretEnv string `yaml:"secret_env"`
	// Kinds limits the route to these alert kinds (empty: all).
	Kinds []string `yaml:"kinds"`
	// Groups limits the route to accounts of these groups (empty: all
	// accounts, and alerts about no account such as auth_burst).
	Groups []string `yaml:"groups"`
}

// validate names the bad key; i is the route's index.
func (r *AlertRoute) validate(i int, groups map[string][]string, seen map[string]bool) error {
	p := fmt.Sprintf("alerts.routes[%d]", i)
	if r.Name == "" || strings.ContainsAny(r.Name, "\x00/") {
		return fmt.Errorf("%s.name: required, without '/'", p)
	}
	if seen[r.Name] {
		return fmt.Errorf("%s.name: duplicate route %q", p, r.Name)
	}
	seen[r.Name] = true
	switch r.Type {
	case RobotWeCom, RobotDingTalk, RobotFeishu:
	default:
		return fmt.Errorf("%s.type: want wecom, dingtalk or feishu, got %q", p, r.Type)
	}
	raw := r.URL
	if raw == "" && r.URLEnv != "" {
		// The file is validated before the environment is applied.
		if raw = os.Getenv(r.URLEnv); raw == "" {
			return fmt.Errorf("%s.url_env: environment variable %s is empty", p, r.URLEnv)
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s.url: must be an http(s) URL", p) // never echo it: it carries a key
	}
	if r.Type == RobotWeCom && r.Secret != "" {
		return fmt.Errorf("%s.secret: WeCom robots are not signed (the key is in the URL)", p)
	}
	for j, k := range r.Kinds {
		if !contains(alertKinds, k) {
			return fmt.Errorf("%s.kinds[%d]: unknown alert kind %q (want one of %s)", p, j, k, strings.Join(alertKinds, ", "))
		}
	}
	for j, g := range r.Groups {
		if _, ok := groups[g]; !ok {
			return fmt.Errorf("%s.groups[%d]: no group %q in alerts.groups", p, j, g)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// matches reports whether the route takes al; groups maps a group name to
// account key patterns (path.Match globs: "bj-*").
func (r AlertRoute) matches(al wire.Alert, groups map[string][]string) bool {
	if len(r.Kinds) > 0 && !contains(r.Kinds, alertKind(al)) {
		return false
	}
	if len(r.Groups) == 0 {
		return true
	}
	for _, g := range r.Groups {
		for _, pat := range groups[g] {
			if ok, _ := path.Match(pat, al.Account); ok && al.Account != "" {
				return true
			}
		}
	}
	return false
}

// imStore is what route delivery needs from the store.
type imStore interface {
	AdmitRouteAlerts(route string, match func(wire.Alert) bool) (int, error)
	RouteQueue(route string) ([]wire.RouteItem, map[string]time.Time, error)
	SettleRouteBatch(route, kind string, ids []uint64, ok bool, errMsg string, next time.Time) error
}

// DeliverRobots makes one delivery pass over the IM routes of cfg (the
// alert delivery loop runs it after each webhook pass; tests call it).
// It reports whether a message is due within a minute.
func (s *Server) DeliverRobots(ctx context.Context, cfg AlertsConfig) (bool, error) {
	return s.deliverRoutes(ctx, cfg)
}

// deliverRoutes makes one pass over every route: admit new alerts, then
// send one message per kind whose batch window has passed. It reports
// whether a message is due within deliveryIdle (a batch waiting for its
// window, or a retry).
func (s *Server) deliverRoutes(ctx context.Context, cfg AlertsConfig) (dueSoon bool, err error) {
	for _, r := range cfg.Routes {
		soon, err := s.deliverRoute(ctx, cfg, r)
		if err != nil {
			return false, err
		}
		dueSoon = dueSoon || soon
	}
	return dueSoon, nil
}

func (s *Server) deliverRoute(ctx context.Context, cfg AlertsConfig, r AlertRoute) (bool, error) {
	if _, err := s.store.AdmitRouteAlerts(r.Name, func(al wire.Alert) bool { return r.matches(al, cfg.Groups) }); err != nil {
		return false, err
	}
	items, last, err := s.store.RouteQueue(r.Name)
	if err != nil {
		return false, err
	}
	now := s.clock.Now()
	window := cfg.batchWindow()
	byKind := map[string][]wire.RouteItem{}
	for _, it := range items {
		k := alertKind(it.Alert)
		byKind[k] = append(byKind[k], it)
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	soon := false
	for _, kind := range kinds {
		if ctx.Err() != nil {
			return soon, ctx.Err()
		}
		var due []wire.RouteItem
		attempts, retrying := 0, false
		for _, it := range byKind[kind] {
			if !it.NextAt.After(now) && len(due) < imBatchMax {
				due = append(due, it)
				attempts = max(attempts, it.Attempts)
			} else {
				soon = soon || it.NextAt.Before(now.Add(deliveryIdle))
				retrying = retrying || it.Attempts > 0
			}
		}
		if len(due) == 0 {
			continue
		}
		if retrying {
			// A message of this kind waits for its retry: new alerts join
			// it then rather than each trying the failing robot at once.
			soon = true
			continue
		}
		if t, ok := last[kind]; ok && now.Before(t.Add(window)) {
			soon = true // batch: wait for the window of the previous message
			continue
		}
		ids := make([]uint64, len(due))
		alerts := make([]wire.Alert, len(due))
		for i, it := range due {
			ids[i], alerts[i] = it.Alert.ID, it.Alert
		}
		listed, perr := s.postRobot(ctx, r, kind, alerts, cfg)
		ids = ids[:listed]
		if perr != nil && ctx.Err() != nil {
			return soon, ctx.Err()
		}
		next, msg := time.Time{}, ""
		outcome := "delivered"
		if perr != nil {
			msg = perr.Error()
			outcome = "failed"
			if attempts+1 < alertMaxAttempts {
				next, outcome = now.Add(alertBackoff(attempts+1)), "retry"
				soon = soon || next.Before(now.Add(deliveryIdle))
			}
			s.log.Warn().Str("route", r.Name).Str("kind", kind).Int("alerts", len(ids)).Int("attempt", attempts+1).
				Str("error", msg).Msg("alert robot failed")
		} else if len(byKind[kind]) > listed {
			soon = true // the rest of a large burst: next window
		}
		s.metrics.delivery(r.Name, outcome)
		if err := s.store.SettleRouteBatch(r.Name, kind, ids, perr == nil, msg, next); err != nil {
			return soon, err
		}
	}
	return soon, nil
}

// postRobot sends one message listing the first alerts (all of kind) that
// fit to route r in its vendor's format, and checks the vendor's answer:
// robots answer HTTP 200 with an error code in the body, so 2xx alone is
// not success. It returns how many alerts the message listed.
func (s *Server) postRobot(ctx context.Context, r AlertRoute, kind string, alerts []wire.Alert, cfg AlertsConfig) (int, error) {
	title, md, listed := s.robotText(kind, alerts, cfg, r.Type)
	return listed, s.sendRobot(ctx, r, kind, title, md)
}

// sendRobot posts one message.
func (s *Server) sendRobot(ctx context.Context, r AlertRoute, kind, title, md string) error {
	target := r.URL
	// Signatures use wall time: the vendor compares the timestamp with its
	// own clock (DingTalk and Feishu refuse one more than an hour off).
	now := time.Now()
	var body any
	switch r.Type {
	case RobotWeCom:
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": md}}
	case RobotDingTalk:
		body = map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": title, "text": md}}
		if r.Secret != "" {
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			u, err := url.Parse(target)
			if err != nil {
				return errors.New("bad robot URL")
			}
			q := u.Query()
			q.Set("timestamp", ts)
			q.Set("sign", DingTalkSign(ts, r.Secret))
			u.RawQuery = q.Encode()
			target = u.String()
		}
	case RobotFeishu:
		card := map[string]any{
			"config":   map[string]any{"wide_screen_mode": true},
			"header":   map[string]any{"title": map[string]string{"tag": "plain_text", "content": title}, "template": cardColor(kind)},
			"elements": []any{map[string]any{"tag": "div", "text": map[string]string{"tag": "lark_md", "content": md}}},
		}
		m := map[string]any{"msg_type": "interactive", "card": card}
		if r.Secret != "" {
			ts := strconv.FormatInt(now.Unix(), 10)
			m["timestamp"], m["sign"] = ts, FeishuSign(ts, r.Secret)
		}
		body = m
	default:
		return fmt.Errorf("unknown robot type %q", r.Type)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(b))
	if err != nil {
		return errors.New("bad robot URL")
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "hunterbot")
	resp, err := s.alertHTTP.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which carries the key
		}
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s robot answered HTTP %d", r.Type, resp.StatusCode)
	}
	// WeCom and DingTalk: {"errcode":0,"errmsg":"ok"}; Feishu: {"code":0,"msg":"success"}.
	var ans struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		Code    *int   `json:"code"`
		Msg     string `json:"msg"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return fmt.Errorf("%s robot answered a non-JSON body", r.Type)
	}
	switch {
	case ans.ErrCode != nil && *ans.ErrCode != 0:
		return fmt.Errorf("%s robot refused: errcode %d %.200s", r.Type, *ans.ErrCode, ans.ErrMsg)
	case ans.Code != nil && *ans.Code != 0:
		return fmt.Errorf("%s robot refused: code %d %.200s", r.Type, *ans.Code, ans.Msg)
	case ans.ErrCode == nil && ans.Code == nil:
		return fmt.Errorf("%s robot answered without a status code", r.Type)
	}
	return nil
}

// DingTalkSign is DingTalk's custom-robot signature: HmacSHA256 keyed with
// the secret over "timestamp\nsecret", Base64-encoded (the caller puts it
// URL-encoded in the query with the millisecond timestamp).
func DingTalkSign(timestampMillis, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestampMillis + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// FeishuSign is Feishu's custom-bot signature: HmacSHA256 keyed with
// "timestamp\nsecret" over an empty message, Base64-encoded; it goes in
// the body with the timestamp in seconds.
func FeishuSign(timestampSeconds, secret string) string {
	m := hmac.New(sha256.New, []byte(timestampSeconds+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func cardColor(kind string) string {
	switch kind {
	case "recovered":
		return "green"
	case "quota_reached":
		return "orange"
	default:
		return "red"
	}
}

// kindTitles are the zh-CN titles of the alert kinds (the operators' IM
// groups are Chinese); the English kind follows in parentheses.
var kindTitles = map[string]string{
	"paused_risk":           "账号触发风控",
	"needs_login":           "账号需要扫码登录",
	"quota_reached":         "账号已达今日配额",
	"error":                 "账号出错",
	"recovered":             "账号已恢复运行",
	wire.AlertReportsParked: "报告投递被搁置",
	wire.AlertTextsBlocked:  "发送闸门拦截了消息",
	wire.AlertAuthBurst:     "控制台登录失败激增",
	wire.AlertWorkerLost:    "工作节点失联",
}

// robotText renders one message: a title and a markdown list of as many
// alerts as fit in imTextMax bytes (at least one), and how many it listed.
// Texts from the site or workers (last_error) are cut short and stripped
// of markdown syntax so they cannot forge links or headings.
func (s *Server) robotText(kind string, alerts []wire.Alert, cfg AlertsConfig, typ string) (title, md string, listed int) {
	title = fmt.Sprintf("hunterbot: %s (%s)", kindTitles[kind], kind)
	if kindTitles[kind] == "" {
		title = "hunterbot: " + kind
	}
	var items []string
	size := 300 // the heading and the count line
	for _, al := range alerts {
		var b strings.Builder
		who := al.Account
		if who == "" {
			who = "-"
		}
		fmt.Fprintf(&b, "\n- **%s** %s", plainText(who, 80), al.At.In(clock.Shanghai).Format("01-02 15:04:05"))
		if al.WorkerID != "" {
			fmt.Fprintf(&b, " @%s", plainText(al.WorkerID, 60))
		}
		if al.PreviousState != "" && kind != wire.AlertReportsParked && kind != wire.AlertTextsBlocked {
			fmt.Fprintf(&b, " (%s → %s)", plainText(string(al.PreviousState), 30), plainText(string(al.State), 30))
		}
		if al.LastError != "" {
			fmt.Fprintf(&b, "\n  > %s", plainText(al.LastError, 300))
		}
		if kind == "needs_login" && al.Account != "" {
			link := strings.ReplaceAll(cfg.qrLink(), "{account}", url.PathEscape(al.Account))
			link = strings.ReplaceAll(link, "{public_url}", s.opt.PublicURL)
			fmt.Fprintf(&b, "\n  [扫码登录 (scan the QR code)](%s)", link)
		}
		if len(items) > 0 && size+b.Len() > imTextMax {
			break
		}
		items = append(items, b.String())
		size += b.Len()
	}
	var b strings.Builder
	if typ != RobotFeishu { // the Feishu card has the title in its header
		fmt.Fprintf(&b, "### %s\n", title)
	}
	if len(alerts) > 1 {
		fmt.Fprintf(&b, "%d 条告警 (alerts)", len(items))
		if rest := len(alerts) - len(items); rest > 0 {
			fmt.Fprintf(&b, ", 另有 %d 条见下一条消息 (%d more in the next message)", rest, rest)
		}
		b.WriteString("\n")
	}
	for _, it := range items {
		b.WriteString(it)
	}
	return title, b.String(), len(items)
}

// plainText cuts s to n runes on one line and removes the characters that
// make markdown links, emphasis, headings or HTML.
func plainText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\t':
			return ' '
		case '[', ']', '(', ')', '<', '>', '*', '_', '`', '#', '|':
			return -1
		}
		return r
	}, s)
	if rs := []rune(s); len(rs) > n {
		s = string(rs[:n]) + "…"
	}
	return s
}
