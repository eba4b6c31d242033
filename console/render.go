package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// pageNames are the templates/<name>.html files; each is parsed together
// with layout.html.
var pageNames = []string{"login", "fleet", "account", "conversations", "conversation", "contacts",
	"followups", "keyword_rules", "workers", "reports", "plans", "notify", "notify_task", "error"}

// view is what every template gets: the session (CSRF token, language),
// the active page and the page's own data in D.
type view struct {
	S    *session
	Lang string
	Page string
	D    any
}

func (c *Console) parseTemplates() error {
	funcs := template.FuncMap{
		"t":    tr,
		"time": fmtTime,
		"ago":  func(lang string, t *time.Time) string { return c.ago(lang, t) },
		"state": func(lang, s string) string {
			if v := tr(lang, "state."+s); v != "state."+s {
				return v
			}
			return s
		},
		"pe":      url.PathEscape,
		"counter": func(m map[string]int64, k string) int64 { return m[k] },
		"add":     func(a, b int) int { return a + b },
		"mul":     func(a, b int) int { return a * b },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"pct": func(a, b int) string {
			if b == 0 {
				return "—"
			}
			return strconv.FormatFloat(100*float64(a)/float64(b), 'f', 1, 64) + "%"
		},
		"deref": func(p *uint64) uint64 {
			if p == nil {
				return 0
			}
			return *p
		},
		"derefTime": func(p *time.Time) time.Time {
			if p == nil {
				return time.Time{}
			}
			return *p
		},
	}
	c.pages = map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(embedded, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return fmt.Errorf("console: template %s: %w", name, err)
		}
		c.pages[name] = t
	}
	return nil
}

// render writes a whole page. It renders into a buffer first so a template
// error becomes a 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, page string, data any) {
	c.exec(w, s, status, page, "layout", data)
}

// fragment writes one named template of a page (htmx swaps) with data
// as its dot.
func (c *Console) fragment(w http.ResponseWriter, page, name string, data any) {
	c.execRaw(w, http.StatusOK, page, name, data)
}

func (c *Console) exec(w http.ResponseWriter, s *session, status int, page, name string, data any) {
	c.execRaw(w, status, page, name, view{S: s, Lang: s.Lang, Page: page, D: data})
}

func (c *Console) execRaw(w http.ResponseWriter, status int, page, name string, data any) {
	var buf bytes.Buffer
	if err := c.pages[page].ExecuteTemplate(&buf, name, data); err != nil {
		c.log.Error().Err(err).Str("page", page).Msg("console: render")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an error page: 404 for unknown things, 400 naming the field
// for bad input, 500 (logged, not shown) for the rest.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, err error) {
	msg := err.Error()
	switch {
	case errors.Is(err, wire.ErrNotFound):
		status, msg = http.StatusNotFound, tr(s.Lang, "error.notfound")+": "+msg
	case status == 0 && errors.Is(err, wire.ErrInvalid):
		status = http.StatusBadRequest
	case status == 0:
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		c.log.Error().Err(err).Str("path", r.URL.Path).Msg("console: request failed")
		msg = tr(s.Lang, "error.internal")
	}
	c.render(w, r, s, status, "error", map[string]any{"Status": status, "Msg": msg})
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(clock.Shanghai).Format("2006-01-02 15:04:05")
}

func (c *Console) ago(lang string, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	d := c.clock.Now().Sub(*t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return strings.Replace(tr(lang, "ago"), "{d}", d.String(), 1)
}

func itoa(n int) string { return strconv.Itoa(n) }

// formInt reads an optional integer form or query field; a bad value is an
// error naming the field.
func formInt(v, field string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &wire.FieldError{Field: field, Msg: fmt.Sprintf("must be an integer between %d and %d", lo, hi)}
	}
	return n, nil
}
