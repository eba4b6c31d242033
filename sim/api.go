package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The logged-in /wapi/ XHR handlers. s.api wraps each: it holds s.mu, has
// applied due events and checked session and risk.

func (s *Sim) apiUserInfo(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	envelope(w, 0, "", UserInfo{UserID: a.cfg.UID, Name: a.cfg.Name, ShowName: a.cfg.Name,
		Avatar: "/static/avatar/1.png", Identity: 1, Company: a.cfg.Company, Title: "招聘经理"})
}

// apiNoticeConfirm dismisses the 治理公告 popup (or with type=intent the
// 意向沟通 tip) for this login.
func (s *Sim) apiNoticeConfirm(w http.ResponseWriter, r *http.Request, ss *session, now time.Time) {
	if r.URL.Query().Get("type") == "intent" {
		ss.tip = false
	} else {
		ss.notice = false
	}
	envelope(w, 0, "", nil)
}

// PageSize is the number of candidates per recommend page.
const PageSize = 15

func (s *Sim) apiGeekList(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	q := r.URL.Query()
	jobID, err := strconv.ParseInt(q.Get("jobId"), 10, 64)
	if err != nil || a.jobCands[jobID] == nil {
		envelope(w, 17, "参数错误: jobId", nil)
		return
	}
	page := 1
	if p := q.Get("page"); p != "" {
		if page, err = strconv.Atoi(p); err != nil || page < 1 {
			envelope(w, 17, "参数错误: page", nil)
			return
		}
	}
	all := a.jobCands[jobID]
	out := GeekList{GeekList: []GeekItem{}, Page: page, JobID: jobID}
	start := (page - 1) * PageSize
	for i := start; i < len(all) && i < start+PageSize; i++ {
		c := all[i]
		if a.dropped[c.id] {
			// Pages stay cut from the full list so that dropping a card
			// never shifts another one onto an already-fetched page.
			continue
		}
		item := c.item
		if conv := a.convs[c.id]; conv != nil && conv.recruiter > 0 {
			item.HaveChatted, item.IsFriend = 1, 1
		}
		out.GeekList = append(out.GeekList, item)
	}
	out.HasMore = start+PageSize < len(all)
	envelope(w, 0, "", out)
}

// apiUnsuitable marks a recommended candidate 不合适 with a feedback reason;
// it leaves the recommend list.
func (s *Sim) apiUnsuitable(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	f, err := readForm(r)
	if err != nil {
		envelope(w, 17, "参数错误", nil)
		return
	}
	c := s.candidateParam(a, f)
	if c == nil {
		envelope(w, 17, "参数错误: gid", nil)
		return
	}
	code, _ := strconv.Atoi(f["reasonCode"])
	reason := ""
	for _, fb := range feedbacks {
		if fb.Code == code {
			reason = fb.Text
		}
	}
	if reason == "" {
		envelope(w, 19, "参数错误: reasonCode", nil)
		return
	}
	if !a.dropped[c.id] {
		a.dropped[c.id] = true
		a.truth.NotInterested = append(a.truth.NotInterested, NotInterested{CandidateID: c.id, JobID: c.job.ID, ReasonCode: code, Reason: reason, Time: now})
	}
	envelope(w, 0, "", nil)
}

// candidateParam finds the candidate named by gid, encryptGeekId or geekId.
func (s *Sim) candidateParam(a *account, f map[string]string) *candidate {
	if e := f["encryptGeekId"]; e != "" {
		if c := s.byEnc[e]; c != nil && c.account == a {
			return c
		}
		return nil
	}
	for _, k := range []string{"gid", "geekId"} {
		if id, err := strconv.ParseInt(f[k], 10, 64); err == nil {
			if c := s.cands[id]; c != nil && c.account == a {
				return c
			}
		}
	}
	return nil
}

func (s *Sim) apiGreet(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	f, err := readForm(r)
	if err != nil {
		envelope(w, 17, "参数错误", nil)
		return
	}
	c := s.candidateParam(a, f)
	if c == nil {
		envelope(w, 17, "参数错误: gid", nil)
		return
	}
	res, code, msg := s.greet(a, c, now)
	switch code {
	case 0:
		envelope(w, 0, "", res)
	case quotaCode:
		envelope(w, code, msg, map[string]any{"blockType": "business", "limit": a.cfg.DailyQuota})
	default:
		envelope(w, code, msg, nil)
	}
}

func timeDesc(t, now time.Time) string {
	t, now = t.In(timeLoc), now.In(timeLoc)
	if t.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return t.Format("15:04")
	}
	return t.Format("01月02日")
}

func (s *Sim) apiFriends(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	out := FriendList{FriendList: []Friend{}}
	for _, conv := range sortedConvs(a) {
		c := conv.cand
		f := Friend{UID: c.id, EncryptUID: c.encrypt, SecurityID: c.securityID, Name: c.name,
			JobID: c.job.ID, JobName: c.job.Name, Unread: unread(conv),
			IsNew:         conv.byCand && conv.recruiter == 0,
			BothTalked:    conv.recruiter > 0 && conv.replies > 0,
			PhoneExchange: conv.exchange["phone"].State == ExAccepted,
			WeChatExch:    conv.exchange["wechat"].State == ExAccepted,
			HasResume:     conv.exchange["resume"].State == ExAccepted,
		}
		if n := len(conv.msgs); n > 0 {
			m := conv.msgs[n-1]
			f.LastMsg, f.LastTime = m.Body.Text, m.Time
			f.LastTimeDesc = timeDesc(time.UnixMilli(m.Time), now)
		}
		out.UnreadAll += f.Unread
		out.FriendList = append(out.FriendList, f)
	}
	envelope(w, 0, "", out)
}

// convParam finds the open conversation named by gid.
func (s *Sim) convParam(a *account, f map[string]string) *conversation {
	c := s.candidateParam(a, f)
	if c == nil {
		return nil
	}
	return a.convs[c.id]
}

func queryMap(r *http.Request) map[string]string {
	out := map[string]string{}
	for k := range r.URL.Query() {
		out[k] = r.URL.Query().Get(k)
	}
	return out
}

func (s *Sim) apiHistory(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	f := queryMap(r)
	conv := s.convParam(a, f)
	if conv == nil {
		envelope(w, 1, "好友关系校验失败", nil)
		return
	}
	count := 20
	if c, err := strconv.Atoi(f["c"]); err == nil && c > 0 && c <= 50 {
		count = c
	}
	var maxMID int64 = 1<<62 - 1
	if m, err := strconv.ParseInt(f["maxMsgId"], 10, 64); err == nil && m > 0 {
		maxMID = m
	}
	end := len(conv.msgs)
	for end > 0 && conv.msgs[end-1].MID >= maxMID {
		end--
	}
	start := max(0, end-count)
	out := History{Messages: make([]Message, 0, end-start), HasMore: start > 0}
	for _, m := range conv.msgs[start:end] {
		cp := *m
		if m.Body.Dialog != nil {
			d := *m.Body.Dialog
			cp.Body.Dialog = &d
		}
		out.Messages = append(out.Messages, cp)
	}
	if len(out.Messages) > 0 {
		out.MinMsgID = out.Messages[0].MID
	}
	envelope(w, 0, "", out)
}

func (s *Sim) apiGeekInfo(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	conv := s.convParam(a, queryMap(r))
	if conv == nil {
		envelope(w, 1, "好友关系校验失败", nil)
		return
	}
	out := GeekInfo{UID: conv.cand.id, Name: conv.cand.name, JobName: conv.cand.job.Name, Exchange: map[string]ExchangeState{}}
	for k, v := range conv.exchange {
		st := *v
		if st.State != ExAccepted {
			st.Value = ""
		}
		out.Exchange[k] = st
	}
	envelope(w, 0, "", out)
}

func (s *Sim) apiSend(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	f, conv, ok := s.convForm(w, r, a)
	if !ok {
		return
	}
	text := strings.TrimSpace(f["text"])
	if text == "" || len([]rune(text)) > 1000 {
		envelope(w, 19, "参数错误: text", nil)
		return
	}
	m, code, msg := s.send(a, conv, text, now)
	if code != 0 {
		envelope(w, code, msg, nil)
		return
	}
	envelope(w, 0, "", SendResult{MID: m.MID, Time: m.Time})
}

func (s *Sim) apiRead(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	_, conv, ok := s.convForm(w, r, a)
	if !ok {
		return
	}
	s.markRead(conv, false)
	envelope(w, 0, "", nil)
}

func (s *Sim) apiExchange(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	f, conv, ok := s.convForm(w, r, a)
	if !ok {
		return
	}
	kind := f["type"]
	if _, ok := conv.exchange[kind]; !ok {
		envelope(w, 19, "参数错误: type", nil)
		return
	}
	code, msg := s.requestExchange(a, conv, kind, now)
	envelope(w, code, msg, nil)
}

func (s *Sim) apiCard(w http.ResponseWriter, r *http.Request, a *account, now time.Time) {
	f, conv, ok := s.convForm(w, r, a)
	if !ok {
		return
	}
	mid, _ := strconv.ParseInt(f["mid"], 10, 64)
	if err := s.answerCard(conv, mid, f["agree"] == "1" || f["agree"] == "true", now); err != nil {
		envelope(w, 19, "参数错误: mid", nil)
		return
	}
	envelope(w, 0, "", nil)
}

func (s *Sim) handleResume(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := s.now()
	ss := s.sessionOf(r, now)
	var conv *conversation
	if ss != nil {
		conv = s.convParam(ss.acct, queryMap(r))
	}
	if ss == nil || conv == nil || conv.resumeID == "" || conv.resumeID != r.URL.Query().Get("id") {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	c := conv.cand
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="resume-%d.pdf"`, c.id))
	_, _ = w.Write(resumePDF(c))
}

// convForm reads a POST form naming a conversation (gid, securityId) and
// answers the site's errors itself when the form or the conversation is
// bad; ok is false then.
func (s *Sim) convForm(w http.ResponseWriter, r *http.Request, a *account) (map[string]string, *conversation, bool) {
	f, err := readForm(r)
	if err != nil {
		envelope(w, 17, "参数错误", nil)
		return nil, nil, false
	}
	conv := s.convParam(a, f)
	if conv == nil {
		envelope(w, 1, "好友关系校验失败", nil)
		return nil, nil, false
	}
	return f, conv, true
}
