// Package server is the built-in brain (`hunterbot brain`): the seed-003
// API with the reference server's semantics (spec/brain-protocol.md) on its
// own bbolt file. Embed it in tests and the demo with New and Handler.
package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/llm"
)

// Limits on request bodies.
const (
	maxJSONBody   = 1 << 20  // 1 MiB: a recommend-list item or a long history
	maxResultBody = 20 << 20 // 20 MiB: a CV file
	// idemTTL is how long an Idempotency-Key answer is kept; outboxes retry
	// within hours, so two weeks is ample.
	idemTTL = 14 * 24 * time.Hour
)

// Options configures New.
type Options struct {
	// DataDir holds brain.db and cv/ (created 0700; files 0600). Required.
	DataDir string
	// Config lists jobs and accounts registered at start; may be nil.
	Config *Config
	// Clock gives "today" and recall windows (default the wall clock).
	Clock clock.Clock
	// Logger receives one line per request (nil: no logging).
	Logger *zerolog.Logger
	// Token overrides Config.Server.Token when non-empty.
	Token string
	// Model answers candidate/chat (llmchat.go); nil builds one from
	// Config.LLM when it is configured, else the rules answer alone.
	Model ChatModel
	// Getenv reads the model's API key variable (default os.Getenv).
	Getenv func(string) string
	// CommitEvery bounds how long an answered write may wait for its
	// durable commit to brain.db (default 100 ms). Until then it is in the
	// redo log, which survives the process but not an operating-system
	// crash or power cut: this is that loss window.
	CommitEvery time.Duration
}

// Server is the built-in brain. Create it with New, serve Handler, Close it.
type Server struct {
	db    *bolt.DB
	cvDir string
	clk   clock.Clock
	log   zerolog.Logger
	token string
	mux   *http.ServeMux

	model ChatModel // nil: rule-based answers only (llmchat.go)
	llm   llmStats

	commit    *committer   // runs every write request (commit.go)
	redo      *redoLog     // the committer's log of answered, uncommitted writes
	decisions *decisionLog // write-behind log of filter decisions

	closeOnce sync.Once
	closeErr  error
}

// New opens (or creates) <DataDir>/brain.db, registers the configured jobs
// and accounts in one transaction, and builds the routes.
func New(opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("brain server: data dir is required")
	}
	s := &Server{clk: opts.Clock, log: zerolog.Nop(), cvDir: filepath.Join(opts.DataDir, "cv"), token: opts.Token}
	if s.clk == nil {
		s.clk = clock.Real{}
	}
	if opts.Logger != nil {
		s.log = *opts.Logger
	}
	if s.token == "" && opts.Config != nil {
		s.token = opts.Config.Server.Token
	}
	if opts.Config != nil {
		if err := opts.Config.Validate(); err != nil {
			return nil, fmt.Errorf("brain server: config: %w", err)
		}
	}
	s.model = opts.Model
	if s.model == nil && opts.Config != nil && opts.Config.LLM.Enabled() {
		c, err := llm.New(opts.Config.LLM, llm.Options{Getenv: opts.Getenv, Logger: opts.Logger})
		if err != nil {
			return nil, fmt.Errorf("brain server: %w", err)
		}
		s.model = c
	}
	for _, d := range []string{opts.DataDir, s.cvDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("brain server: %w", err)
		}
	}
	db, err := bolt.Open(filepath.Join(opts.DataDir, "brain.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second,
		// The freelist is rebuilt at open instead of written by every
		// commit: one page less per write request.
		NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, fmt.Errorf("brain server: open store: %w", err)
	}
	s.db = db
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		s.pruneIdem(tx)
		if opts.Config != nil {
			return s.applyConfig(tx, opts.Config)
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("brain server: init store: %w", err)
	}
	redo, replayed, err := openRedoLog(filepath.Join(opts.DataDir, redoName), db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("brain server: redo log: %w", err)
	}
	if replayed > 0 {
		s.log.Info().Int("writes", replayed).Msg("brain: applied the redo log of an interrupted run")
	}
	if s.decisions, err = openDecisionLog(opts.DataDir, db, s.log); err != nil {
		redo.close()
		db.Close()
		return nil, fmt.Errorf("brain server: decision log: %w", err)
	}
	s.redo = redo
	s.commit = newCommitter(db, redo, opts.CommitEvery)
	s.routes()
	return s, nil
}

// Close finishes the queued writes, commits them and the pending filter
// decisions to the store, and closes it. Call it after the HTTP server has
// stopped serving; later calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		cerr := s.commit.close()
		derr := s.decisions.close()
		s.closeErr = errors.Join(cerr, derr, s.redo.close(), s.db.Close())
	})
	return s.closeErr
}

// view runs fn in a read transaction that sees every answered write.
func (s *Server) view(fn func(tx *bolt.Tx) error) error { return s.commit.view(fn) }

// Handler is the HTTP API: every seed-003 route (POST), GET /debug/decisions
// and GET /healthz. With a token, every route but /healthz requires it;
// without one, /debug/decisions is off (auth.go).
func (s *Server) Handler() http.Handler { return s.mux }

// applyConfig upserts the configured jobs and accounts (the file wins).
func (s *Server) applyConfig(tx *bolt.Tx, c *Config) error {
	now := s.clk.Now()
	for _, j := range c.Jobs {
		id := JobID(j.PlatformType, j.PlatformID)
		var rec jobRec
		if _, err := getJSON(tx, bJobs, []byte(id), &rec); err != nil {
			return err
		}
		if rec.CreatedAt.IsZero() {
			rec.CreatedAt = now
		}
		rec.JobID, rec.PlatformType, rec.PlatformID = id, j.PlatformType, j.PlatformID
		rec.JobName, rec.JobJD, rec.RobotAPI = j.Name, j.JD, j.RobotAPI
		rec.Config = brain.JobConfig{Texts: j.Texts, FilterArgs: j.FilterArgs, Facts: j.Facts, Plan: j.Plan}
		if err := putJSON(tx, bJobs, []byte(id), rec); err != nil {
			return err
		}
	}
	for _, a := range c.Accounts {
		id := AccountID(a.PlatformType, a.PlatformID)
		var rec accountRec
		if _, err := getJSON(tx, bAccounts, []byte(id), &rec); err != nil {
			return err
		}
		if rec.CreatedAt.IsZero() {
			rec.CreatedAt = now
		}
		rec.AccountID, rec.PlatformType, rec.PlatformID, rec.Desc = id, a.PlatformType, a.PlatformID, a.Desc
		rec.Jobs, rec.TaskConfig, rec.UpdatedAt = a.Jobs, a.Tasks, now
		if err := putJSON(tx, bAccounts, []byte(id), rec); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.api(brain.PathJobRegister, s.jobRegister)
	s.api(brain.PathJobQuery, s.jobQuery)
	s.api(brain.PathAccountRegister, s.accountRegister)
	s.api(brain.PathJobRegisterV3, s.manageJobRegister)
	s.api(brain.PathAccountRegisterV3, s.accountRegister)
	s.api(brain.PathAccountQuery, s.accountQuery)
	s.api(brain.PathTaskFetch, s.taskFetch)
	s.api(brain.PathTaskReport, s.taskReport)
	s.api(brain.PathFilter, s.filter)
	s.api(brain.PathChat, s.chat)
	s.api(brain.PathResult, s.result)
	s.api(brain.PathRecallList, s.recallList)
	s.api(brain.PathRecallResult, s.recallResult)
	s.api(brain.PathWechatTaskToDo, s.wechatTaskToDo)
	s.api(brain.PathWechatMsgSent, s.wechatMsgSent)
	s.api(brain.PathWechatAddFriend, s.wechatAddFriend)
	s.api(brain.PathWechatUserMsg, s.wechatUserMsg)
	s.api(brain.PathWechatUserMsgAlt, s.wechatUserMsg)
	debug := s.wrap("/debug/decisions", s.debugDecisions)
	s.mux.HandleFunc("GET /debug/decisions", func(w http.ResponseWriter, r *http.Request) {
		if s.debugAllowed(w) {
			debug.ServeHTTP(w, r)
		}
	})
	llmDebug := s.wrap("/debug/llm", func(*http.Request) (any, error) { return s.LLMStats(), nil })
	s.mux.HandleFunc("GET /debug/llm", func(w http.ResponseWriter, r *http.Request) {
		if s.debugAllowed(w) {
			llmDebug.ServeHTTP(w, r)
		}
	})
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, success{Ret: 0, Msg: "success", Data: brain.StatusData{Status: "ok"}})
	})
}

// apiFunc handles one request and returns the envelope's data or an error:
// *failure (ret -1), *exception (no ret) or anything else (logged, answered
// as an exception without details).
type apiFunc func(r *http.Request) (any, error)

func (s *Server) api(path string, h apiFunc) {
	s.mux.Handle("POST "+path, s.wrap(path, h))
}

// Envelopes, field order as the reference server prints them.
type success struct {
	Ret  int    `json:"ret"`
	Msg  string `json:"msg"`
	Data any    `json:"data"`
}

type exceptionEnv struct {
	Msg    string `json:"msg"`
	Status int    `json:"status"`
	Data   []any  `json:"data"`
}

// failure is a handled failure: {"ret":-1,"msg":"fail","data":reason}.
type failure struct{ reason string }

func (f *failure) Error() string { return f.reason }

func failf(format string, a ...any) error { return &failure{reason: fmt.Sprintf(format, a...)} }

// exception mirrors the reference server's unhandled-exception envelope,
// which is how its look-ups of unknown ids answer.
type exception struct{ msg string }

func (e *exception) Error() string { return e.msg }

func exceptionf(format string, a ...any) error { return &exception{msg: fmt.Sprintf(format, a...)} }

func (s *Server) wrap(path string, h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // request latency is wall-clock telemetry
		outcome := "ok"
		defer func() {
			s.log.Debug().Str("path", path).Str("outcome", outcome).Dur("latency", time.Since(start)).Msg("brain request")
		}()
		if !s.authorized(r) {
			outcome = "unauthorized"
			w.Header().Set("WWW-Authenticate", `Bearer realm="brain"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(success{Ret: -1, Msg: "fail", Data: "unauthorized"})
			return
		}
		data, err := h(r)
		var f *failure
		var e *exception
		switch {
		case err == nil:
			writeJSON(w, success{Ret: 0, Msg: "success", Data: data})
		case errors.As(err, &f):
			outcome = "fail"
			writeJSON(w, success{Ret: -1, Msg: "fail", Data: f.reason})
		case errors.As(err, &e):
			outcome = "exception"
			writeJSON(w, exceptionEnv{Msg: "exception: " + e.msg, Status: 0, Data: []any{}})
		default:
			outcome = "error"
			s.log.Error().Err(err).Str("path", path).Msg("brain request failed")
			writeJSON(w, exceptionEnv{Msg: "exception: internal error", Status: 0, Data: []any{}})
		}
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		// The client went away; nothing else to do.
		return
	}
}

// decode reads a JSON body into v; bad JSON is a handled failure.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxJSONBody))
	if err != nil {
		return failf("请求体读取失败: %v", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return failf("请求体不是合法的JSON: %v", err)
	}
	return nil
}

// requireID rejects an empty id, naming the field like the reference
// server ("job_id为空").
func requireID(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return failf("%s为空", field)
	}
	if strings.ContainsRune(v, 0) {
		return failf("%s含有非法字符", field)
	}
	return nil
}

// update runs fn in the committer's write transaction (commit.go): fn
// writes only through put, del and nextSequence, and may run more than
// once, so it must have no effect outside tx. With an Idempotency-Key header the first answer is stored
// and a replay returns it without running fn.
func (s *Server) update(r *http.Request, path, acct string, fn func(tx *bolt.Tx) (any, error)) (any, error) {
	idem := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	var out any
	err := s.commit.update(func(tx *bolt.Tx) error {
		k := key(path, acct, idem)
		if idem != "" {
			var rec idemRec
			if ok, err := getJSON(tx, bIdem, k, &rec); err != nil {
				return err
			} else if ok {
				out = rec.Data
				return nil
			}
		}
		d, err := fn(tx)
		if err != nil {
			return err
		}
		out = d
		if idem != "" {
			raw, err := json.Marshal(d)
			if err != nil {
				return err
			}
			return putJSON(tx, bIdem, k, idemRec{At: s.clk.Now(), Data: raw})
		}
		return nil
	})
	return out, err
}

type idemRec struct {
	At   time.Time       `json:"at"`
	Data json.RawMessage `json:"data"`
}

func (s *Server) pruneIdem(tx *bolt.Tx) {
	cutoff := s.clk.Now().Add(-idemTTL)
	b := tx.Bucket(bIdem)
	var stale [][]byte
	b.ForEach(func(k, v []byte) error {
		var rec idemRec
		if json.Unmarshal(v, &rec) != nil || rec.At.Before(cutoff) {
			stale = append(stale, append([]byte(nil), k...))
		}
		return nil
	})
	// Deleting while iterating a bbolt cursor skips keys, hence two passes.
	for _, k := range stale {
		b.Delete(k)
	}
}

// today is the account-timezone date used for daily counters.
func (s *Server) today() string { return s.clk.Now().In(clock.Shanghai).Format(time.DateOnly) }
