// Package console is the operators' web console, served by `hunterbot
// serve` under /ui/: server-rendered html/template pages with embedded
// assets (no CDN), zh-CN first with an English toggle.
//
// It calls the control plane's store in-process through Store, a
// consumer-defined interface that *state.DB implements, so tests run it on
// a real bbolt file. Operators log in with the control plane's users (the
// password grant's CheckPassword and IssueTokens); the session is the
// issued access token in an HttpOnly, SameSite=Strict cookie, and every
// POST carries a CSRF token derived from it (auth.go, docs/console.md).
package console

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/rules"
	"github.com/hunterbot/hunterbot/state"
)

//go:embed assets templates
var embedded embed.FS

// Store is everything the console reads and writes, in the store's own
// terms. *state.DB implements it.
type Store interface {
	// Login and sessions (the password grant, in-process).
	CheckPassword(username, password string) error
	IssueTokens(username, clientID string, accessTTL, refreshTTL time.Duration) (wire.TokenPair, error)
	CheckAccessToken(token string) (string, error)
	RevokeToken(token, clientID string) (int, error)

	// Fleet, accounts and workers.
	ListAccounts() ([]wire.Account, error)
	ManagedAccount(key string) (wire.ManagedAccount, error)
	CreateManagedAccount(spec wire.AccountSpec, sealedPassword []byte, reason string) (wire.ManagedAccount, error)
	PatchManagedAccount(key string, p wire.AccountPatch, sealedPassword []byte, validate func(wire.AccountSpec) error) (wire.ManagedAccount, error)
	LoginStatus(key string) (wire.LoginStatus, error)
	ListAlerts(accountKey string, page, pageSize int) ([]wire.Alert, int, error)
	QueueReplay(accountKey, note, requestedBy string) (wire.Command, bool, error)
	WorkerPulls() ([]state.WorkerPull, error)

	// Conversations, contacts, follow-up records and manual sends.
	ListConversations(f wire.ConversationFilter, page, pageSize int) ([]wire.Conversation, int, error)
	QueueRelease(accountKey, candidateID, note, requestedBy string) (wire.Command, bool, error)
	QueryContacts(f wire.ContactFilter, page, pageSize int) ([]wire.Contact, int, error)
	EachContact(f wire.ContactFilter, fn func(*wire.Contact) error) error
	ContactFunnel() (byAccount map[uint64]state.FunnelCounts, byPosition map[string]state.FunnelCounts)
	ScriptFunnel() ([]state.ScriptCounts, error)
	ContactByCandidate(accountID uint64, candidateID string) (wire.Contact, error)
	ListRecords(f wire.RecordFilter, page, pageSize int) ([]wire.FollowupRecord, int, error)
	QueueSend(contactID uint64, content string) (wire.FollowupRecord, error)
	// ListTranscript pages the messages workers read from the site (transcripts.go in state).
	ListTranscript(accountKey, candidateID string, page, pageSize int) ([]wire.StoredMessage, int, error)

	// Follow-up configs and scripts.
	ListConfigs(position *string, active *bool) ([]wire.ConfigWithScripts, error)
	CreateConfig(p wire.ConfigPatch) (wire.FollowupConfig, error)
	UpdateConfig(id uint64, p wire.ConfigPatch) (wire.ConfigWithScripts, error)
	CreateScript(p wire.ScriptPatch) (wire.FollowupScript, error)
	UpdateScript(id uint64, p wire.ScriptPatch) (wire.FollowupScript, error)
	DeleteScript(id uint64) error

	// Keyword rules (seed 004).
	ListKeywordRules(cursor string, limit int) ([]rules.Rule, string, bool, error)
	CreateKeywordRule(r rules.Rule) (rules.Rule, error)
	DeleteKeywordRule(id string) error

	// AI-hosted marketing-notice plans (seed 002).
	ListMNGroups() ([]wire.MNGroup, error)
	ListMNPlans() ([]wire.MNPlan, error)
	SetMNPlanStatus(id uint64, to string) (wire.MNPlan, error)
	MNPlanCounters() (map[uint64]wire.MNPlanSummary, error)

	// Notification tasks (seed 002).
	ListNotifyTasks(f wire.NotifyTaskFilter, current, size int) ([]wire.NotifyTask, int, error)
	NotifyTask(id uint64) (wire.NotifyTask, error)
	NotifyExecutions(taskID uint64, orderBy string, desc bool, current, size int) ([]wire.NotifyExecution, int, error)
	TerminateNotifyTask(id uint64, reason string) (wire.NotifyStatus, error)
}

var _ Store = (*state.DB)(nil)

// ClientID is the OAuth client the console's sessions are issued to; it
// is not a registered client (the console checks the password in-process),
// only the tag that lets logout revoke console sessions alone.
const ClientID = "hunterbot-console"

// Options configure a console.
type Options struct {
	Store  Store
	Clock  clock.Clock    // default clock.Real{}
	Logger zerolog.Logger // default: disabled
	// SessionTTL is how long a login lasts (default 8h); there is no
	// refresh: after it the operator logs in again.
	SessionTTL time.Duration
	// TrustProxy makes X-Forwarded-Proto: https mark the cookie Secure
	// (set it only behind a TLS-terminating proxy you run).
	TrustProxy bool
	// ValidateAccount checks a new account's spec the way workers run it
	// (bot.ValidateSpec); nil skips the domain checks.
	ValidateAccount func(wire.AccountSpec) error
	// LogFile is the control plane's JSON log; the account page shows its
	// recent lines about the account ("" hides the panel).
	LogFile string
	// TempDir receives export files while they are streamed (default the
	// OS temporary directory).
	TempDir string
	// EventEvery is how often the fleet's Server-Sent Events stream looks
	// for changes (default 2s, wall time).
	EventEvery time.Duration
}

// Console serves /ui/.
type Console struct {
	opt   Options
	store Store
	clock clock.Clock
	log   zerolog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux
	login *throttle
	// exportSlot lets one export run at a time (each walks the index and
	// writes a workbook).
	exportSlot chan struct{}
	report     reportCache
}

// New builds a console; mount Handler() at /ui/.
func New(opt Options) (*Console, error) {
	if opt.Store == nil {
		return nil, errors.New("console: Options.Store is required")
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = 8 * time.Hour
	}
	if opt.EventEvery <= 0 {
		opt.EventEvery = 2 * time.Second
	}
	c := &Console{opt: opt, store: opt.Store, clock: opt.Clock, log: opt.Logger,
		login: newThrottle(), exportSlot: make(chan struct{}, 1)}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	c.routes()
	return c, nil
}

// Handler serves every /ui/ path.
func (c *Console) Handler() http.Handler { return c.mux }

func (c *Console) routes() {
	m := http.NewServeMux()
	assets, _ := fs.Sub(embedded, "assets")
	static := http.StripPrefix("/ui/assets/", http.FileServer(http.FS(assets)))
	m.Handle("GET /ui/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		static.ServeHTTP(w, r)
	}))
	m.HandleFunc("GET /ui/login", c.loginPage)
	m.HandleFunc("POST /ui/login", c.loginPost)
	m.HandleFunc("GET /ui/lang", c.setLang)
	m.Handle("POST /ui/logout", c.authed(c.logout))
	m.Handle("GET /ui/{$}", http.RedirectHandler("/ui/fleet", http.StatusSeeOther))
	m.Handle("GET /ui", http.RedirectHandler("/ui/fleet", http.StatusSeeOther))

	get := func(p string, h func(w http.ResponseWriter, r *http.Request, s *session)) {
		m.Handle("GET "+p, c.authed(h))
	}
	post := func(p string, h func(w http.ResponseWriter, r *http.Request, s *session)) {
		m.Handle("POST "+p, c.authed(h))
	}
	get("/ui/fleet", c.fleetPage)
	get("/ui/fleet/rows", c.fleetRows)
	get("/ui/fleet/events", c.fleetEvents)
	post("/ui/accounts", c.createAccount)
	get("/ui/accounts/{key}", c.accountPage)
	get("/ui/accounts/{key}/qr", c.qrPanel)
	post("/ui/accounts/{key}/desired", c.setDesired)
	post("/ui/accounts/{key}/move", c.moveAccount)
	post("/ui/accounts/{key}/replay", c.replayParked)
	get("/ui/conversations", c.conversationsPage)
	get("/ui/conversations/{account}/{candidate}", c.conversationPage)
	post("/ui/conversations/{account}/{candidate}/release", c.releaseConversation)
	post("/ui/conversations/{account}/{candidate}/send", c.sendMessage)
	get("/ui/contacts", c.contactsPage)
	get("/ui/contacts/export", c.exportContacts)
	get("/ui/followups", c.followupsPage)
	post("/ui/followups/configs", c.saveConfig)
	post("/ui/followups/scripts", c.saveScript)
	post("/ui/followups/scripts/{id}/delete", c.deleteScript)
	get("/ui/keyword-rules", c.keywordRulesPage)
	post("/ui/keyword-rules", c.createKeywordRule)
	post("/ui/keyword-rules/{id}/delete", c.deleteKeywordRule)
	get("/ui/workers", c.workersPage)
	get("/ui/reports", c.reportsPage)
	get("/ui/plans", c.plansPage)
	post("/ui/plans/{id}/status", c.setPlanStatus)
	get("/ui/notify", c.notifyPage)
	get("/ui/notify/{id}", c.notifyTaskPage)
	post("/ui/notify/{id}/terminate", c.terminateNotify)
	m.Handle("/ui/", c.authed(func(w http.ResponseWriter, r *http.Request, s *session) {
		c.fail(w, r, s, http.StatusNotFound, errors.New(r.URL.Path))
	}))
	c.mux = m
}

// reportCache keeps the last funnel report: it walks every contact, so
// it is shared by every viewer and rebuilt at most once a minute.
type reportCache struct {
	mu       sync.Mutex
	at       time.Time
	rep      *report
	building bool       // a background rebuild is running
	build    sync.Mutex // serialises foreground builds
}

// Mount returns a handler that serves /ui and /ui/... from the console
// and everything else from next (the control plane's API).
func Mount(next http.Handler, c *Console) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ui" || strings.HasPrefix(r.URL.Path, "/ui/") {
			c.mux.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
