package api

import (
	"net/http"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state"
)

// defaultDayRange is how many days GET .../counters returns without from.
const defaultDayRange = 30

// accountDays serves an account's per-day counters (static or managed).
// from and to are days (YYYY-MM-DD, Asia/Shanghai, inclusive); to defaults
// to today, from to 29 days before to; the range may not exceed the
// retention.
func (s *Server) accountDays(w http.ResponseWriter, r *http.Request) error {
	to, err := qDate(r, "to", clock.Shanghai, false)
	if err != nil {
		return err
	}
	if to.IsZero() {
		to = s.clock.Now().In(clock.Shanghai)
	}
	from, err := qDate(r, "from", clock.Shanghai, false)
	if err != nil {
		return err
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -(defaultDayRange - 1))
	}
	if from.After(to) {
		return errBadRequest("from", "must not be after to")
	}
	if to.Sub(from) > state.DayCountRetention {
		return errBadRequest("from", "range longer than the %d days kept", int(state.DayCountRetention/(24*time.Hour)))
	}
	key := r.PathValue("key")
	f, t := from.Format(time.DateOnly), to.Format(time.DateOnly)
	days, err := s.store.DayCounts(key, f, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.AccountDays{Key: key, From: f, To: t, Days: days})
	return nil
}
