package console

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/logview"
	"github.com/hunterbot/hunterbot/state"
)

type accountData struct {
	Account wire.Account
	Managed *wire.ManagedAccount
	QR      qrData
	Parked  int64
	Workers []state.WorkerPull
	Logs    []string
	HasLog  bool
	Flash   string
}

type qrData struct {
	Key     string
	State   string
	Pending bool
	// Image is the data: URI of the PNG the worker relayed. It is built
	// here from the image bytes (base64, no text from outside), which is
	// why it may be a template.URL: html/template refuses data: URLs.
	Image   template.URL
	Expires string
	Updated string
	Managed bool
	Lang    string
}

// findAccount returns the fleet entry of key (managed or static).
func (c *Console) findAccount(key string) (wire.Account, error) {
	accs, err := c.store.ListAccounts()
	if err != nil {
		return wire.Account{}, err
	}
	for _, a := range accs {
		if a.Key == key {
			return a, nil
		}
	}
	return wire.Account{}, &notFound{"account " + key}
}

type notFound struct{ what string }

func (e *notFound) Error() string { return e.what }
func (e *notFound) Unwrap() error { return wire.ErrNotFound }

func (c *Console) accountData(key, lang string) (accountData, error) {
	var d accountData
	a, err := c.findAccount(key)
	if err != nil {
		return d, err
	}
	d.Account = a
	d.Parked = a.Counters[wire.CounterParked]
	if a.Managed {
		m, err := c.store.ManagedAccount(key)
		if err != nil {
			return d, err
		}
		d.Managed = &m
		if d.Workers, err = c.store.WorkerPulls(); err != nil {
			return d, err
		}
	}
	if d.QR, err = c.qr(key, a.Managed, lang); err != nil {
		return d, err
	}
	if c.opt.LogFile != "" {
		d.HasLog = true
		d.Logs = tailLog(c.opt.LogFile, key, 30)
	}
	return d, nil
}

func (c *Console) qr(key string, managed bool, lang string) (qrData, error) {
	q := qrData{Key: key, Managed: managed, Lang: lang}
	if !managed {
		return q, nil
	}
	st, err := c.store.LoginStatus(key)
	if err != nil {
		return q, err
	}
	q.State, q.Pending = st.State, st.Pending
	if st.Pending && len(st.PNG) > 0 {
		q.Image = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(st.PNG))
	}
	if st.ExpiresAt != nil {
		q.Expires = fmtTime(*st.ExpiresAt)
	}
	if st.UpdatedAt != nil {
		q.Updated = fmtTime(*st.UpdatedAt)
	}
	return q, nil
}

func (c *Console) accountPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := c.accountData(r.PathValue("key"), s.Lang)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	if r.URL.Query().Get("queued") != "" {
		d.Flash = tr(s.Lang, "commands.queued")
	}
	c.render(w, r, s, http.StatusOK, "account", d)
}

// qrPanel is the QR panel alone; the page's htmx polls it every two
// seconds, so the image follows the site's QR as the worker relays it.
func (c *Console) qrPanel(w http.ResponseWriter, r *http.Request, s *session) {
	a, err := c.findAccount(r.PathValue("key"))
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	q, err := c.qr(a.Key, a.Managed, s.Lang)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	c.fragment(w, "account", "qr", q)
}

// createAccount creates a managed account that logs in by QR code.
// Password accounts are created through the API or `hunterbot account`:
// the console never handles recruiter passwords.
func (c *Console) createAccount(w http.ResponseWriter, r *http.Request, s *session) {
	spec := wire.AccountSpec{Key: strings.TrimSpace(r.PostFormValue("key")), Name: strings.TrimSpace(r.PostFormValue("name")),
		PlatformID: strings.TrimSpace(r.PostFormValue("platform_id")), Login: wire.AccountLogin{Method: wire.LoginQR}}
	for f, v := range map[string]string{"key": spec.Key, "name": spec.Name, "platform_id": spec.PlatformID} {
		if !utf8.ValidString(v) {
			c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: f, Msg: "must be valid UTF-8"})
			return
		}
	}
	if spec.Key == "" {
		c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "key", Msg: "required"})
		return
	}
	if c.opt.ValidateAccount != nil {
		if err := c.opt.ValidateAccount(spec); err != nil {
			c.fail(w, r, s, http.StatusBadRequest, err)
			return
		}
	}
	if _, err := c.store.CreateManagedAccount(spec, nil, "created by "+s.User+" (console)"); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.log.Info().Str("account", spec.Key).Str("by", s.User).Msg("account created")
	http.Redirect(w, r, "/ui/accounts/"+pathEscape(spec.Key), http.StatusSeeOther)
}

func (c *Console) patch(w http.ResponseWriter, r *http.Request, s *session, p wire.AccountPatch) {
	key := r.PathValue("key")
	p.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	if p.Reason == "" {
		p.Reason = "console"
	}
	p.Reason += " (" + s.User + ")"
	if _, err := c.store.PatchManagedAccount(key, p, nil, c.opt.ValidateAccount); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.log.Info().Str("account", key).Str("by", s.User).Msg("account changed")
	http.Redirect(w, r, "/ui/accounts/"+pathEscape(key), http.StatusSeeOther)
}

func (c *Console) setDesired(w http.ResponseWriter, r *http.Request, s *session) {
	d := r.PostFormValue("desired")
	switch d {
	case wire.DesiredRunning, wire.DesiredPaused, wire.DesiredStopped:
	default:
		c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "desired", Msg: "must be running, paused or stopped"})
		return
	}
	c.patch(w, r, s, wire.AccountPatch{Desired: &d})
}

// moveAccount pins the account to a worker ("" unpins): the lease moves
// at the current holder's next pull.
func (c *Console) moveAccount(w http.ResponseWriter, r *http.Request, s *session) {
	pin := r.PostFormValue("pin")
	c.patch(w, r, s, wire.AccountPatch{Pin: &pin})
}

func (c *Console) replayParked(w http.ResponseWriter, r *http.Request, s *session) {
	key := r.PathValue("key")
	if _, _, err := c.store.QueueReplay(key, r.PostFormValue("note"), s.User); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	http.Redirect(w, r, "/ui/accounts/"+pathEscape(key)+"?queued=1", http.StatusSeeOther)
}

// tailLog returns the last n lines of the log file about account, read
// from at most its last 1 MiB (rotation keeps the file bounded anyway).
func tailLog(path, account string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	const window = 1 << 20
	if st, err := f.Stat(); err == nil && st.Size() > window {
		if _, err := f.Seek(st.Size()-window, io.SeekStart); err != nil {
			return nil
		}
	}
	raw, err := io.ReadAll(io.LimitReader(f, window))
	if err != nil {
		return nil
	}
	fm := logview.Formatter{Filter: logview.Filter{Account: account}, Location: clock.Shanghai}
	var out []string
	for _, line := range bytes.Split(raw, []byte{'\n'}) {
		if s, ok := fm.Format(line); ok && s != "" {
			out = append(out, s)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}
