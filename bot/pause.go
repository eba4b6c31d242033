package bot

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
)

// ErrPaused means the control plane no longer wants this agent to act
// (paused, stopped, moved or pinned elsewhere): the action was not taken.
var ErrPaused = errors.New("account paused by the control plane")

// ActionGate is asked just before every site action (greeting, message,
// follow-up, contact request). Allow returns nil to act or ErrPaused.
// Recheck asks afresh after a pause and reports whether acting may resume.
type ActionGate interface {
	Allow(ctx context.Context) error
	Recheck(ctx context.Context) bool
}

// GateClient is the control-plane call a managed agent's gate makes.
type GateClient interface {
	MayAct(ctx context.Context, key string, epoch uint64) (wire.ActGate, error)
}

// leaseGate is the ActionGate of one leased account. It asks the control
// plane before every action, so a pause acknowledged to the operator stops
// the agent before its next action; only an action already past its check
// can still land. Once told no, it remembers (a local flag, no more asking)
// and pokes the assigner so the lease is released at once.
//
// A failed check lets the action through: the lease is the safety bound
// (an agent that cannot reach the control plane stops when its lease ends),
// and a control-plane blip must not stall every account.
type leaseGate struct {
	ctrl    GateClient
	key     string
	epoch   uint64
	onPause func()
	log     zerolog.Logger
	paused  atomic.Bool
}

// gateTimeout bounds one check so a slow control plane delays an action by
// at most this much.
const gateTimeout = 5 * time.Second

func (g *leaseGate) ask(ctx context.Context) (wire.ActGate, error) {
	c, cancel := context.WithTimeout(ctx, gateTimeout)
	defer cancel()
	return g.ctrl.MayAct(c, g.key, g.epoch)
}

// Allow implements ActionGate.
func (g *leaseGate) Allow(ctx context.Context) error {
	if g.paused.Load() {
		return ErrPaused
	}
	ans, err := g.ask(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		g.log.Warn().Err(err).Str("account", g.key).Msg("cannot ask the control plane before acting; acting under the lease")
		return nil
	}
	if ans.Act {
		return nil
	}
	if !g.paused.Swap(true) {
		g.log.Info().Str("account", g.key).Str("desired", ans.Desired).Str("why", ans.Reason).Msg("control plane says stop acting")
		if g.onPause != nil {
			g.onPause()
		}
	}
	return ErrPaused
}

// Recheck implements ActionGate.
func (g *leaseGate) Recheck(ctx context.Context) bool {
	ans, err := g.ask(ctx)
	if err != nil || !ans.Act {
		return false
	}
	g.paused.Store(false)
	return true
}

// mayAct paces an action and then asks the gate, in that order: the pacing
// wait can be long and the answer must be fresh when the action starts. A
// refused action still counts in the governor's history, which only makes
// pacing more careful.
func (a *Agent) mayAct(ctx context.Context, act Action) error {
	if err := a.gov.Wait(ctx, act); err != nil {
		return err
	}
	if a.ActGate == nil {
		return nil
	}
	return a.ActGate.Allow(ctx)
}

// waitUnpaused holds a paused agent: no action until the gate opens again
// or the assigner stops the agent (normally at once: the gate poked it).
func (a *Agent) waitUnpaused(ctx context.Context) error {
	a.setState(StatePaused, ErrPaused)
	poll := a.cfg.ChatPoll
	if poll <= 0 {
		poll = 20 * time.Second
	}
	for {
		if err := a.Clock.Sleep(ctx, poll); err != nil {
			return err
		}
		if a.ActGate == nil || a.ActGate.Recheck(ctx) {
			a.setState(StateRunning, nil)
			return nil
		}
	}
}
