package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// fakePlanControl is the control plane's plan-task API in memory: it
// answers claims, serves one image and records delivered events.
type fakePlanControl struct {
	refuse    string    // claim refusal reason ("" accepts)
	claimedAt time.Time // set: the member was claimed before (Resumed)
	claims    []wire.PlanClaimRequest
	events    []wire.PlanEvent
	reject    string // PlanEvents rejects every event with this detail
}

func (f *fakePlanControl) PlanMembers(context.Context, string) (wire.PlanMembersResponse, error) {
	return wire.PlanMembersResponse{}, nil
}

func (f *fakePlanControl) ClaimPlanMember(_ context.Context, req wire.PlanClaimRequest) (wire.PlanClaimResponse, error) {
	f.claims = append(f.claims, req)
	if f.refuse != "" {
		return wire.PlanClaimResponse{Reason: f.refuse, Status: wire.MemberNotReached}, nil
	}
	return wire.PlanClaimResponse{OK: true, Status: wire.MemberNotReached, Resumed: !f.claimedAt.IsZero(), ClaimedAt: f.claimedAt}, nil
}

func (f *fakePlanControl) FetchFile(_ context.Context, id uint64, dst io.Writer, max int64) (string, error) {
	if id != 17 {
		return "", fmt.Errorf("no file %d", id)
	}
	_, err := dst.Write([]byte("\x89PNG\r\n\x1a\nfake"))
	return "image/png", err
}

func (f *fakePlanControl) PlanEvents(_ context.Context, evs []wire.PlanEvent) (wire.PlanEventsResponse, error) {
	var res wire.PlanEventsResponse
	for _, ev := range evs {
		if f.reject != "" {
			res.Rejected++
			res.Results = append(res.Results, wire.PlanEventResult{ID: ev.ID, Outcome: wire.PlanEventRejected, Code: 404, Detail: f.reject})
			continue
		}
		res.Accepted++
		res.Results = append(res.Results, wire.PlanEventResult{ID: ev.ID, Outcome: wire.PlanEventApplied})
		f.events = append(f.events, ev)
	}
	return res, nil
}

// Scene ids of testPlan.
const (
	sceneContact = 1  // SYSTEM 联系成功
	sceneSalary  = 11 // CUSTOM, counted only
	sceneAgree   = 12 // CUSTOM, COMPLETE_SERVICE
)

// testPlan answers after 30 s, message by message, splits on "|", wakes
// the candidate up after an hour and watches three scenes.
func testPlan() wire.PlanHosting {
	return wire.PlanHosting{PlanID: 3, Data: wire.MNPlanData{
		ReplyStrategy: wire.ReplyConsultantNoFurther, ReplyDelay: 30, UnifiedReply: false, SegmentSeparator: "|",
		SceneIDs:           []uint64{sceneContact, sceneSalary, sceneAgree},
		MonitoringStrategy: []wire.MNMonitoring{{SceneID: sceneAgree, Strategy: []string{wire.StrategyCompleteService}}},
		Prompt:             "你是杭州门店的招聘顾问", TimeoutWakeUp: true, Timeout: 60, TimeoutPrompt: "还在考虑吗？",
		Greetings: []wire.MNGreeting{{Type: wire.ContentText, Content: "{{name}}您好\n{{city}}新岗位"},
			{Type: wire.ContentImage, Content: "http://cp.example/api/v1/file/17"}},
	}, Scenes: []wire.MNScene{
		{ID: sceneContact, Name: ContactScene, SceneType: wire.SceneSystem, StatisticalMethod: wire.SceneOnly},
		{ID: sceneSalary, Name: "问薪资", SceneType: wire.SceneCustom, StatisticalMethod: wire.SceneGrandTotal, Prompt: "候选人问薪资"},
		{ID: sceneAgree, Name: "同意面试", SceneType: wire.SceneCustom, StatisticalMethod: wire.SceneOnly, Prompt: "候选人同意面试"},
	}}
}

func testMember(candidate string) wire.PlanMember {
	return wire.PlanMember{MemberID: 5, TaskID: 9, PlanID: 3, Account: "acc1", UserID: candidate, Name: "张女士",
		Status: wire.MemberNotReached, TaskStatus: wire.MNTaskExecution, Vars: map[string]string{"city": "杭州"}}
}

// planPass hands the agent members of plan p and runs one plan pass.
func (h *harness) planPass(ctl *fakePlanControl, p wire.PlanHosting, ms ...wire.PlanMember) {
	h.t.Helper()
	h.agent.SetPlanMembers(ms, []wire.PlanHosting{p}, ctl, nil)
	if err := h.agent.planPass(context.Background()); err != nil {
		h.t.Fatalf("plan pass: %v", err)
	}
}

// planEvents are the queued plan events, in order.
func (h *harness) planEvents() []wire.PlanEvent {
	h.t.Helper()
	var out []wire.PlanEvent
	for _, it := range h.outbox(TargetControl) {
		if it.Kind != KindPlanEvent {
			continue
		}
		var ev wire.PlanEvent
		if err := json.Unmarshal(it.Payload, &ev); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// eventSummary renders events as "kind[:status][#scene]" for comparisons.
func eventSummary(evs []wire.PlanEvent) []string {
	var out []string
	for _, ev := range evs {
		s := ev.Kind
		if ev.Status != "" {
			s += ":" + ev.Status
		}
		if ev.SceneID != 0 {
			s += "#" + strconv.FormatUint(ev.SceneID, 10)
		}
		out = append(out, s)
	}
	return out
}

func TestPlanGreetsMembers(t *testing.T) {
	img := "image:17.png"
	intendAll := func(h *harness) {
		for i, text := range []string{"张女士您好", "杭州新岗位", pages.ImageText} {
			kind := sendKindNotify
			if i == 2 {
				kind = sendKindNotifyImage
			}
			h.intend(t, fmt.Sprintf("plan/acc1/9/5/%d", i), kind, text)
		}
	}
	tests := []struct {
		name   string
		setup  func(h *harness, ctl *fakePlanControl, p *wire.PlanHosting)
		cand   string
		sent   []string
		events []string
		reason string
	}{
		{name: "reached: rendered lines then the image, reported once", cand: "501",
			sent: []string{"张女士您好", "杭州新岗位", img}, events: []string{"reached"}},
		{name: "no conversation on the account", cand: "777",
			events: []string{"status:IGNORE"}, reason: ReasonPlanNoConversation},
		{name: "opted out", cand: "501", setup: func(h *harness, _ *fakePlanControl, _ *wire.PlanHosting) {
			c := h.conv(cand)
			c.OptedOut = true
			h.putConv(c)
		}, events: []string{"status:IGNORE"}, reason: ReasonPlanOptedOut},
		{name: "a human took over before", cand: "501", setup: func(h *harness, _ *fakePlanControl, _ *wire.PlanHosting) {
			c := h.conv(cand)
			c.HandedOver = true
			h.putConv(c)
		}, events: []string{"status:CUSTOMER_SERVICE_INTERVENES"}, reason: ReasonPlanTakenOver},
		{name: "an image that is not an uploaded file", cand: "501", setup: func(_ *harness, _ *fakePlanControl, p *wire.PlanHosting) {
			p.Data.Greetings[1].Content = "http://elsewhere.example/cat.png"
		}, events: []string{"status:IGNORE"}, reason: ReasonPlanBadImage},
		{name: "a variable carrying a phone number is gated", cand: "501", setup: func(_ *harness, _ *fakePlanControl, p *wire.PlanHosting) {
			p.Data.Greetings[0].Content = "{{name}}您好，打我电话13912345678"
		}, events: []string{"status:IGNORE"}},
		{name: "claim refused (task terminated): nothing sent or reported", cand: "501",
			setup: func(_ *harness, ctl *fakePlanControl, _ *wire.PlanHosting) { ctl.refuse = "task is TERMINATING" }},
		{name: "crash before anything landed: each sent once", cand: "501", setup: func(h *harness, _ *fakePlanControl, _ *wire.PlanHosting) {
			intendAll(h)
		}, sent: []string{"张女士您好", "杭州新岗位", img}, events: []string{"reached"}},
		{name: "crash after the first line landed: the rest sent", cand: "501", setup: func(h *harness, _ *fakePlanControl, _ *wire.PlanHosting) {
			intendAll(h)
			h.site.say(cand, h.site.me.UserID, "张女士您好")
		}, sent: []string{"杭州新岗位", img}, events: []string{"reached"}},
		{name: "moved from a dead worker that typed the first line: the rest sent", cand: "501",
			setup: func(h *harness, ctl *fakePlanControl, _ *wire.PlanHosting) {
				ctl.claimedAt = h.clk.Now()
				h.site.say(cand, h.site.me.UserID, "张女士您好") // no ledger here: typed by the old holder
			}, sent: []string{"杭州新岗位", img}, events: []string{"reached"}},
		{name: "moved from a dead worker that typed nothing: all sent", cand: "501",
			setup: func(h *harness, ctl *fakePlanControl, _ *wire.PlanHosting) { ctl.claimedAt = h.clk.Now() },
			sent:  []string{"张女士您好", "杭州新岗位", img}, events: []string{"reached"}},
		{name: "crash after everything landed: nothing resent", cand: "501", setup: func(h *harness, _ *fakePlanControl, _ *wire.PlanHosting) {
			intendAll(h)
			h.site.say(cand, h.site.me.UserID, "张女士您好")
			h.site.say(cand, h.site.me.UserID, "杭州新岗位")
			h.site.addLocked(cand, h.site.me.UserID, pages.BodyImage, pages.ImageText)
		}, events: []string{"reached"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t).login()
			h.greeted(cand, "张女士")
			h.chat()
			ctl, p := &fakePlanControl{}, testPlan()
			if tt.setup != nil {
				tt.setup(h, ctl, &p)
			}
			h.site.sent = nil
			for range 2 { // listed NOT_REACHED again until the event arrives
				h.planPass(ctl, p, testMember(tt.cand))
			}
			if got := h.site.sentTexts(); !slices.Equal(got, tt.sent) {
				t.Fatalf("sent %q, want %q", got, tt.sent)
			}
			evs := h.planEvents()
			if got := eventSummary(evs); !slices.Equal(got, tt.events) {
				t.Fatalf("events %q, want %q", got, tt.events)
			}
			if tt.reason != "" && evs[0].Reason != tt.reason {
				t.Fatalf("reason %q, want %q", evs[0].Reason, tt.reason)
			}
			for _, ev := range evs {
				if ev.MemberID != 5 || ev.Account != "acc1" || ev.ID == "" {
					t.Fatalf("event %+v: member, account or id missing", ev)
				}
			}
			if len(tt.events) == 1 && tt.events[0] == "reached" {
				c := h.conv(cand)
				if c.PlanHost == nil || c.PlanHost.Status != wire.MemberInService || c.PlanHost.MemberID != 5 {
					t.Fatalf("plan host %+v, want member 5 IN_SERVICE", c.PlanHost)
				}
				for i := range 3 {
					if s := h.send(fmt.Sprintf("plan/acc1/9/5/%d", i)); s.State != worker.Done {
						t.Fatalf("ledger %d: %s, want done", i, s.State)
					}
				}
				// The chat pass does not take the greetings for a human's.
				h.chat()
				if c := h.conv(cand); c.HandedOver || c.PlanHost.Status != wire.MemberInService {
					t.Fatalf("own greetings taken for a human takeover: %+v", c.PlanHost)
				}
			}
		})
	}
}

// reached returns a harness whose candidate 501 is an IN_SERVICE member
// of plan p.
func reached(t *testing.T, p wire.PlanHosting) (*harness, *fakePlanControl) {
	t.Helper()
	h := newHarness(t).login()
	h.greeted(cand, "张女士")
	h.chat()
	ctl := &fakePlanControl{}
	h.planPass(ctl, p, testMember("501"))
	m := testMember("501")
	m.Status = wire.MemberInService
	h.agent.SetPlanMembers([]wire.PlanMember{m}, []wire.PlanHosting{p}, ctl, nil)
	if c := h.conv(cand); c.PlanHost == nil || c.PlanHost.Status != wire.MemberInService {
		t.Fatalf("member not reached: %+v", c.PlanHost)
	}
	h.site.sent = nil
	return h, ctl
}

// A member's conversation follows the plan: its reply delay (30 s, where
// the YAML default is 10 s), one answer per message (unified off), the
// separator; the brain gets the plan with the request.
func TestPlanHostsTheConversationWithItsSettings(t *testing.T) {
	h, _ := reached(t, testPlan())
	h.brain.replies["501"] = []brain.ChatData{
		{NextStep: string(StepNormalChat), NextStepContent: "薪资15-20K|五险一金"},
		{NextStep: string(StepNormalChat), NextStepContent: "在西湖区"},
	}
	h.site.say(cand, cand, "薪资多少")
	h.site.say(cand, cand, "在哪里上班")
	h.clk.advance(15 * time.Second)
	h.chat()
	if n := h.brain.chatCount(); n != 0 {
		t.Fatalf("brain asked %d times 15 s after the messages; the plan's reply delay is 30 s", n)
	}
	h.clk.advance(16 * time.Second)
	h.chat()
	if n := h.brain.chatCount(); n != 2 {
		t.Fatalf("brain asked %d times, want 2 (unifiedReply off: one answer per message)", n)
	}
	if got, want := h.site.sentTexts(), []string{"薪资15-20K", "五险一金", "在西湖区"}; !slices.Equal(got, want) {
		t.Fatalf("sent %q, want %q (split on the plan's separator)", got, want)
	}
	req := h.brain.chats[0]
	if req.Hunterbot == nil || req.Hunterbot.Plan == nil || req.Hunterbot.Plan.Prompt != "你是杭州门店的招聘顾问" ||
		req.Hunterbot.MemberID != "5" || len(req.Hunterbot.Plan.Scenes) != 3 {
		t.Fatalf("chat extension %+v, want the member's plan", req.Hunterbot)
	}
	// Two reply events (one per answered message).
	if got := eventSummary(h.planEvents()); !slices.Equal(got, []string{"reached", "reply", "reply"}) {
		t.Fatalf("events %q", got)
	}

	// A conversation that is no plan member keeps the YAML block.
	other := Conversation{CandidateID: "502"}
	if hs := h.agent.hosting(&other); hs.ReplyDelay != 10*time.Second || !hs.unified() || hs.SegmentSeparator != "" {
		t.Fatalf("non-member hosting %+v, want the YAML default", hs)
	}
	mc := h.conv(cand)
	if hs := h.agent.hosting(&mc); hs.ReplyDelay != 30*time.Second || hs.unified() || hs.SegmentSeparator != "|" {
		t.Fatalf("member hosting %+v, want the plan's", hs)
	}
}

// A human recruiter's message makes the member CUSTOMER_SERVICE_INTERVENES;
// the plan's reply strategy decides whether the AI goes on.
func TestPlanHumanIntervenes(t *testing.T) {
	for _, strategy := range []string{wire.ReplyConsultantNoFurther, wire.ReplyConsultantContinue} {
		t.Run(strategy, func(t *testing.T) {
			p := testPlan()
			p.Data.ReplyStrategy = strategy
			h, _ := reached(t, p)
			h.site.say(cand, h.site.me.UserID, "我是王经理，这个我来跟进")
			h.chat()
			evs := h.planEvents()
			if got := eventSummary(evs); !slices.Equal(got, []string{"reached", "status:CUSTOMER_SERVICE_INTERVENES"}) {
				t.Fatalf("events %q", got)
			}
			if evs[1].Reason != ReasonPlanHuman {
				t.Fatalf("reason %q", evs[1].Reason)
			}
			h.site.say(cand, cand, "好的谢谢")
			h.clk.advance(31 * time.Second)
			h.chat()
			goesOn := strategy == wire.ReplyConsultantContinue
			if asked := h.brain.chatCount() > 0; asked != goesOn {
				t.Fatalf("brain asked: %v, want %v", asked, goesOn)
			}
			if goesOn && h.brain.chats[0].Hunterbot == nil {
				t.Fatal("the AI goes on without its plan")
			}
		})
	}
}

// No reply within the timeout: the wake-up once, then, after another
// timeout, TIMEOUT_COMPLETE_SERVICE; without a wake-up the member ends at
// the first timeout.
func TestPlanTimeout(t *testing.T) {
	t.Run("wake-up then timeout", func(t *testing.T) {
		h, ctl := reached(t, testPlan())
		m := testMember("501")
		m.Status = wire.MemberInService
		h.clk.advance(59 * time.Minute)
		h.planPass(ctl, testPlan(), m)
		if got := h.site.sentTexts(); len(got) != 0 {
			t.Fatalf("sent %q before the timeout", got)
		}
		h.clk.advance(2 * time.Minute)
		h.planPass(ctl, testPlan(), m)
		h.planPass(ctl, testPlan(), m)
		if got := h.site.sentTexts(); !slices.Equal(got, []string{"还在考虑吗？"}) {
			t.Fatalf("sent %q, want the wake-up once", got)
		}
		h.chat() // the wake-up is ours, not a human's
		h.clk.advance(59 * time.Minute)
		h.planPass(ctl, testPlan(), m)
		if got := eventSummary(h.planEvents()); !slices.Equal(got, []string{"reached", "wakeup"}) {
			t.Fatalf("events %q", got)
		}
		h.clk.advance(2 * time.Minute)
		h.planPass(ctl, testPlan(), m)
		if got := eventSummary(h.planEvents()); !slices.Equal(got, []string{"reached", "wakeup", "status:TIMEOUT_COMPLETE_SERVICE"}) {
			t.Fatalf("events %q", got)
		}
		if c := h.conv(cand); !c.silent() {
			t.Fatal("hosting goes on after the timeout")
		}
	})
	t.Run("a reply restarts the clock", func(t *testing.T) {
		h, ctl := reached(t, testPlan())
		m := testMember("501")
		m.Status = wire.MemberInService
		h.clk.advance(50 * time.Minute)
		h.site.say(cand, cand, "我想想")
		h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: "好的您慢慢考虑"}}
		h.clk.advance(31 * time.Second)
		h.chat()
		h.clk.advance(30 * time.Minute)
		h.planPass(ctl, testPlan(), m)
		if got := h.site.sentTexts(); !slices.Equal(got, []string{"好的您慢慢考虑"}) {
			t.Fatalf("sent %q: the timeout runs from our last message", got)
		}
	})
	t.Run("an answer that sent nothing leaves the turn to the candidate", func(t *testing.T) {
		h, ctl := reached(t, testPlan())
		m := testMember("501")
		m.Status = wire.MemberInService
		h.clk.advance(10 * time.Minute)
		h.site.say(cand, cand, "嗯")
		h.brain.replies["501"] = []brain.ChatData{{NextStep: string(StepNormalChat), NextStepContent: ""}}
		h.clk.advance(31 * time.Second)
		h.chat()
		if n := h.brain.chatCount(); n != 1 {
			t.Fatalf("brain asked %d times", n)
		}
		h.clk.advance(59 * time.Minute)
		h.planPass(ctl, testPlan(), m)
		if got := h.site.sentTexts(); len(got) != 0 {
			t.Fatalf("sent %q before the timeout (counted from the candidate's message)", got)
		}
		h.clk.advance(2 * time.Minute)
		h.planPass(ctl, testPlan(), m)
		if got := h.site.sentTexts(); !slices.Equal(got, []string{"还在考虑吗？"}) {
			t.Fatalf("sent %q, want the wake-up", got)
		}
	})
	t.Run("no wake-up", func(t *testing.T) {
		p := testPlan()
		p.Data.TimeoutWakeUp = false
		h, ctl := reached(t, p)
		m := testMember("501")
		m.Status = wire.MemberInService
		h.clk.advance(61 * time.Minute)
		h.planPass(ctl, p, m)
		if got := h.site.sentTexts(); len(got) != 0 {
			t.Fatalf("sent %q", got)
		}
		if got := eventSummary(h.planEvents()); !slices.Equal(got, []string{"reached", "status:TIMEOUT_COMPLETE_SERVICE"}) {
			t.Fatalf("events %q", got)
		}
	})
}

// A terminating task stops hosting: TERMINATE_SERVICE, and the candidate's
// next message is not answered.
func TestPlanTaskTerminating(t *testing.T) {
	h, ctl := reached(t, testPlan())
	m := testMember("501")
	m.Status, m.TaskStatus = wire.MemberInService, wire.MNTaskTerminating
	h.planPass(ctl, testPlan(), m)
	h.planPass(ctl, testPlan(), m)
	if got := eventSummary(h.planEvents()); !slices.Equal(got, []string{"reached", "status:TERMINATE_SERVICE"}) {
		t.Fatalf("events %q", got)
	}
	h.site.say(cand, cand, "还在吗")
	h.clk.advance(time.Minute)
	h.chat()
	if n := h.brain.chatCount(); n != 0 {
		t.Fatalf("brain asked %d times after the task terminated", n)
	}
}

// The brain's scenes become scene events; a COMPLETE_SERVICE scene ends
// the member's service (the status rides on the scene event); replies
// carry the mood and summary; a captured contact is the SYSTEM contact
// scene, reported by the worker itself.
func TestPlanScenesAndContact(t *testing.T) {
	h, _ := reached(t, testPlan())
	h.brain.replies["501"] = []brain.ChatData{
		{NextStep: string(StepNormalChat), NextStepContent: "好的，已记下",
			Hunterbot: &brain.ChatAnswerExtension{Mood: brain.MoodSatisfied, Summary: "候选人给了微信",
				Scenes: []brain.SceneHit{{ID: "1", Name: ContactScene}}}},
		{NextStep: string(StepNoTalk),
			Hunterbot: &brain.ChatAnswerExtension{Mood: brain.MoodSatisfied, Summary: "候选人同意面试",
				Scenes: []brain.SceneHit{{ID: "11", Name: "问薪资"}, {ID: "12", Name: "同意面试", Strategy: brain.StrategyCompleteService}}}},
	}
	h.site.say(cand, cand, "我的微信是 zhang_wx_88")
	h.clk.advance(31 * time.Second)
	h.chat()
	h.site.say(cand, cand, "可以，明天来面试，薪资多少")
	h.clk.advance(31 * time.Second)
	h.chat()
	evs := h.planEvents()
	want := []string{"reached", "scene#1", "reply", "reply", "scene#11", "scene:COMPLETE_SERVICE#12"}
	if got := eventSummary(evs); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if evs[2].Mood != brain.MoodSatisfied || evs[2].Summary != "候选人给了微信" {
		t.Fatalf("reply event %+v, want the brain's mood and summary", evs[2])
	}
	seen := map[string]bool{}
	for _, ev := range evs {
		if seen[ev.ID] {
			t.Fatalf("duplicate event id %s", ev.ID)
		}
		seen[ev.ID] = true
	}
	c := h.conv(cand)
	if c.PlanHost.Status != wire.MemberCompleteService || !c.silent() {
		t.Fatalf("member %+v, want COMPLETE_SERVICE and hosting over", c.PlanHost)
	}
}

// A captured contact completes the service when the plan's monitoring
// strategy says so for the contact scene.
func TestPlanContactSceneStrategy(t *testing.T) {
	p := testPlan()
	p.Data.MonitoringStrategy = append(p.Data.MonitoringStrategy,
		wire.MNMonitoring{SceneID: sceneContact, Strategy: []string{wire.StrategyCompleteService}})
	h, _ := reached(t, p)
	h.site.say(cand, cand, "我的微信是 zhang_wx_88")
	h.chat()
	if got := eventSummary(h.planEvents()); !slices.Equal(got, []string{"reached", "scene:COMPLETE_SERVICE#1"}) {
		t.Fatalf("events %q", got)
	}
	h.clk.advance(time.Minute)
	h.chat()
	if n := h.brain.chatCount(); n != 0 {
		t.Fatalf("brain asked %d times after the service completed", n)
	}
}

// A hand-over or end-until-restart scene, and the brain's own need_ensure.
func TestPlanSceneStrategies(t *testing.T) {
	tests := []struct {
		strategy, step, status string
	}{
		{brain.StrategyHandToHuman, string(StepNeedEnsure), wire.MemberCustomerServiceIntervene},
		{brain.StrategyEndUntilRestart, string(StepNoTalk), wire.MemberTerminateService},
		{"", string(StepNeedEnsure), wire.MemberCustomerServiceIntervene}, // the brain's need_ensure alone
	}
	for _, tt := range tests {
		t.Run(tt.strategy+"/"+tt.step, func(t *testing.T) {
			h, _ := reached(t, testPlan())
			ext := &brain.ChatAnswerExtension{Scenes: []brain.SceneHit{{ID: "11", Name: "问薪资", Strategy: tt.strategy}}}
			h.brain.replies["501"] = []brain.ChatData{{NextStep: tt.step, Hunterbot: ext}}
			h.site.say(cand, cand, "转人工")
			h.clk.advance(31 * time.Second)
			h.chat()
			if c := h.conv(cand); c.PlanHost.Status != tt.status || !c.silent() {
				t.Fatalf("member %+v (silent %v), want %s and hosting over", c.PlanHost, c.silent(), tt.status)
			}
			n := 0
			for _, ev := range h.planEvents() {
				if ev.Status != "" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d status changes reported, want 1: %q", n, eventSummary(h.planEvents()))
			}
		})
	}
}

// Events reach the control plane through the outbox; a client without the
// plan API is a permanent failure.
func TestPlanEventDelivery(t *testing.T) {
	ev := wire.PlanEvent{ID: "acc1/5/reached", MemberID: 5, Account: "acc1", Kind: wire.PlanEventReached}
	payload, _ := json.Marshal(ev)
	it := worker.OutboxItem{Kind: KindPlanEvent, AccountID: "acc1", Payload: payload}
	ctl := &planPusher{fakePlanControl: &fakePlanControl{}}
	if err := deliverPlanEvent(context.Background(), ctl, it); err != nil {
		t.Fatal(err)
	}
	if len(ctl.events) != 1 || ctl.events[0] != ev {
		t.Fatalf("delivered %+v", ctl.events)
	}
	ctl.reject = "plan member 5 does not exist"
	if err := deliverPlanEvent(context.Background(), ctl, it); !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err %v, want a rejection to be permanent", err)
	}
	if err := deliverPlanEvent(context.Background(), ControlPusher(nil), it); !errors.Is(err, ErrPermanent) {
		t.Fatalf("err %v, want permanent", err)
	}
	it.Payload = []byte("{")
	if err := deliverPlanEvent(context.Background(), ctl, it); !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "unexpected") {
		t.Fatalf("err %v, want permanent", err)
	}
}

// planPusher is a ControlPusher with the plan API.
type planPusher struct {
	ControlPusher
	*fakePlanControl
}
