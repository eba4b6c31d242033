package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot/cadence"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/rules"
	"github.com/hunterbot/hunterbot/state/worker"
)

// RuntimeOptions are the process-level parts of a worker.
type RuntimeOptions struct {
	Clock clock.Clock
	Log   zerolog.Logger
	// Browser, when set, is used instead of launching one (tests share a
	// browser); the runtime then does not close it.
	Browser *browser.Browser
	// Accounts limits the run to these account ids (empty: all).
	Accounts []string
	// Heartbeat is how often statuses go to the control plane [30s].
	Heartbeat time.Duration
	// Brain and Control, when set, replace the clients NewRuntime would
	// build from the config (tests and embedders pass their own).
	Brain   BrainClient
	Control Control
	// BrainObserve, when set, is given to the brain client NewRuntime
	// builds (brain.Options.Observe): /metrics latency histograms.
	BrainObserve func(endpoint, outcome string, d time.Duration)
}

// BrainClient is everything the worker asks of the brain: the agents'
// synchronous questions and the outbox's reports. *brain.Client
// implements it.
type BrainClient interface {
	Brain
	BrainReporter
}

// Control is the control plane's worker API as the runtime uses it: the
// outbox's pushes plus the heartbeat and the pulls (manual sends, operator
// commands, follow-up configs, keyword rules). *client.Worker implements it.
type Control interface {
	ControlPusher
	Heartbeat(ctx context.Context, accounts []wire.AccountStatus) (wire.HeartbeatResponse, error)
	PendingSends(ctx context.Context) ([]wire.Send, error)
	Commands(ctx context.Context) ([]wire.Command, error)
	FollowupConfigs(ctx context.Context, have uint64) (*wire.FollowupSnapshot, bool, error)
	KeywordRules(ctx context.Context, have uint64) (*wire.KeywordRuleSnapshot, bool, error)
}

// Runtime is a running worker: one worker.db, one Chromium, one browser
// context and Agent per account, one outbox, one heartbeat.
type Runtime struct {
	cfg    *Config
	opts   RuntimeOptions
	db     *worker.DB
	outbox *Outbox
	ctrl   Control
	agents []*Agent
	owned  *browser.Browser // the browser this runtime launched (nil when given one)
	sel    pages.Selectors
	closes []func() // store and clients, closed at the end
	detach []func() // browser, contexts and sessions of the current generation
	// restarts counts browser relaunches (crash or recycle).
	restarts atomic.Int64
	// pid is the pid of the owned browser of the current generation.
	pid atomic.Int64
	// followupVersion is the version of the follow-up configs last pulled;
	// followupPulled tells a pulled version 0 (none configured) from none
	// pulled yet. The client cannot ask "unless 0" (0 means "send it"), so
	// without it every pull re-applied and re-logged an empty set.
	followupVersion uint64
	followupPulled  bool
	// Managed accounts (assignment.go): the assigner (nil without
	// capacity.max_accounts), the current browser, the brain client and
	// the last follow-up snapshot, which new agents start with.
	asg   *assigner
	cur   atomic.Pointer[browser.Browser]
	brain Brain
	fuMu  sync.Mutex
	fu    *cadence.Snapshot
	// keywords holds the keyword rule set every agent evaluates messages
	// against; keywordVersion is the version last pulled (keywordPulled as
	// followupPulled).
	keywords       *rules.Engine
	keywordVersion uint64
	keywordPulled  bool
	// slots are the per-account browsers of profiles mode by account key,
	// launches the turns of their launches (profiles.go).
	slotMu   sync.Mutex
	slots    map[string]*profileSlot
	launches chan struct{}
}

// NewRuntime opens the worker's store and browser and builds the agents.
func NewRuntime(ctx context.Context, cfg *Config, opts RuntimeOptions) (*Runtime, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 30 * time.Second
	}
	rt := &Runtime{cfg: cfg, opts: opts}
	ok := false
	defer func() {
		if !ok {
			rt.close()
		}
	}()
	db, err := worker.Open(filepath.Join(cfg.DataDir, "worker.db"), opts.Clock)
	if err != nil {
		return nil, err
	}
	rt.db = db
	rt.closes = append(rt.closes, func() { _ = db.Close() })
	bc := opts.Brain
	if bc == nil {
		logger := opts.Log
		dialect, err := brain.ParseDialect(cfg.Brain.Dialect)
		if err != nil {
			return nil, err
		}
		c, err := brain.New(brain.Options{BaseURL: cfg.Brain.URL, Token: cfg.Brain.Token, Timeout: cfg.Brain.Timeout,
			Clock: opts.Clock, Logger: &logger, Dialect: dialect, Observe: opts.BrainObserve})
		if err != nil {
			return nil, fmt.Errorf("brain client: %w", err)
		}
		bc = c
	}
	rt.ctrl = opts.Control
	if rt.ctrl == nil {
		rt.ctrl = client.NewWorker(cfg.Control.URL, cfg.Control.Token, 20*time.Second)
	}
	rt.brain = bc
	if cfg.Capacity.MaxAccounts > 0 {
		asg, ok := rt.ctrl.(AssignmentClient)
		if !ok {
			return nil, errors.New("capacity.max_accounts: the control client cannot pull assignments")
		}
		rt.asg = newAssigner(rt, asg, cfg.Capacity.MaxAccounts, cfg.Capacity.Pull)
	}
	rt.keywords = rules.NewEngine(nil)
	rt.outbox = NewOutbox(db, opts.Clock, opts.Log, map[string]Deliverer{
		TargetBrain: BrainDeliverer(bc), TargetControl: ControlDelivererFenced(rt.ctrl, rt.epochOf),
	}, OutboxOptions{})
	sel, err := pages.LoadSelectors(cfg.Site.Selectors)
	if err != nil {
		return nil, err
	}
	rt.sel = sel
	for _, acc := range cfg.Accounts {
		if !selected(acc.ID, opts.Accounts) {
			continue
		}
		rt.agents = append(rt.agents, NewAgent(acc, cfg.Brain.PlatformType, Deps{
			Brain: bc, DB: db, Clock: opts.Clock, Log: opts.Log, Outbox: rt.outbox, DataDir: cfg.DataDir,
			Keywords: rt.keywords,
		}))
	}
	if len(rt.agents) == 0 && rt.asg == nil {
		return nil, fmt.Errorf("accounts: none of %v is configured", opts.Accounts)
	}
	if err := rt.attach(ctx); err != nil {
		return nil, err
	}
	ok = true
	return rt, nil
}

// attach launches the browser (unless one was given) and opens one
// browser context and session per agent.
func (rt *Runtime) attach(ctx context.Context) error {
	if rt.cfg.Browser.Mode == browser.ModeProfiles {
		return rt.attachProfiles(ctx)
	}
	b := rt.opts.Browser
	if b == nil {
		var err error
		if b, err = browser.Launch(ctx, browser.Options{Bin: rt.cfg.Browser.Bin, Show: rt.cfg.Browser.Show,
			UserDataDir: rt.cfg.Browser.ProfileDir}); err != nil {
			return err
		}
		rt.owned = b
		rt.pid.Store(int64(b.PID()))
		rt.detach = append(rt.detach, func() { _ = b.Close() })
	}
	rt.cur.Store(b)
	for _, a := range rt.agents {
		ctxBrowser, err := b.NewContext()
		if err != nil {
			rt.release()
			return err
		}
		rt.detach = append(rt.detach, func() { _ = ctxBrowser.Close() })
		sess, err := pages.NewSession(ctxBrowser, pages.Options{BaseURL: rt.cfg.Site.BaseURL, Selectors: &rt.sel})
		if err != nil {
			rt.release()
			return err
		}
		rt.detach = append(rt.detach, func() { _ = sess.Close() })
		a.Site = PageSite{sess}
	}
	return nil
}

// release closes the sessions, contexts and owned browser of attach.
func (rt *Runtime) release() {
	for i := len(rt.detach) - 1; i >= 0; i-- {
		rt.detach[i]()
	}
	rt.detach, rt.owned = nil, nil
}

func selected(id string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, o := range only {
		if o == id {
			return true
		}
	}
	return false
}

// Agents returns the runtime's agents.
func (rt *Runtime) Agents() []*Agent { return rt.agents }

// BrowserRestarts reports how many times the browser was relaunched.
func (rt *Runtime) BrowserRestarts() int { return int(rt.restarts.Load()) }

// BrowserPID is the pid of the browser this runtime launched (0 when it
// was given one).
func (rt *Runtime) BrowserPID() int { return int(rt.pid.Load()) }

// DB returns the worker store (tests inspect it).
func (rt *Runtime) DB() *worker.DB { return rt.db }

// Run runs every agent, the outbox and the heartbeat until ctx is done,
// then flushes the outbox briefly and closes everything. An agent that
// fails does not stop the others. A browser this runtime launched is
// recycled every Browser.RecycleEvery (rod and Chromium grow over days) and
// relaunched when it dies; the agents then resume from worker.db.
func (rt *Runtime) Run(ctx context.Context) error {
	defer rt.close()
	var bg sync.WaitGroup
	bg.Add(2)
	// The rule set is in place before the first message is read, so no
	// message is marked seen unevaluated just because the worker started.
	rt.pullKeywordRules(ctx)
	go func() { defer bg.Done(); _ = rt.outbox.Run(ctx) }()
	go func() { defer bg.Done(); rt.heartbeat(ctx) }()
	if rt.asg != nil {
		bg.Add(1)
		go func() { defer bg.Done(); rt.asg.run(ctx) }()
	}
	backoff := time.Second
	for ctx.Err() == nil {
		gen, cancel := context.WithCancel(ctx)
		var agents sync.WaitGroup
		for _, a := range rt.agents {
			agents.Add(1)
			go func() {
				defer agents.Done()
				rt.runStatic(gen, a) // profiles.go
			}()
		}
		reason := rt.watchBrowser(gen)
		cancel()
		agents.Wait()
		if ctx.Err() != nil {
			break
		}
		rt.opts.Log.Warn().Str("reason", reason).Msg("restarting the browser")
		rt.restarts.Add(1)
		if rt.asg != nil {
			rt.asg.stopAll() // restarted with the new browser at the next pull
		}
		rt.release()
		for ctx.Err() == nil {
			err := rt.attach(ctx)
			if err == nil {
				backoff = time.Second
				if rt.asg != nil {
					rt.asg.pokeNow()
				}
				break
			}
			rt.opts.Log.Error().Err(err).Dur("retry_in", backoff).Msg("browser relaunch failed")
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
		}
	}
	rt.release()
	bg.Wait()
	// Deliver what can be delivered quickly; the rest stays durable.
	flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = rt.outbox.Pass(flush)
	rt.beat(flush)
	return nil
}

// watchBrowser blocks until ctx is done ("") or, for a browser this runtime
// owns, until it stops answering ("crashed") or is due for recycling
// ("recycle"). It uses wall time: browser health and memory growth are
// real-world matters, not simulated ones.
func (rt *Runtime) watchBrowser(ctx context.Context) string {
	// The one browser of contexts mode. In profiles mode each account
	// watches its own (hostProfile), so a crash restarts only that one.
	var watched []*browser.Browser
	if rt.owned != nil {
		watched = []*browser.Browser{rt.owned}
	}
	return rt.watch(ctx, watched)
}

// watch is watchBrowser over the given browsers.
func (rt *Runtime) watch(ctx context.Context, watched []*browser.Browser) string {
	if len(watched) == 0 {
		<-ctx.Done()
		return ""
	}
	var recycle <-chan time.Time
	if every := rt.cfg.Browser.RecycleEvery; every > 0 {
		t := time.NewTimer(every)
		defer t.Stop()
		recycle = t.C
	}
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-recycle:
			return "recycle"
		case <-tick.C:
			for _, b := range watched {
				if err := b.Ping(ctx, 10*time.Second); err != nil && ctx.Err() == nil {
					rt.opts.Log.Error().Err(err).Str("profile", b.DataDir()).Msg("browser not answering")
					return "crashed"
				}
			}
		}
	}
}

func (rt *Runtime) heartbeat(ctx context.Context) {
	for {
		rt.beat(ctx)
		rt.pull(ctx)
		if err := rt.opts.Clock.Sleep(ctx, rt.opts.Heartbeat); err != nil {
			return
		}
	}
}

// pullKeywordRules fetches the keyword rule set when its version changed
// and swaps the compiled set in for every agent. A set that does not
// compile (a control plane newer than this worker) keeps the old one.
func (rt *Runtime) pullKeywordRules(ctx context.Context) {
	snap, changed, err := rt.ctrl.KeywordRules(ctx, rt.keywordVersion)
	if err != nil {
		if ctx.Err() == nil {
			rt.opts.Log.Warn().Err(err).Msg("pull keyword rules")
		}
		return
	}
	if !changed || (rt.keywordPulled && snap.Version == rt.keywordVersion) {
		return
	}
	set, err := rules.Compile(snap.Rules, snap.Version)
	if err != nil {
		rt.opts.Log.Error().Err(err).Uint64("version", snap.Version).Msg("keyword rules do not compile; keeping the previous set")
		return
	}
	rt.keywords.Swap(set)
	rt.keywordVersion, rt.keywordPulled = snap.Version, true
	rt.opts.Log.Info().Uint64("version", snap.Version).Int("rules", set.Len()).Msg("keyword rules updated")
}

// pull fetches the manual sends and operator commands queued for this
// worker's accounts and hands them to their agents, and the follow-up
// configs and keyword rules when their versions changed.
func (rt *Runtime) pull(ctx context.Context) {
	sends, err := rt.ctrl.PendingSends(ctx)
	if err != nil {
		if ctx.Err() == nil {
			rt.opts.Log.Warn().Err(err).Msg("pull manual sends")
		}
		return
	}
	cmds, err := rt.ctrl.Commands(ctx)
	if err != nil {
		if ctx.Err() == nil {
			rt.opts.Log.Warn().Err(err).Msg("pull operator commands")
		}
		return
	}
	if snap, changed, err := rt.ctrl.FollowupConfigs(ctx, rt.followupVersion); err != nil {
		if ctx.Err() == nil {
			rt.opts.Log.Warn().Err(err).Msg("pull follow-up configs")
		}
	} else if changed && (!rt.followupPulled || snap.Version != rt.followupVersion) {
		rt.followupVersion, rt.followupPulled = snap.Version, true
		fu := cadence.FromState(snap.Version, snap.Configs)
		rt.fuMu.Lock()
		rt.fu = &fu
		rt.fuMu.Unlock()
		for _, a := range rt.liveAgents() {
			a.SetFollowups(fu)
		}
		rt.opts.Log.Info().Uint64("version", snap.Version).Int("configs", len(snap.Configs)).Msg("follow-up configs updated")
	}
	rt.pullKeywordRules(ctx)
	rt.pullNotify(ctx) // notify.go
	rt.pullPlans(ctx)  // plan.go
	for _, a := range rt.liveAgents() {
		var mine []wire.Send
		for _, s := range sends {
			if s.Account == a.cfg.ID {
				mine = append(mine, s)
			}
		}
		a.SetManualSends(mine)
		var myCmds []wire.Command
		for _, c := range cmds {
			if c.Account == a.cfg.ID {
				myCmds = append(myCmds, c)
			}
		}
		a.AddCommands(myCmds)
	}
}

func (rt *Runtime) beat(ctx context.Context) {
	agents := rt.liveAgents()
	statuses := make([]wire.AccountStatus, 0, len(agents))
	parked := rt.parkedCounts() // parking.go
	for _, a := range agents {
		s := a.Status()
		run, days := a.DayCounts() // daycount.go
		statuses = append(statuses, wire.AccountStatus{Key: s.Account, Name: s.Name, State: wire.AccountState(s.State), LastError: s.LastError, Epoch: rt.epochOf(s.Account), Run: run, Days: days,
			Counters: map[string]int64{"greeted": int64(s.Greeted), "planned": int64(s.Planned),
				"replies": int64(s.Replies), "contacts": int64(s.Contacts),
				wire.CounterParked:      int64(parked[s.Account] + parked[a.brainAccount]),
				wire.CounterGateBlocked: a.GateStats().Total()}})
	}
	// The worker's browser restarts ride along with every account (the
	// console's workers page shows the figure per worker).
	for i := range statuses {
		statuses[i].Counters["browser_restarts"] = rt.restarts.Load()
	}
	if _, err := rt.ctrl.Heartbeat(ctx, statuses); err != nil && !errors.Is(err, context.Canceled) {
		rt.opts.Log.Warn().Err(err).Msg("heartbeat to the control plane failed")
	}
}

func (rt *Runtime) close() {
	rt.release()
	for i := len(rt.closes) - 1; i >= 0; i-- {
		rt.closes[i]()
	}
	rt.closes = nil
}
