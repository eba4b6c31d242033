package api

import (
	"fmt"
	"github.com/hunterbot/hunterbot/internal/httpserve"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/state"
)

type workerStore interface {
	Heartbeat(workerID string, in []state.AccountStatus) ([]state.Account, error)
	UpsertContacts(workerID string, in []state.ContactInput) ([]state.UpsertResult, error)
	UpsertRecords(workerID string, in []state.RecordInput) ([]state.FollowupRecord, error)
	PendingSends(workerID string) ([]state.Send, error)
	AckSend(workerID string, id uint64, sent bool, sentAt *time.Time, errMsg string) (state.FollowupRecord, error)
	ListAccounts() ([]state.Account, error)
}

// MaxBatch bounds the items of one worker push.
const MaxBatch = 500

// HeartbeatRequest is the body of /api/worker/register and /heartbeat.
type HeartbeatRequest struct {
	Version  string                `json:"version,omitempty"`
	Accounts []state.AccountStatus `json:"accounts"`
}

// HeartbeatResponse tells the worker its id and its accounts' numeric ids.
type HeartbeatResponse struct {
	WorkerID string          `json:"worker_id"`
	Accounts []state.Account `json:"accounts"`
}

func (s *Server) workerHeartbeat(w http.ResponseWriter, r *http.Request) error {
	var req HeartbeatRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Accounts) > MaxBatch {
		return errBadRequest("accounts", "at most %d per request", MaxBatch)
	}
	accs, err := s.store.Heartbeat(workerFrom(r), req.Accounts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, HeartbeatResponse{WorkerID: workerFrom(r), Accounts: accs})
	return nil
}

// ContactsRequest is the body of POST /api/worker/contacts.
type ContactsRequest struct {
	Contacts []state.ContactInput `json:"contacts"`
}

// ContactsResponse lists the ids the contacts got.
type ContactsResponse struct {
	Results []state.UpsertResult `json:"results"`
}

func (s *Server) workerContacts(w http.ResponseWriter, r *http.Request) error {
	var req ContactsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Contacts) == 0 || len(req.Contacts) > MaxBatch {
		return errBadRequest("contacts", "must hold 1 to %d items", MaxBatch)
	}
	res, err := s.store.UpsertContacts(workerFrom(r), req.Contacts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ContactsResponse{Results: res})
	return nil
}

// RecordsRequest is the body of POST /api/worker/followup-records.
type RecordsRequest struct {
	Records []state.RecordInput `json:"records"`
}

// RecordsResponse returns the stored records.
type RecordsResponse struct {
	Results []state.FollowupRecord `json:"results"`
}

func (s *Server) workerRecords(w http.ResponseWriter, r *http.Request) error {
	var req RecordsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Records) == 0 || len(req.Records) > MaxBatch {
		return errBadRequest("records", "must hold 1 to %d items", MaxBatch)
	}
	res, err := s.store.UpsertRecords(workerFrom(r), req.Records)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RecordsResponse{Results: res})
	return nil
}

// FollowupSnapshot is GET /api/worker/followup-configs: every config with
// all scripts (inactive ones flagged) and the version they belong to.
type FollowupSnapshot struct {
	Version uint64                    `json:"version"`
	Configs []state.ConfigWithScripts `json:"configs"`
}

func etagOf(v uint64) string { return fmt.Sprintf(`"fv-%d"`, v) }

// workerConfigs serves the follow-up snapshot; a worker that already has
// the current version (If-None-Match or ?since_version) gets 304.
func (s *Server) workerConfigs(w http.ResponseWriter, r *http.Request) error {
	v, cfgs, err := s.store.FollowupSnapshot()
	if err != nil {
		return err
	}
	if done, err := notModified(w, r, v, etagOf(v)); done || err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, FollowupSnapshot{Version: v, Configs: cfgs})
	return nil
}

// notModified sets the ETag of a versioned snapshot and answers 304 when
// the worker already has version v (If-None-Match or ?since_version). It
// reports whether it answered.
func notModified(w http.ResponseWriter, r *http.Request, v uint64, etag string) (bool, error) {
	since, hasSince := uint64(0), false
	if q := r.URL.Query().Get("since_version"); q != "" {
		n, err := strconv.ParseUint(q, 10, 64)
		if err != nil {
			return true, errBadRequest("since_version", "must be a non-negative integer, got %q", q)
		}
		since, hasSince = n, true
	}
	w.Header().Set("ETag", etag)
	if (hasSince && since == v) || matchETag(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return true, nil
	}
	return false, nil
}

func matchETag(header, etag string) bool {
	for _, p := range strings.Split(header, ",") {
		p = strings.TrimPrefix(strings.TrimSpace(p), "W/")
		if p == etag || p == "*" {
			return true
		}
	}
	return false
}

// SendsResponse is GET /api/worker/sends.
type SendsResponse struct {
	Sends []state.Send `json:"sends"`
}

func (s *Server) workerSends(w http.ResponseWriter, r *http.Request) error {
	sends, err := s.store.PendingSends(workerFrom(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, SendsResponse{Sends: sends})
	return nil
}

// AckRequest is POST /api/worker/sends/{id}/ack.
type AckRequest struct {
	Status string     `json:"status"` // "sent" or "failed"
	SentAt *time.Time `json:"sent_at,omitempty"`
	Error  string     `json:"error,omitempty"`
}

func (s *Server) workerAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req AckRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Status != state.StatusSent && req.Status != state.StatusFailed {
		return errBadRequest("status", "must be %q or %q, got %q", state.StatusSent, state.StatusFailed, req.Status)
	}
	rec, err := s.store.AckSend(workerFrom(r), id, req.Status == state.StatusSent, req.SentAt, req.Error)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	accs, err := s.store.ListAccounts()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accs)
	return nil
}

func (s *Server) backup(w http.ResponseWriter, r *http.Request) error {
	name := "control-" + s.clock.Now().In(time.UTC).Format("20060102-150405") + ".db"
	// A backup is as long as the database: it gets its own write deadline
	// instead of the server's. The store snapshots to a file first, so a
	// client that is slow within this deadline holds no transaction.
	httpserve.Extend(w, longAnswerTimeout)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, err := s.store.WriteBackup(w, func(n int64) {
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	})
	if err != nil {
		// Headers are gone; the truncated body and connection reset tell the
		// client. Log it, do not write an envelope into the stream.
		s.log.Error().Err(err).Msg("backup failed mid-stream")
	}
	return nil
}
