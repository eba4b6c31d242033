package pages

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
)

// Recommend is the open recommend list (推荐牛人) of one job, inside the
// recommendFrame iframe.
type Recommend struct {
	s       *Session
	frame   *rod.Page
	hasMore bool
}

// OpenRecommend opens the recommend page (jobID "" = the site's current
// job) and returns the list with its first page of candidates, read from
// the frame's own rec/geek/list response.
func (s *Session) OpenRecommend(ctx context.Context, jobID string) (*Recommend, []Geek, error) {
	s.watch.Drain(s.sel.XHRGeekList)
	path := s.sel.RecommendPath
	if jobID != "" {
		path += "?jobId=" + jobID
	}
	if err := s.navigate(ctx, path); err != nil {
		return nil, nil, err
	}
	if err := s.checkErr(ctx); err != nil {
		return nil, nil, err
	}
	_ = s.dismissPopups(ctx)
	el, err := s.p(ctx).Element(s.sel.RecommendFrame)
	if err != nil {
		return nil, nil, fmt.Errorf("recommend frame: %w", err)
	}
	frame, err := el.Frame()
	if err != nil {
		return nil, nil, fmt.Errorf("recommend frame: %w", err)
	}
	r := &Recommend{s: s, frame: frame}
	geeks, err := r.readPage(ctx)
	if err != nil {
		return nil, nil, err
	}
	return r, geeks, nil
}

// HasMore reports whether the site said more pages exist.
func (r *Recommend) HasMore() bool { return r.hasMore }

func (r *Recommend) readPage(ctx context.Context) ([]Geek, error) {
	var page GeekPage
	if err := r.s.nextXHR(ctx, r.s.sel.XHRGeekList, &page); err != nil {
		if cerr := r.s.checkErr(ctx); cerr != nil {
			return nil, cerr
		}
		return nil, fmt.Errorf("recommend list: %w", err)
	}
	r.hasMore = page.HasMore
	return page.GeekList, nil
}

// More scrolls the frame to the bottom like a reader and returns the next
// page of candidates (nil when the site has no more).
func (r *Recommend) More(ctx context.Context) ([]Geek, error) {
	if !r.hasMore {
		return nil, nil
	}
	if _, err := r.frame.Context(ctx).Timeout(r.s.step).Eval(`() => window.scrollTo(0, document.body.scrollHeight)`); err != nil {
		return nil, fmt.Errorf("scroll recommend list: %w", err)
	}
	return r.readPage(ctx)
}

// card finds the card of a candidate by encryptGeekId.
func (r *Recommend) card(ctx context.Context, encryptGeekID string) (*rod.Element, error) {
	sel := fmt.Sprintf(`%s[data-geek=%q]`, r.s.sel.CardInner, encryptGeekID)
	has, el, err := r.frame.Context(ctx).Has(sel)
	if err != nil {
		return nil, err
	}
	if !has {
		return nil, fmt.Errorf("card %s: %w", encryptGeekID, ErrNotFound)
	}
	return el, nil
}

// Greeted reports whether the candidate's card shows 继续沟通 (greeted
// already, by the bot or anyone else).
func (r *Recommend) Greeted(ctx context.Context, encryptGeekID string) (bool, error) {
	card, err := r.card(ctx, encryptGeekID)
	if err != nil {
		return false, err
	}
	has, _, err := card.Has(r.s.sel.ChatButton)
	return has, err
}

// Greet clicks the candidate's 打招呼 button and returns once the site
// confirmed it: the card flipped to 继续沟通. The confirmation popup is
// dismissed. It returns ErrQuota when the daily quota dialog appears instead,
// ErrRisk on a verification page, and an error wrapping
// context.DeadlineExceeded when the outcome is unknown (the caller then
// reconciles instead of retrying).
func (r *Recommend) Greet(ctx context.Context, encryptGeekID string) error {
	card, err := r.card(ctx, encryptGeekID)
	if err != nil {
		return err
	}
	if has, _, _ := card.Has(r.s.sel.ChatButton); has {
		return nil
	}
	btn, err := card.Context(ctx).Timeout(r.s.step).Element(r.s.sel.GreetButton)
	if err != nil {
		return fmt.Errorf("greet button: %w", err)
	}
	if err := btn.Click(proto.InputMouseButtonLeft, 1); err != nil {
		return fmt.Errorf("click greet: %w", err)
	}
	confirmed := false
	err = waitUntil(ctx, r.s.step, func(wctx context.Context) (bool, error) {
		if has, _, _ := card.Has(r.s.sel.ChatButton); has {
			confirmed = true
			return true, nil
		}
		risk, err := Inspect(r.s.page.Context(wctx), r.s.sel)
		if err == nil && risk.Kind != RiskNone {
			if risk.Kind == RiskQuota {
				r.dismissQuota(ctx)
			}
			return true, risk.Err()
		}
		return false, nil
	})
	if confirmed {
		r.dismissGreetPopup(ctx)
	}
	if errors.Is(err, errWaitTimedOut) {
		return fmt.Errorf("greet %s: no confirmation: %w", encryptGeekID, err)
	}
	return err
}

func (r *Recommend) dismissGreetPopup(ctx context.Context) {
	p := r.frame.Context(ctx).Timeout(2 * time.Second)
	if el, err := p.Element(r.s.sel.GreetConfirm); err == nil {
		if vis, _ := el.Visible(); vis {
			_ = el.Click(proto.InputMouseButtonLeft, 1)
		}
	}
}

func (r *Recommend) dismissQuota(ctx context.Context) {
	has, el, err := r.frame.Context(ctx).Has(r.s.sel.QuotaClose)
	if err == nil && has {
		_ = el.Context(ctx).Timeout(2*time.Second).Click(proto.InputMouseButtonLeft, 1)
	}
}

// IsUnknownOutcome reports whether err leaves it unknown whether a click
// took effect (a timeout rather than a refusal).
func IsUnknownOutcome(err error) bool {
	return errors.Is(err, context.DeadlineExceeded)
}
