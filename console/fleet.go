package console

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// fleetRow is one account on the fleet page.
type fleetRow struct {
	wire.Account
	Alerts int
}

type fleetData struct {
	Rows   []fleetRow
	Recent []wire.Alert
}

func (c *Console) fleet() (fleetData, error) {
	accs, err := c.store.ListAccounts()
	if err != nil {
		return fleetData{}, err
	}
	d := fleetData{Rows: make([]fleetRow, 0, len(accs))}
	for _, a := range accs {
		_, n, err := c.store.ListAlerts(a.Key, 1, 1)
		if err != nil {
			return d, err
		}
		d.Rows = append(d.Rows, fleetRow{Account: a, Alerts: n})
	}
	if d.Recent, _, err = c.store.ListAlerts("", 1, 5); err != nil {
		return d, err
	}
	return d, nil
}

func (c *Console) fleetPage(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := c.fleet()
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "fleet", d)
}

// fleetRows is the table body alone (the fallback poll when EventSource is
// unavailable, and what the event stream sends).
func (c *Console) fleetRows(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := c.fleet()
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	c.fragment(w, "fleet", "rows", view{S: s, Lang: s.Lang, Page: "fleet", D: d})
}

// fleetEvents streams the fleet table as Server-Sent Events: a "rows"
// event with the rendered <tbody> and an "alerts" event with the recent
// alerts whenever they change (checked every
// EventEvery), a comment line as keep-alive, and "logout" when the
// session ends (expiry or logout elsewhere), after which the stream
// closes.
func (c *Console) fleetEvents(w http.ResponseWriter, r *http.Request, s *session) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var last [2][]byte // the rows and alerts last sent
	tick := time.NewTicker(c.opt.EventEvery)
	defer tick.Stop()
	for {
		// Each write gets its own deadline: the stream outlives the
		// server's write timeout on purpose, a stalled client does not.
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.store.CheckAccessToken(s.Token); err != nil {
			fmt.Fprint(w, "event: logout\ndata: -\n\n")
			_ = rc.Flush()
			return
		}
		d, err := c.fleet()
		if err != nil {
			c.log.Error().Err(err).Msg("console: fleet events")
			return
		}
		sent := false
		for i, name := range []string{"rows", "alerts"} {
			var buf bytes.Buffer
			if err := c.pages["fleet"].ExecuteTemplate(&buf, name, view{S: s, Lang: s.Lang, Page: "fleet", D: d}); err != nil {
				c.log.Error().Err(err).Msg("console: fleet events render")
				return
			}
			if bytes.Equal(buf.Bytes(), last[i]) {
				continue
			}
			last[i] = append(last[i][:0], buf.Bytes()...)
			if _, err := w.Write(sseEvent(name, buf.String())); err != nil {
				return
			}
			sent = true
		}
		if !sent {
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
		}
	}
}

// sseEvent frames html as one Server-Sent Event: every line gets its own
// "data:" prefix (the browser joins them with newlines).
func sseEvent(name, html string) []byte {
	var ev strings.Builder
	ev.WriteString("event: " + name + "\n")
	for _, line := range strings.Split(strings.TrimRight(html, "\n"), "\n") {
		ev.WriteString("data: ")
		ev.WriteString(line)
		ev.WriteByte('\n')
	}
	ev.WriteByte('\n')
	return []byte(ev.String())
}
