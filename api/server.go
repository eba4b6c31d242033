// Package api is the control plane's HTTP server: the seed-000 follow-up
// API, the seed-001 contacts API and Excel export, OAuth2 token issuing
// (seed 002), worker endpoints, accounts status and hot backup.
//
// Construct it with NewServer and mount Handler() on any listener; Run
// drives the clock-based housekeeping (expired exports and tokens). Every
// route is declared in routes.go; every /api route requires a Bearer token.
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/netguard"
)

// Store is everything the server needs from persistence. Its vocabulary
// (records, inputs, filters, sentinel errors) lives in api/wire, so a
// backend imports wire, never the other way round. *state.DB implements it
// (checked in store_test.go); a PostgreSQL backend would implement the same
// methods.
// Extension point: a feature adding store methods defines its own small
// interface in its file and embeds it here (one line).
type Store interface {
	authStore
	followupStore
	contactStore
	workerStore
	exportStore
	keywordRuleStore
	releaseStore
	alertStore
	imStore
	workerLostStore
	replayStore
	managedStore
	marketingStore
	filesStore  // files.go
	notifyStore // notify.go
	transcriptStore
	WriteBackup(w io.Writer, size func(int64)) (int64, error)
}

// Options configure a Server. Store is required; the rest has defaults.
type Options struct {
	Store  Store
	Clock  clock.Clock    // default clock.Real{}
	Logger zerolog.Logger // default: disabled
	// PublicURL is how clients reach this server; export download_url is
	// built from it (default http://127.0.0.1:8000).
	PublicURL string
	// DataDir holds media/exports (default ./data).
	DataDir string
	// AccessTokenTTL and RefreshTokenTTL of issued tokens (defaults 3h, 30 days).
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	// ExportTTL is how long an export link and file live (default 1h);
	// CleanupEvery is the housekeeping period (default 5m, clock time).
	ExportTTL    time.Duration
	CleanupEvery time.Duration
	// MaxBodyBytes bounds request bodies (default 1 MiB; larger -> 413).
	MaxBodyBytes int64
	// Secrets seals account passwords and sessions at rest; without it the
	// control plane refuses to store them (accounts_managed.go).
	Secrets Sealer
	// ValidateAccount checks an account spec the way workers will run it
	// (bot.ValidateSpec); nil skips the domain checks.
	ValidateAccount func(wire.AccountSpec) error
	// Outbound lists the non-public addresses webhooks and callbacks may
	// reach (ssrf.go); by default only public addresses are reachable.
	Outbound OutboundConfig
	// Throttle tunes /oauth/token failure throttling (throttle.go).
	Throttle ThrottleConfig
	// Metrics, when set, is the registry GET /metrics serves (metrics.go);
	// MetricsToken is the static scrape token it accepts besides operator
	// access tokens.
	Metrics      *prometheus.Registry
	MetricsToken string
	// MaxFileBytes bounds one upload to /api/v1/file (default 20 MiB).
	MaxFileBytes int64
}

// longAnswerTimeout is the write deadline of answers whose length grows
// with the data (backups, exports) instead of the server's write timeout.
const longAnswerTimeout = 30 * time.Minute

// Server is the control plane HTTP server.
type Server struct {
	opt       Options
	store     Store
	clock     clock.Clock
	log       zerolog.Logger
	exportDir string
	mux       *http.ServeMux
	famOf     map[string]family // route pattern -> its error envelope
	// inProgress holds export file names being written, so the cleanup
	// pass never deletes a file before its link is recorded.
	inProgress sync.Map
	// exportSlot lets one export run at a time: each holds an excelize
	// workbook in memory, and queued operators wait rather than multiply
	// the server's peak memory.
	exportSlot chan struct{}
	// hitWake and alertWake wake the keyword-hit and alert delivery loops
	// when hits arrive or a heartbeat may have queued an alert.
	hitWake, alertWake wakeup
	// guard vets every outbound connection; hitHTTP and alertHTTP are the
	// guarded clients of keyword-hit callbacks and alert webhooks.
	guard     netguard.Guard
	hitHTTP   *http.Client
	alertHTTP *http.Client
	// throttle slows down credential guessing on /oauth/token.
	throttle *throttle
	// handler is the server, wrapped with the HTTP metrics when enabled;
	// metrics and metricsHandler are nil without Options.Metrics.
	handler        http.Handler
	metrics        *controlMetrics
	metricsHandler http.Handler
}

// NewServer validates opts, creates the export directory (0700) and builds
// the route table.
func NewServer(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("api: Options.Store is required")
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.PublicURL == "" {
		opts.PublicURL = "http://127.0.0.1:8000"
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	if opts.DataDir == "" {
		opts.DataDir = "data"
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = 3 * time.Hour
	}
	if opts.RefreshTokenTTL <= 0 {
		opts.RefreshTokenTTL = 30 * 24 * time.Hour
	}
	if opts.ExportTTL <= 0 {
		opts.ExportTTL = time.Hour
	}
	if opts.CleanupEvery <= 0 {
		opts.CleanupEvery = 5 * time.Minute
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	s := &Server{opt: opts, store: opts.Store, clock: opts.Clock, log: opts.Logger,
		exportDir: filepath.Join(opts.DataDir, "media", "exports"), exportSlot: make(chan struct{}, 1),
		hitWake: newWakeup(), alertWake: newWakeup()}
	guard, err := opts.Outbound.guard()
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	s.guard = guard
	s.hitHTTP, s.alertHTTP = s.guard.Client(hitPostTimeout), s.guard.Client(alertPostTimeout)
	s.throttle = newThrottle(opts.Throttle, opts.Clock)
	if err := os.MkdirAll(s.exportDir, 0o700); err != nil {
		return nil, fmt.Errorf("api: export dir: %w", err)
	}
	s.initMetrics() // metrics.go
	s.mux = http.NewServeMux()
	s.famOf = map[string]family{}
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern, s.wrap(rt))
		s.famOf[rt.pattern] = rt.fam
	}
	// Unknown /api paths and known ones with the wrong method answer in
	// JSON (after auth, so the route list is not probeable without a
	// token).
	s.mux.Handle("/api/", s.wrap(route{pattern: "/api/", fam: famPlain, auth: authUser, h: func(w http.ResponseWriter, r *http.Request) error {
		if methods, fam := s.allowedMethods(r); len(methods) > 0 {
			methodNotAllowed(w, r, methods, fam)
			return nil
		}
		return errNotFound("no such endpoint: " + r.Method + " " + r.URL.Path)
	}}))
	return s, nil
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler { return s.handler }

// Run performs housekeeping on the server's clock until ctx ends: expired
// export files and links, expired tokens. It returns ctx.Err().
func (s *Server) Run(ctx context.Context) error {
	for {
		s.Cleanup()
		if err := s.clock.Sleep(ctx, s.opt.CleanupEvery); err != nil {
			return err
		}
	}
}

// Cleanup runs one housekeeping pass now (Run calls it periodically).
func (s *Server) Cleanup() {
	if n, err := s.cleanupExports(); err != nil {
		s.log.Warn().Err(err).Msg("export cleanup")
	} else if n > 0 {
		s.log.Info().Int("removed", n).Msg("expired exports removed")
	}
	if n, err := s.store.PurgeExpiredTokens(); err != nil {
		s.log.Warn().Err(err).Msg("token cleanup")
	} else if n > 0 {
		s.log.Debug().Int("removed", n).Msg("expired tokens removed")
	}
}
