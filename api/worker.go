package api

import (
	"fmt"
	"github.com/hunterbot/hunterbot/internal/httpserve"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

type workerStore interface {
	Heartbeat(workerID string, in []wire.AccountStatus) ([]wire.Account, error)
	UpsertContacts(workerID string, in []wire.ContactInput) ([]wire.UpsertResult, error)
	UpsertRecords(workerID string, in []wire.RecordInput) ([]wire.FollowupRecord, error)
	PendingSends(workerID string) ([]wire.Send, error)
	AckSendFenced(workerID string, id, epoch uint64, sent bool, sentAt *time.Time, errMsg string) (wire.FollowupRecord, error)
	ListAccounts() ([]wire.Account, error)
}

func (s *Server) workerHeartbeat(w http.ResponseWriter, r *http.Request) error {
	var req wire.HeartbeatRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Accounts) > wire.MaxBatch {
		return errBadRequest("accounts", "at most %d per request", wire.MaxBatch)
	}
	accs, err := s.store.Heartbeat(workerFrom(r), req.Accounts)
	if err != nil {
		return err
	}
	s.alertWake.poke() // a state change may have queued an alert
	writeJSON(w, http.StatusOK, wire.HeartbeatResponse{WorkerID: workerFrom(r), Accounts: accs})
	return nil
}

func (s *Server) workerContacts(w http.ResponseWriter, r *http.Request) error {
	var req wire.ContactsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Contacts) == 0 || len(req.Contacts) > wire.MaxBatch {
		return errBadRequest("contacts", "must hold 1 to %d items", wire.MaxBatch)
	}
	res, err := s.store.UpsertContacts(workerFrom(r), req.Contacts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.ContactsResponse{Results: res})
	return nil
}

func (s *Server) workerRecords(w http.ResponseWriter, r *http.Request) error {
	var req wire.RecordsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Records) == 0 || len(req.Records) > wire.MaxBatch {
		return errBadRequest("records", "must hold 1 to %d items", wire.MaxBatch)
	}
	res, err := s.store.UpsertRecords(workerFrom(r), req.Records)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.RecordsResponse{Results: res})
	return nil
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
	writeJSON(w, http.StatusOK, wire.FollowupSnapshot{Version: v, Configs: cfgs})
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

func (s *Server) workerSends(w http.ResponseWriter, r *http.Request) error {
	sends, err := s.store.PendingSends(workerFrom(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.SendsResponse{Sends: sends})
	return nil
}

func (s *Server) workerAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req wire.AckRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Status != wire.StatusSent && req.Status != wire.StatusFailed {
		return errBadRequest("status", "must be %q or %q, got %q", wire.StatusSent, wire.StatusFailed, req.Status)
	}
	rec, err := s.store.AckSendFenced(workerFrom(r), id, req.Epoch, req.Status == wire.StatusSent, req.SentAt, req.Error)
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
