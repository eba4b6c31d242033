package api

import (
	"bytes"
	"io"
	"net/http"

	"github.com/hunterbot/hunterbot/api/wire"
)

// releaseStore is what the human-takeover routes need: queued worker
// commands and the conversation statuses workers report.
type releaseStore interface {
	QueueRelease(accountKey, candidateID, note, requestedBy string) (wire.Command, bool, error)
	PendingCommands(workerID string) ([]wire.Command, error)
	AckCommand(workerID string, id uint64, done bool, reason string) (wire.Command, error)
	UpsertConversations(workerID string, in []wire.ConversationStatus) ([]wire.Conversation, error)
	ListConversations(f wire.ConversationFilter, page, pageSize int) ([]wire.Conversation, int, error)
}

func (s *Server) releaseRoutes() []route {
	return []route{
		{"POST /api/accounts/{key}/conversations/{candidate_id}/release", famPlain, authUser, s.releaseConversation},
		{"GET /api/conversations", famPlain, authUser, s.listConversations},
		{"GET /api/worker/commands", famPlain, authWorker, s.workerCommands},
		{"POST /api/worker/commands/{id}/ack", famPlain, authWorker, s.workerCommandAck},
		{"POST /api/worker/conversations", famPlain, authWorker, s.workerConversations},
	}
}

// releaseConversation queues a release command for the worker owning the
// account: 202 with the command when it is new, 200 with the already open
// one when a release of this conversation is still waiting.
func (s *Server) releaseConversation(w http.ResponseWriter, r *http.Request) error {
	var req wire.ReleaseRequest
	if err := decodeOptionalJSON(r, &req); err != nil {
		return err
	}
	key := r.PathValue("key")
	if key == "" {
		return errBadRequest("key", "required")
	}
	cmd, created, err := s.store.QueueRelease(key, r.PathValue("candidate_id"), req.Note, userFrom(r))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusAccepted
		s.log.Info().Str("account", cmd.Account).Uint64("command", cmd.ID).Msg("conversation release queued")
	}
	writeJSON(w, status, cmd)
	return nil
}

// conversationPage is the paged list of GET /api/conversations.
type conversationPage struct {
	Total    int                 `json:"total"`
	Page     int                 `json:"page"`
	PageSize int                 `json:"page_size"`
	Results  []wire.Conversation `json:"results"`
}

func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := wire.ConversationFilter{Account: q.Get("account"), Status: wire.ConvStatus(q.Get("status"))}
	if f.Status != "" && !wire.ValidConversationStatus(f.Status) {
		return errBadRequest("status", "must be one of %v, got %q", wire.ConversationStatuses, f.Status)
	}
	page, size, err := qPage(r, 20, 1_000_000)
	if err != nil {
		return err
	}
	res, total, err := s.store.ListConversations(f, page, size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, conversationPage{Total: total, Page: page, PageSize: size, Results: res})
	return nil
}

func (s *Server) workerCommands(w http.ResponseWriter, r *http.Request) error {
	cmds, err := s.store.PendingCommands(workerFrom(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.CommandsResponse{Commands: cmds})
	return nil
}

func (s *Server) workerCommandAck(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req wire.CommandAckRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Done == nil {
		return errBadRequest("done", "required (true or false)")
	}
	cmd, err := s.store.AckCommand(workerFrom(r), id, *req.Done, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cmd)
	return nil
}

func (s *Server) workerConversations(w http.ResponseWriter, r *http.Request) error {
	var req wire.ConversationsRequest
	raw, err := io.ReadAll(r.Body) // bounded by MaxBytesReader
	if err != nil {
		return err
	}
	// The body is {"conversations": [...]} like the other pushes; a bare
	// array is accepted too.
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
		raw = append(append([]byte(`{"conversations":`), t...), '}')
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Conversations) == 0 || len(req.Conversations) > wire.MaxBatch {
		return errBadRequest("conversations", "must hold 1 to %d items", wire.MaxBatch)
	}
	res, err := s.store.UpsertConversations(workerFrom(r), req.Conversations)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.ConversationsResponse{Results: res})
	return nil
}
