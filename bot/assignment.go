package bot

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot/cadence"
	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// LoginRelay sends what a managed account's login produces to the control
// plane: the QR code a human must scan, the end of that wait, and the site
// session (so it moves with the account). Failures are logged, never fatal:
// the account keeps running on this worker either way.
type LoginRelay interface {
	QR(ctx context.Context, png []byte, expires time.Time)
	LoggedIn(ctx context.Context)
	Session(ctx context.Context, blob []byte)
}

// AssignmentClient is the part of the control-plane worker client the
// assigner uses.
type AssignmentClient interface {
	Assignment(ctx context.Context, req wire.AssignmentRequest) (wire.AssignmentResponse, error)
	UploadSession(ctx context.Context, key string, epoch uint64, session []byte) error
	UploadQR(ctx context.Context, key string, epoch uint64, png []byte, expires time.Time, done bool) error
	GateClient
}

// leased is one managed account this worker runs under a lease.
type leased struct {
	key     string
	epoch   uint64
	version uint64
	agent   *Agent
	cancel  context.CancelFunc
	done    chan struct{}

	mu       sync.Mutex
	deadline time.Time // local wall time after which the agent must not act
}

func (l *leased) renew(deadline time.Time) {
	l.mu.Lock()
	if deadline.After(l.deadline) {
		l.deadline = deadline
	}
	l.mu.Unlock()
}

func (l *leased) until() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Until(l.deadline)
}

func (l *leased) finished() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// assigner runs the managed accounts the control plane assigns to this
// worker. Every pull reports what runs (key and epoch), renews those
// leases and returns the full assignment; agents are started and stopped
// one by one, the others untouched.
//
// Lease safety: a pull sent at local time T renews the lease until the
// control plane's receipt time + lease, which is after T + lease. The agent
// stops at T + lease - margin, so it has stopped before the control plane
// can grant the account to another worker, whatever the network did. Time
// here is wall time on both sides: leases are a real-world matter.
type assigner struct {
	rt    *Runtime
	ctrl  AssignmentClient
	max   int
	every time.Duration
	poke  chan struct{}

	mu   sync.Mutex
	held map[string]*leased
	// last is the epoch each account last ran at here: its outbox items
	// still carry it after the agent stopped, and the control plane accepts
	// them until the account is granted to someone else.
	last map[string]uint64
}

func newAssigner(rt *Runtime, ctrl AssignmentClient, max int, every time.Duration) *assigner {
	return &assigner{rt: rt, ctrl: ctrl, max: max, every: every, poke: make(chan struct{}, 1), held: map[string]*leased{}, last: map[string]uint64{}}
}

// leaseMargin is how long before the lease ends an agent stops.
func leaseMargin(lease time.Duration) time.Duration {
	return max(lease/5, time.Second)
}

// run pulls every period (or at once when poked) until ctx ends, then
// stops every agent and returns once they have.
func (s *assigner) run(ctx context.Context) {
	defer s.stopAll()
	for {
		s.pullOnce(ctx)
		t := time.NewTimer(s.every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.poke:
			t.Stop()
		case <-t.C:
		}
	}
}

func (s *assigner) pokeNow() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// epochOf returns the epoch this worker runs account key at (0: not
// managed here).
func (s *assigner) epochOf(key string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.held[key]; ok {
		return l.epoch
	}
	return s.last[key]
}

// agents returns the running managed agents in key order.
func (s *assigner) agents() []*Agent {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.held))
	for k := range s.held {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*Agent, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.held[k].agent)
	}
	return out
}

func (s *assigner) pullOnce(ctx context.Context) {
	s.mu.Lock()
	req := wire.AssignmentRequest{MaxAccounts: s.max, Held: []wire.HeldLease{}}
	for k, l := range s.held {
		if !l.finished() {
			req.Held = append(req.Held, wire.HeldLease{Key: k, Epoch: l.epoch})
		}
	}
	s.mu.Unlock()
	sent := time.Now()
	resp, err := s.ctrl.Assignment(ctx, req)
	if err != nil {
		if ctx.Err() == nil {
			s.rt.opts.Log.Warn().Err(err).Msg("assignment pull failed; agents stop when their lease ends")
		}
		return
	}
	lease := time.Duration(resp.LeaseSeconds * float64(time.Second))
	deadline := sent.Add(lease - leaseMargin(lease))
	want := map[string]wire.Assigned{}
	for _, a := range resp.Accounts {
		want[a.Spec.Key] = a
	}
	stopped := false
	s.mu.Lock()
	var stop []*leased
	for k, l := range s.held {
		a, ok := want[k]
		if !ok || a.Epoch != l.epoch || a.Version != l.version || l.finished() {
			stop = append(stop, l)
			delete(s.held, k)
			continue
		}
		// Renew first: stopping and starting agents below can take seconds
		// on a loaded machine, and must not let the kept leases lapse.
		l.renew(deadline)
	}
	s.mu.Unlock()
	// Cancel them all first: each one's wind-down (in profiles mode closing
	// its Chromium until the profile is free) then runs in parallel.
	for _, l := range stop {
		l.cancel()
	}
	for _, l := range stop {
		s.stop(l, "no longer assigned here or changed")
		stopped = true
	}
	for k, a := range want {
		s.mu.Lock()
		_, ok := s.held[k]
		s.mu.Unlock()
		if ok {
			continue
		}
		if err := s.start(ctx, a, deadline); err != nil {
			s.rt.opts.Log.Error().Err(err).Str("account", k).Msg("cannot start a managed account")
			stopped = true // report it not running so the lease goes back
		}
	}
	if stopped {
		s.pokeNow() // report the stops now so the leases are released
	}
}

// start builds and runs the agent of one assigned account.
func (s *assigner) start(ctx context.Context, a wire.Assigned, deadline time.Time) error {
	rt := s.rt
	spec := a.Spec
	if a.Password != "" {
		spec.Login.Password = a.Password
	}
	acc, err := AccountFromSpec(spec)
	if err != nil {
		return err
	}
	if len(a.Session) > 0 {
		if err := rt.db.Update(func(tx *worker.Tx) error { return tx.PutSession(acc.ID, a.Session) }); err != nil {
			return err
		}
	}
	if err := seedHandedOver(rt.db, acc.ID, a.HandedOver); err != nil {
		return err
	}
	l := &leased{key: acc.ID, epoch: a.Epoch, version: a.Version, done: make(chan struct{}), deadline: deadline}
	ag := NewAgent(acc, rt.cfg.Brain.PlatformType, Deps{Brain: rt.brain, DB: rt.db, Clock: rt.opts.Clock, Log: rt.opts.Log,
		Outbox: rt.outbox, DataDir: rt.cfg.DataDir, Keywords: rt.keywords,
		Relay:   relay{ctrl: s.ctrl, key: acc.ID, epoch: a.Epoch, log: rt.opts.Log},
		ActGate: &leaseGate{ctrl: s.ctrl, key: acc.ID, epoch: a.Epoch, onPause: s.pokeNow, log: rt.opts.Log},
		// Epoch 1 is the account's first grant: conversations it has that
		// this worker does not know are a human's. Later grants follow
		// another run; on this worker its records exist, elsewhere the
		// history is the previous holder's.
		AdoptHistory: a.Epoch > 1})
	if fu := rt.followups(); fu != nil {
		ag.SetFollowups(*fu)
	}
	l.agent = ag
	run, err := s.browserFor(ag)
	if err != nil {
		return err
	}
	actx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	s.mu.Lock()
	s.held[acc.ID] = l
	s.last[acc.ID] = a.Epoch
	s.mu.Unlock()
	rt.opts.Log.Info().Str("account", acc.ID).Uint64("epoch", a.Epoch).Msg("managed account started")
	go func() {
		defer close(l.done)
		run(actx)
	}()
	// Watchdog: stop the agent when its lease was not renewed in time.
	go func() {
		for {
			d := l.until()
			if d <= 0 {
				if !l.finished() {
					rt.opts.Log.Warn().Str("account", l.key).Uint64("epoch", l.epoch).Msg("lease not renewed in time: stopping the agent")
				}
				cancel()
				return
			}
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-l.done:
				t.Stop()
				return
			}
		}
	}()
	return nil
}

// browserFor gives an assigned account's agent its browser and returns
// what runs the agent on it until the lease's context ends. Contexts mode:
// a new browser context in the worker's Chromium, closed when the agent
// ends. Profiles mode: the account's own Chromium on its persistent
// profile, launched by the returned run (a launch takes seconds, and the
// other accounts' pulls and leases must not wait for it) and closed, the
// profile free, before it returns (profiles.go).
func (s *assigner) browserFor(ag *Agent) (func(context.Context), error) {
	rt := s.rt
	if rt.cfg.Browser.Mode == browser.ModeProfiles {
		slot, err := rt.newSlot(ag.cfg.ID)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) { rt.hostProfile(ctx, ag, slot) }, nil
	}
	b := rt.cur.Load()
	if b == nil {
		return nil, errors.New("no browser")
	}
	bctx, err := b.NewContext()
	if err != nil {
		return nil, err
	}
	sess, err := pages.NewSession(bctx, pages.Options{BaseURL: rt.cfg.Site.BaseURL, Selectors: &rt.sel})
	if err != nil {
		_ = bctx.Close()
		return nil, err
	}
	ag.Site = PageSite{sess}
	return func(ctx context.Context) {
		defer func() { _ = sess.Close(); _ = bctx.Close() }()
		runAgent(ctx, ag)
	}, nil
}

// stop cancels an agent and waits for it to end.
func (s *assigner) stop(l *leased, why string) {
	l.cancel()
	<-l.done
	s.rt.opts.Log.Info().Str("account", l.key).Uint64("epoch", l.epoch).Str("why", why).Msg("managed account stopped")
}

// stopAll stops every managed agent (shutdown, browser relaunch); the next
// pull reports none running and the control plane grants them afresh.
func (s *assigner) stopAll() {
	s.mu.Lock()
	all := make([]*leased, 0, len(s.held))
	for _, l := range s.held {
		all = append(all, l)
	}
	s.held = map[string]*leased{}
	s.mu.Unlock()
	for _, l := range all {
		l.cancel()
	}
	for _, l := range all {
		s.stop(l, "worker stopping or browser restarting")
	}
}

// relay is the LoginRelay of one leased account.
type relay struct {
	ctrl  AssignmentClient
	key   string
	epoch uint64
	log   zerolog.Logger
}

// relayTimeout bounds one relay call so a slow control plane never holds
// up the agent.
const relayTimeout = 10 * time.Second

func (r relay) QR(ctx context.Context, png []byte, expires time.Time) {
	c, cancel := context.WithTimeout(ctx, relayTimeout)
	defer cancel()
	if err := r.ctrl.UploadQR(c, r.key, r.epoch, png, expires, false); err != nil {
		r.log.Warn().Err(err).Str("account", r.key).Msg("relaying the QR code failed")
	}
}

func (r relay) LoggedIn(ctx context.Context) {
	c, cancel := context.WithTimeout(ctx, relayTimeout)
	defer cancel()
	if err := r.ctrl.UploadQR(c, r.key, r.epoch, nil, time.Time{}, true); err != nil {
		r.log.Warn().Err(err).Str("account", r.key).Msg("reporting the QR login failed")
	}
}

func (r relay) Session(ctx context.Context, blob []byte) {
	c, cancel := context.WithTimeout(ctx, relayTimeout)
	defer cancel()
	if err := r.ctrl.UploadSession(c, r.key, r.epoch, blob); err != nil {
		r.log.Warn().Err(err).Str("account", r.key).Msg("storing the session at the control plane failed")
	}
}

// liveAgents returns the static agents and the managed ones running now.
func (rt *Runtime) liveAgents() []*Agent {
	if rt.asg == nil {
		return rt.agents
	}
	return append(append([]*Agent(nil), rt.agents...), rt.asg.agents()...)
}

// epochOf is the lease epoch writes for account key carry (0 for static
// accounts and accounts not running here, which the control plane refuses
// for managed accounts).
func (rt *Runtime) epochOf(key string) uint64 {
	if rt.asg == nil {
		return 0
	}
	return rt.asg.epochOf(key)
}

// followups returns the last follow-up snapshot pulled (nil before one).
func (rt *Runtime) followups() *cadence.Snapshot {
	rt.fuMu.Lock()
	defer rt.fuMu.Unlock()
	return rt.fu
}
