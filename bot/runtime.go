package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/bot/cadence"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state"
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
	owned  *browser.Browser
	closes []func()
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
	bc, err := brain.New(brain.Options{BaseURL: cfg.Brain.URL, Token: cfg.Brain.Token, Timeout: cfg.Brain.Timeout,
		Clock: opts.Clock, Logger: &logger})
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
	b := opts.Browser
	if b == nil {
		if b, err = browser.Launch(ctx, browser.Options{Bin: cfg.Browser.Bin, Show: cfg.Browser.Show,
			UserDataDir: cfg.Browser.ProfileDir}); err != nil {
			return nil, err
		}
		rt.owned = b
		rt.closes = append(rt.closes, func() { _ = b.Close() })
	}
	for _, acc := range cfg.Accounts {
		if !selected(acc.ID, opts.Accounts) {
			continue
		}
		ctxBrowser, err := b.NewContext()
		if err != nil {
			return nil, err
		}
		rt.closes = append(rt.closes, func() { _ = ctxBrowser.Close() })
		sess, err := pages.NewSession(ctxBrowser, pages.Options{BaseURL: cfg.Site.BaseURL, Selectors: &sel})
		if err != nil {
			return nil, err
		}
		rt.closes = append(rt.closes, func() { _ = sess.Close() })
		rt.agents = append(rt.agents, NewAgent(acc, cfg.Brain.PlatformType, Deps{
			Site: PageSite{sess}, Brain: bc, DB: db, Clock: opts.Clock, Log: opts.Log,
			Outbox: rt.outbox, DataDir: cfg.DataDir,
		}))
	}
	if len(rt.agents) == 0 {
		return nil, fmt.Errorf("accounts: none of %v is configured", opts.Accounts)
	}
	ok = true
	return rt, nil
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

// DB returns the worker store (tests inspect it).
func (rt *Runtime) DB() *worker.DB { return rt.db }

// Run runs every agent, the outbox and the heartbeat until ctx is done,
// then flushes the outbox briefly and closes everything. An agent that
// fails does not stop the others.
func (rt *Runtime) Run(ctx context.Context) error {
	defer rt.close()
	var wg sync.WaitGroup
	for _, a := range rt.agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					a.setState(StateError, fmt.Errorf("agent crashed: %v", r))
				}
			}()
			_ = a.Run(ctx)
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); _ = rt.outbox.Run(ctx) }()
	go func() { defer wg.Done(); rt.heartbeat(ctx) }()
	wg.Wait()
	// Deliver what can be delivered quickly; the rest stays durable.
	flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = rt.outbox.Pass(flush)
	rt.beat(flush)
	return nil
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
		var mine []state.Send
		for _, s := range sends {
			if s.Account == a.cfg.ID {
				mine = append(mine, s)
			}
		}
		a.SetManualSends(mine)
		var myCmds []state.Command
		for _, c := range cmds {
			if c.Account == a.cfg.ID {
				myCmds = append(myCmds, c)
			}
		}
		a.AddCommands(myCmds)
	}
}

func (rt *Runtime) beat(ctx context.Context) {
	statuses := make([]state.AccountStatus, 0, len(rt.agents))
	for _, a := range rt.agents {
		s := a.Status()
		statuses = append(statuses, state.AccountStatus{Key: s.Account, Name: s.Name, State: s.State, LastError: s.LastError,
			Counters: map[string]int64{"greeted": int64(s.Greeted), "planned": int64(s.Planned),
				"replies": int64(s.Replies), "contacts": int64(s.Contacts)}})
	}
	if _, err := rt.ctrl.Heartbeat(ctx, statuses); err != nil && !errors.Is(err, context.Canceled) {
		rt.opts.Log.Warn().Err(err).Msg("heartbeat to the control plane failed")
	}
}

func (rt *Runtime) close() {
	for i := len(rt.closes) - 1; i >= 0; i-- {
		rt.closes[i]()
	}
	rt.closes = nil
}
