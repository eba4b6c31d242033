package api

import (
	"net/http"

	"github.com/hunterbot/hunterbot/api/wire"
)

// replayStore queues the replay of an account's parked outbox items.
type replayStore interface {
	QueueReplay(accountKey, note, requestedBy string) (wire.Command, bool, error)
}

func (s *Server) replayRoutes() []route {
	return []route{
		{"POST /api/accounts/{key}/outbox/replay", famPlain, authUser, s.replayParked},
	}
}

// replayParked queues a replay_parked command for the worker owning the
// account: 202 with the command when it is new, 200 with the open one.
// The worker puts the account's parked reports back into delivery and
// acknowledges the command with how many it replayed.
func (s *Server) replayParked(w http.ResponseWriter, r *http.Request) error {
	var req wire.ReplayRequest
	if err := decodeOptionalJSON(r, &req); err != nil {
		return err
	}
	key := r.PathValue("key")
	if key == "" {
		return errBadRequest("key", "required")
	}
	cmd, created, err := s.store.QueueReplay(key, req.Note, userFrom(r))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusAccepted
		s.log.Info().Str("account", cmd.Account).Uint64("command", cmd.ID).Msg("parked reports replay queued")
	}
	writeJSON(w, status, cmd)
	return nil
}
