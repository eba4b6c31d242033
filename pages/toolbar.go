package pages

import (
	"context"
	"fmt"
	"strconv"
)

// The chat page draws its toolbar (换微信 / 查看微信, 换电话, 求简历) from a
// request of its own, geekInfo, that it sends when a conversation opens and
// again on every refresh. The history may answer first: until geekInfo
// does, the toolbar shows every request button enabled, also for an
// exchange already requested or done, and clicking one then requests
// again. So the bot reads the page's geekInfo answer itself, as it reads
// the history, before it trusts the toolbar.

// geekInfo is the part of the page's geekInfo answer the bot reads.
type geekInfo struct {
	Exchange map[string]exchangeState `json:"exchange"` // keys wechat, phone, resume
}

// exchangeState is one toolbar exchange as geekInfo reports it.
type exchangeState struct {
	State int `json:"state"` // 0 none, 1 requested, 2 accepted (résumé: received), 3 refused
}

const (
	exchangeRequested = 1
	exchangeAccepted  = 2
)

// openedInfo is what the session knows of the open conversation's
// geekInfo: the conversation the bot opened last and, once the page's
// answer for it was read, its exchange states.
type openedInfo struct {
	uid   int64
	known bool
	ex    map[string]exchangeState
}

func (s *Session) geekInfoFragment(uid int64) string {
	return s.sel.XHRGeekInfo + "?gid=" + strconv.FormatInt(uid, 10) + "&"
}

// expectGeekInfo is called just before the bot clicks uid's row: the
// page's next geekInfo answer for uid is the one its toolbar will show.
func (s *Session) expectGeekInfo(uid int64) {
	s.watch.Drain(s.geekInfoFragment(uid))
	s.opened = openedInfo{uid: uid}
}

// exchangeStates returns uid's exchange states from the page's newest
// geekInfo answer. When the bot opened the conversation itself and no
// answer has come yet, it waits for one (a step at most), provided the
// page has made such requests before: on a site whose page makes none
// (xhr_geek_info names a request it never sends) nothing is waited for.
// When no answer is known, ok is false and the caller goes by the toolbar
// alone.
func (s *Session) exchangeStates(ctx context.Context, uid int64) (states map[string]exchangeState, ok bool, err error) {
	frag := s.geekInfoFragment(uid)
	got := s.watch.Drain(frag)
	if len(got) == 0 && s.opened.uid == uid && !s.opened.known && s.watch.Seen(s.sel.XHRGeekInfo) {
		wctx, cancel := context.WithTimeout(ctx, s.step)
		r, werr := s.watch.Next(wctx, frag)
		cancel()
		switch {
		case werr == nil:
			got = append(got, r)
		case ctx.Err() != nil:
			return nil, false, ctx.Err()
		}
	}
	if len(got) > 0 {
		var info geekInfo
		if err := DecodeEnvelope(got[len(got)-1].Body, &info); err != nil {
			return nil, false, fmt.Errorf("read geekInfo: %w", err)
		}
		s.opened = openedInfo{uid: uid, known: true, ex: info.Exchange}
	}
	if s.opened.uid == uid && s.opened.known {
		return s.opened.ex, true, nil
	}
	return nil, false, nil
}
