package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/rules"
)

// keywordRuleStore is what the keyword-rule routes need (seed 004).
type keywordRuleStore interface {
	CreateKeywordRule(r rules.Rule) (rules.Rule, error)
	GetKeywordRule(id string) (rules.Rule, error)
	ListKeywordRules(cursor string, limit int) ([]rules.Rule, string, bool, error)
	UpdateKeywordRule(id string, apply func(cur rules.Rule) (rules.Rule, error)) (rules.Rule, error)
	DeleteKeywordRule(id string) error
	KeywordRuleSnapshot() (uint64, []rules.Rule, error)
	AddKeywordHits(worker string, in []wire.KeywordHitInput) ([]wire.KeywordHit, error)
	ListKeywordHits(f wire.KeywordHitFilter, cursor uint64, limit int) ([]wire.KeywordHit, uint64, bool, error)
	SetKeywordCallback(cb wire.KeywordCallback) error
	GetKeywordCallback() (wire.KeywordCallback, error)
	DueKeywordHits(now time.Time, limit int) ([]wire.KeywordHit, error)
	RecordKeywordHitAttempt(id uint64, delivered bool, errMsg string, next time.Time) (wire.KeywordHit, error)
}

// Error codes of the seed-004 envelope {"errcode", "errmsg"}. 0 and -1 are
// WeCom's; the others are hunterbot's (documented in docs/rules.md).
const (
	ErrcodeOK           = 0
	ErrcodeBusy         = -1    // internal error
	ErrcodeInvalidToken = 40014 // missing, invalid or expired Bearer token
	ErrcodeInvalidParam = 40058 // bad request; errmsg names the field
	ErrcodeNotFound     = 40059 // no such rule_id
)

// Errcode is the seed-004 envelope head.
type Errcode struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

var okCode = Errcode{Errcode: ErrcodeOK, Errmsg: "ok"}

func errcodeOf(e *apiError) int {
	switch {
	case e.Status == http.StatusUnauthorized:
		return ErrcodeInvalidToken
	case e.Status == http.StatusNotFound:
		return ErrcodeNotFound
	case e.Status >= 500:
		return ErrcodeBusy
	}
	return ErrcodeInvalidParam
}

// famKeyword: /api/keyword-* routes. Errors are {"errcode", "errmsg"} with
// the matching HTTP status.
var famKeyword = family{name: "keyword", writeErr: func(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, Errcode{Errcode: errcodeOf(e), Errmsg: e.Error()})
}}

// famCgi: the seed's interface names under /cgi-bin/chatdata/keyword/. Like
// WeCom, every answer is HTTP 200 and errcode tells success from failure.
var famCgi = family{name: "cgi", writeErr: func(w http.ResponseWriter, e *apiError) {
	writeJSON(w, http.StatusOK, Errcode{Errcode: errcodeOf(e), Errmsg: e.Error()})
}}

func (s *Server) keywordRuleRoutes() []route {
	const cgi = "POST /cgi-bin/chatdata/keyword/"
	return []route{
		{"POST /api/keyword-rules", famKeyword, authUser, s.createRuleREST},
		{"GET /api/keyword-rules", famKeyword, authUser, s.listRulesREST},
		{"GET /api/keyword-rules/{rule_id}", famKeyword, authUser, s.getRuleREST},
		{"PUT /api/keyword-rules/{rule_id}", famKeyword, authUser, s.updateRuleREST},
		{"DELETE /api/keyword-rules/{rule_id}", famKeyword, authUser, s.deleteRuleREST},
		{cgi + "create_rule", famCgi, authUser, s.createRuleREST},
		{cgi + "get_rule_list", famCgi, authUser, s.listRulesCgi},
		{cgi + "get_rule_detail", famCgi, authUser, s.getRuleCgi},
		{cgi + "update_rule", famCgi, authUser, s.updateRuleCgi},
		{cgi + "delete_rule", famCgi, authUser, s.deleteRuleCgi},
		{"GET /api/keyword-hits", famKeyword, authUser, s.listHits},
		{"GET /api/keyword-hits/callback", famKeyword, authUser, s.getCallback},
		{"PUT /api/keyword-hits/callback", famKeyword, authUser, s.putCallback},
		{"GET /api/worker/keyword-rules", famPlain, authWorker, s.workerKeywordRules},
		{"POST /api/worker/keyword-hits", famPlain, authWorker, s.workerKeywordHits},
	}
}

// ruleErrOf maps the store's "no such rule" to a 404 naming the id.
func ruleErrOf(err error) error {
	if errors.Is(err, wire.ErrNotFound) {
		return errNotFound(err.Error())
	}
	return err
}

// CreateRuleResponse is create_rule's answer.
type CreateRuleResponse struct {
	Errcode
	RuleID string `json:"rule_id"`
}

func (s *Server) createRuleREST(w http.ResponseWriter, r *http.Request) error {
	var in rules.Rule
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	out, err := s.store.CreateKeywordRule(in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, CreateRuleResponse{Errcode: okCode, RuleID: out.RuleID})
	return nil
}

// RuleListItem is one entry of get_rule_list.
type RuleListItem struct {
	RuleID     string `json:"rule_id"`
	Name       string `json:"name"`
	CreateTime int64  `json:"create_time"`
}

// RuleListResponse is get_rule_list's answer.
type RuleListResponse struct {
	Errcode
	RuleList   []RuleListItem `json:"rule_list"`
	HasMore    bool           `json:"has_more"`
	NextCursor string         `json:"next_cursor"`
}

// maxRuleListLimit bounds get_rule_list's limit (default 100, per the seed).
const maxRuleListLimit = 1000

func (s *Server) listRules(w http.ResponseWriter, cursor string, limit int) error {
	if limit < 0 || limit > maxRuleListLimit {
		return errBadRequest("limit", "must be between 1 and %d, got %d", maxRuleListLimit, limit)
	}
	if limit == 0 {
		limit = 100
	}
	list, next, more, err := s.store.ListKeywordRules(cursor, limit)
	if err != nil {
		return err
	}
	out := RuleListResponse{Errcode: okCode, RuleList: make([]RuleListItem, 0, len(list)), HasMore: more, NextCursor: next}
	for _, r := range list {
		out.RuleList = append(out.RuleList, RuleListItem{RuleID: r.RuleID, Name: r.Name, CreateTime: r.CreateTime})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listRulesREST(w http.ResponseWriter, r *http.Request) error {
	limit, err := qInt(r, "limit", 100, 1, maxRuleListLimit)
	if err != nil {
		return err
	}
	return s.listRules(w, r.URL.Query().Get("cursor"), limit)
}

func (s *Server) listRulesCgi(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Cursor string `json:"cursor"`
		Limit  int    `json:"limit"`
	}
	if err := decodeOptionalJSON(r, &in); err != nil {
		return err
	}
	if in.Limit == 0 {
		in.Limit = 100
	}
	if in.Limit < 1 {
		return errBadRequest("limit", "must be between 1 and %d, got %d", maxRuleListLimit, in.Limit)
	}
	return s.listRules(w, in.Cursor, in.Limit)
}

// decodeOptionalJSON is decodeJSON that accepts an empty body.
func decodeOptionalJSON(r *http.Request, dst any) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	return decodeJSON(r, dst)
}

// RuleDetailResponse is get_rule_detail's answer.
type RuleDetailResponse struct {
	Errcode
	Name            string                 `json:"name"`
	Keyword         *rules.Keyword         `json:"keyword,omitempty"`
	Semantics       *rules.Semantics       `json:"semantics,omitempty"`
	ApplicableRange *rules.ApplicableRange `json:"applicable_range,omitempty"`
}

func (s *Server) ruleDetail(w http.ResponseWriter, id string) error {
	if id == "" {
		return errBadRequest("rule_id", "required")
	}
	rl, err := s.store.GetKeywordRule(id)
	if err != nil {
		return ruleErrOf(err)
	}
	writeJSON(w, http.StatusOK, RuleDetailResponse{Errcode: okCode, Name: rl.Name, Keyword: rl.Keyword,
		Semantics: rl.Semantics, ApplicableRange: rl.ApplicableRange})
	return nil
}

func (s *Server) getRuleREST(w http.ResponseWriter, r *http.Request) error {
	return s.ruleDetail(w, r.PathValue("rule_id"))
}

type ruleIDReq struct {
	RuleID string `json:"rule_id"`
}

func (s *Server) getRuleCgi(w http.ResponseWriter, r *http.Request) error {
	var in ruleIDReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	return s.ruleDetail(w, in.RuleID)
}

// updateRule applies a JSON merge of patch onto the stored rule: an absent
// field keeps its value, a present one replaces it, an explicitly empty list
// clears the setting, null removes the object (seed 004 update_rule).
func (s *Server) updateRule(w http.ResponseWriter, id string, patch []byte) error {
	if id == "" {
		return errBadRequest("rule_id", "required")
	}
	// Strict pass first: unknown fields and wrong types are named.
	var typed rules.Rule
	dec := json.NewDecoder(bytes.NewReader(patch))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&typed); err != nil {
		return jsonError(err)
	}
	if typed.RuleID != "" && typed.RuleID != id {
		return errBadRequest("rule_id", "does not match the rule in the path")
	}
	var pm map[string]any
	if err := json.Unmarshal(patch, &pm); err != nil {
		return jsonError(err)
	}
	delete(pm, "rule_id")
	delete(pm, "create_time")
	_, err := s.store.UpdateKeywordRule(id, func(cur rules.Rule) (rules.Rule, error) {
		return mergeRule(cur, pm)
	})
	if err != nil {
		return ruleErrOf(err)
	}
	writeJSON(w, http.StatusOK, okCode)
	return nil
}

func mergeRule(cur rules.Rule, patch map[string]any) (rules.Rule, error) {
	data, err := json.Marshal(cur)
	if err != nil {
		return cur, err
	}
	var base map[string]any
	if err := json.Unmarshal(data, &base); err != nil {
		return cur, err
	}
	mergeJSON(base, patch)
	if data, err = json.Marshal(base); err != nil {
		return cur, err
	}
	var out rules.Rule
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return cur, jsonError(err)
	}
	return out, nil
}

// mergeJSON merges patch into base (RFC 7396 semantics).
func mergeJSON(base, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(base, k)
			continue
		}
		pm, pOK := v.(map[string]any)
		bm, bOK := base[k].(map[string]any)
		if pOK && bOK {
			mergeJSON(bm, pm)
			continue
		}
		base[k] = v
	}
}

func (s *Server) updateRuleREST(w http.ResponseWriter, r *http.Request) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	return s.updateRule(w, r.PathValue("rule_id"), data)
}

func (s *Server) updateRuleCgi(w http.ResponseWriter, r *http.Request) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	var in ruleIDReq
	if err := json.Unmarshal(data, &in); err != nil {
		return jsonError(err)
	}
	return s.updateRule(w, in.RuleID, data)
}

// readBody reads a JSON object body (size-limited by wrap).
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return nil, errBadRequest("body", "must be a JSON object")
	}
	if err := checkJSONText(data); err != nil {
		return nil, err
	}
	return data, nil
}

func (s *Server) deleteRule(w http.ResponseWriter, id string) error {
	if id == "" {
		return errBadRequest("rule_id", "required")
	}
	if err := s.store.DeleteKeywordRule(id); err != nil {
		return ruleErrOf(err)
	}
	writeJSON(w, http.StatusOK, okCode)
	return nil
}

func (s *Server) deleteRuleREST(w http.ResponseWriter, r *http.Request) error {
	return s.deleteRule(w, r.PathValue("rule_id"))
}

func (s *Server) deleteRuleCgi(w http.ResponseWriter, r *http.Request) error {
	var in ruleIDReq
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	return s.deleteRule(w, in.RuleID)
}

func keywordETag(v uint64) string { return fmt.Sprintf(`"kr-%d"`, v) }

func (s *Server) workerKeywordRules(w http.ResponseWriter, r *http.Request) error {
	v, list, err := s.store.KeywordRuleSnapshot()
	if err != nil {
		return err
	}
	if done, err := notModified(w, r, v, keywordETag(v)); done || err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.KeywordRuleSnapshot{Version: v, Rules: list})
	return nil
}

// maxHitsPerPush bounds one worker batch.
const maxHitsPerPush = 500

func (s *Server) workerKeywordHits(w http.ResponseWriter, r *http.Request) error {
	var in wire.KeywordHitsRequest
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Hits) == 0 || len(in.Hits) > maxHitsPerPush {
		return errBadRequest("hits", "must hold 1-%d hits", maxHitsPerPush)
	}
	out, err := s.store.AddKeywordHits(workerFrom(r), in.Hits)
	if err != nil {
		return err
	}
	s.hitWake.poke()
	writeJSON(w, http.StatusOK, wire.KeywordHitsResponse{Hits: out})
	return nil
}

// HitListResponse is GET /api/keyword-hits.
type HitListResponse struct {
	Errcode
	HitList    []wire.KeywordHit `json:"hit_list"`
	HasMore    bool              `json:"has_more"`
	NextCursor string            `json:"next_cursor"`
}

func qTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errBadRequest(name, "must be a unix time or RFC 3339, got %q", v)
	}
	return t, nil
}

func (s *Server) listHits(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := wire.KeywordHitFilter{RuleID: q.Get("rule_id"), AccountID: q.Get("account_id"),
		CandidateID: q.Get("candidate_id"), Callback: wire.Delivery(q.Get("callback"))}
	switch f.Callback {
	case "", wire.CallbackNone, wire.CallbackPending, wire.CallbackDelivered, wire.CallbackFailed:
	default:
		return errBadRequest("callback", "must be none, pending, delivered or failed")
	}
	var err error
	if f.Since, err = qTime(r, "since"); err != nil {
		return err
	}
	if f.Until, err = qTime(r, "until"); err != nil {
		return err
	}
	limit, err := qInt(r, "limit", 100, 1, wire.MaxHitsPerPage)
	if err != nil {
		return err
	}
	var cursor uint64
	if c := q.Get("cursor"); c != "" {
		if cursor, err = strconv.ParseUint(c, 10, 64); err != nil || cursor == 0 {
			return errBadRequest("cursor", "must be a next_cursor value, got %q", c)
		}
	}
	list, next, more, err := s.store.ListKeywordHits(f, cursor, limit)
	if err != nil {
		return err
	}
	out := HitListResponse{Errcode: okCode, HitList: list, HasMore: more}
	if more {
		out.NextCursor = strconv.FormatUint(next, 10)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// CallbackResponse is GET/PUT /api/keyword-hits/callback; the secret is
// never echoed.
type CallbackResponse struct {
	Errcode
	URL       string `json:"url"`
	HasSecret bool   `json:"has_secret"`
}

func (s *Server) getCallback(w http.ResponseWriter, r *http.Request) error {
	cb, err := s.store.GetKeywordCallback()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, CallbackResponse{Errcode: okCode, URL: cb.URL, HasSecret: cb.Secret != ""})
	return nil
}

func (s *Server) putCallback(w http.ResponseWriter, r *http.Request) error {
	var in wire.KeywordCallback
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.URL != "" {
		if err := s.checkOutboundURL("url", in.URL); err != nil {
			return err
		}
	}
	if err := s.store.SetKeywordCallback(in); err != nil {
		return err
	}
	s.hitWake.poke()
	writeJSON(w, http.StatusOK, CallbackResponse{Errcode: okCode, URL: in.URL, HasSecret: in.Secret != ""})
	return nil
}

// Callback delivery: a hit is POSTed as {"event": "keyword_hit", "hit": {...}}
// with X-Hunterbot-Signature: sha256=<hex HMAC of the body> when a secret is
// set. Failures are retried with exponential backoff on the server's clock.
const (
	hitRetryBase   = 5 * time.Second
	hitRetryMax    = 10 * time.Minute
	hitMaxAttempts = 8
	hitBatch       = 50
)

// HitCallbackBody is what the callback URL receives.
type HitCallbackBody struct {
	Event string          `json:"event"`
	Hit   wire.KeywordHit `json:"hit"`
}

// hitBackoff is the wait after the n-th failed attempt.
func hitBackoff(n int) time.Duration {
	return clock.Backoff{Base: hitRetryBase, Max: hitRetryMax}.Delay(n)
}

// DeliverKeywordHits makes one delivery pass: every queued hit that is due
// is POSTed to the callback URL once. It returns how many were delivered.
// RunKeywordHitDelivery calls it when hits arrive and while retries are
// due.
func (s *Server) DeliverKeywordHits(ctx context.Context) (int, error) {
	cb, err := s.store.GetKeywordCallback()
	if err != nil || cb.URL == "" {
		return 0, err
	}
	now := s.clock.Now()
	due, err := s.store.DueKeywordHits(now, hitBatch)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for _, h := range due {
		if ctx.Err() != nil {
			return delivered, ctx.Err()
		}
		perr := s.postHit(ctx, cb, h)
		next := time.Time{}
		msg := ""
		if perr != nil {
			msg = perr.Error()
			if h.Attempts+1 < hitMaxAttempts {
				next = now.Add(hitBackoff(h.Attempts + 1))
			}
			s.log.Warn().Uint64("hit", h.ID).Int("attempt", h.Attempts+1).Str("error", msg).Msg("keyword hit callback failed")
		} else {
			delivered++
		}
		if _, err := s.store.RecordKeywordHitAttempt(h.ID, perr == nil, msg, next); err != nil {
			return delivered, err
		}
	}
	return delivered, nil
}

// hitPostTimeout bounds one callback POST.
const hitPostTimeout = 10 * time.Second

func (s *Server) postHit(ctx context.Context, cb wire.KeywordCallback, h wire.KeywordHit) error {
	body, err := json.Marshal(HitCallbackBody{Event: "keyword_hit", Hit: h})
	if err != nil {
		return err
	}
	return webhook{URL: cb.URL, Secret: cb.Secret, Event: "keyword_hit"}.post(ctx, s.hitHTTP, body)
}

// RunKeywordHitDelivery delivers queued hit callbacks until ctx ends: at
// once when a worker pushes hits or the callback changes, every second
// while a retry is due within a minute, otherwise once a minute.
func (s *Server) RunKeywordHitDelivery(ctx context.Context) error {
	return s.runDelivery(ctx, "keyword hit", s.hitWake, func(ctx context.Context) (bool, error) {
		if cb, err := s.store.GetKeywordCallback(); err != nil || cb.URL == "" {
			return false, err // nothing to deliver to; setting a URL wakes the loop
		}
		if _, err := s.DeliverKeywordHits(ctx); err != nil {
			return false, err
		}
		soon, err := s.store.DueKeywordHits(s.clock.Now().Add(deliveryIdle), 1)
		return len(soon) > 0, err
	})
}
