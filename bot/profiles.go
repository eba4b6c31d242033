package bot

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/pages"
)

// Profiles mode: one Chromium per account, each on a persistent profile
// directory of its own (<profiles_dir>/<account id>, 0700) that survives
// restarts and recycles, so the site always sees the account in the same
// long-lived browser. The account's tab lives in the browser's default
// context, whose cookies and storage the profile keeps. It costs a whole
// Chromium (browser, GPU, network and renderer processes) per account;
// docs/density.md puts both modes side by side.
//
// Each account's browser is its own: static accounts get theirs when the
// runtime attaches, managed accounts when they are assigned (assignment.go),
// and hostProfile closes it when the account stops running here, waiting
// until the profile is free (no process on it, Chromium's lock released) so
// the same profile can be launched again at once. A browser that stops
// answering, or is due for recycling, is relaunched on its own: the other
// accounts' browsers are never touched.

// profileSlot is the Chromium of one account in profiles mode. A slot is
// registered in the runtime under its account key from newSlot to release,
// so one profile never gets two browsers in this process.
type profileSlot struct {
	rt  *Runtime
	key string

	mu   sync.Mutex
	b    *browser.Browser
	sess *pages.Session
	// pid is b's pid (0 while closed), readable without mu, which a
	// launch holds for seconds.
	pid atomic.Int64
}

// launchTimeout bounds one launch (start-up and connection) of a profile's
// browser: a hung start must not hold its launch turn for ever.
const launchTimeout = 3 * time.Minute

// launchParallel is how many profile browsers start at once. A Chromium
// start is a burst of CPU; a worker assigned many accounts at once starts
// them in turns instead of all together (the machine has two cores).
const launchParallel = 2

// newSlot registers the profile slot of account key.
func (rt *Runtime) newSlot(key string) (*profileSlot, error) {
	if _, err := browser.ProfileDir(rt.cfg.Browser.ProfilesDir, key); err != nil {
		return nil, err
	}
	rt.slotMu.Lock()
	defer rt.slotMu.Unlock()
	if rt.slots == nil {
		rt.slots = map[string]*profileSlot{}
	}
	if _, busy := rt.slots[key]; busy {
		return nil, fmt.Errorf("browser profile of account %q: still in use here (its previous run has not ended)", key)
	}
	s := &profileSlot{rt: rt, key: key}
	rt.slots[key] = s
	return s, nil
}

// open launches the account's Chromium on its profile and opens its
// session, unless it is open already.
func (s *profileSlot) open(ctx context.Context) (*pages.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b != nil {
		return s.sess, nil
	}
	rt := s.rt
	select {
	case rt.launchTurn() <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	lctx, cancel := context.WithTimeout(ctx, launchTimeout)
	b, err := browser.LaunchProfile(lctx, browser.Options{Bin: rt.cfg.Browser.Bin, Show: rt.cfg.Browser.Show},
		rt.cfg.Browser.ProfilesDir, s.key)
	cancel()
	<-rt.launchTurn()
	if err != nil {
		return nil, err
	}
	sess, err := pages.NewSession(b.Rod(), pages.Options{BaseURL: rt.cfg.Site.BaseURL, Selectors: &rt.sel})
	if err != nil {
		_ = b.Close()
		return nil, err
	}
	s.b, s.sess = b, sess
	s.pid.Store(int64(b.PID()))
	rt.pid.CompareAndSwap(0, int64(b.PID()))
	return sess, nil
}

// browser is the slot's current Chromium (nil while closed).
func (s *profileSlot) browser() *browser.Browser {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b
}

// close shuts the account's Chromium down and returns once its profile is
// free (browser.Browser.Close waits for that on a kept profile). Closing a
// closed slot does nothing.
func (s *profileSlot) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b == nil {
		return
	}
	s.pid.Store(0) // the metrics stop reading it now: it is going away
	_ = s.sess.Close()
	pid := s.b.PID()
	if err := s.b.Close(); err != nil {
		s.rt.opts.Log.Debug().Err(err).Str("account", s.key).Msg("closing the account's browser")
	}
	s.rt.pid.CompareAndSwap(int64(pid), 0)
	s.b, s.sess = nil, nil
}

// release closes the slot and frees its account key for a new slot.
func (s *profileSlot) release() {
	s.close()
	s.rt.slotMu.Lock()
	if s.rt.slots[s.key] == s {
		delete(s.rt.slots, s.key)
	}
	s.rt.slotMu.Unlock()
}

// profilePIDs are the pids of the profiles-mode browsers open now (none in
// contexts mode), for the worker's memory metrics.
func (rt *Runtime) profilePIDs() []int {
	rt.slotMu.Lock()
	slots := make([]*profileSlot, 0, len(rt.slots))
	for _, s := range rt.slots {
		slots = append(slots, s)
	}
	rt.slotMu.Unlock()
	var pids []int
	for _, s := range slots {
		if pid := s.pid.Load(); pid > 0 {
			pids = append(pids, int(pid))
		}
	}
	return pids
}

// launchTurn is the semaphore of profile browser launches.
func (rt *Runtime) launchTurn() chan struct{} {
	rt.slotMu.Lock()
	defer rt.slotMu.Unlock()
	if rt.launches == nil {
		rt.launches = make(chan struct{}, launchParallel)
	}
	return rt.launches
}

// attachProfiles launches every static agent's browser and opens its
// session, so a worker that cannot start Chromium fails at start-up.
// Managed accounts get theirs when assigned. A given shared browser
// (RuntimeOptions.Browser, tests) is not used: the mode is about each
// account having its own.
func (rt *Runtime) attachProfiles(ctx context.Context) error {
	for _, a := range rt.agents {
		s, err := rt.newSlot(a.cfg.ID)
		if err != nil {
			rt.release()
			return err
		}
		rt.detach = append(rt.detach, s.release)
		sess, err := s.open(ctx)
		if err != nil {
			rt.release()
			return err
		}
		a.Site = PageSite{sess}
	}
	return nil
}

// runStatic runs a static agent until ctx ends: in profiles mode on its own
// browser (hostProfile), else on the session attach gave it.
func (rt *Runtime) runStatic(ctx context.Context, a *Agent) {
	if rt.cfg.Browser.Mode != browser.ModeProfiles {
		runAgent(ctx, a)
		return
	}
	rt.slotMu.Lock()
	s := rt.slots[a.cfg.ID]
	rt.slotMu.Unlock()
	if s == nil { // attach failed half-way; Run only starts after it succeeded
		a.setState(StateError, fmt.Errorf("browser profile of account %q: not attached", a.cfg.ID))
		return
	}
	rt.hostProfile(ctx, a, s)
}

// hostProfile runs agent a on the account's own Chromium until ctx ends,
// then closes that browser and releases the slot (the profile is free when
// it returns). A browser that stops answering or is due for recycling
// (browser.recycle_every, counted per account) is closed and relaunched on
// the same profile, and the agent resumes from worker.db; the runtime's
// other browsers are not touched. A launch that fails is retried with a
// backoff while the account shows the error.
func (rt *Runtime) hostProfile(ctx context.Context, a *Agent, s *profileSlot) {
	defer s.release()
	backoff := time.Second
	for ctx.Err() == nil {
		sess, err := s.open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.setState(StateError, fmt.Errorf("browser: %w", err))
			rt.opts.Log.Error().Err(err).Str("account", s.key).Dur("retry_in", backoff).Msg("browser launch failed")
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
		a.Site = PageSite{sess}
		gen, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); runAgent(gen, a) }()
		reason := rt.watch(gen, []*browser.Browser{s.browser()})
		cancel()
		<-done
		s.close()
		if ctx.Err() != nil {
			return
		}
		rt.opts.Log.Warn().Str("account", s.key).Str("reason", reason).Msg("restarting the account's browser")
		rt.restarts.Add(1)
	}
}

// runAgent runs a until ctx ends; a panic puts the account in error instead
// of ending the worker.
func runAgent(ctx context.Context, a *Agent) {
	defer func() {
		if r := recover(); r != nil {
			a.setState(StateError, fmt.Errorf("agent crashed: %v", r))
		}
	}()
	_ = a.Run(ctx)
}
