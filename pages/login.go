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
	p := s.p(ctx)
	user, err := p.Element(s.sel.LoginUser)
	if err != nil {
		return fmt.Errorf("login form: %w", err)
	}
	if err := user.Input(username); err != nil {
		return fmt.Errorf("type username: %w", err)
	}
	pass, err := p.Element(s.sel.LoginPassword)
	if err != nil {
		return fmt.Errorf("login form: %w", err)
	}
	if err := pass.Input(password); err != nil {
		return fmt.Errorf("type password: %w", err)
	}
	submit, err := p.Element(s.sel.LoginSubmit)
	if err != nil {
		return fmt.Errorf("login form: %w", err)
	}
	if err := submit.Click(proto.InputMouseButtonLeft, 1); err != nil {
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

// QRCode switches the login page to QR mode and returns the QR image bytes
// (PNG) for an operator to scan with the site's app.
func (s *Session) QRCode(ctx context.Context) ([]byte, error) {
	if err := s.navigate(ctx, s.sel.LoginPath); err != nil {
		return nil, err
	}
	p := s.p(ctx)
	sw, err := p.Element(s.sel.QRSwitch)
	if err != nil {
		return nil, fmt.Errorf("qr switch: %w", err)
	}
	if err := sw.Click(proto.InputMouseButtonLeft, 1); err != nil {
		return nil, fmt.Errorf("qr switch: %w", err)
	}
	img, err := p.Element(s.sel.QRImage)
	if err != nil {
		return nil, fmt.Errorf("qr image: %w", err)
	}
	// Wait for the real image to replace the placeholder.
	if err := img.Context(ctx).Timeout(10 * time.Second).Wait(rod.Eval(`() => this.complete && this.naturalWidth > 1`)); err != nil {
		return nil, fmt.Errorf("qr image did not load: %w", err)
	}
	data, err := img.Resource()
	if err != nil {
		return nil, fmt.Errorf("qr image bytes: %w", err)
	}
	return data, nil
}

// WaitLoggedIn waits, up to d, for someone to complete a QR login on the
// open login page. An expired QR code is refreshed (that is the page's own
// button, not a verification).
func (s *Session) WaitLoggedIn(ctx context.Context, d time.Duration) error {
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
		return false, nil
	})
	if errors.Is(err, errWaitTimedOut) {
		return fmt.Errorf("qr login not completed within %v: %w", d, ErrLoggedOut)
	}
	return err
}
