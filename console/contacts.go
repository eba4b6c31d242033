package console

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/httpserve"
)

const contactsPageSize = 50

type contactsData struct {
	Rows        []wire.Contact
	Total       int
	Page, Pages int
	Q           url.Values
	PrevURL     string
	NextURL     string
	ExportURL   string
	ReplyYes    string
	ReplyNo     string
}

// contactFilter reads the seed-001 filters (the same names as GET
// /api/contacts) from the query; errors name the field.
func contactFilter(q url.Values) (wire.ContactFilter, error) {
	var f wire.ContactFilter
	f.Search = q.Get("search")
	if len(f.Search) > 128 || !utf8.ValidString(f.Search) {
		return f, &wire.FieldError{Field: "search", Msg: "must be valid UTF-8, at most 128 bytes"}
	}
	switch rs := q.Get("reply_status"); rs {
	case "":
	case wire.ReplyYes, wire.ReplyNo:
		v := rs == wire.ReplyYes
		f.Replied = &v
	default:
		return f, &wire.FieldError{Field: "reply_status", Msg: fmt.Sprintf("must be %s or %s", wire.ReplyYes, wire.ReplyNo)}
	}
	switch q.Get("wechat_exchanged") {
	case "":
	case "true":
		v := true
		f.WechatExchanged = &v
	case "false":
		v := false
		f.WechatExchanged = &v
	default:
		return f, &wire.FieldError{Field: "wechat_exchanged", Msg: "must be true or false"}
	}
	for _, d := range []struct {
		field string
		to    *time.Time
		end   bool
	}{{"start_date", &f.From, false}, {"end_date", &f.To, true}} {
		v := q.Get(d.field)
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", v, clock.Shanghai)
		if err != nil {
			return f, &wire.FieldError{Field: d.field, Msg: "must be YYYY-MM-DD"}
		}
		if d.end {
			t = t.Add(24*time.Hour - time.Second)
		}
		*d.to = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, &wire.FieldError{Field: "end_date", Msg: "is before start_date"}
	}
	return f, nil
}

// contactsPage pages through the in-memory contact index (QueryContacts):
// only the page's rows are read from bbolt, so a million contacts cost
// no more than a hundred (see BenchmarkPages).
func (c *Console) contactsPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	f, err := contactFilter(q)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	page, err := formInt(q.Get("page"), "page", 1, 1, 10_000_000)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	rows, total, err := c.store.QueryContacts(f, page, contactsPageSize)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	d := contactsData{Rows: rows, Total: total, Page: page, Pages: pages(total, contactsPageSize), Q: q,
		ReplyYes: wire.ReplyYes, ReplyNo: wire.ReplyNo}
	d.PrevURL, d.NextURL = pageLinks(r.URL, page, d.Pages)
	eq := url.Values{}
	for _, k := range []string{"search", "reply_status", "wechat_exchanged", "start_date", "end_date"} {
		if v := q.Get(k); v != "" {
			eq.Set(k, v)
		}
	}
	d.ExportURL = "/ui/contacts/export?" + eq.Encode()
	c.render(w, r, s, http.StatusOK, "contacts", d)
}

// exportContacts streams the filtered contacts as the seed-001 workbook
// (api.WriteContactsXLSX: same columns, formula injection neutralised).
// It is a download behind the session, not a stored link.
func (c *Console) exportContacts(w http.ResponseWriter, r *http.Request, s *session) {
	f, err := contactFilter(r.URL.Query())
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	httpserve.Extend(w, 30*time.Minute)
	select {
	case c.exportSlot <- struct{}{}:
		defer func() { <-c.exportSlot }()
	case <-r.Context().Done():
		return
	}
	dir, err := os.MkdirTemp(c.opt.TempDir, "hunterbot-console-export-")
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	defer os.RemoveAll(dir)
	name := fmt.Sprintf("contacts_export_%s.xlsx", c.clock.Now().In(clock.Shanghai).Format("20060102_150405"))
	path := dir + "/" + name
	n, err := api.WriteContactsXLSX(path, func(fn func(*wire.Contact) error) error { return c.store.EachContact(f, fn) })
	if err != nil {
		c.fail(w, r, s, 0, fmt.Errorf("export: %w", err))
		return
	}
	fh, err := os.Open(path)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	defer fh.Close()
	c.log.Info().Str("by", s.User).Int("rows", n).Msg("console: contacts exported")
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	http.ServeContent(w, r, name, c.clock.Now(), fh)
}
