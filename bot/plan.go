package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// Hosting by plan (seed 002 marketing-notice plans, issue #15) on the
// worker. The control plane lists the plan-task members of this worker's
// accounts (GET /api/worker/plan-members) with the plans hosting them. For
// a member NOT_REACHED the agent runs the local checks (a conversation
// exists, the candidate did not opt out, no human took over), the pause
// check and the governor's gap, claims the member, and sends the plan's
// greetings exactly once (ledger keys plan/<account>/<task>/<member>/<seq>,
// all intended before the first is typed, each settled from the history
// after a crash), then reports "reached". From then on the conversation
// follows the plan's settings (planHosting) instead of the YAML hosting
// block, and every change of the member (scenes, status, wake-up, replies)
// is reported as a wire.PlanEvent through the outbox, in the same
// transaction as the conversation record that explains it.

// KindPlanEvent is the outbox kind of a plan-member event.
const KindPlanEvent = "plan_event"

// Reasons a worker reports with a member's status.
const (
	ReasonPlanNoConversation = ReasonNotifyNoConversation
	ReasonPlanOptedOut       = ReasonNotifyOptedOut
	ReasonPlanTakenOver      = ReasonNotifyTakenOver
	ReasonPlanNoImage        = ReasonNotifyNoImage
	ReasonPlanBadImage       = "a greeting image is not a file uploaded to the control plane"
	ReasonPlanHuman          = "a human recruiter wrote in the conversation"
	ReasonPlanTerminated     = "the task was terminated"
	ReasonPlanTimeout        = "no reply within the plan's timeout"
	ReasonPlanBrainEnd       = "the brain ended the conversation"
	ReasonPlanBrainHuman     = "the brain asked for a human"
	ReasonPlanGateHuman      = "the send gate found no safe reply"
)

// ContactScene is the SYSTEM scene a captured contact triggers (the
// control plane's contact-success counter).
const ContactScene = "联系成功"

// PlanControl is the control plane's plan-task API as a worker uses it.
// *client.Worker implements it; a Control without it runs no plan tasks.
type PlanControl interface {
	PlanMembers(ctx context.Context, account string) (wire.PlanMembersResponse, error)
	ClaimPlanMember(ctx context.Context, req wire.PlanClaimRequest) (wire.PlanClaimResponse, error)
	FetchFile(ctx context.Context, id uint64, dst io.Writer, max int64) (string, error)
}

// planEventer is the outbox's side: *client.Worker implements it.
type planEventer interface {
	PlanEvents(ctx context.Context, events []wire.PlanEvent) (wire.PlanEventsResponse, error)
}

// PlanHost is what a conversation record knows about the plan-task member
// it belongs to (Conversation.PlanHost).
type PlanHost struct {
	MemberID uint64 `json:"member_id"`
	TaskID   uint64 `json:"task_id"`
	PlanID   uint64 `json:"plan_id"`
	// Status is the member status this worker last reported (or learned).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// ReachedAt is when the greetings were on the site.
	ReachedAt time.Time `json:"reached_at,omitzero"`
	// HeardAt and HeardMID are the time and mid of the candidate's
	// latest message.
	HeardAt  time.Time `json:"heard_at,omitzero"`
	HeardMID int64     `json:"heard_mid,omitempty"`
	// WokeAt is when the timeout wake-up was sent (once per member).
	WokeAt time.Time `json:"woke_at,omitzero"`
	// ContactScene is set once the contact scene was reported.
	ContactScene bool `json:"contact_scene,omitempty"`
	// pending are events to enqueue with the record's next save
	// (putConversation drains them; their ids make a repeat harmless).
	pending []wire.PlanEvent
}

// planHostState is an agent's plan-task work (guarded by Agent.mu).
type planHostState struct {
	ctl   PlanControl
	epoch func() uint64
	// members are this account's members from the latest pull.
	members []wire.PlanMember
	// plans are every plan seen since start, by id: a member whose status
	// became final but whose plan lets the AI go on (a human replied under
	// CONSULTANT_CONTINUE_AFTER_REPLY) keeps its settings.
	plans map[uint64]wire.PlanHosting
	// brainPlans caches the brain's view of each plan.
	brainPlans map[uint64]*brain.HostingPlan
}

// SetPlanMembers hands the agent its account's plan-task members (the
// complete current list), their plans, the client to claim them with and
// the account's lease epoch.
func (a *Agent) SetPlanMembers(ms []wire.PlanMember, plans []wire.PlanHosting, ctl PlanControl, epoch func() uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.planHost.members = append([]wire.PlanMember(nil), ms...)
	a.planHost.ctl, a.planHost.epoch = ctl, epoch
	if a.planHost.plans == nil {
		a.planHost.plans = map[uint64]wire.PlanHosting{}
		a.planHost.brainPlans = map[uint64]*brain.HostingPlan{}
	}
	for _, p := range plans {
		a.planHost.plans[p.PlanID] = p
		bp := brain.HostingPlanFromMarketing(p.Data, p.Scenes)
		a.planHost.brainPlans[p.PlanID] = &bp
	}
}

// pullPlans fetches the plan-task members of this worker's accounts and
// hands them to their agents.
func (rt *Runtime) pullPlans(ctx context.Context) {
	pc, ok := rt.ctrl.(PlanControl)
	if !ok {
		return
	}
	res, err := pc.PlanMembers(ctx, "")
	if err != nil {
		if ctx.Err() == nil {
			rt.opts.Log.Warn().Err(err).Msg("pull plan members")
		}
		return
	}
	for _, a := range rt.liveAgents() {
		var mine []wire.PlanMember
		for _, m := range res.Members {
			if m.Account == a.cfg.ID {
				mine = append(mine, m)
			}
		}
		key := a.cfg.ID
		a.SetPlanMembers(mine, res.Plans, pc, func() uint64 { return rt.epochOf(key) })
	}
}

// planOf returns the plan with id (ok false when never seen).
func (a *Agent) planOf(id uint64) (wire.PlanHosting, *brain.HostingPlan, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.planHost.plans[id]
	return p, a.planHost.brainPlans[id], ok
}

// planActive returns conv's plan when the plan hosts the conversation
// now: the member is IN_SERVICE, or a human wrote and the plan lets the AI
// go on.
func (a *Agent) planActive(conv *Conversation) (wire.PlanHosting, bool) {
	ph := conv.PlanHost
	if ph == nil {
		return wire.PlanHosting{}, false
	}
	p, _, ok := a.planOf(ph.PlanID)
	if !ok {
		return p, false
	}
	switch ph.Status {
	case wire.MemberInService:
		return p, true
	case wire.MemberCustomerServiceIntervene:
		return p, p.Data.ReplyStrategy == wire.ReplyConsultantContinue && !conv.silent()
	}
	return p, false
}

// planHosting overrides h with the settings of the plan hosting conv, if
// any. The plan's values replace the YAML ones as they are (a plan's reply
// delay of 0 means no delay); the send gate stays the job's.
func (a *Agent) planHosting(conv *Conversation, h Hosting) Hosting {
	p, ok := a.planActive(conv)
	if !ok {
		return h
	}
	d := p.Data
	unified := d.UnifiedReply
	h.ReplyDelay = time.Duration(d.ReplyDelay) * time.Second
	h.UnifiedReply = &unified
	h.SegmentSeparator = d.SegmentSeparator
	h.MinReplyInterval = time.Duration(d.MinReplyInterval) * time.Second
	// A plan's reply strategy is about a human consultant's reply (seed
	// 002): only CONSULTANT_CONTINUE_AFTER_REPLY lets the AI go on; the
	// YAML block's AI_HOSTING_END_AFTER_REPLY (hosting ends when the
	// candidate replies) has no plan counterpart.
	h.ReplyStrategy = StrategyNoFurtherReply
	if d.ReplyStrategy == wire.ReplyConsultantContinue {
		h.ReplyStrategy = StrategyContinueAfterReply
	}
	return h
}

// planChatExtension is the brain request's extension for conv (nil when
// no plan hosts it).
func (a *Agent) planChatExtension(conv *Conversation) *brain.ChatExtension {
	if _, ok := a.planActive(conv); !ok {
		return nil
	}
	_, bp, _ := a.planOf(conv.PlanHost.PlanID)
	return &brain.ChatExtension{PlanID: strconv.FormatUint(conv.PlanHost.PlanID, 10),
		MemberID: strconv.FormatUint(conv.PlanHost.MemberID, 10), Plan: bp}
}

// planEventID makes an event id unique per member and what happened.
func planEventID(account string, member uint64, what ...any) string {
	parts := []string{account, strconv.FormatUint(member, 10)}
	for _, w := range what {
		parts = append(parts, fmt.Sprint(w))
	}
	return strings.Join(parts, "/")
}

// addPlanEvent queues ev for conv's next save.
func (a *Agent) addPlanEvent(conv *Conversation, ev wire.PlanEvent) {
	ph := conv.PlanHost
	ev.MemberID, ev.Account = ph.MemberID, a.cfg.ID
	if ev.At.IsZero() {
		ev.At = a.Clock.Now()
	}
	ph.pending = append(ph.pending, ev)
}

// setPlanStatus moves conv's member to a final status (once: a final
// status never changes) and makes the conversation silent accordingly. It
// returns false when the member was final already.
func (a *Agent) setPlanStatus(conv *Conversation, status, reason string) bool {
	ph := conv.PlanHost
	if ph == nil || wire.MemberFinal(ph.Status) {
		return false
	}
	ph.Status, ph.Reason = status, reason
	switch status {
	case wire.MemberCustomerServiceIntervene:
		p, _, _ := a.planOf(ph.PlanID)
		if p.Data.ReplyStrategy != wire.ReplyConsultantContinue || reason != ReasonPlanHuman {
			conv.HandedOver = true
			conv.Status = StatusIntervened
		}
	case wire.MemberCompleteService, wire.MemberTerminateService, wire.MemberTimeoutCompleteService:
		if !conv.Done {
			conv.Done, conv.DoneAt = true, a.Clock.Now()
		}
		conv.Status = StatusComplete
		if status == wire.MemberTerminateService {
			conv.Status = StatusTerminated
		} else if status == wire.MemberTimeoutCompleteService {
			conv.Status = StatusTimeoutDone
		}
	}
	return true
}

// planTransitions runs inside putConversation: it derives the member's
// status from what the conversation became (a human took over, the
// candidate opted out, the brain ended it), reports a newly captured
// contact as the contact scene, and enqueues the record's pending events.
func (a *Agent) planTransitions(tx *worker.Tx, old Conversation, c *Conversation) error {
	ph := c.PlanHost
	if ph == nil {
		return nil
	}
	if ph.Status == wire.MemberInService {
		switch {
		case c.OptedOut:
			a.setPlanStatus(c, wire.MemberTerminateService, ReasonPlanOptedOut)
		case c.HandedOver:
			a.setPlanStatus(c, wire.MemberCustomerServiceIntervene, ReasonPlanTakenOver)
		case c.Done && c.contact() != "":
			a.setPlanStatus(c, wire.MemberCompleteService, ReasonPlanBrainEnd)
		case c.Done:
			a.setPlanStatus(c, wire.MemberTerminateService, ReasonPlanBrainEnd)
		}
	}
	var oldStatus string
	if old.PlanHost != nil && old.PlanHost.MemberID == ph.MemberID {
		oldStatus = old.PlanHost.Status
	}
	covered := false
	for _, ev := range ph.pending {
		covered = covered || ev.Status == ph.Status
	}
	if ph.Status != oldStatus && ph.Status != wire.MemberInService && ph.Status != "" && !covered {
		a.addPlanEvent(c, wire.PlanEvent{ID: planEventID(a.cfg.ID, ph.MemberID, "status", ph.Status),
			Kind: wire.PlanEventStatus, Status: ph.Status, Reason: ph.Reason, At: tx.Now()})
	}
	for _, ev := range ph.pending {
		if err := enqueueJSON(tx, "control/plan/"+ev.ID, TargetControl, KindPlanEvent, a.cfg.ID, ev, ""); err != nil {
			return err
		}
	}
	return nil
}

// planContact reports a contact captured while the plan hosts conv as the
// SYSTEM contact scene (联系成功), applying the plan's monitoring strategy
// for it (e.g. a captured contact completes the service). before is the
// record before this visit; the caller saves conv.
func (a *Agent) planContact(before Conversation, c *Conversation) {
	ph := c.PlanHost
	if ph == nil || ph.ContactScene || ph.ReachedAt.IsZero() || c.contact() == "" || before.contact() != "" {
		return
	}
	if _, ok := a.planActive(c); !ok {
		return
	}
	p, _, _ := a.planOf(ph.PlanID)
	for _, s := range p.Scenes {
		if s.Name != ContactScene || s.SceneType != wire.SceneSystem {
			continue
		}
		ph.ContactScene = true
		ev := wire.PlanEvent{ID: planEventID(a.cfg.ID, ph.MemberID, "scene", s.ID, "contact"), Kind: wire.PlanEventScene, SceneID: s.ID}
		if st := planSceneStatus(p.Data, s.ID); st != "" && a.setPlanStatus(c, st, "scene "+s.Name) {
			ev.Status, ev.Reason = st, "scene "+s.Name
		}
		a.addPlanEvent(c, ev)
	}
}

// planSceneStatus is the member status the plan's monitoring strategy
// gives scene id ("" when it only counts), the strongest when several
// strategies name it (as brain.HostingPlanFromMarketing ranks them).
func planSceneStatus(d wire.MNPlanData, id uint64) string {
	rank := map[string]int{wire.StrategyHandToHuman: 1, wire.StrategyCompleteService: 2, wire.StrategyEndUntilRestart: 3}
	status := map[string]string{wire.StrategyHandToHuman: wire.MemberCustomerServiceIntervene,
		wire.StrategyCompleteService: wire.MemberCompleteService, wire.StrategyEndUntilRestart: wire.MemberTerminateService}
	best := ""
	for _, m := range d.MonitoringStrategy {
		if m.SceneID != id {
			continue
		}
		for _, st := range m.Strategy {
			if rank[st] > rank[best] {
				best = st
			}
		}
	}
	return status[best]
}

// deliverPlanEvent is the outbox delivery of KindPlanEvent.
func deliverPlanEvent(ctx context.Context, c ControlPusher, it worker.OutboxItem) error {
	var ev wire.PlanEvent
	if err := json.Unmarshal(it.Payload, &ev); err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	pe, ok := c.(planEventer)
	if !ok {
		return fmt.Errorf("%w: the control client cannot report plan events", ErrPermanent)
	}
	res, err := pe.PlanEvents(ctx, []wire.PlanEvent{ev})
	if err != nil {
		return err
	}
	for _, r := range res.Results {
		if r.Outcome == wire.PlanEventRejected {
			// Retrying will not help: parked, so an operator sees it.
			return fmt.Errorf("%w: plan event %s rejected (%d %s): %s", ErrPermanent, r.ID, r.Code, r.Field, r.Detail)
		}
	}
	return nil
}

// enqueueMemberStatus reports a status for a member this worker never
// hosted (IGNORE, or a human took over before the greetings).
func (a *Agent) enqueueMemberStatus(m wire.PlanMember, status, reason string) error {
	return a.DB.Update(func(tx *worker.Tx) error {
		ev := wire.PlanEvent{ID: planEventID(a.cfg.ID, m.MemberID, "status", status), MemberID: m.MemberID, Account: a.cfg.ID,
			Kind: wire.PlanEventStatus, At: tx.Now(), Status: status, Reason: reason}
		return enqueueJSON(tx, "control/plan/"+ev.ID, TargetControl, KindPlanEvent, a.cfg.ID, ev, "")
	})
}

// planPass greets the account's NOT_REACHED members, adopts IN_SERVICE
// ones, stops hosting members of terminating tasks, and runs the plans'
// timeouts.
func (a *Agent) planPass(ctx context.Context) error {
	a.mu.Lock()
	members, ctl, epoch := a.planHost.members, a.planHost.ctl, a.planHost.epoch
	a.mu.Unlock()
	for _, m := range members {
		if err := a.planMember(ctx, ctl, epoch, m); err != nil {
			return err
		}
	}
	return a.planTimeouts(ctx, members)
}

// planMember handles one listed member.
func (a *Agent) planMember(ctx context.Context, ctl PlanControl, epoch func() uint64, m wire.PlanMember) error {
	conv, known, err := a.loadConversation(m.UserID)
	if err != nil {
		return err
	}
	ph := conv.PlanHost
	mine := known && ph != nil && ph.MemberID == m.MemberID
	switch {
	case m.TaskStatus == wire.MNTaskTerminating:
		if !mine || wire.MemberFinal(ph.Status) {
			return nil
		}
		if a.setPlanStatus(&conv, wire.MemberTerminateService, ReasonPlanTerminated) {
			a.Log.Info().Uint64("member", m.MemberID).Str("candidate", m.UserID).Msg("plan task terminating; hosting stopped")
			return a.saveConversation(conv)
		}
		return nil
	case m.TaskStatus != wire.MNTaskExecution:
		return nil
	case m.Status == wire.MemberInService:
		if mine || !known || (ph != nil && !wire.MemberFinal(ph.Status)) {
			return nil // not here, or another member's hosting is under way
		}
		// The account moved here from another worker after the greetings:
		// host the conversation from now on.
		conv.PlanHost = &PlanHost{MemberID: m.MemberID, TaskID: m.TaskID, PlanID: m.PlanID, Status: wire.MemberInService,
			ReachedAt: m.ReachTime}
		return a.saveConversation(conv)
	case m.Status != wire.MemberNotReached:
		return nil
	case mine && ph.Status != wire.MemberNotReached:
		return nil // reached (the event is on its way), or final here
	}
	return a.greetMember(ctx, ctl, epoch, m, conv, known)
}

// planLine is one message of a member's greetings.
type planLine = notifyLine

// planImagePath matches the path of a file uploaded to the control plane
// (…/api/v1/file/{id}), as plan IMAGE greetings name them.
var planImagePath = regexp.MustCompile(`^(?:/[^/]+)*/api(?:/v1)?/file/([1-9][0-9]{0,18})$`)

// planLines renders the greetings of plan p for member m: TEXT with the
// member's variables ({{name}}, as notification tasks), one message per
// line; IMAGE by the uploaded file its URL names. Plan greetings use the
// notification kinds (settleSends leaves them to this file).
func planLines(acc string, m wire.PlanMember, p wire.PlanHosting) ([]planLine, error) {
	vars := map[string]string{"name": m.Name}
	for k, v := range m.Vars {
		vars[k] = v
	}
	var out []planLine
	key := func() string { return fmt.Sprintf("plan/%s/%d/%d/%d", acc, m.TaskID, m.MemberID, len(out)) }
	for _, g := range p.Data.Greetings {
		switch g.Type {
		case wire.ContentImage:
			u, err := url.Parse(g.Content)
			if err != nil {
				return nil, errors.New(ReasonPlanBadImage)
			}
			mm := planImagePath.FindStringSubmatch(u.Path)
			if mm == nil {
				return nil, errors.New(ReasonPlanBadImage)
			}
			id, _ := strconv.ParseUint(mm[1], 10, 64)
			out = append(out, planLine{key: key(), kind: sendKindNotifyImage, text: pages.ImageText, fileID: id})
		default:
			for _, l := range strings.Split(wire.RenderTemplate(g.Content, vars), "\n") {
				if l = strings.TrimSpace(l); l != "" {
					out = append(out, planLine{key: key(), kind: sendKindNotify, text: l})
				}
			}
		}
	}
	return out, nil
}

// greetMember sends the plan's greetings to one NOT_REACHED member and
// reports it reached.
func (a *Agent) greetMember(ctx context.Context, ctl PlanControl, epoch func() uint64, m wire.PlanMember, conv Conversation, known bool) error {
	p, _, ok := a.planOf(m.PlanID)
	if !ok {
		a.Log.Warn().Uint64("plan", m.PlanID).Uint64("member", m.MemberID).Msg("plan member without its plan; skipped")
		return nil
	}
	lines, lerr := planLines(a.cfg.ID, m, p)
	var ledger lineLedger
	err := a.DB.View(func(tx *worker.Tx) (err error) {
		ledger, err = readLineLedger(tx, lines)
		return err
	})
	if err != nil {
		return err
	}
	led, started, done, firstDone := ledger.sends, ledger.started, ledger.done, ledger.firstDone
	if !started {
		// The checks run before the first greeting only: once under way
		// the greetings are finished.
		switch {
		case !known:
			return a.enqueueMemberStatus(m, wire.MemberIgnore, ReasonPlanNoConversation)
		case conv.OptedOut:
			return a.enqueueMemberStatus(m, wire.MemberIgnore, ReasonPlanOptedOut)
		case conv.HandedOver:
			return a.enqueueMemberStatus(m, wire.MemberCustomerServiceIntervene, ReasonPlanTakenOver)
		case lerr != nil:
			return a.enqueueMemberStatus(m, wire.MemberIgnore, lerr.Error())
		}
		if reason := a.linesBlocked(&conv, lines, ReasonPlanNoImage); reason != "" {
			return a.enqueueMemberStatus(m, wire.MemberIgnore, reason)
		}
		if err := a.mayAct(ctx, ActMessage); err != nil {
			return err
		}
	}
	if done < len(lines) {
		if ctl == nil {
			return nil
		}
		var ep uint64
		if epoch != nil {
			ep = epoch()
		}
		claim, err := ctl.ClaimPlanMember(ctx, wire.PlanClaimRequest{MemberID: m.MemberID, Account: a.cfg.ID, Epoch: ep})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			a.Log.Warn().Err(err).Uint64("member", m.MemberID).Msg("plan claim failed; retrying at the next pull")
			return nil
		}
		if !claim.OK {
			a.Log.Info().Uint64("member", m.MemberID).Str("reason", claim.Reason).Msg("plan member not greeted")
			return nil
		}
		msgs, err := a.Site.OpenConversation(ctx, conv.UID)
		if err != nil {
			return err
		}
		var after int64
		for _, msg := range msgs {
			after = max(after, msg.MID)
		}
		resumed := !started && claim.Resumed
		if resumed {
			// Claimed before, and no ledger here: the account moved from a
			// worker that may have typed some greetings before it died.
			// Those are found in the history after the claim, not typed
			// again (exactly once across a move, as across a crash).
			after = lastMIDBefore(msgs, claim.ClaimedAt.Add(-claimClockSkew))
		}
		if !started {
			// Every greeting is intended before the first is typed, with
			// the newest mid as its "after": a crash anywhere leaves each
			// one findable in the history.
			err := a.DB.Update(func(tx *worker.Tx) error {
				for i, l := range lines {
					s, _, err := tx.IntendSend(worker.Send{Key: l.key, AccountID: a.cfg.ID, CandidateID: conv.CandidateID,
						Kind: l.kind, Text: l.text, After: after})
					if err != nil {
						return err
					}
					led[i] = s
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		// Settle from the history in order: while each greeting is found
		// as our own message after the previous one, it is on the site;
		// from the first absent one on, the rest are typed.
		cursor, settling := led[0].After, started || resumed
		for i, l := range lines {
			if settling {
				if mid := ownNotifyLineMID(msgs, a.me.UserID, l, cursor); mid > 0 {
					if led[i].State != worker.Done {
						if err := a.markNotifySent(&conv, l); err != nil {
							return err
						}
						led[i].State = worker.Done
					}
					cursor = mid
					continue
				}
				settling = false
			}
			if led[i].State == worker.Done {
				continue
			}
			if started || i > 0 {
				if err := a.mayAct(ctx, ActMessage); err != nil {
					return err
				}
			}
			if err := a.sendNotifyLine(ctx, &conv, l, led[i].After); err != nil {
				return err
			}
			led[i].State = worker.Done
			if firstDone.IsZero() {
				firstDone = a.Clock.Now()
			}
		}
	}
	if firstDone.IsZero() {
		firstDone = a.Clock.Now()
	}
	return a.reachMember(m, firstDone)
}

// claimClockSkew widens a resumed claim's window back in time: ClaimedAt is
// the control plane's clock and the history's times are the site's.
const claimClockSkew = 5 * time.Minute

// lastMIDBefore returns the newest message id in msgs sent before t (0 if
// none).
func lastMIDBefore(msgs []pages.Message, t time.Time) int64 {
	var mid int64
	for _, m := range msgs {
		if m.Time < t.UnixMilli() {
			mid = max(mid, m.MID)
		}
	}
	return mid
}

// reachMember records the member as hosted here and reports "reached".
func (a *Agent) reachMember(m wire.PlanMember, at time.Time) error {
	return a.DB.Update(func(tx *worker.Tx) error {
		var c Conversation
		if err := tx.Conversation(a.cfg.ID, m.UserID, &c); err != nil {
			return err
		}
		c.PlanHost = &PlanHost{MemberID: m.MemberID, TaskID: m.TaskID, PlanID: m.PlanID, Status: wire.MemberInService, ReachedAt: at}
		// The plan hosts the conversation from now on, also one an earlier
		// brain answer had closed (opt-outs and take-overs were checked
		// before the greetings).
		c.Done, c.DoneAt, c.RetryAt = false, time.Time{}, time.Time{}
		c.Status = StatusInService
		a.addPlanEvent(&c, wire.PlanEvent{ID: planEventID(a.cfg.ID, m.MemberID, "reached"), Kind: wire.PlanEventReached, At: at})
		c.UpdatedAt = tx.Now()
		a.Log.Info().Uint64("member", m.MemberID).Str("candidate", m.UserID).Msg("plan member reached")
		return a.putConversation(tx, c)
	})
}

// planTimeouts applies the plans' timeouts to the members hosted here: no
// candidate message within Timeout minutes of our last message sends the
// wake-up text once (TimeoutWakeUp), and another Timeout without a reply
// ends the member's service (TIMEOUT_COMPLETE_SERVICE).
func (a *Agent) planTimeouts(ctx context.Context, members []wire.PlanMember) error {
	for _, m := range members {
		if m.Status != wire.MemberInService && m.Status != wire.MemberNotReached {
			continue
		}
		conv, known, err := a.loadConversation(m.UserID)
		if err != nil {
			return err
		}
		ph := conv.PlanHost
		if !known {
			continue
		}
		if ph == nil || ph.MemberID != m.MemberID || ph.Status != wire.MemberInService || conv.silent() {
			continue
		}
		p, _, ok := a.planOf(ph.PlanID)
		if !ok || p.Data.Timeout <= 0 {
			continue
		}
		since := conv.LastSentAt
		if ph.ReachedAt.After(since) {
			since = ph.ReachedAt
		}
		if ph.HeardAt.After(since) {
			if conv.LastAnsweredMID < ph.HeardMID {
				continue // the candidate spoke last: our turn, not theirs
			}
			// Answered, perhaps with nothing (the gate dropped a repeat):
			// the candidate's turn again from their message on.
			since = ph.HeardAt
		}
		if since.IsZero() {
			continue
		}
		if a.Clock.Now().Sub(since) < time.Duration(p.Data.Timeout)*time.Minute {
			continue
		}
		if p.Data.TimeoutWakeUp && ph.WokeAt.IsZero() && strings.TrimSpace(p.Data.TimeoutPrompt) != "" {
			if err := a.wakeUp(ctx, &conv, p); err != nil {
				return err
			}
			continue
		}
		a.setPlanStatus(&conv, wire.MemberTimeoutCompleteService, ReasonPlanTimeout)
		a.Log.Info().Uint64("member", ph.MemberID).Str("candidate", conv.CandidateID).Msg("plan timeout: service complete")
		if err := a.saveConversation(conv); err != nil {
			return err
		}
	}
	return nil
}

// wakeUp sends the plan's timeout prompt once, through the send gate.
func (a *Agent) wakeUp(ctx context.Context, conv *Conversation, p wire.PlanHosting) error {
	ph := conv.PlanHost
	text := strings.TrimSpace(p.Data.TimeoutPrompt)
	key := fmt.Sprintf("plan/%s/%d/%d/wakeup", a.cfg.ID, ph.TaskID, ph.MemberID)
	if v := a.gateCheck(conv, "followup", text); v.Blocked() {
		// A blocked wake-up is not sent; the member's timeout runs on.
		ph.WokeAt = a.Clock.Now()
		a.addPlanEvent(conv, wire.PlanEvent{ID: planEventID(a.cfg.ID, ph.MemberID, "wakeup"), Kind: wire.PlanEventWakeUp,
			Reason: ReasonNotifyGate + string(v.Reason)})
		return a.saveConversation(*conv)
	}
	if err := a.sendLine(ctx, conv, key, "plan_wakeup", text, conv.LastSeenMID); err != nil {
		return err
	}
	ph.WokeAt = a.Clock.Now()
	a.addPlanEvent(conv, wire.PlanEvent{ID: planEventID(a.cfg.ID, ph.MemberID, "wakeup"), Kind: wire.PlanEventWakeUp})
	a.Log.Info().Uint64("member", ph.MemberID).Str("candidate", conv.CandidateID).Msg("plan timeout: wake-up sent")
	return a.saveConversation(*conv)
}

// planHeard notes the candidate's new messages (the timeout restarts).
func planHeard(conv *Conversation, fresh []Turn) {
	if conv.PlanHost == nil {
		return
	}
	for _, t := range fresh {
		if t.Speaker == User && !IsEcho(t.Text, conv.SentTexts) && t.MID > conv.PlanHost.HeardMID {
			conv.PlanHost.HeardAt, conv.PlanHost.HeardMID = t.Time, t.MID
		}
	}
}

// planHumanWrote handles a human recruiter's message in a plan-hosted
// conversation: the member's status becomes CUSTOMER_SERVICE_INTERVENES;
// whether the AI goes on is the plan's reply strategy (planHosting).
func (a *Agent) planHumanWrote(conv *Conversation) {
	if _, ok := a.planActive(conv); ok && conv.PlanHost.Status == wire.MemberInService {
		a.setPlanStatus(conv, wire.MemberCustomerServiceIntervene, ReasonPlanHuman)
	}
}

// planAnswered reports the brain's view of a candidate turn (reply event
// with mood and summary, scene events) and applies the scenes'
// strategies. It returns true when hosting ended.
func (a *Agent) planAnswered(conv *Conversation, lastUser int64, ext *brain.ChatAnswerExtension) bool {
	if conv.PlanHost == nil {
		return false
	}
	if _, ok := a.planActive(conv); !ok {
		return false
	}
	ph := conv.PlanHost
	ev := wire.PlanEvent{ID: planEventID(a.cfg.ID, ph.MemberID, "reply", lastUser), Kind: wire.PlanEventReply}
	if ext != nil {
		ev.Mood, ev.Summary = ext.Mood, ext.Summary
	}
	a.addPlanEvent(conv, ev)
	if ext == nil {
		return false
	}
	p, _, _ := a.planOf(ph.PlanID)
	ended := false
	for _, s := range ext.Scenes {
		id, err := strconv.ParseUint(s.ID, 10, 64)
		if err != nil || id == 0 {
			continue // not one of the plan's scenes
		}
		if s.Name == ContactScene {
			system := false
			for _, ps := range p.Scenes {
				system = system || (ps.ID == id && ps.SceneType == wire.SceneSystem)
			}
			if system {
				continue // the worker reports captured contacts itself
			}
		}
		sev := wire.PlanEvent{ID: planEventID(a.cfg.ID, ph.MemberID, "scene", id, lastUser), Kind: wire.PlanEventScene, SceneID: id}
		var status, reason string
		switch s.Strategy {
		case brain.StrategyCompleteService:
			status = wire.MemberCompleteService
		case brain.StrategyHandToHuman:
			status = wire.MemberCustomerServiceIntervene
		case brain.StrategyEndUntilRestart:
			status = wire.MemberTerminateService
		}
		if status != "" && !ended {
			reason = "scene " + s.Name
			if a.setPlanStatus(conv, status, reason) {
				if status == wire.MemberCustomerServiceIntervene {
					conv.HandedOver, conv.Status = true, StatusIntervened
				}
				sev.Status, sev.Reason = status, reason
				ended = true
			}
		}
		a.addPlanEvent(conv, sev)
	}
	return ended
}
