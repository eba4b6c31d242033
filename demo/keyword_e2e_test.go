package demo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/hunterbot/hunterbot/api"
)

// keywordProbe is the operator side of a seed-004 keyword rule in an
// end-to-end run: it creates a rule through the control plane's API,
// points the hit callback at a local receiver and later checks what the
// receiver got. The worker pulls the rule, evaluates the candidate's
// message in the browser-read conversation, pushes the hit through its
// outbox, and the control plane's delivery loop calls back.
type keywordProbe struct {
	t      *testing.T
	d      *Demo
	token  string
	ruleID string
	secret string
	srv    *httptest.Server

	mu    sync.Mutex
	calls []api.HitCallbackBody
	bad   []string // bodies that were not signed with the secret
}

// probeWord appears in no simulated candidate's text, so every hit of the
// rule comes from the injected message.
const probeWord = "内推"

func newKeywordProbe(t *testing.T, d *Demo) *keywordProbe {
	t.Helper()
	p := &keywordProbe{t: t, d: d, token: operatorToken(t, d), secret: "kw-" + secret()}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(p.secret))
		mac.Write(body)
		var cb api.HitCallbackBody
		err := json.Unmarshal(body, &cb)
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil || r.Header.Get("X-Hunterbot-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			p.bad = append(p.bad, string(body))
			return
		}
		p.calls = append(p.calls, cb)
	}))
	t.Cleanup(p.srv.Close)
	var created struct {
		Errcode int    `json:"errcode"`
		RuleID  string `json:"rule_id"`
	}
	p.do("POST", "/api/keyword-rules", `{"name":"候选人问内推","keyword":{"word_list":["`+probeWord+`"]},
		"applicable_range":{"msg_scope":2}}`, &created)
	if created.RuleID == "" {
		t.Fatalf("create rule: %+v", created)
	}
	p.ruleID = created.RuleID
	p.do("PUT", "/api/keyword-hits/callback", `{"url":"`+p.srv.URL+`","secret":"`+p.secret+`"}`, nil)
	return p
}

func (p *keywordProbe) do(method, path, body string, out any) {
	p.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, p.d.ControlURL+path, bytes.NewBufferString(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var env struct {
		Errcode int    `json:"errcode"`
		Errmsg  string `json:"errmsg"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &env) != nil || env.Errcode != 0 {
		p.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			p.t.Fatal(err)
		}
	}
}

// check verifies that the message text written by candidate produced
// exactly one hit of the rule, stored by the control plane as delivered,
// and exactly one signed callback.
func (p *keywordProbe) check(candidate int64, text string) {
	p.t.Helper()
	cid := strconv.FormatInt(candidate, 10)
	p.mu.Lock()
	calls, bad := append([]api.HitCallbackBody(nil), p.calls...), p.bad
	p.mu.Unlock()
	if len(bad) != 0 {
		p.t.Errorf("callbacks without a valid signature: %q", bad)
	}
	if len(calls) != 1 {
		p.t.Fatalf("keyword rule %s: %d callbacks, want exactly 1: %+v", p.ruleID, len(calls), calls)
	}
	h := calls[0]
	if h.Event != "keyword_hit" || h.Hit.RuleID != p.ruleID || h.Hit.CandidateID != cid || h.Hit.Text != text ||
		h.Hit.Direction != "received" || h.Hit.AccountID != "demo" || len(h.Hit.Keywords) != 1 || h.Hit.Keywords[0] != probeWord {
		p.t.Errorf("callback %+v, want the hit of %s on %q by %s", h, p.ruleID, text, cid)
	}
	var list api.HitListResponse
	p.token = operatorToken(p.t, p.d) // hours of sim time passed: the first token expired
	p.do("GET", "/api/keyword-hits?rule_id="+p.ruleID, "", &list)
	if len(list.HitList) != 1 || list.HitList[0].Callback != "delivered" || list.HitList[0].Attempts != 1 {
		p.t.Errorf("stored hits of %s: %+v, want one delivered at the first attempt", p.ruleID, list.HitList)
	}
}
