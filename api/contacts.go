package api

import (
	"net/http"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

type contactStore interface {
	QueryContacts(f wire.ContactFilter, page, pageSize int) ([]wire.Contact, int, error)
	EachContact(f wire.ContactFilter, fn func(*wire.Contact) error) error
	CountContacts(f wire.ContactFilter) int
}

// localLayout is seed 001's timestamp format (Asia/Shanghai, no zone).
const localLayout = "2006-01-02T15:04:05"

// contactOut is one contact as seed 001 prints it; fields after notes'
// seed set (candidate_id, phone, wechat, updated_at, interview) are
// additions.
type contactOut struct {
	ID              uint64  `json:"id"`
	Name            string  `json:"name"`
	Position        string  `json:"position"`
	Contact         string  `json:"contact"`
	ReplyStatus     string  `json:"reply_status"`
	WechatExchanged bool    `json:"wechat_exchanged"`
	AccountID       uint64  `json:"account_id"`
	WorkerID        string  `json:"worker_id"`
	Notes           string  `json:"notes"`
	ContactedAt     *string `json:"contacted_at"`
	CreatedAt       string  `json:"created_at"`
	CandidateID     string  `json:"candidate_id"`
	Phone           string  `json:"phone"`
	Wechat          string  `json:"wechat"`
	UpdatedAt       string  `json:"updated_at"`
	Interview       bool    `json:"interview"`
}

func localTime(t time.Time) string { return t.In(clock.Shanghai).Format(localLayout) }

func toContactOut(c *wire.Contact) contactOut {
	o := contactOut{ID: c.ID, Name: c.Name, Position: c.Position, Contact: c.Contact, ReplyStatus: c.ReplyStatus,
		WechatExchanged: c.WechatExchanged, AccountID: c.AccountID, WorkerID: c.WorkerID, Notes: c.Notes,
		CreatedAt: localTime(c.CreatedAt), CandidateID: c.CandidateID, Phone: c.Phone, Wechat: c.Wechat,
		UpdatedAt: localTime(c.UpdatedAt), Interview: c.Interview}
	if c.ContactedAt != nil {
		s := localTime(*c.ContactedAt)
		o.ContactedAt = &s
	}
	return o
}

type contactPage struct {
	Total    int          `json:"total"`
	Page     int          `json:"page"`
	PageSize int          `json:"page_size"`
	Results  []contactOut `json:"results"`
}

// contactFilter parses seed 001's filter parameters.
func contactFilter(r *http.Request) (wire.ContactFilter, error) {
	var f wire.ContactFilter
	q := r.URL.Query()
	f.Search = q.Get("search")
	if len(f.Search) > 128 {
		return f, errBadRequest("search", "longer than 128 bytes")
	}
	switch rs := q.Get("reply_status"); rs {
	case "":
	case wire.ReplyYes, wire.ReplyNo:
		v := rs == wire.ReplyYes
		f.Replied = &v
	default:
		return f, errBadRequest("reply_status", "must be %s or %s, got %q", wire.ReplyYes, wire.ReplyNo, rs)
	}
	var err error
	if f.WechatExchanged, err = qBool(r, "wechat_exchanged"); err != nil {
		return f, err
	}
	if f.From, err = qDate(r, "start_date", clock.Shanghai, false); err != nil {
		return f, err
	}
	if f.To, err = qDate(r, "end_date", clock.Shanghai, true); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, errBadRequest("end_date", "is before start_date")
	}
	return f, nil
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	f, err := contactFilter(r)
	if err != nil {
		return err
	}
	page, size, err := qPage(r, 10, 10_000_000)
	if err != nil {
		return err
	}
	cs, total, err := s.store.QueryContacts(f, page, size)
	if err != nil {
		return err
	}
	out := contactPage{Total: total, Page: page, PageSize: size, Results: make([]contactOut, len(cs))}
	for i := range cs {
		out.Results[i] = toContactOut(&cs[i])
	}
	writeCoded(w, out)
	return nil
}
