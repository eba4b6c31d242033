package sim

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed web/*.html
var webFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"json": func(v any) template.JS {
		b, _ := json.Marshal(v)
		return template.JS(b)
	},
}).ParseFS(webFS, "web/*.html"))

// Session cookie names of the real site.
const (
	cookieWT2  = "wt2"
	cookieWBG  = "wbg"
	cookieZPAT = "zp_at"
)

// Login and verify URLs.
const (
	loginURL         = "/web/user/?ka=header-login"
	verifyURL        = "/web/user/safe/verify-slider"
	accountVerifyURL = "/web/passport/zp/verify.html"
	chatURL          = "/web/chat/index"
)

// Handler returns the whole site: pages, /wapi/ XHRs and the /__sim/
// control API.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	// Public pages and login.
	mux.HandleFunc("GET /{$}", s.handleRoot)
	mux.HandleFunc("GET /web/user/{$}", s.handleLoginPage)
	mux.HandleFunc("POST /wapi/zppassport/login/account", s.handleLogin)
	mux.HandleFunc("GET /wapi/zppassport/qrcode/new", s.handleQRNew)
	mux.HandleFunc("GET /wapi/zppassport/qrcode/img", s.handleQRImage)
	mux.HandleFunc("GET /wapi/zppassport/qrcode/scan", s.handleQRPoll)
	mux.HandleFunc("GET /web/user/safe/verify-slider", s.handleVerifyPage)
	mux.HandleFunc("GET /web/passport/zp/verify.html", s.handleVerifyPage)
	mux.HandleFunc("GET /wapi/zpsafe/verify/status", s.handleVerifyStatus)
	mux.HandleFunc("GET /static/avatar/{file}", handleAvatar)

	// Logged-in pages.
	mux.HandleFunc("GET /web/chat/index", s.page("chat"))
	mux.HandleFunc("GET /web/chat/recommend", s.page("recommend"))
	mux.HandleFunc("GET /web/frame/recommend/{$}", s.page("frame"))

	// Logged-in XHRs.
	mux.HandleFunc("GET /wapi/zpuser/wap/getUserInfo.json", s.api(s.apiUserInfo))
	mux.HandleFunc("POST /wapi/zpuser/notice/confirm", s.sessionAPI(s.apiNoticeConfirm))
	mux.HandleFunc("GET /wapi/zpjob/rec/geek/list", s.api(s.apiGeekList))
	mux.HandleFunc("POST /wapi/zpjob/chat/start", s.api(s.apiGreet))
	mux.HandleFunc("POST /wapi/zpjob/rec/geek/unsuitable", s.api(s.apiUnsuitable))
	mux.HandleFunc("GET /wapi/zprelation/friend/getBossFriendListV2.json", s.api(s.apiFriends))
	mux.HandleFunc("GET /wapi/zpchat/boss/historyMsg", s.api(s.apiHistory))
	mux.HandleFunc("GET /wapi/zpchat/boss/geekInfo", s.api(s.apiGeekInfo))
	mux.HandleFunc("POST /wapi/zpchat/boss/sendMsg", s.api(s.apiSend))
	mux.HandleFunc("POST /wapi/zpchat/boss/readMsg", s.api(s.apiRead))
	mux.HandleFunc("POST /wapi/zpchat/exchange/request", s.api(s.apiExchange))
	mux.HandleFunc("POST /wapi/zpchat/exchange/accept", s.api(s.apiCard))
	mux.HandleFunc("GET /wapi/zpchat/resume/download", s.handleResume)
	mux.HandleFunc("POST /wapi/zpupload/chat/image", s.api(s.handleImageUpload)) // image.go
	mux.HandleFunc("POST /wapi/zpchat/boss/sendImage", s.api(s.apiSendImage))
	mux.HandleFunc("GET /wapi/zpupload/img/{file}", s.handleImage)
	mux.HandleFunc("GET "+chatWSPath, s.handleChatWS) // push.go
	mux.HandleFunc("GET /static/js/{file}", handleScript)

	// Control and truth.
	mux.HandleFunc("POST /__sim/clock/advance", s.ctlAdvance)
	mux.HandleFunc("POST /__sim/risk", s.ctlRisk)
	mux.HandleFunc("POST /__sim/risk/clear", s.ctlAccount(s.ClearRisk))
	mux.HandleFunc("POST /__sim/session/expire", s.ctlAccount(s.ExpireSession))
	mux.HandleFunc("POST /__sim/qr/scan", s.ctlAccount(s.ScanQR))
	mux.HandleFunc("POST /__sim/inject", s.ctlMessage(s.Inject))
	mux.HandleFunc("POST /__sim/human", s.ctlMessage(s.HumanMessage))
	mux.HandleFunc("GET /__sim/truth", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Truth())
	})
	return noStore(mux)
}

// noStore keeps the browser from caching dynamic pages.
func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// envelope writes the site's {code, message, zpData} envelope.
func envelope(w http.ResponseWriter, code int, msg string, data any) {
	if msg == "" && code == 0 {
		msg = "Success"
	}
	writeJSON(w, http.StatusOK, Envelope[any]{Code: code, Message: msg, ZPData: data})
}

// sessionOf returns the valid session of the request. Callers hold s.mu.
func (s *Sim) sessionOf(r *http.Request, now time.Time) *session {
	c, err := r.Cookie(cookieWT2)
	if err != nil {
		return nil
	}
	ss := s.sessions[c.Value]
	if ss == nil {
		return nil
	}
	if !now.Before(ss.expires) {
		delete(s.sessions, c.Value)
		return nil
	}
	return ss
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// login creates a session for a and sets the session cookies. Callers hold
// s.mu.
func (s *Sim) login(w http.ResponseWriter, a *account, now time.Time) {
	tok := newToken()
	s.sessions[tok] = &session{token: tok, acct: a, expires: now.Add(a.cfg.SessionLifetime), notice: true, tip: s.sc.IntentTip}
	maxAge := int(a.cfg.SessionLifetime / time.Second)
	for _, c := range []*http.Cookie{
		{Name: cookieWT2, Value: tok},
		{Name: cookieWBG, Value: "0"},
		{Name: cookieZPAT, Value: newToken()[:32]},
	} {
		c.Path, c.HttpOnly, c.MaxAge, c.SameSite = "/", true, maxAge, http.SameSiteLaxMode
		http.SetCookie(w, c)
	}
	s.log.Info().Str("account", a.cfg.ID).Msg("sim: login")
}

func (s *Sim) handleRoot(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, chatURL, http.StatusFound)
}

type loginView struct {
	Title string
}

func (s *Sim) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	render(w, "login", loginView{Title: "BOSS直聘 - 登录"})
}

func render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, name+".html", data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// readForm reads a request's parameters from a JSON body or a form.
func readForm(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var raw map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&raw); err != nil {
			return nil, fmt.Errorf("bad JSON body: %w", err)
		}
		for k, v := range raw {
			switch x := v.(type) {
			case string:
				out[k] = x
			case float64:
				out[k] = strconv.FormatInt(int64(x), 10)
			case bool:
				out[k] = strconv.FormatBool(x)
			}
		}
		return out, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	for k := range r.Form {
		out[k] = r.Form.Get(k)
	}
	return out, nil
}

func (s *Sim) handleLogin(w http.ResponseWriter, r *http.Request) {
	f, err := readForm(r)
	if err != nil {
		envelope(w, 17, "参数错误", nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	a := s.byUser[f["account"]]
	if a == nil || f["password"] != a.cfg.Password {
		envelope(w, 3, "账号或密码错误", nil)
		return
	}
	s.login(w, a, now)
	envelope(w, 0, "", map[string]string{"redirect": chatURL})
}

func (s *Sim) handleQRNew(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.qrSeq++
	uuid := fmt.Sprintf("%s%04d", newToken()[:20], s.qrSeq)
	s.qrs[uuid] = &qrCode{uuid: uuid, created: now}
	// Forget codes long expired so the map stays small.
	for k, q := range s.qrs {
		if now.Sub(q.created) > 10*qrLifetime {
			delete(s.qrs, k)
		}
	}
	envelope(w, 0, "", map[string]any{"uuid": uuid, "qrUrl": "/wapi/zppassport/qrcode/img?uuid=" + uuid, "expireSeconds": int(qrLifetime / time.Second)})
}

func (s *Sim) handleQRImage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/png")
	_, _ = w.Write(qrPNG(r.URL.Query().Get("uuid")))
}

// handleQRPoll is polled by the login page: waiting, expired, or confirmed
// (after POST /__sim/qr/scan), in which case it logs in.
func (s *Sim) handleQRPoll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	q := s.qrs[r.URL.Query().Get("uuid")]
	switch {
	case q == nil || q.used:
		envelope(w, 0, "", map[string]string{"status": "expired"})
	case q.scanned != nil:
		q.used = true
		s.login(w, q.scanned, now)
		envelope(w, 0, "", map[string]string{"status": "confirmed", "redirect": chatURL})
	case now.Sub(q.created) >= qrLifetime:
		envelope(w, 0, "", map[string]string{"status": "expired"})
	default:
		envelope(w, 0, "", map[string]string{"status": "waiting"})
	}
}

func (s *Sim) handleVerifyPage(w http.ResponseWriter, r *http.Request) {
	render(w, "verify", struct{ Account bool }{r.URL.Path == accountVerifyURL})
}

// handleVerifyStatus tells the verify page whether the human has solved
// the check (POST /__sim/risk/clear).
func (s *Sim) handleVerifyStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessionOf(r, s.now())
	if ss == nil {
		envelope(w, 7, "当前登录状态已失效", nil)
		return
	}
	envelope(w, 0, "", map[string]any{"verified": ss.acct.riskKind() == "", "redirect": chatURL})
}

// pageView is the data of the logged-in pages.
type pageView struct {
	Account   string
	Notice    bool
	Tip       bool
	Overlay   string // captcha overlay text, "" when none
	Unread    int
	Jobs      []jobView
	JobID     int64
	OpenGeek  int64
	UserID    int64
	JobsLabel string
	// Refresh is the chat page's polling period in milliseconds.
	Refresh int64
}

type jobView struct {
	ID    int64
	Label string
	Curr  bool
}

// page serves a logged-in page: login redirect without a session, verify
// redirect or captcha overlay under risk.
func (s *Sim) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		now := s.now()
		ss := s.sessionOf(r, now)
		if ss == nil {
			s.mu.Unlock()
			http.Redirect(w, r, loginURL, http.StatusFound)
			return
		}
		a := ss.acct
		switch a.riskKind() {
		case RiskSlider:
			s.mu.Unlock()
			http.Redirect(w, r, verifyURL, http.StatusFound)
			return
		case RiskAccount:
			s.mu.Unlock()
			http.Redirect(w, r, accountVerifyURL, http.StatusFound)
			return
		}
		v := pageView{Account: a.cfg.Name, Notice: ss.notice && name != "frame", Tip: ss.tip && name == "chat",
			UserID: a.cfg.UID, Unread: unreadAll(a), Refresh: s.sc.PageRefresh.Milliseconds()}
		if a.riskKind() != "" {
			v.Overlay = "安全验证"
		}
		v.JobID = a.cfg.Jobs[0].ID
		if id, err := strconv.ParseInt(r.URL.Query().Get("jobId"), 10, 64); err == nil && a.jobCands[id] != nil {
			v.JobID = id
		}
		for _, j := range a.cfg.Jobs {
			label := fmt.Sprintf("%s _ %s _ %s", j.Name, j.City, j.Salary)
			v.Jobs = append(v.Jobs, jobView{ID: j.ID, Label: label, Curr: j.ID == v.JobID})
			if j.ID == v.JobID {
				v.JobsLabel = label
			}
		}
		if id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64); err == nil && a.convs[id] != nil {
			v.OpenGeek = id
		}
		s.mu.Unlock()
		render(w, name, v)
	}
}

func unreadAll(a *account) int {
	n := 0
	for _, c := range a.convs {
		n += unread(c)
	}
	return n
}

func unread(c *conversation) int {
	n := 0
	for _, m := range c.msgs {
		if m.From.UID == c.cand.id && m.Status == 1 {
			n++
		}
	}
	return n
}

// sessionAPI wraps a logged-in XHR: code 7 without a session, 37/9 under
// risk; the handler runs under s.mu after due events were applied.
func (s *Sim) sessionAPI(h func(w http.ResponseWriter, r *http.Request, ss *session, now time.Time)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		now := s.now()
		ss := s.sessionOf(r, now)
		if ss == nil {
			envelope(w, 7, "当前登录状态已失效", nil)
			return
		}
		if k := ss.acct.riskKind(); k != "" {
			if k == RiskAccount { // the real site answers XHRs with a 302 here
				http.Redirect(w, r, accountVerifyURL, http.StatusFound)
				return
			}
			code, msg := riskCode(k)
			envelope(w, code, msg, nil)
			return
		}
		h(w, r, ss, now)
	}
}

// api is sessionAPI for handlers that need only the account.
func (s *Sim) api(h func(w http.ResponseWriter, r *http.Request, a *account, now time.Time)) http.HandlerFunc {
	return s.sessionAPI(func(w http.ResponseWriter, r *http.Request, ss *session, now time.Time) {
		h(w, r, ss.acct, now)
	})
}
