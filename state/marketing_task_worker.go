package state

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// The worker side of plan tasks (the contract is api/wire/marketing_task.go):
// which members a worker reaches and hosts, the claim before greetings, and
// the events that move members and fill the reports and daily reports.

// MaxPlanMembersPerAccount bounds the members to reach (NOT_REACHED) one
// pull lists per account; members in service are always listed. The open
// index lists members in task order, so members beyond the bound come in
// later pulls as earlier ones are reached.
const MaxPlanMembersPerAccount = 5000

// mnDay is one member's day (GET /api/v1/members/{id}/daily-reports).
type mnDay struct {
	Date      string    `json:"date"`
	Moods     []string  `json:"moods"`
	Scenes    []string  `json:"scenes"`
	Summary   string    `json:"summary,omitempty"`
	SummaryAt time.Time `json:"summary_at,omitzero"`
	Greetings int       `json:"greetings,omitempty"`
	Replies   int       `json:"replies,omitempty"`
	WakeUps   int       `json:"wake_ups,omitempty"`
	Triggers  int       `json:"triggers,omitempty"`
	Statuses  []string  `json:"statuses,omitempty"`
}

// memberStatusLabels are seed 002's names of the member statuses.
var memberStatusLabels = map[string]string{
	wire.MemberNotReached:               "未触达",
	wire.MemberInService:                "服务中",
	wire.MemberTerminateService:         "终止服务",
	wire.MemberCustomerServiceIntervene: "客服介入",
	wire.MemberCompleteService:          "完成服务",
	wire.MemberIgnore:                   "忽略",
	wire.MemberTimeoutCompleteService:   "超时完成",
}

// ValidMemberStatus reports whether s is one of seed 002's member statuses.
func ValidMemberStatus(s string) bool { _, ok := memberStatusLabels[s]; return ok }

// content is the day's report text: the latest summary a worker supplied,
// else one composed from the day's events.
func (d *mnDay) content() string {
	if d.Summary != "" {
		return d.Summary
	}
	var parts []string
	if d.Greetings > 0 {
		parts = append(parts, "已发送开场白")
	}
	if d.WakeUps > 0 {
		parts = append(parts, fmt.Sprintf("发送超时唤醒%d次", d.WakeUps))
	}
	if d.Replies > 0 {
		parts = append(parts, fmt.Sprintf("候选人回复%d次", d.Replies))
	}
	if len(d.Scenes) > 0 {
		parts = append(parts, "触发场景："+strings.Join(d.Scenes, "、"))
	}
	if len(d.Statuses) > 0 {
		labels := make([]string, len(d.Statuses))
		for i, s := range d.Statuses {
			labels[i] = memberStatusLabels[s]
		}
		parts = append(parts, "状态变为"+strings.Join(labels, "、"))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "；") + "。"
}

func addDistinct[T comparable](s []T, v T) ([]T, bool) {
	if slices.Contains(s, v) {
		return s, false
	}
	return append(s, v), true
}

// workerAccounts returns the accounts workerID runs (only key when set).
func workerAccounts(ix accountIndex, workerID, key string) []wire.Account {
	var out []wire.Account
	for _, id := range ix.ids {
		a := ix.byID[id]
		if a.WorkerID == workerID && (key == "" || a.Key == key) {
			out = append(out, a)
		}
	}
	return out
}

// PlanMembers answers GET /api/worker/plan-members: the members of
// EXECUTION tasks on the accounts workerID runs (only account when set),
// the IN_SERVICE members of TERMINATING tasks (so the worker stops hosting
// them), and the plans of every EXECUTION or TERMINATING task with their
// scenes: a conversation whose member is final may still follow its plan
// (a consultant replied and the plan lets the AI go on), so a plan is
// listed while its tasks run, not only while it has open members here.
func (db *DB) PlanMembers(workerID, account string) (wire.PlanMembersResponse, error) {
	out := wire.PlanMembersResponse{Members: []wire.PlanMember{}, Plans: []wire.PlanHosting{}}
	if err := db.MNTaskTick(); err != nil {
		return out, err
	}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		ix, err := loadAccounts(tx)
		if err != nil {
			return err
		}
		tasks := map[uint64]*mnTask{}
		var planIDs []uint64
		open := tx.Bucket(bucketMNMembersOpen).Cursor()
		for _, a := range workerAccounts(ix, workerID, account) {
			p := u64(a.ID)
			n := 0
			for k, _ := open.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = open.Next() {
				tid := btou(k[8:16])
				t, ok := tasks[tid]
				if !ok {
					if t, err = getMNTask(tx, tid); err != nil {
						return err
					}
					tasks[tid] = t
				}
				if t.Status != wire.MNTaskExecution && t.Status != wire.MNTaskTerminating {
					// Not started or over: skip the rest of this task here.
					open.Seek(tripleKey(a.ID, tid+1, 0))
					open.Prev()
					continue
				}
				m, err := getMNMember(tx, btou(k[16:]))
				if err != nil {
					return err
				}
				if m.Status == wire.MemberNotReached {
					if t.Status == wire.MNTaskTerminating || n >= MaxPlanMembersPerAccount {
						continue
					}
					n++
				}
				out.Members = append(out.Members, wire.PlanMember{MemberID: m.ID, TaskID: m.TaskID, PlanID: m.PlanID,
					Account: m.Account, UserID: m.UserID, Name: m.Name, Status: m.Status, Vars: m.Vars,
					ReachTime: m.ReachTime, TaskStatus: t.Status})
			}
		}
		if err := tx.Bucket(bucketMNTasksActive).ForEach(func(k, _ []byte) error {
			t, err := getMNTask(tx, btou(k))
			if err != nil {
				return err
			}
			if (t.Status == wire.MNTaskExecution || t.Status == wire.MNTaskTerminating) && !slices.Contains(planIDs, t.PlanID) {
				planIDs = append(planIDs, t.PlanID)
			}
			return nil
		}); err != nil {
			return err
		}
		slices.Sort(planIDs)
		for _, pid := range planIDs {
			p, err := db.getPlan(tx, pid)
			if err != nil {
				return err
			}
			scenes, err := planScenes(tx, p, nil)
			if err != nil {
				return err
			}
			out.Plans = append(out.Plans, wire.PlanHosting{PlanID: p.ID, Data: p.MNPlanData, Scenes: scenes})
		}
		return nil
	})
	return out, err
}

// memberForWorker checks that workerID may act for m through account: it
// runs the account (or claimed m; its outbox may drain after the account
// moved to another worker).
func memberForWorker(tx *bbolt.Tx, workerID, account string, m *mnMember) error {
	if m.ClaimedBy == workerID && account == m.Account {
		return nil
	}
	a, err := accountByKey(tx, account)
	if err != nil {
		return err
	}
	if a.WorkerID != workerID {
		return fmt.Errorf("account %q is not run by worker %s: %w", account, workerID, wire.ErrForbidden)
	}
	return nil
}

// ClaimMNMember answers POST /api/worker/plan-claim: whether the worker
// may send a member's greetings now. It refuses (OK false, with the
// reason) when the member is reached through another account, is final,
// or its task or plan is not running. A repeated claim by the same account
// answers true again, Resumed, with the first claim's time (the account
// may have moved to this worker after another one began the greetings).
func (db *DB) ClaimMNMember(workerID string, req wire.PlanClaimRequest) (wire.PlanClaimResponse, error) {
	if err := db.MNTaskTick(); err != nil {
		return wire.PlanClaimResponse{}, err
	}
	var res wire.PlanClaimResponse
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		m, err := getMNMember(tx, req.MemberID)
		if err != nil {
			return err
		}
		a, err := accountByKey(tx, req.Account)
		if err != nil {
			return fieldErr("account", "unknown account %q", req.Account)
		}
		if err := db.fence(tx, workerID, a.Key, req.Epoch, false); err != nil { // managed.go
			return err
		}
		if a.WorkerID != workerID {
			return fmt.Errorf("account %q is not run by worker %s: %w", a.Key, workerID, wire.ErrForbidden)
		}
		res.Status = m.Status
		t, err := getMNTask(tx, m.TaskID)
		if err != nil {
			return err
		}
		p, _ := db.getPlan(tx, m.PlanID)
		switch {
		case m.Account != req.Account:
			res.Reason = fmt.Sprintf("member %d is reached through account %q", m.ID, m.Account)
		case wire.MemberFinal(m.Status):
			res.Reason = "member is " + m.Status
		case t.Status != wire.MNTaskExecution:
			res.Reason = "task is " + t.Status
		case p.Status != wire.MNPlanExecution:
			res.Reason = fmt.Sprintf("plan %d is %s", m.PlanID, p.Status)
		default:
			res.OK = true
		}
		if !res.OK {
			return nil
		}
		if m.Claimed {
			res.Resumed, res.ClaimedAt = true, m.ClaimedAt
			if m.ClaimedBy == workerID {
				return nil
			}
		} else {
			m.ClaimedAt = db.now()
		}
		m.Claimed, m.ClaimedBy = true, workerID
		return putMNMember(tx, m)
	})
	return res, err
}

// planEventErr is one rejected event.
type planEventErr struct {
	code  int
	field string
	msg   string
}

func rejectEvent(code int, field, format string, args ...any) *planEventErr {
	return &planEventErr{code: code, field: field, msg: fmt.Sprintf(format, args...)}
}

// checkPlanEvent validates an event's own fields; field names are under
// prefix ("events[3].").
func checkPlanEvent(prefix string, ev *wire.PlanEvent) *planEventErr {
	bad := func(field, format string, args ...any) *planEventErr {
		return rejectEvent(http.StatusBadRequest, prefix+field, format, args...)
	}
	if ev.ID == "" || len(ev.ID) > maxShort || !utf8.ValidString(ev.ID) {
		return bad("id", "required (at most %d bytes)", maxShort)
	}
	if ev.MemberID == 0 {
		return bad("memberId", "required")
	}
	if ev.Account == "" {
		return bad("account", "required")
	}
	switch ev.Kind {
	case wire.PlanEventReached, wire.PlanEventReply, wire.PlanEventWakeUp:
	case wire.PlanEventScene:
		if ev.SceneID == 0 {
			return bad("sceneId", "required for a scene event")
		}
	case wire.PlanEventStatus:
		if ev.Status == "" {
			return bad("status", "required for a status event")
		}
	default:
		return bad("kind", "must be reached, reply, scene, wakeup or status, got %q", ev.Kind)
	}
	if ev.Status != "" && (!ValidMemberStatus(ev.Status) || ev.Status == wire.MemberNotReached) {
		return bad("status", "must be a member status other than NOT_REACHED, got %q", ev.Status)
	}
	// A summary is model-written and unbounded at the source: an overlong
	// one is cut rather than losing the event's reply, scene or status.
	if utf8.RuneCountInString(ev.Summary) > maxNotes {
		ev.Summary = string([]rune(ev.Summary)[:maxNotes-1]) + "…"
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"mood", ev.Mood, 32}, {"summary", ev.Summary, maxNotes}, {"reason", ev.Reason, 500}} {
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > f.max {
			return bad(f.name, "must be valid UTF-8 of at most %d characters", f.max)
		}
	}
	return nil
}

// ApplyPlanEvents answers POST /api/worker/plan-events: each event is
// applied, recognised as a duplicate (its id was applied before) or
// rejected alone; all in one transaction.
func (db *DB) ApplyPlanEvents(workerID string, evs []wire.PlanEvent) (wire.PlanEventsResponse, error) {
	out := wire.PlanEventsResponse{Results: make([]wire.PlanEventResult, 0, len(evs))}
	if err := db.MNTaskTick(); err != nil {
		return out, err
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		out.Accepted, out.Rejected, out.Results = 0, 0, out.Results[:0]
		tasks := map[uint64]*mnTask{}
		var interviews []wire.Contact
		tx.OnCommit(func() {
			for i := range interviews {
				db.contacts.put(&interviews[i])
			}
		})
		for i := range evs {
			ev := evs[i]
			res := wire.PlanEventResult{ID: ev.ID}
			status, perr, err := db.applyPlanEvent(tx, workerID, fmt.Sprintf("events[%d].", i), &ev, tasks, &interviews)
			if err != nil {
				return err
			}
			switch {
			case perr != nil:
				res.Outcome, res.Code, res.Field, res.Detail = wire.PlanEventRejected, perr.code, perr.field, perr.msg
				out.Rejected++
			case status == "":
				res.Outcome = wire.PlanEventDuplicate
				out.Accepted++
			default:
				res.Outcome, res.MemberStatus = wire.PlanEventApplied, status
				out.Accepted++
			}
			out.Results = append(out.Results, res)
		}
		for _, t := range tasks {
			t.settle()
			if err := db.saveMNTask(tx, t); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// applyPlanEvent applies one event; it returns the member's status after
// it ("" for a duplicate), or why it was rejected, or a store error.
//
// A 邀约成功 (invitation success) scene also marks the member's contact as
// an interview, in the same transaction, appending it to interviews for the
// contact index: that is where the contacts funnel's interview stage comes
// from.
func (db *DB) applyPlanEvent(tx *bbolt.Tx, workerID, prefix string, ev *wire.PlanEvent, tasks map[uint64]*mnTask, interviews *[]wire.Contact) (string, *planEventErr, error) {
	if perr := checkPlanEvent(prefix, ev); perr != nil {
		return "", perr, nil
	}
	m, err := getMNMember(tx, ev.MemberID)
	if err != nil {
		return "", rejectEvent(http.StatusNotFound, prefix+"memberId", "plan member %d does not exist", ev.MemberID), nil
	}
	evKey := append(u64(m.ID), ev.ID...)
	eb := tx.Bucket(bucketMNEvents)
	if eb.Get(evKey) != nil {
		return "", nil, nil
	}
	if ev.Account != m.Account {
		return "", rejectEvent(http.StatusForbidden, prefix+"account", "member %d is reached through account %q, not %q", m.ID, m.Account, ev.Account), nil
	}
	if err := memberForWorker(tx, workerID, ev.Account, m); err != nil {
		return "", rejectEvent(http.StatusForbidden, prefix+"account", "%v", err), nil
	}
	var scene wire.MNScene
	if ev.Kind == wire.PlanEventScene {
		if getJSON(tx.Bucket(bucketMNScenes), u64(ev.SceneID), &scene) != nil ||
			(scene.SceneType == wire.SceneCustom && scene.PlanID != m.PlanID) {
			return "", rejectEvent(http.StatusBadRequest, prefix+"sceneId", "scene %d is not a scene of plan %d", ev.SceneID, m.PlanID), nil
		}
	}
	t, ok := tasks[m.TaskID]
	if !ok {
		if t, err = getMNTask(tx, m.TaskID); err != nil {
			return "", nil, err
		}
		tasks[m.TaskID] = t
	}
	at := ev.At.UTC().Truncate(time.Second)
	if ev.At.IsZero() {
		at = db.now()
	}
	ev.At = at
	date := at.In(clock.Shanghai).Format("2006-01-02")
	db2 := tx.Bucket(bucketMNDaily)
	dayKey := append(u64(m.ID), date...)
	day := mnDay{Date: date}
	if v := db2.Get(dayKey); v != nil {
		if err := jsonUnmarshal(v, &day); err != nil {
			return "", nil, err
		}
	}
	before := m.Status
	reach := func() {
		if m.Status != wire.MemberNotReached {
			return
		}
		if m.ReachTime.IsZero() {
			m.ReachTime = at
		}
		if t.Status == wire.MNTaskExecution || t.Status == wire.MNTaskTerminating {
			setMemberStatus(t, m, wire.MemberInService, "")
		} else {
			// Reached after the task stopped: nobody hosts it any more.
			setMemberStatus(t, m, wire.MemberTerminateService, ReasonLateReach)
		}
	}
	switch ev.Kind {
	case wire.PlanEventReached:
		day.Greetings++
		reach()
	case wire.PlanEventReply:
		day.Replies++
	case wire.PlanEventWakeUp:
		day.WakeUps++
	case wire.PlanEventScene:
		day.Triggers++
		day.Scenes, _ = addDistinct(day.Scenes, scene.Name)
		var first bool
		if m.SceneIDs, first = addDistinct(m.SceneIDs, scene.ID); first {
			t.SceneMembers[scene.ID]++
		}
		t.SceneTriggers[scene.ID]++
		if at.After(m.LastTrigger) {
			m.LastTrigger = at
		}
		if at.After(t.LastTrigger) {
			t.LastTrigger = at
		}
		if scene.SceneType == wire.SceneSystem && scene.Name == sceneInvitation {
			c, err := db.markInterview(tx, workerID, m)
			if err != nil {
				return "", nil, err
			}
			*interviews = append(*interviews, c)
		}
	}
	if ev.Status == wire.MemberInService {
		reach()
	} else if ev.Status != "" {
		setMemberStatus(t, m, ev.Status, strings.TrimSpace(ev.Reason))
	}
	if m.Status != before && wire.MemberFinal(m.Status) {
		day.Statuses = append(day.Statuses, m.Status)
	}
	if ev.Mood != "" {
		m.Moods, _ = addDistinct(m.Moods, ev.Mood)
		day.Moods, _ = addDistinct(day.Moods, ev.Mood)
	}
	if s := strings.TrimSpace(ev.Summary); s != "" && !at.Before(day.SummaryAt) {
		day.Summary, day.SummaryAt = s, at
	}
	if err := putJSON(db2, dayKey, day); err != nil {
		return "", nil, err
	}
	if err := putMNMember(tx, m); err != nil {
		return "", nil, err
	}
	if err := putJSON(eb, evKey, ev); err != nil {
		return "", nil, err
	}
	return m.Status, nil, nil
}

// MemberDailyReports returns a plan member's days matching f, newest
// first.
func (db *DB) MemberDailyReports(memberID uint64, f wire.MNDailyFilter) ([]wire.MNDailyReport, error) {
	out := []wire.MNDailyReport{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if _, err := getMNMember(tx, memberID); err != nil {
			return err
		}
		c := tx.Bucket(bucketMNDaily).Cursor()
		p := u64(memberID)
		// Days are keyed by date: walk back from the member's last one.
		k, v := c.Seek(u64(memberID + 1))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Prev() {
			var d mnDay
			if err := jsonUnmarshal(v, &d); err != nil {
				return err
			}
			if (f.From != "" && d.Date < f.From) || (f.To != "" && d.Date > f.To) {
				continue
			}
			r := wire.MNDailyReport{ReportDate: d.Date, MoodValues: d.Moods, Scenes: d.Scenes, Content: d.content()}
			if r.MoodValues == nil {
				r.MoodValues = []string{}
			}
			if r.Scenes == nil {
				r.Scenes = []string{}
			}
			if f.KeyWord != "" && !strings.Contains(r.Content, f.KeyWord) &&
				!slices.ContainsFunc(r.Scenes, func(s string) bool { return strings.Contains(s, f.KeyWord) }) &&
				!slices.ContainsFunc(r.MoodValues, func(s string) bool { return strings.Contains(s, f.KeyWord) }) {
				continue
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// markInterview sets the interview flag of the contact the member is on its
// account (creating the contact when the worker has not pushed it yet).
func (db *DB) markInterview(tx *bbolt.Tx, workerID string, m *mnMember) (wire.Contact, error) {
	acc, err := db.ensureAccount(tx, workerID, m.Account)
	if err != nil {
		return wire.Contact{}, err
	}
	c, _, err := db.upsertContact(tx, workerID, acc.ID, wire.ContactInput{Account: m.Account, CandidateID: m.UserID,
		Name: m.Name, Interview: true})
	return c, err
}
