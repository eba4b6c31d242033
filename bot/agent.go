package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot/cadence"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/rules"
	"github.com/hunterbot/hunterbot/state/worker"
)

// AccountState is where an account stands, as operators see it (the
// heartbeat's state field).
type AccountState string

// Account states.
const (
	StateStarting   AccountState = "starting"
	StateRunning    AccountState = "running"
	StateNeedsLogin AccountState = "needs_login"
	StatePausedRisk AccountState = "paused_risk"
	// StatePaused: the control plane paused (or moved) a managed account
	// and its agent holds still until the assigner stops it.
	StatePaused  AccountState = "paused"
	StateQuota   AccountState = "quota_reached"
	StateStopped AccountState = "stopped"
	StateError   AccountState = "error"
)

// Status is an account's state and today's counters.
type Status struct {
	Account   string
	Name      string
	State     AccountState
	Greeted   int // greetings confirmed today
	Planned   int // greetings the brain planned today
	Replies   int // conversations with a candidate reply
	Contacts  int // contacts captured
	LastError string
	Since     time.Time
}

// Deps are the components an Agent uses.
type Deps struct {
	Site   Site
	Brain  Brain
	DB     *worker.DB
	Clock  clock.Clock
	Log    zerolog.Logger
	Outbox *Outbox // optional: poked after enqueueing
	// Keywords, when set, is the keyword rule set every new message is
	// evaluated against; hits go to the control plane through the outbox.
	Keywords KeywordRules
	DataDir  string // QR codes and CVs go under it
	// Alert, when set, is called on state changes that need an operator
	// (risk, login, quota). It must not block.
	Alert func(Status)
	// Relay, when set, sends QR codes and the session of a managed account
	// to the control plane (assignment.go).
	Relay LoginRelay
	// ActGate, when set, is asked before every site action (pause.go); not
	// to be confused with the send gate (Hosting.Gate, sendgate.go).
	ActGate ActionGate
	// AdoptHistory makes conversations this worker has no record of the
	// bot's own, read from the site (adopt.go): set for a managed account
	// that ran elsewhere before, whose history is the previous holder's.
	AdoptHistory bool
}

// Agent runs one recruiter account.
type Agent struct {
	cfg          AccountConfig
	platformType string
	brainAccount string
	Deps
	gov      *Governor
	extract  *rules.Extractor
	me       pages.UserInfo
	plan     *dayPlan
	filtered map[string]bool // candidates the brain declined today

	mu        sync.Mutex
	status    Status
	manual    []wire.Send       // manual sends queued by operators
	commands  []wire.Command    // operator commands to apply
	followups *cadence.Snapshot // follow-up configs from the control plane
	notify    notifyState       // notification tasks (notify.go)
	planHost  planHostState     // plan tasks (plan.go)
	// lastRecall is when the brain was last asked whom to recall.
	lastRecall time.Time
	gates      gateCounters // send gate decisions (sendgate.go)
	daily      *dayTally    // per-day counts of this run (daycount.go)
	push       pushState    // push.go
}

// NewAgent builds the agent of one account.
func NewAgent(cfg AccountConfig, platformType string, d Deps) *Agent {
	pacing := DefaultPacing()
	if cfg.Pacing != nil {
		pacing = *cfg.Pacing
	}
	if platformType == "" {
		platformType = "boss"
	}
	a := &Agent{
		cfg: cfg, platformType: platformType,
		brainAccount: "account_" + platformType + "_" + cfg.PlatformID,
		Deps:         d,
		gov:          NewGovernor(d.Clock, clock.Shanghai, pacing, seedOf(cfg.ID)),
		filtered:     map[string]bool{},
		extract:      rules.NewExtractor(),
		daily:        newDayTally(),
	}
	a.Log = d.Log.With().Str("account", cfg.ID).Logger()
	a.status = Status{Account: cfg.ID, Name: cfg.Name, State: StateStarting, Since: d.Clock.Now()}
	return a
}

func seedOf(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Status returns a snapshot of the account's status.
func (a *Agent) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

func (a *Agent) setState(state AccountState, cause error) {
	a.mu.Lock()
	changed := a.status.State != state
	a.status.State = state
	if cause != nil {
		a.status.LastError = cause.Error()
	}
	if changed {
		a.status.Since = a.Clock.Now()
	}
	st := a.status
	a.mu.Unlock()
	if !changed {
		return
	}
	ev := a.Log.Info()
	if state == StatePausedRisk || state == StateNeedsLogin || state == StateQuota || state == StateError {
		ev = a.Log.Warn().Bool("alert", true)
		if a.Alert != nil {
			a.Alert(st)
		}
	}
	if cause != nil {
		ev = ev.AnErr("cause", cause)
	}
	ev.Str("state", string(state)).Msg("account state")
}

func (a *Agent) count(f func(*Status)) {
	a.mu.Lock()
	f(&a.status)
	a.mu.Unlock()
}

// Run drives the account until ctx is done. Errors of one cycle never end
// the run: risk pauses, logouts wait for a login, other errors back off.
func (a *Agent) Run(ctx context.Context) error {
	defer a.setState(StateStopped, nil)
	backoff := time.Minute
	timeouts := 0 // consecutive cycles ended by a page step's own deadline
	for ctx.Err() == nil {
		err := a.session(ctx)
		if err == nil {
			err = a.reconcile(ctx)
		}
		for err == nil && ctx.Err() == nil {
			err = a.cycle(ctx)
			if err == nil {
				backoff = time.Minute
				timeouts = 0
				if serr := a.idle(ctx); serr != nil {
					return nil
				}
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case errors.Is(err, ErrPaused):
			if werr := a.waitUnpaused(ctx); werr != nil {
				return nil
			}
		case errors.Is(err, pages.ErrRisk):
			if werr := a.waitRiskCleared(ctx, err); werr != nil {
				return nil
			}
		case errors.Is(err, pages.ErrLoggedOut):
			a.setState(StateNeedsLogin, err)
		case errors.Is(err, context.DeadlineExceeded) && timeouts < transientTimeouts:
			// A page step ran out of its own time (the run's context is
			// alive): on a busy machine the browser answers late, which is
			// not the account's fault. Retry soon without the error state
			// and its alert; only a run of them is an error.
			timeouts++
			a.Log.Warn().Err(err).Int("in_a_row", timeouts).Msg("cycle step timed out; retrying")
			if serr := a.Clock.Sleep(ctx, timeoutRetry); serr != nil {
				return nil
			}
		default:
			timeouts = 0
			a.setState(StateError, err)
			if serr := a.Clock.Sleep(ctx, backoff); serr != nil {
				return nil
			}
			if backoff < 30*time.Minute {
				backoff *= 2
			}
		}
	}
	return nil
}

// transientTimeouts is how many cycles in a row may end on a page step's
// deadline before the account is in error; timeoutRetry is the wait before
// each retry.
const (
	transientTimeouts = 3
	timeoutRetry      = 15 * time.Second
)

// session makes sure the tab is logged in, restoring the saved session or
// logging in as configured, and learns the recruiter's uid.
func (a *Agent) session(ctx context.Context) error {
	var blob []byte
	_ = a.DB.View(func(tx *worker.Tx) (err error) { blob, err = tx.Session(a.cfg.ID); return })
	if len(blob) > 0 {
		if err := a.Site.RestoreSession(ctx, blob); err != nil {
			a.Log.Warn().Err(err).Msg("saved session unusable")
		}
	}
	me, err := a.Site.Me(ctx)
	if errors.Is(err, pages.ErrLoggedOut) {
		if err := a.login(ctx); err != nil {
			return err
		}
		me, err = a.Site.Me(ctx)
	}
	if err != nil {
		return err
	}
	a.me = me
	if blob, err := a.Site.SaveSession(ctx); err == nil {
		if err := a.DB.Update(func(tx *worker.Tx) error { return tx.PutSession(a.cfg.ID, blob) }); err != nil {
			return err
		}
		if a.Relay != nil {
			a.Relay.Session(ctx, blob)
		}
	}
	a.Log.Info().Int64("uid", me.UserID).Msg("logged in")
	a.setState(StateRunning, nil)
	return nil
}

func (a *Agent) login(ctx context.Context) error {
	switch a.cfg.Login.Method {
	case "password":
		pw := a.cfg.Login.Password
		if a.cfg.Login.PasswordEnv != "" {
			pw = os.Getenv(a.cfg.Login.PasswordEnv)
		}
		return a.Site.PasswordLogin(ctx, a.cfg.Login.Username, pw)
	default: // qr: only a human can log in
		a.setState(StateNeedsLogin, pages.ErrLoggedOut)
		for ctx.Err() == nil {
			qr, err := a.Site.QRCode(ctx)
			if err != nil {
				return err
			}
			var werr error
			show := func(qr pages.QR) {
				if werr == nil {
					werr = a.showQR(ctx, qr)
				}
			}
			show(qr)
			err = a.Site.WaitQRLogin(ctx, qr, qrWait, show)
			if werr != nil {
				return werr
			}
			if err == nil && a.Relay != nil {
				a.Relay.LoggedIn(ctx)
			}
			if err == nil || !errors.Is(err, pages.ErrLoggedOut) {
				return err
			}
		}
		return ctx.Err()
	}
}

// qrWait is how long one login page is watched for a scan before it is
// opened afresh. The page refreshes its code itself meanwhile and every
// new code is relayed at once; reopening only guards against a page that
// stopped refreshing.
const qrWait = 10 * time.Minute

// qrDefaultTTL is the validity assumed for a code whose page did not say.
const qrDefaultTTL = 2 * time.Minute

// showQR puts a code where a human can scan it: a 0600 PNG under the data
// dir and, for a managed account, the control plane with its expiry. The
// expiry is on the agent's clock, which is the site's.
func (a *Agent) showQR(ctx context.Context, qr pages.QR) error {
	path := filepath.Join(a.DataDir, "qr", a.cfg.ID+".png")
	if err := writePrivate(path, qr.PNG); err != nil {
		return err
	}
	a.Log.Warn().Bool("alert", true).Str("qr", path).Msg("scan the QR code with the site's app to log in")
	if a.Relay != nil {
		ttl := qr.TTL
		if ttl <= 0 {
			ttl = qrDefaultTTL
		}
		a.Relay.QR(ctx, qr.PNG, a.Clock.Now().Add(ttl))
	}
	return nil
}

func writePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// waitRiskCleared pauses the account: no clicks, no typing, no solving.
// It only looks at the site now and then until a human has cleared the
// verification.
func (a *Agent) waitRiskCleared(ctx context.Context, cause error) error {
	a.setState(StatePausedRisk, cause)
	for {
		if err := a.Clock.Sleep(ctx, 5*time.Minute); err != nil {
			return err
		}
		err := a.Site.OpenChat(ctx)
		if err == nil {
			a.Log.Info().Msg("risk page gone; resuming")
			a.setState(StateRunning, nil)
			return nil
		}
		if !errors.Is(err, pages.ErrRisk) {
			a.Log.Info().Err(err).Msg("risk page gone")
			return nil
		}
	}
}

// cycle is one round of work: answer conversations, then greet what the
// plan allows now.
func (a *Agent) cycle(ctx context.Context) error {
	if err := a.applyCommands(); err != nil {
		return err
	}
	if err := a.chatPass(ctx); err != nil {
		return err
	}
	if err := a.followupPass(ctx); err != nil {
		return err
	}
	if err := a.manualPass(ctx); err != nil {
		return err
	}
	if err := a.notifyPass(ctx); err != nil { // notify.go
		return err
	}
	if err := a.planPass(ctx); err != nil { // plan.go
		return err
	}
	if err := a.recallPass(ctx); err != nil {
		return err
	}
	if err := a.greetPass(ctx); err != nil {
		return err
	}
	if err := a.parkOnChat(ctx); err != nil {
		return err
	}
	if a.Outbox != nil {
		a.Outbox.Poke()
	}
	return nil
}

// reconcile settles greetings and sends left "intended" by a crash, by
// looking at the site, before any new action.
func (a *Agent) reconcile(ctx context.Context) error {
	var greetings []worker.Greeting
	var sends []worker.Send
	err := a.DB.View(func(tx *worker.Tx) (err error) {
		if greetings, err = tx.PendingGreetings(a.cfg.ID); err != nil {
			return err
		}
		sends, err = tx.PendingSends(a.cfg.ID)
		return err
	})
	if err != nil || (len(greetings) == 0 && len(sends) == 0) {
		return err
	}
	if err := a.Site.OpenChat(ctx); err != nil {
		return err
	}
	rows, err := a.Site.Rows(ctx)
	if err != nil {
		return err
	}
	inList := map[string]bool{}
	for _, r := range rows {
		inList[fmt.Sprint(r.UID)] = true
	}
	for _, g := range greetings {
		// A greeting creates the conversation: its presence is the site's
		// confirmation. Absent means the click never landed; it is NOT
		// retried (a lost greeting is better than a duplicate).
		if inList[g.CandidateID] {
			err = a.confirmGreeting(g.CandidateID, g.JobID, "", "reconciled: conversation exists")
		} else {
			err = a.DB.Update(func(tx *worker.Tx) error {
				_, err := tx.SettleGreeting(a.cfg.ID, g.CandidateID, worker.Abandoned, "reconciled: no conversation on the site")
				return err
			})
		}
		if err != nil {
			return err
		}
		a.Log.Info().Str("candidate", g.CandidateID).Msg("reconciled an unconfirmed greeting")
	}
	// Sends are reconciled per conversation by the chat pass, which reads
	// the history anyway; mark their conversations for a visit.
	for _, s := range sends {
		err := a.DB.Update(func(tx *worker.Tx) error {
			var c Conversation
			if err := tx.Conversation(a.cfg.ID, s.CandidateID, &c); err != nil {
				return err
			}
			c.LastRowText = "\x00reconcile"
			return a.putConversation(tx, c)
		})
		if err != nil && !errors.Is(err, worker.ErrNotFound) {
			return err
		}
	}
	return nil
}

// siteJobID maps a brain job id to the site's job id.
func (a *Agent) siteJobID(brainJob string) string {
	for _, j := range a.cfg.Jobs {
		if j.BrainJobID == brainJob {
			return j.SiteJobID
		}
	}
	return strings.TrimPrefix(brainJob, "job_"+a.platformType+"_")
}

// brainJobID maps a site job id to the brain's job id.
func (a *Agent) brainJobID(siteJob string) string {
	for _, j := range a.cfg.Jobs {
		if j.SiteJobID == siteJob {
			return j.BrainJobID
		}
	}
	return "job_" + a.platformType + "_" + siteJob
}
