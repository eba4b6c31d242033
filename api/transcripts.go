package api

import (
	"net/http"

	"github.com/hunterbot/hunterbot/api/wire"
)

// transcriptStore is what the transcript routes need: the messages
// workers read from the site's conversation histories.
type transcriptStore interface {
	AddTranscripts(workerID string, in []wire.TranscriptInput) ([]wire.TranscriptResult, error)
	ListTranscript(accountKey, candidateID string, page, pageSize int) ([]wire.StoredMessage, int, error)
}

func (s *Server) transcriptRoutes() []route {
	return []route{
		{"POST /api/worker/transcripts", famPlain, authWorker, s.workerTranscripts},
		{"GET /api/accounts/{key}/conversations/{candidate_id}/messages", famPlain, authUser, s.conversationMessages},
	}
}

// workerTranscripts stores the new messages of conversations a worker
// read. Replays are counted as duplicates, never stored twice.
func (s *Server) workerTranscripts(w http.ResponseWriter, r *http.Request) error {
	var req wire.TranscriptsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Transcripts) == 0 || len(req.Transcripts) > wire.MaxBatch {
		return errBadRequest("transcripts", "must hold 1 to %d conversations", wire.MaxBatch)
	}
	res, err := s.store.AddTranscripts(workerFrom(r), req.Transcripts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.TranscriptsResponse{Results: res})
	return nil
}

// conversationMessages is a page of one conversation's transcript, oldest
// first (page 1 holds the oldest messages; the last page the newest).
func (s *Server) conversationMessages(w http.ResponseWriter, r *http.Request) error {
	page, size, err := qPage(r, 50, 1_000_000)
	if err != nil {
		return err
	}
	res, total, err := s.store.ListTranscript(r.PathValue("key"), r.PathValue("candidate_id"), page, size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.MessagePage{Total: total, Page: page, PageSize: size, Results: res})
	return nil
}
