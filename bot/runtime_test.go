package bot

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/rules"
)

// fakePlane is the control plane's worker API behind the Control port.
type fakePlane struct {
	fakeControl
	sends      []wire.Send
	sendsErr   error
	cmds       []wire.Command
	followups  *wire.FollowupSnapshot
	keywords   *wire.KeywordRuleSnapshot
	keywordErr error
	haves      []uint64 // the versions the runtime said it had
	beats      [][]wire.AccountStatus
}

func (p *fakePlane) Heartbeat(_ context.Context, st []wire.AccountStatus) (wire.HeartbeatResponse, error) {
	p.beats = append(p.beats, st)
	return wire.HeartbeatResponse{}, p.err
}

func (p *fakePlane) PendingSends(context.Context) ([]wire.Send, error) { return p.sends, p.sendsErr }
func (p *fakePlane) Commands(context.Context) ([]wire.Command, error)  { return p.cmds, nil }

func (p *fakePlane) FollowupConfigs(_ context.Context, have uint64) (*wire.FollowupSnapshot, bool, error) {
	// As the real client: have 0 sends no If-None-Match, so the server
	// answers with its snapshot even when its version is 0 too.
	if p.followups == nil || (have > 0 && p.followups.Version == have) {
		return nil, false, nil
	}
	return p.followups, true, nil
}

func (p *fakePlane) KeywordRules(_ context.Context, have uint64) (*wire.KeywordRuleSnapshot, bool, error) {
	p.haves = append(p.haves, have)
	if p.keywordErr != nil {
		return nil, false, p.keywordErr
	}
	if p.keywords == nil || (have > 0 && p.keywords.Version == have) {
		return nil, false, nil
	}
	return p.keywords, true, nil
}

// testRuntime is a runtime around harness agents, without a browser.
func testRuntime(plane *fakePlane, hs ...*harness) *Runtime {
	rt := &Runtime{cfg: &Config{}, opts: RuntimeOptions{Log: zerolog.Nop()}, ctrl: plane, keywords: rules.NewEngine(nil)}
	rt.db = hs[0].db
	for _, h := range hs {
		h.agent.Keywords = rt.keywords
		rt.agents = append(rt.agents, h.agent)
	}
	return rt
}

func TestRuntimePullHandsOutWorkAndRules(t *testing.T) {
	h1 := newHarness(t)
	h2 := newHarness(t, func(a *AccountConfig) { a.ID = "acc2" })
	var rs []rules.Rule
	for _, r := range []string{"r1", "r2"} {
		rs = append(rs, rules.Rule{RuleID: r, Name: r, Keyword: &rules.Keyword{WordList: []string{"薪资"}}})
	}
	plane := &fakePlane{
		sends: []wire.Send{{ID: 1, Account: "acc1"}, {ID: 2, Account: "acc2"}, {ID: 3, Account: "acc1"}},
		cmds:  []wire.Command{{ID: 9, Account: "acc2", Kind: wire.CommandRelease}},
		followups: &wire.FollowupSnapshot{Version: 4, Configs: []wire.ConfigWithScripts{{
			FollowupConfig: wire.FollowupConfig{ID: 1, IsActive: true}}}},
		keywords: &wire.KeywordRuleSnapshot{Version: 7, Rules: rs},
	}
	rt := testRuntime(plane, h1, h2)
	ctx := context.Background()
	rt.pull(ctx)
	if ids := sendIDs(h1.agent); !slices.Equal(ids, []uint64{1, 3}) {
		t.Fatalf("acc1 sends %v", ids)
	}
	if ids := sendIDs(h2.agent); !slices.Equal(ids, []uint64{2}) {
		t.Fatalf("acc2 sends %v", ids)
	}
	if len(h1.agent.commands) != 0 || len(h2.agent.commands) != 1 {
		t.Fatalf("commands %v / %v", h1.agent.commands, h2.agent.commands)
	}
	if f := h2.agent.followupSnapshot(); f == nil || f.Version != 4 || rt.followupVersion != 4 {
		t.Fatalf("follow-ups %+v", f)
	}
	if set := h1.agent.Keywords.Rules(); set == nil || set.Len() != 2 || set.Version() != 7 {
		t.Fatalf("keyword rules %+v", set)
	}
	// Unchanged versions are asked for with what the worker has.
	rt.pull(ctx)
	if !slices.Equal(plane.haves, []uint64{0, 7}) {
		t.Fatalf("keyword versions sent %v, want [0 7]", plane.haves)
	}
	// A set that does not compile keeps the old one.
	plane.keywords = &wire.KeywordRuleSnapshot{Version: 8, Rules: []rules.Rule{{RuleID: "bad"}}}
	rt.pull(ctx)
	if set := h1.agent.Keywords.Rules(); set.Version() != 7 || rt.keywordVersion != 7 {
		t.Fatalf("a broken set replaced the rules: version %d", set.Version())
	}
	// A control plane that is down changes nothing.
	plane.keywordErr = errors.New("connection refused")
	rt.pull(ctx)
	if set := h1.agent.Keywords.Rules(); set.Version() != 7 {
		t.Fatal("an outage dropped the rules")
	}
	plane.sendsErr = errors.New("connection refused")
	h1.agent.SetManualSends(nil)
	rt.pull(ctx)
	if len(sendIDs(h1.agent)) != 0 {
		t.Fatal("sends handed out although the pull failed")
	}
}

// A control plane with no follow-up configs and no keyword rules answers
// version 0 to every pull (the client cannot ask "unless 0"): the worker
// applies and logs that once, not on every heartbeat.
func TestRuntimePullLogsOnlyVersionChanges(t *testing.T) {
	h := newHarness(t)
	plane := &fakePlane{followups: &wire.FollowupSnapshot{Version: 0}, keywords: &wire.KeywordRuleSnapshot{Version: 0, Rules: []rules.Rule{}}}
	rt := testRuntime(plane, h)
	var buf bytes.Buffer
	rt.opts.Log = zerolog.New(&buf)
	ctx := context.Background()
	for range 5 {
		rt.pull(ctx)
	}
	if n := strings.Count(buf.String(), "follow-up configs updated"); n != 1 {
		t.Fatalf("follow-up configs logged %d times over 5 pulls of version 0, want 1:\n%s", n, buf.String())
	}
	if n := strings.Count(buf.String(), "keyword rules updated"); n != 1 {
		t.Fatalf("keyword rules logged %d times over 5 pulls of version 0, want 1:\n%s", n, buf.String())
	}
	if f := h.agent.followupSnapshot(); f == nil || f.Version != 0 {
		t.Fatalf("version 0 follow-ups not applied: %+v", f)
	}
	// A real change is still applied and logged.
	plane.followups = &wire.FollowupSnapshot{Version: 1, Configs: []wire.ConfigWithScripts{{FollowupConfig: wire.FollowupConfig{ID: 1, IsActive: true}}}}
	rt.pull(ctx)
	rt.pull(ctx)
	if n := strings.Count(buf.String(), "follow-up configs updated"); n != 2 {
		t.Fatalf("follow-up configs logged %d times after one change, want 2", n)
	}
	if f := h.agent.followupSnapshot(); f == nil || f.Version != 1 {
		t.Fatalf("version 1 follow-ups not applied: %+v", f)
	}
}

func sendIDs(a *Agent) []uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []uint64
	for _, s := range a.manual {
		out = append(out, s.ID)
	}
	return out
}

func TestRuntimeBeatReportsEveryAccount(t *testing.T) {
	h1 := newHarness(t)
	h2 := newHarness(t, func(a *AccountConfig) { a.ID, a.Name = "acc2", "Two" })
	h1.agent.setState(StatePausedRisk, errBoom)
	h1.agent.count(func(s *Status) { s.Greeted, s.Planned, s.Replies, s.Contacts = 3, 10, 2, 1 })
	plane := &fakePlane{}
	rt := testRuntime(plane, h1, h2)
	rt.beat(context.Background())
	if len(plane.beats) != 1 || len(plane.beats[0]) != 2 {
		t.Fatalf("beats %+v", plane.beats)
	}
	a, b := plane.beats[0][0], plane.beats[0][1]
	if a.Key != "acc1" || a.State != wire.AccountState(StatePausedRisk) || a.LastError != errBoom.Error() ||
		a.Counters["greeted"] != 3 || a.Counters["planned"] != 10 || a.Counters["replies"] != 2 || a.Counters["contacts"] != 1 {
		t.Fatalf("acc1 status %+v", a)
	}
	if b.Key != "acc2" || b.Name != "Two" || b.State != wire.AccountState(StateStarting) {
		t.Fatalf("acc2 status %+v", b)
	}
	plane.err = errors.New("down")
	rt.beat(context.Background()) // logged, not fatal
}

func TestSelectedAccounts(t *testing.T) {
	if !selected("a", nil) || !selected("a", []string{"b", "a"}) || selected("a", []string{"b"}) {
		t.Fatal("selected")
	}
}
