package api

import (
	"net/http"

	"github.com/hunterbot/hunterbot/api/wire"
)

type followupStore interface {
	ListConfigs(position *string, active *bool) ([]wire.ConfigWithScripts, error)
	GetConfig(id uint64) (wire.ConfigWithScripts, error)
	CreateConfig(p wire.ConfigPatch) (wire.FollowupConfig, error)
	UpdateConfig(id uint64, p wire.ConfigPatch) (wire.ConfigWithScripts, error)
	DeleteConfig(id uint64) error
	ListScripts(configID *uint64, day *int) ([]wire.FollowupScript, error)
	CreateScript(p wire.ScriptPatch) (wire.FollowupScript, error)
	UpdateScript(id uint64, p wire.ScriptPatch) (wire.FollowupScript, error)
	DeleteScript(id uint64) error
	ListRecords(f wire.RecordFilter, page, pageSize int) ([]wire.FollowupRecord, int, error)
	QueueSend(contactID uint64, content string) (wire.FollowupRecord, error)
	FollowupSnapshot() (uint64, []wire.ConfigWithScripts, error)
}

// configBody is the POST/PUT body of /api/followup-configs.
type configBody struct {
	Name     *string `json:"name"`
	Position *string `json:"position"`
	IsActive *bool   `json:"is_active"`
}

func (b configBody) patch() wire.ConfigPatch {
	return wire.ConfigPatch{Name: b.Name, Position: b.Position, IsActive: b.IsActive}
}

// scriptBody is the POST/PUT body of /api/followup-scripts.
type scriptBody struct {
	ConfigID      *uint64 `json:"config_id"`
	DayNumber     *int    `json:"day_number"`
	Content       *string `json:"content"`
	IntervalHours *int    `json:"interval_hours"`
	Order         *int    `json:"order"`
	IsActive      *bool   `json:"is_active"`
}

func (b scriptBody) patch() wire.ScriptPatch {
	return wire.ScriptPatch{ConfigID: b.ConfigID, DayNumber: b.DayNumber, Content: b.Content,
		IntervalHours: b.IntervalHours, Order: b.Order, IsActive: b.IsActive}
}

// refErr turns "config_id N: not found" from a body reference into
// a 400 naming the field: the URL was fine, the body was not.
func refErr(err error, field string) error {
	if err != nil && isNotFound(err) {
		return errBadRequest(field, "%v", err)
	}
	return err
}

func (s *Server) listConfigs(w http.ResponseWriter, r *http.Request) error {
	active, err := qBool(r, "is_active")
	if err != nil {
		return err
	}
	var pos *string
	if q := r.URL.Query(); q.Has("position") && q.Get("position") != "" {
		p := q.Get("position")
		pos = &p
	}
	out, err := s.store.ListConfigs(pos, active)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.store.GetConfig(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) createConfig(w http.ResponseWriter, r *http.Request) error {
	var b configBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	c, err := s.store.CreateConfig(b.patch())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wire.ConfigWithScripts{FollowupConfig: c, Scripts: []wire.FollowupScript{}})
	return nil
}

func (s *Server) updateConfig(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b configBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	c, err := s.store.UpdateConfig(id, b.patch())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteConfig(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteConfig(id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listScripts(w http.ResponseWriter, r *http.Request) error {
	cfg, err := qUint(r, "config_id")
	if err != nil {
		return err
	}
	var day *int
	if r.URL.Query().Get("day_number") != "" {
		d, err := qInt(r, "day_number", 0, 0, wire.MaxDayNumber)
		if err != nil {
			return err
		}
		day = &d
	}
	out, err := s.store.ListScripts(cfg, day)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createScript(w http.ResponseWriter, r *http.Request) error {
	var b scriptBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	sc, err := s.store.CreateScript(b.patch())
	if err != nil {
		return refErr(err, "config_id")
	}
	writeJSON(w, http.StatusCreated, sc)
	return nil
}

func (s *Server) updateScript(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b scriptBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	sc, err := s.store.UpdateScript(id, b.patch())
	if err != nil {
		if b.ConfigID != nil && isNotFound(err) && !isNotFoundOf(err, "followup script") {
			return refErr(err, "config_id")
		}
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) deleteScript(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.store.DeleteScript(id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// recordPage is the seed-000 paged list shape.
type recordPage struct {
	Total    int                   `json:"total"`
	Page     int                   `json:"page"`
	PageSize int                   `json:"page_size"`
	Results  []wire.FollowupRecord `json:"results"`
}

func (s *Server) listRecords(w http.ResponseWriter, r *http.Request) error {
	var f wire.RecordFilter
	var err error
	if f.ContactID, err = qUint(r, "contact_id"); err != nil {
		return err
	}
	if f.ConfigID, err = qUint(r, "config_id"); err != nil {
		return err
	}
	if f.GotReply, err = qBool(r, "got_reply"); err != nil {
		return err
	}
	page, size, err := qPage(r, 20, 1_000_000)
	if err != nil {
		return err
	}
	recs, total, err := s.store.ListRecords(f, page, size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recordPage{Total: total, Page: page, PageSize: size, Results: recs})
	return nil
}

// sendBody is POST /api/followup-records/send.
type sendBody struct {
	ContactID *uint64 `json:"contact_id"`
	Content   *string `json:"content"`
}

// sendManual queues a manual message for the worker owning the contact and
// answers 202 with the (queued) follow-up record; sent_at is filled in when
// the worker acknowledges the send.
func (s *Server) sendManual(w http.ResponseWriter, r *http.Request) error {
	var b sendBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if b.ContactID == nil || *b.ContactID == 0 {
		return errBadRequest("contact_id", "required (a positive integer)")
	}
	if b.Content == nil {
		return errBadRequest("content", "required")
	}
	rec, err := s.store.QueueSend(*b.ContactID, *b.Content)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, rec)
	return nil
}
