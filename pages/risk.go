package pages

import (
	"fmt"
	"strings"

	"github.com/go-rod/rod"
)

// RiskKind classifies what a page shows.
type RiskKind string

// Risk kinds. RiskNone means the page looks normal.
const (
	RiskNone    RiskKind = ""
	RiskVerify  RiskKind = "verify"  // a verify / security page by URL
	RiskCaptcha RiskKind = "captcha" // a captcha widget or risk text on the page
	RiskLogin   RiskKind = "login"   // redirected to the login page
	RiskQuota   RiskKind = "quota"   // the daily greeting quota dialog
)

// Risk is the result of inspecting a page.
type Risk struct {
	Kind   RiskKind
	Detail string // the URL mark, selector or text that matched
}

// Err returns the sentinel error for the risk (nil for RiskNone).
func (r Risk) Err() error {
	switch r.Kind {
	case RiskVerify, RiskCaptcha:
		return fmt.Errorf("%w: %s", ErrRisk, r.Detail)
	case RiskLogin:
		return fmt.Errorf("%w: %s", ErrLoggedOut, r.Detail)
	case RiskQuota:
		return fmt.Errorf("%w: %s", ErrQuota, r.Detail)
	}
	return nil
}

// inspectJS looks at the document and its same-origin frames in one round
// trip. It only reads the page; it never clicks or types.
const inspectJS = `(sel) => {
  const docs = [document];
  for (const f of document.querySelectorAll('iframe')) {
    try { if (f.contentDocument) docs.push(f.contentDocument); } catch (e) {}
  }
  const visible = (el) => !!(el && (el.offsetWidth || el.offsetHeight || el.getClientRects().length));
  for (const d of docs) {
    for (const s of sel.quotaEls) { const el = d.querySelector(s); if (visible(el)) return {kind: 'quota', detail: s}; }
    for (const s of sel.riskEls) { const el = d.querySelector(s); if (visible(el)) return {kind: 'captcha', detail: s}; }
  }
  for (const d of docs) {
    const text = d.body ? d.body.innerText : '';
    for (const t of sel.quotaTexts) if (text.includes(t)) return {kind: 'quota', detail: t};
    for (const t of sel.riskTexts) if (text.includes(t)) return {kind: 'captcha', detail: t};
  }
  return {kind: '', detail: ''};
}`

// Inspect classifies what page currently shows: a risk URL, a login
// redirect, a captcha widget or risk text, the quota dialog, or nothing.
func Inspect(page *rod.Page, sel Selectors) (Risk, error) {
	info, err := page.Info()
	if err != nil {
		return Risk{}, fmt.Errorf("inspect page: %w", err)
	}
	if r := classifyURL(info.URL, sel); r.Kind != RiskNone {
		return r, nil
	}
	arg := map[string]any{
		"riskEls": sel.RiskElements, "riskTexts": sel.RiskTexts,
		"quotaEls": []string{sel.QuotaDialog}, "quotaTexts": sel.QuotaTexts,
	}
	res, err := page.Eval(inspectJS, arg)
	if err != nil {
		return Risk{}, fmt.Errorf("inspect page: %w", err)
	}
	return Risk{Kind: RiskKind(res.Value.Get("kind").String()), Detail: res.Value.Get("detail").String()}, nil
}

// classifyURL decides by URL alone: risk pages first (their paths also
// contain /web/user), then login markers.
func classifyURL(url string, sel Selectors) Risk {
	for _, m := range sel.RiskURLMarks {
		if m != "" && strings.Contains(url, m) {
			return Risk{Kind: RiskVerify, Detail: m}
		}
	}
	for _, m := range sel.LoginURLMarks {
		if m != "" && strings.Contains(url, m) {
			return Risk{Kind: RiskLogin, Detail: m}
		}
	}
	return Risk{}
}
