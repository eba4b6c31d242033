package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

const (
	sessionCookie = "hb_session" // the access token (HttpOnly)
	preCookie     = "hb_pre"     // random pre-session value binding the login form's CSRF token
	langCookie    = "hb_lang"
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
)

// session is the logged-in operator of a request.
type session struct {
	User  string
	Token string
	CSRF  string
	Lang  string
}

// csrfFor derives the CSRF token of a session: an HMAC keyed by the
// session token, which only the HttpOnly cookie and the server know. A
// cross-site page can make the browser send the cookie but cannot read it
// or the pages, so it cannot produce the token; nothing needs storing.
func csrfFor(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("hunterbot-console-csrf:" + purpose))
	return hex.EncodeToString(m.Sum(nil))
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("console: crypto/rand: " + err.Error()) // never on Linux
	}
	return hex.EncodeToString(b)
}

// secure says whether cookies must be Secure: the request came over TLS,
// or through a trusted proxy that terminated TLS.
func (c *Console) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return c.opt.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/ui/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
}

// securityHeaders keep pages out of frames and scripts to our own files.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}

func langOf(r *http.Request) string {
	if ck, err := r.Cookie(langCookie); err == nil && ck.Value == "en" {
		return "en"
	}
	return "zh"
}

// authed wraps a page: no valid session → the login page (401 for htmx and
// event-stream requests); a POST without the session's CSRF token → 403.
func (c *Console) authed(h func(w http.ResponseWriter, r *http.Request, s *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w)
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		s, ok := c.sessionOf(r)
		if !ok {
			if r.Method != http.MethodGet || r.Header.Get("HX-Request") != "" || strings.HasSuffix(r.URL.Path, "/events") {
				http.Error(w, "login required", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/ui/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !c.csrfOK(r, s.CSRF) {
			c.log.Warn().Str("user", s.User).Str("path", r.URL.Path).Msg("console: POST without a valid CSRF token refused")
			http.Error(w, "CSRF token missing or wrong", http.StatusForbidden)
			return
		}
		h(w, r, s)
	})
}

func (c *Console) sessionOf(r *http.Request) (*session, bool) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 128 {
		return nil, false
	}
	user, err := c.store.CheckAccessToken(ck.Value)
	if err != nil {
		return nil, false
	}
	return &session{User: user, Token: ck.Value, CSRF: csrfFor(ck.Value, "session"), Lang: langOf(r)}, true
}

// csrfOK checks the form field (or the header htmx sends) against want,
// and, when the browser says where the request came from, that it is this
// host (a second, independent check).
func (c *Console) csrfOK(r *http.Request, want string) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// safeNext keeps a post-login redirect on the console (no open redirect).
func safeNext(next string) string {
	if strings.HasPrefix(next, "/ui/") && !strings.HasPrefix(next, "//") && !strings.Contains(next, "\\") {
		return next
	}
	return "/ui/fleet"
}

func (c *Console) loginPage(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	if _, ok := c.sessionOf(r); ok {
		http.Redirect(w, r, "/ui/fleet", http.StatusSeeOther)
		return
	}
	c.renderLogin(w, r, http.StatusOK, "")
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	pre := ""
	if ck, err := r.Cookie(preCookie); err == nil && len(ck.Value) == 32 {
		pre = ck.Value
	} else {
		pre = randomHex(16)
		c.setCookie(w, r, preCookie, pre, 3600)
	}
	s := &session{CSRF: csrfFor(pre, "login"), Lang: langOf(r)}
	c.render(w, r, s, status, "login", map[string]any{"Error": msg, "Next": safeNext(r.URL.Query().Get("next"))})
}

func (c *Console) loginPost(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	ck, err := r.Cookie(preCookie)
	if err != nil || !c.csrfOK(r, csrfFor(ck.Value, "login")) {
		http.Error(w, "CSRF token missing or wrong", http.StatusForbidden)
		return
	}
	user, pass := r.PostFormValue("username"), r.PostFormValue("password")
	lang := langOf(r)
	key := remoteHost(r)
	if wait := c.login.locked(key, user); wait > 0 {
		w.Header().Set("Retry-After", itoa(int(wait.Seconds())+1))
		c.renderLogin(w, r, http.StatusTooManyRequests, tr(lang, "login.throttled"))
		return
	}
	if user == "" || pass == "" {
		c.renderLogin(w, r, http.StatusBadRequest, tr(lang, "login.missing"))
		return
	}
	if err := c.store.CheckPassword(user, pass); err != nil {
		if !errors.Is(err, wire.ErrUnauthorized) {
			c.log.Error().Err(err).Msg("console: check password")
			c.renderLogin(w, r, http.StatusInternalServerError, tr(lang, "error.internal"))
			return
		}
		c.login.fail(key, user)
		c.log.Info().Str("user", user).Str("remote", key).Msg("console: login refused")
		c.renderLogin(w, r, http.StatusUnauthorized, tr(lang, "login.bad"))
		return
	}
	c.login.ok(key, user)
	pair, err := c.store.IssueTokens(user, ClientID, c.opt.SessionTTL, c.opt.SessionTTL)
	if err != nil {
		c.log.Error().Err(err).Msg("console: issue session")
		c.renderLogin(w, r, http.StatusInternalServerError, tr(lang, "error.internal"))
		return
	}
	c.setCookie(w, r, sessionCookie, pair.AccessToken, int(c.opt.SessionTTL/time.Second))
	c.setCookie(w, r, preCookie, "", -1)
	c.log.Info().Str("user", user).Msg("console: logged in")
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if _, err := c.store.RevokeToken(s.Token, ClientID); err != nil {
		c.log.Error().Err(err).Msg("console: revoke session")
	}
	c.setCookie(w, r, sessionCookie, "", -1)
	c.log.Info().Str("user", s.User).Msg("console: logged out")
	http.Redirect(w, r, "/ui/login", http.StatusSeeOther)
}

// setLang stores the language choice (a preference cookie, no server
// state) and goes back to the page.
func (c *Console) setLang(w http.ResponseWriter, r *http.Request) {
	to := "zh"
	if r.URL.Query().Get("to") == "en" {
		to = "en"
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: to, Path: "/ui/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, safeNext(r.URL.Query().Get("back")), http.StatusSeeOther)
}

func remoteHost(r *http.Request) string {
	h := r.RemoteAddr
	if i := strings.LastIndexByte(h, ':'); i > 0 {
		h = h[:i]
	}
	return h
}

// throttle slows password guessing on the console's login form: after 5
// failures a source address or username waits 1 s, doubling per further
// failure up to 15 min; a success clears the username's count.
type throttle struct {
	mu   sync.Mutex
	keys map[string]*strike
}

type strike struct {
	n     int
	until time.Time
	last  time.Time
}

func newThrottle() *throttle { return &throttle{keys: map[string]*strike{}} }

func (t *throttle) locked(addr, user string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	var wait time.Duration
	for _, k := range []string{"a:" + addr, "u:" + user} {
		if s := t.keys[k]; s != nil && s.until.After(now) && s.until.Sub(now) > wait {
			wait = s.until.Sub(now)
		}
	}
	return wait
}

func (t *throttle) fail(addr, user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if len(t.keys) > 10000 { // forget idle keys rather than grow without bound
		for k, s := range t.keys {
			if now.Sub(s.last) > time.Hour {
				delete(t.keys, k)
			}
		}
	}
	for _, k := range []string{"a:" + addr, "u:" + user} {
		s := t.keys[k]
		if s == nil {
			s = &strike{}
			t.keys[k] = s
		}
		s.n++
		s.last = now
		if s.n > 5 {
			d := time.Second << min(s.n-6, 10)
			s.until = now.Add(min(d, 15*time.Minute))
		}
	}
}

func (t *throttle) ok(addr, user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, "u:"+user)
}
