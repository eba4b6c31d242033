package pages

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// ErrLoginRejected means the site refused the credentials; the message is
// the site's.
var ErrLoginRejected = errors.New("login rejected")

// userInfoWait is how long Me waits for the page's own getUserInfo call
// before asking for it itself.
const userInfoWait = 3 * time.Second

// Me opens the chat page and returns the logged-in recruiter. It returns an
// error wrapping ErrLoggedOut when the site redirects to the login page and
// ErrRisk when it shows a verification page.
func (s *Session) Me(ctx context.Context) (UserInfo, error) {
	s.watch.Drain(s.sel.XHRUserInfo)
	if err := s.navigate(ctx, s.sel.ChatPath); err != nil {
		return UserInfo{}, err
	}
	if err := s.checkErr(ctx); err != nil {
		return UserInfo{}, err
	}
	var info UserInfo
	// The site's front end loads getUserInfo itself; read that response.
	// When the page did not (some page versions), ask for it from the page
	// as the front end would, once.
	wait, cancel := context.WithTimeout(ctx, userInfoWait)
	err := s.nextXHR(wait, s.sel.XHRUserInfo, &info)
	cancel()
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = s.fetchUserInfo(ctx, &info)
	}
	if err != nil {
		return UserInfo{}, fmt.Errorf("read user info: %w", err)
	}
	if info.UserID == 0 {
		return UserInfo{}, fmt.Errorf("read user info: %w: no userId", ErrLoggedOut)
	}
	_ = s.dismissPopups(ctx)
	return info, nil
}

func (s *Session) fetchUserInfo(ctx context.Context, info *UserInfo) error {
	res, err := s.page.Context(ctx).Timeout(s.step).Eval(`(u) => fetch(u, {credentials: 'same-origin'}).then(r => r.text())`, s.sel.XHRUserInfo)
	if err != nil {
		return err
	}
	return DecodeEnvelope([]byte(res.Value.String()), info)
}

// PasswordLogin logs in with the site's password form and waits until the
// site leaves the login page.
func (s *Session) PasswordLogin(ctx context.Context, username, password string) error {
	if err := s.navigate(ctx, s.sel.LoginPath); err != nil {
		return err
	}
	user, err := s.p(ctx).Element(s.sel.LoginUser)
	if err != nil {
		return fmt.Errorf("login form: %w", err)
	}
	if err := s.act(ctx, user).Input(username); err != nil {
		return fmt.Errorf("type username: %w", err)
	}
	pass, err := s.p(ctx).Element(s.sel.LoginPassword)
	if err != nil {
		return fmt.Errorf("login form: %w", err)
	}
	if err := s.act(ctx, pass).Input(password); err != nil {
		return fmt.Errorf("type password: %w", err)
	}
	submit, err := s.p(ctx).Element(s.sel.LoginSubmit)
	if err != nil {
		return fmt.Errorf("login form: %w", err)
	}
	if err := s.act(ctx, submit).Click(proto.InputMouseButtonLeft, 1); err != nil {
		return fmt.Errorf("submit login: %w", err)
	}
	return s.waitLeaveLogin(ctx, s.step)
}

// waitLeaveLogin waits until the tab is no longer on the login page, the
// login form shows an error, or d elapses.
func (s *Session) waitLeaveLogin(ctx context.Context, d time.Duration) error {
	left := false
	err := waitUntil(ctx, d, func(wctx context.Context) (bool, error) {
		url, err := s.URL()
		if err != nil {
			return true, err
		}
		if r := classifyURL(url, s.sel); r.Kind == RiskVerify {
			return true, r.Err()
		} else if r.Kind != RiskLogin {
			left = true
			return true, nil
		}
		if has, el, err := s.page.Context(wctx).Has(s.sel.LoginError); err == nil && has {
			if msg, _ := el.Text(); strings.TrimSpace(msg) != "" {
				return true, fmt.Errorf("%w: %s", ErrLoginRejected, strings.TrimSpace(msg))
			}
		}
		return false, nil
	})
	switch {
	case left:
		return s.page.Context(ctx).Timeout(s.step).WaitLoad()
	case errors.Is(err, errWaitTimedOut):
		return fmt.Errorf("login: still on the login page after %v: %w", d, err)
	}
	return err
}

// QR is a login QR code as the login page shows it.
type QR struct {
	PNG []byte
	// Src is the image's URL, which carries the site's token for this
	// code: a different Src means the page shows a new code.
	Src string
	// TTL is how long the site said the code stays valid, from the
	// page's own request for it (0: not observed).
	TTL time.Duration
}

// qrNew is the part of the page's new-QR-code answer hunterbot reads.
type qrNew struct {
	ExpireSeconds int `json:"expireSeconds"`
}

// QRCode switches the login page to QR mode and returns the QR code (PNG)
// for an operator to scan with the site's app.
func (s *Session) QRCode(ctx context.Context) (QR, error) {
	if err := s.navigate(ctx, s.sel.LoginPath); err != nil {
		return QR{}, err
	}
	s.watch.Drain(s.sel.XHRQRNew)
	sw, err := s.p(ctx).Element(s.sel.QRSwitch)
	if err != nil {
		return QR{}, fmt.Errorf("qr switch: %w", err)
	}
	if err := s.act(ctx, sw).Click(proto.InputMouseButtonLeft, 1); err != nil {
		return QR{}, fmt.Errorf("qr switch: %w", err)
	}
	return s.readQR(ctx, "")
}

// readQR waits until the page's QR image is loaded and differs from
// oldSrc, then returns it with the TTL of the page's latest new-code
// request.
func (s *Session) readQR(ctx context.Context, oldSrc string) (QR, error) {
	img, err := s.p(ctx).Element(s.sel.QRImage)
	if err != nil {
		return QR{}, fmt.Errorf("qr image: %w", err)
	}
	// Wait for the real image to replace the placeholder (or the old code).
	if err := img.Context(ctx).Timeout(10 * time.Second).Wait(rod.Eval(`(old) => this.complete && this.naturalWidth > 1 && this.src !== old`, oldSrc)); err != nil {
		return QR{}, fmt.Errorf("qr image did not load: %w", err)
	}
	src, err := s.act(ctx, img).Eval(`() => this.src`)
	if err != nil {
		return QR{}, fmt.Errorf("qr image src: %w", err)
	}
	data, err := s.act(ctx, img).Resource()
	if err != nil {
		return QR{}, fmt.Errorf("qr image bytes: %w", err)
	}
	qr := QR{PNG: data, Src: src.Value.String()}
	// The image follows the page's new-code request, whose body may still
	// be loading (slowly on a loaded machine): take the newest answer,
	// waiting up to one step for it.
	got := s.watch.Drain(s.sel.XHRQRNew)
	if len(got) == 0 {
		wait, cancel := context.WithTimeout(ctx, s.step)
		if r, err := s.watch.Next(wait, s.sel.XHRQRNew); err == nil {
			got = append(got, r)
		}
		cancel()
	}
	if n := len(got); n > 0 {
		var a qrNew
		if DecodeEnvelope(got[n-1].Body, &a) == nil && a.ExpireSeconds > 0 {
			qr.TTL = time.Duration(a.ExpireSeconds) * time.Second
		}
	}
	return qr, nil
}

// WaitQRLogin waits, up to d, for someone to complete a QR login on the
// open login page that shows shown. An expired code is refreshed (that is
// the page's own button, not a verification); whenever the page shows a
// new code, refreshed is called with it before the wait goes on, so the
// operator always has the code the page accepts.
func (s *Session) WaitQRLogin(ctx context.Context, shown QR, d time.Duration, refreshed func(QR)) error {
	last := shown.Src
	err := waitUntil(ctx, d, func(wctx context.Context) (bool, error) {
		err := s.waitLeaveLogin(wctx, 2*time.Second)
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			return true, err
		}
		if has, el, _ := s.page.Context(wctx).Has(s.sel.QRRefresh); has {
			if vis, _ := el.Visible(); vis {
				_ = el.Context(wctx).Timeout(s.step).Click(proto.InputMouseButtonLeft, 1)
			}
		}
		src, err := s.page.Context(wctx).Timeout(s.step).Eval(`(sel) => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 1 ? i.src : "" }`, s.sel.QRImage)
		if err != nil || src.Value.String() == "" || src.Value.String() == last {
			return false, nil
		}
		qr, err := s.readQR(wctx, last)
		if err != nil {
			return false, nil // the page is mid-refresh: look again
		}
		last = qr.Src
		if refreshed != nil {
			refreshed(qr)
		}
		return false, nil
	})
	if errors.Is(err, errWaitTimedOut) {
		return fmt.Errorf("qr login not completed within %v: %w", d, ErrLoggedOut)
	}
	return err
}
