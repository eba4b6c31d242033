package console

import (
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/rules"
)

// Follow-up configs and scripts, keyword rules and workers: the settings
// pages. Every write goes through the same store method as the REST API,
// so the validation (and its field names) is the API's.

func (c *Console) followupsPage(w http.ResponseWriter, r *http.Request, s *session) {
	cfgs, err := c.store.ListConfigs(nil, nil)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "followups", cfgs)
}

func formText(r *http.Request, field string) (*string, error) {
	if _, ok := r.PostForm[field]; !ok {
		return nil, nil
	}
	v := strings.TrimSpace(r.PostFormValue(field))
	if !utf8.ValidString(v) {
		return nil, &wire.FieldError{Field: field, Msg: "must be valid UTF-8"}
	}
	return &v, nil
}

func formOptInt(r *http.Request, field string, lo, hi int) (*int, error) {
	v := r.PostFormValue(field)
	if v == "" {
		return nil, nil
	}
	n, err := formInt(v, field, 0, lo, hi)
	return &n, err
}

// checkbox reads an "active" checkbox; a hidden field "<name>_present"
// says the form carried it, so unchecked means false rather than absent.
func checkbox(r *http.Request, field string) *bool {
	if r.PostFormValue(field+"_present") == "" {
		return nil
	}
	v := r.PostFormValue(field) != ""
	return &v
}

// saveConfig creates a config (no id) or updates one.
func (c *Console) saveConfig(w http.ResponseWriter, r *http.Request, s *session) {
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	var p wire.ConfigPatch
	var err error
	if p.Name, err = formText(r, "name"); err == nil {
		p.Position, err = formText(r, "position")
	}
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	p.IsActive = checkbox(r, "is_active")
	if id := r.PostFormValue("id"); id != "" {
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "id", Msg: "must be a number"})
			return
		}
		_, err = c.store.UpdateConfig(n, p)
		if err != nil {
			c.fail(w, r, s, 0, err)
			return
		}
	} else if _, err := c.store.CreateConfig(p); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	http.Redirect(w, r, "/ui/followups", http.StatusSeeOther)
}

// saveScript creates a script (no id, config_id given) or updates one:
// content, day, interval, order (the position among the day's scripts)
// and whether it is active.
func (c *Console) saveScript(w http.ResponseWriter, r *http.Request, s *session) {
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	var p wire.ScriptPatch
	var err error
	fail := func(e error) { c.fail(w, r, s, http.StatusBadRequest, e) }
	if p.Content, err = formText(r, "content"); err != nil {
		fail(err)
		return
	}
	if p.DayNumber, err = formOptInt(r, "day_number", 0, 365); err != nil {
		fail(err)
		return
	}
	if p.IntervalHours, err = formOptInt(r, "interval_hours", 0, 1<<30); err != nil {
		fail(err)
		return
	}
	if p.Order, err = formOptInt(r, "order", -1<<30, 1<<30); err != nil {
		fail(err)
		return
	}
	p.IsActive = checkbox(r, "is_active")
	if id := r.PostFormValue("id"); id != "" {
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			fail(&wire.FieldError{Field: "id", Msg: "must be a number"})
			return
		}
		if _, err := c.store.UpdateScript(n, p); err != nil {
			c.fail(w, r, s, 0, err)
			return
		}
	} else {
		cid, err := strconv.ParseUint(r.PostFormValue("config_id"), 10, 64)
		if err != nil {
			fail(&wire.FieldError{Field: "config_id", Msg: "must be a number"})
			return
		}
		p.ConfigID = &cid
		if _, err := c.store.CreateScript(p); err != nil {
			c.fail(w, r, s, 0, err)
			return
		}
	}
	http.Redirect(w, r, "/ui/followups", http.StatusSeeOther)
}

func (c *Console) deleteScript(w http.ResponseWriter, r *http.Request, s *session) {
	n, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "id", Msg: "must be a number"})
		return
	}
	if err := c.store.DeleteScript(n); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	http.Redirect(w, r, "/ui/followups", http.StatusSeeOther)
}

func (c *Console) keywordRulesPage(w http.ResponseWriter, r *http.Request, s *session) {
	list, _, _, err := c.store.ListKeywordRules("", 200)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "keyword_rules", list)
}

// createKeywordRule adds a keyword rule (seed 004 "contains", case
// insensitive); semantics and ranges are edited through the API.
func (c *Console) createKeywordRule(w http.ResponseWriter, r *http.Request, s *session) {
	var words []string
	for _, w := range strings.FieldsFunc(r.PostFormValue("words"), func(r rune) bool { return r == ',' || r == '，' || r == '\n' }) {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, w)
		}
	}
	zero := 0
	rule := rules.Rule{Name: strings.TrimSpace(r.PostFormValue("name")),
		Keyword: &rules.Keyword{WordList: words, IsCaseSensitive: &zero, MatchRule: &zero}}
	if _, err := c.store.CreateKeywordRule(rule); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	http.Redirect(w, r, "/ui/keyword-rules", http.StatusSeeOther)
}

func (c *Console) deleteKeywordRule(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.store.DeleteKeywordRule(r.PathValue("id")); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	http.Redirect(w, r, "/ui/keyword-rules", http.StatusSeeOther)
}

type workerRow struct {
	ID          string
	MaxAccounts int
	LastPull    *time.Time
	Accounts    []wire.Account
	Restarts    int64
	HasRestarts bool
}

// workersPage joins the workers' last assignment pulls (capacity) with
// the accounts each one reports.
func (c *Console) workersPage(w http.ResponseWriter, r *http.Request, s *session) {
	pulls, err := c.store.WorkerPulls()
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	accs, err := c.store.ListAccounts()
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	rows := map[string]*workerRow{}
	var order []string
	get := func(id string) *workerRow {
		if rows[id] == nil {
			rows[id] = &workerRow{ID: id}
			order = append(order, id)
		}
		return rows[id]
	}
	for _, p := range pulls {
		wr := get(p.ID)
		wr.MaxAccounts = p.MaxAccounts
		t := p.LastPull
		wr.LastPull = &t
	}
	for _, a := range accs {
		if a.WorkerID == "" {
			continue
		}
		wr := get(a.WorkerID)
		wr.Accounts = append(wr.Accounts, a)
		// Workers report their browser restarts with every account's
		// counters; the largest is the worker's current figure.
		if n, ok := a.Counters[counterRestarts]; ok {
			wr.HasRestarts = true
			wr.Restarts = max(wr.Restarts, n)
		}
	}
	out := make([]workerRow, 0, len(order))
	for _, id := range order {
		out = append(out, *rows[id])
	}
	c.render(w, r, s, http.StatusOK, "workers", out)
}

// counterRestarts is the heartbeat counter carrying the worker's browser
// restarts (bot/runtime.go).
const counterRestarts = "browser_restarts"
