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
}

// Runtime is a running worker: one worker.db, one Chromium, one browser
// context and Agent per account, one outbox, one heartbeat.
type Runtime struct {
	cfg    *Config
	opts   RuntimeOptions
	db     *worker.DB
	outbox *Outbox
	ctrl   *client.Worker
	agents []*Agent
	owned  *browser.Browser // the browser this runtime launched (nil when given one)
	sel    pages.Selectors
	closes []func() // store and clients, closed at the end
	detach []func() // browser, contexts and sessions of the current generation
	// restarts counts browser relaunches (crash or recycle).
	restarts atomic.Int64
	// pid is the pid of the owned browser of the current generation.
	pid atomic.Int64
	// followupVersion is the version of the follow-up configs last pulled.
	followupVersion uint64
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
	logger := opts.Log
	dialect, err := brain.ParseDialect(cfg.Brain.Dialect)
	if err != nil {
		return nil, err
	}
	bc, err := brain.New(brain.Options{BaseURL: cfg.Brain.URL, Token: cfg.Brain.Token, Timeout: cfg.Brain.Timeout,
		Clock: opts.Clock, Logger: &logger, Dialect: dialect})
	if err != nil {
		return nil, fmt.Errorf("brain client: %w", err)
	}
	rt.ctrl = client.NewWorker(cfg.Control.URL, cfg.Control.Token, 20*time.Second)
	rt.outbox = NewOutbox(db, opts.Clock, opts.Log, map[string]Deliverer{
		TargetBrain: BrainDeliverer(bc), TargetControl: ControlDeliverer(rt.ctrl),
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
		}))
	}
	if len(rt.agents) == 0 {
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
	go func() { defer bg.Done(); _ = rt.outbox.Run(ctx) }()
	go func() { defer bg.Done(); rt.heartbeat(ctx) }()
	backoff := time.Second
	for ctx.Err() == nil {
		gen, cancel := context.WithCancel(ctx)
		var agents sync.WaitGroup
		for _, a := range rt.agents {
			agents.Add(1)
			go func() {
				defer agents.Done()
				defer func() {
					if r := recover(); r != nil {
						a.setState(StateError, fmt.Errorf("agent crashed: %v", r))
					}
				}()
				_ = a.Run(gen)
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
		rt.release()
		for ctx.Err() == nil {
			err := rt.attach(ctx)
			if err == nil {
				backoff = time.Second
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
	b := rt.owned
	if b == nil {
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
			if err := b.Ping(ctx, 10*time.Second); err != nil && ctx.Err() == nil {
				rt.opts.Log.Error().Err(err).Msg("browser not answering")
				return "crashed"
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

// pull fetches the manual sends and operator commands queued for this
// worker's accounts and hands them to their agents.
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
	} else if changed {
		rt.followupVersion = snap.Version
		fu := cadence.FromState(snap.Version, snap.Configs)
		for _, a := range rt.agents {
			a.SetFollowups(fu)
		}
		rt.opts.Log.Info().Uint64("version", snap.Version).Int("configs", len(snap.Configs)).Msg("follow-up configs updated")
	}
	for _, a := range rt.agents {
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
	statuses := make([]wire.AccountStatus, 0, len(rt.agents))
	parked := rt.parkedCounts() // parking.go
	for _, a := range rt.agents {
		s := a.Status()
		statuses = append(statuses, wire.AccountStatus{Key: s.Account, Name: s.Name, State: s.State, LastError: s.LastError,
			Counters: map[string]int64{"greeted": int64(s.Greeted), "planned": int64(s.Planned),
				"replies": int64(s.Replies), "contacts": int64(s.Contacts),
				wire.CounterParked: int64(parked[s.Account] + parked[a.brainAccount])}})
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
