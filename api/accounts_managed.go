package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// managedStore is what the managed-account routes need from persistence.
type managedStore interface {
	CreateManagedAccount(spec wire.AccountSpec, sealedPassword []byte, reason string) (wire.ManagedAccount, error)
	ManagedAccount(key string) (wire.ManagedAccount, error)
	ListManagedAccounts() ([]wire.ManagedAccount, error)
	PatchManagedAccount(key string, p wire.AccountPatch, sealedPassword []byte, validate func(wire.AccountSpec) error) (wire.ManagedAccount, error)
	DeleteManagedAccount(key string) error
	Assign(workerID string, req wire.AssignmentRequest) ([]wire.Assigned, error)
	LeaseTTL() time.Duration
	StoreSession(workerID, key string, epoch uint64, sealed []byte) error
	StoreLoginQR(workerID, key string, epoch uint64, png []byte, expires time.Time, done bool) error
	LoginStatus(key string) (wire.LoginStatus, error)
	MayAct(workerID, key string, epoch uint64) (wire.ActGate, error)
	DayCounts(key, from, to string) ([]wire.DayCount, error)
}

// Sealer encrypts account secrets at rest (internal/secret.Box).
type Sealer interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

func (s *Server) managedRoutes() []route {
	return []route{
		{"POST /api/accounts", famPlain, authUser, s.createManaged},
		{"GET /api/accounts/{key}", famPlain, authUser, s.getManaged},
		{"PATCH /api/accounts/{key}", famPlain, authUser, s.patchManaged},
		{"DELETE /api/accounts/{key}", famPlain, authUser, s.deleteManaged},
		{"GET /api/accounts/{key}/login", famPlain, authUser, s.loginStatus},
		{"GET /api/accounts/{key}/counters", famPlain, authUser, s.accountDays}, // account_days.go
		{"POST /api/worker/assignment", famPlain, authWorker, s.workerAssignment},
		{"POST /api/worker/accounts/{key}/session", famPlain, authWorker, s.workerSession},
		{"POST /api/worker/accounts/{key}/login", famPlain, authWorker, s.workerLoginQR},
		{"GET /api/worker/accounts/{key}/act", famPlain, authWorker, s.workerMayAct},
	}
}

// sealPassword encrypts a password; a password without a configured key
// is refused rather than stored in clear.
func (s *Server) sealPassword(pw string) ([]byte, error) {
	if pw == "" {
		return nil, nil
	}
	if s.opt.Secrets == nil {
		return nil, errBadRequest("login.password", "the control plane has no HUNTERBOT_SECRET_KEY, so it cannot store credentials")
	}
	return s.opt.Secrets.Seal([]byte(pw))
}

func (s *Server) validateSpec(spec wire.AccountSpec) error {
	if s.opt.ValidateAccount == nil {
		return nil
	}
	return s.opt.ValidateAccount(spec)
}

func (s *Server) createManaged(w http.ResponseWriter, r *http.Request) error {
	var spec wire.AccountSpec
	if err := decodeJSON(r, &spec); err != nil {
		return err
	}
	if spec.Key == "" {
		return errBadRequest("key", "required")
	}
	if spec.Login.Method == wire.LoginPassword && spec.Login.Password == "" {
		return errBadRequest("login.password", "required for the password method")
	}
	if spec.Login.Method == wire.LoginQR && spec.Login.Password != "" {
		return errBadRequest("login.password", "not used by the qr method")
	}
	if err := s.validateSpec(spec); err != nil {
		return err
	}
	sealed, err := s.sealPassword(spec.Login.Password)
	if err != nil {
		return err
	}
	spec.Login.Password = ""
	m, err := s.store.CreateManagedAccount(spec, sealed, "created by "+userFrom(r))
	if err != nil {
		return err
	}
	s.log.Info().Str("account", spec.Key).Str("by", userFrom(r)).Msg("account created")
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) getManaged(w http.ResponseWriter, r *http.Request) error {
	m, err := s.store.ManagedAccount(r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) patchManaged(w http.ResponseWriter, r *http.Request) error {
	var p wire.AccountPatch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	var sealed []byte
	if p.Login != nil && p.Login.Password != "" {
		var err error
		if sealed, err = s.sealPassword(p.Login.Password); err != nil {
			return err
		}
	}
	key := r.PathValue("key")
	m, err := s.store.PatchManagedAccount(key, p, sealed, func(spec wire.AccountSpec) error {
		if p.Login != nil && p.Login.Password != "" {
			spec.Login.Password = p.Login.Password
		}
		if spec.Login.Method == wire.LoginPassword && spec.Login.Password == "" {
			return errBadRequest("login.password", "required for the password method")
		}
		return s.validateSpec(spec)
	})
	if err != nil {
		return err
	}
	s.log.Info().Str("account", key).Str("by", userFrom(r)).Str("desired", m.Desired).Str("pin", m.Pin).Msg("account changed")
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) deleteManaged(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	if err := s.store.DeleteManagedAccount(key); err != nil {
		return err
	}
	s.log.Info().Str("account", key).Str("by", userFrom(r)).Msg("account deleted")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) loginStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.store.LoginStatus(r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// workerAssignment is the worker's pull: renew, release, grant (state's
// Assign), then open each account's secrets for the worker.
func (s *Server) workerAssignment(w http.ResponseWriter, r *http.Request) error {
	var req wire.AssignmentRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	accs, err := s.store.Assign(workerFrom(r), req)
	if err != nil {
		return err
	}
	for i := range accs {
		a := &accs[i]
		if len(a.Sealed.Password) > 0 || len(a.Sealed.Session) > 0 {
			if s.opt.Secrets == nil {
				return errors.New("stored account secrets but HUNTERBOT_SECRET_KEY is not set")
			}
		}
		if len(a.Sealed.Password) > 0 {
			pw, err := s.opt.Secrets.Open(a.Sealed.Password)
			if err != nil {
				return err
			}
			a.Password = string(pw)
			a.Spec.Login.Password = string(pw)
		}
		if len(a.Sealed.Session) > 0 {
			sess, err := s.opt.Secrets.Open(a.Sealed.Session)
			if err != nil {
				s.log.Warn().Str("account", a.Spec.Key).Msg("stored session does not open; the account logs in again")
			} else {
				a.Session = sess
			}
		}
	}
	if accs == nil {
		accs = []wire.Assigned{}
	}
	writeJSON(w, http.StatusOK, wire.AssignmentResponse{WorkerID: workerFrom(r), LeaseSeconds: s.store.LeaseTTL().Seconds(), Accounts: accs})
	return nil
}

func (s *Server) workerSession(w http.ResponseWriter, r *http.Request) error {
	var up wire.SessionUpload
	if err := decodeJSON(r, &up); err != nil {
		return err
	}
	if len(up.Session) == 0 || len(up.Session) > 256<<10 {
		return errBadRequest("session", "must hold 1 byte to 256 KiB")
	}
	if s.opt.Secrets == nil {
		return errBadRequest("session", "the control plane has no HUNTERBOT_SECRET_KEY, so it cannot store sessions")
	}
	sealed, err := s.opt.Secrets.Seal(up.Session)
	if err != nil {
		return err
	}
	if err := s.store.StoreSession(workerFrom(r), r.PathValue("key"), up.Epoch, sealed); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) workerLoginQR(w http.ResponseWriter, r *http.Request) error {
	var up wire.QRUpload
	if err := decodeJSON(r, &up); err != nil {
		return err
	}
	if !up.Done && up.ExpiresAt.IsZero() {
		return errBadRequest("expires_at", "required with a png")
	}
	if err := s.store.StoreLoginQR(workerFrom(r), r.PathValue("key"), up.Epoch, up.PNG, up.ExpiresAt, up.Done); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// workerMayAct answers the agent's check before each site action (a pause
// stops the agent within one action instead of at the next pull).
func (s *Server) workerMayAct(w http.ResponseWriter, r *http.Request) error {
	epoch, err := qUint(r, "epoch")
	if err != nil {
		return err
	}
	if epoch == nil {
		return errBadRequest("epoch", "required")
	}
	g, err := s.store.MayAct(workerFrom(r), r.PathValue("key"), *epoch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}
