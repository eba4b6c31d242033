package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// The /__sim/ control API: JSON in, {"ok":true} or {"error":…} out.

type ctlRequest struct {
	Account     string `json:"account"`
	Kind        string `json:"kind"`
	CandidateID int64  `json:"candidate_id"`
	Text        string `json:"text"`
	Duration    string `json:"duration"`
}

func readCtl(w http.ResponseWriter, r *http.Request) (ctlRequest, bool) {
	var req ctlRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad JSON body: " + err.Error()})
		return req, false
	}
	return req, true
}

func ctlResult(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case errorsIsAny(err, ErrUnknownAccount, ErrUnknownCandidate, ErrNoQR):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
	case errorsIsAny(err, ErrNotAdvancer):
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
}

func (s *Sim) ctlAdvance(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	d, err := time.ParseDuration(req.Duration)
	if err != nil || d < 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "duration: want a non-negative Go duration like \"2h\""})
		return
	}
	ctlResult(w, s.Advance(d))
}

func (s *Sim) ctlRisk(w http.ResponseWriter, r *http.Request) {
	req, ok := readCtl(w, r)
	if !ok {
		return
	}
	ctlResult(w, s.ForceRisk(req.Account, req.Kind))
}

func (s *Sim) ctlAccount(fn func(string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, ok := readCtl(w, r)
		if !ok {
			return
		}
		ctlResult(w, fn(req.Account))
	}
}

func (s *Sim) ctlMessage(fn func(string, int64, string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, ok := readCtl(w, r)
		if !ok {
			return
		}
		ctlResult(w, fn(req.Account, req.CandidateID, req.Text))
	}
}
