package state

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// Marketing-notice plan tasks (seed 002): a task is a batch of members a
// released plan hosts. Workers reach and host the members and report
// events (marketing_task_worker.go). Records and their index entries:
//
//	mn_tasks                 task id → mnTask (settings, member counts by status, scene counters)
//	idx_mn_tasks_by_plan     plan id ‖ task id → ∅
//	idx_mn_tasks_active      task id → ∅  NOT_STARTED, EXECUTION and TERMINATING tasks (the tick's work)
//	mn_members               member id → mnMember
//	idx_mn_members_by_task   task id ‖ member id → ∅
//	idx_mn_members_open      account id ‖ task id ‖ member id → ∅  members not final (workers' work)
//	idx_mn_members_by_conv   account id ‖ candidate id → member id  the member not final hosting that conversation
//	mn_events                member id ‖ event id → wire.PlanEvent (idempotency)
//	mn_daily                 member id ‖ yyyy-MM-dd → mnDay (daily reports)
//
// Every counter of a task (members by status, members and triggers per
// scene) changes in the transaction that changes the member it counts.
var (
	bucketMNTasks          = []byte("mn_tasks")
	bucketMNTasksByPlan    = []byte("idx_mn_tasks_by_plan")
	bucketMNTasksActive    = []byte("idx_mn_tasks_active")
	bucketMNMembers        = []byte("mn_members")
	bucketMNMembersByTask  = []byte("idx_mn_members_by_task")
	bucketMNMembersOpen    = []byte("idx_mn_members_open")
	bucketMNMembersByConv  = []byte("idx_mn_members_by_conv")
	bucketMNEvents         = []byte("mn_events")
	bucketMNDaily          = []byte("mn_daily")
	marketingTaskBucketSet = [][]byte{bucketMNTasks, bucketMNTasksByPlan, bucketMNTasksActive, bucketMNMembers,
		bucketMNMembersByTask, bucketMNMembersOpen, bucketMNMembersByConv, bucketMNEvents, bucketMNDaily}
)

// TerminateGrace is how long a TERMINATING task waits for its workers to
// report that they stopped hosting its IN_SERVICE members; after it the
// control plane ends them itself (TERMINATE_SERVICE, ReasonNoStop) so a
// dead worker cannot keep a task TERMINATING forever.
const TerminateGrace = 10 * time.Minute

// Member reasons the control plane records.
const (
	ReasonDuplicateMember = "listed twice in this task"
	ReasonHostedElsewhere = "already hosted by a running task"
	ReasonNoStop          = "task terminated; the worker did not report the stop in time"
	ReasonLateReach       = "task terminated before the greetings were reported"
)

// Names of the SYSTEM scenes the reports count (SystemScenes).
const (
	sceneContactSuccess = "联系成功"
	sceneEffective      = "有效沟通"
	sceneInvitation     = "邀约成功"
)

// mnTask is a stored task.
type mnTask struct {
	ID           uint64           `json:"id"`
	PlanID       uint64           `json:"plan_id"`
	Name         string           `json:"name"`
	Status       string           `json:"status"`
	Start        time.Time        `json:"start"`
	CreatedAt    time.Time        `json:"created_at"`
	UpdatedAt    time.Time        `json:"updated_at"`
	TerminatedAt time.Time        `json:"terminated_at,omitzero"`
	FileIDs      []uint64         `json:"file_ids"`
	Columns      []string         `json:"columns"`
	Total        int64            `json:"total"`
	ByStatus     map[string]int64 `json:"by_status"`
	// SceneMembers counts members who triggered a scene at least once
	// (ONLY scenes, the report's people counts); SceneTriggers every
	// trigger (GRAND_TOTAL scenes).
	SceneMembers  map[uint64]int64 `json:"scene_members"`
	SceneTriggers map[uint64]int64 `json:"scene_triggers"`
	LastTrigger   time.Time        `json:"last_trigger,omitzero"`
}

func (t *mnTask) wire() wire.MNTask {
	st := t.Start.In(clock.Shanghai)
	return wire.MNTask{ID: t.ID, CreateTime: wire.SeedTime{Time: t.CreatedAt}, LastUpdateTime: wire.SeedTime{Time: t.UpdatedAt},
		Name: t.Name, Status: t.Status, TotalMember: t.Total, StartDate: st.Format("2006-01-02"), StartTime: st.Format("15:04"),
		PlanID: t.PlanID}
}

// open counts members not in a final status.
func (t *mnTask) open() int64 {
	return t.ByStatus[wire.MemberNotReached] + t.ByStatus[wire.MemberInService]
}

// settle applies the status changes members cause: a running task whose
// members are all final is COMPLETE; a terminating one with nobody in
// service any more is TERMINATION.
func (t *mnTask) settle() {
	switch {
	case t.Status == wire.MNTaskExecution && t.open() == 0:
		t.Status = wire.MNTaskComplete
	case t.Status == wire.MNTaskTerminating && t.ByStatus[wire.MemberInService] == 0:
		t.Status = wire.MNTaskTermination
	}
}

func mnTaskActive(status string) bool {
	return status == wire.MNTaskNotStarted || status == wire.MNTaskExecution || status == wire.MNTaskTerminating
}

// mnMember is a stored member.
type mnMember struct {
	ID          uint64            `json:"id"`
	TaskID      uint64            `json:"task_id"`
	PlanID      uint64            `json:"plan_id"`
	UserID      string            `json:"user_id"`
	ContactID   uint64            `json:"contact_id,omitempty"`
	Name        string            `json:"name"`
	Account     string            `json:"account"`
	AccountID   uint64            `json:"account_id"`
	Status      string            `json:"status"`
	Reason      string            `json:"reason,omitempty"`
	SceneIDs    []uint64          `json:"scene_ids"`
	Moods       []string          `json:"moods"`
	ReachTime   time.Time         `json:"reach_time,omitzero"`
	LastTrigger time.Time         `json:"last_trigger,omitzero"`
	Claimed     bool              `json:"claimed,omitempty"`
	ClaimedBy   string            `json:"claimed_by,omitempty"` // worker id
	ClaimedAt   time.Time         `json:"claimed_at,omitzero"`  // the first claim
	Vars        map[string]string `json:"vars,omitempty"`
}

func (m *mnMember) wire() wire.MNTaskMember {
	out := wire.MNTaskMember{ID: m.ID, TaskID: m.TaskID, UserID: m.UserID, Name: m.Name, Account: m.Account,
		Status: m.Status, Reason: m.Reason, SceneIDs: m.SceneIDs, MoodValues: m.Moods,
		ReachTime: wire.SeedTime{Time: m.ReachTime}, LastTriggerTime: wire.SeedTime{Time: m.LastTrigger}, Vars: m.Vars}
	if out.SceneIDs == nil {
		out.SceneIDs = []uint64{}
	}
	if out.MoodValues == nil {
		out.MoodValues = []string{}
	}
	return out
}

// putMNMember writes m and its index entries (present while m is not
// final and has an account).
func putMNMember(tx *bbolt.Tx, m *mnMember) error {
	if err := putJSON(tx.Bucket(bucketMNMembers), u64(m.ID), m); err != nil {
		return err
	}
	if m.AccountID == 0 {
		return nil
	}
	k := tripleKey(m.AccountID, m.TaskID, m.ID)
	conv, ck := tx.Bucket(bucketMNMembersByConv), contactKey(m.AccountID, m.UserID)
	if wire.MemberFinal(m.Status) {
		// The conversation may host a later task's member by now.
		if v := conv.Get(ck); v != nil && btou(v) == m.ID {
			if err := conv.Delete(ck); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMNMembersOpen).Delete(k)
	}
	if err := conv.Put(ck, u64(m.ID)); err != nil {
		return err
	}
	return tx.Bucket(bucketMNMembersOpen).Put(k, nil)
}

// setMemberStatus moves m to status, keeping t's counts; a final status
// never changes. It reports whether m changed.
func setMemberStatus(t *mnTask, m *mnMember, status, reason string) bool {
	if wire.MemberFinal(m.Status) || m.Status == status {
		return false
	}
	t.ByStatus[m.Status]--
	t.ByStatus[status]++
	m.Status = status
	if reason != "" {
		m.Reason = reason
	}
	return true
}

// saveMNTask writes t and its active-index entry.
func (db *DB) saveMNTask(tx *bbolt.Tx, t *mnTask) error {
	t.UpdatedAt = db.now()
	act := tx.Bucket(bucketMNTasksActive)
	if mnTaskActive(t.Status) {
		if err := act.Put(u64(t.ID), nil); err != nil {
			return err
		}
	} else if err := act.Delete(u64(t.ID)); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketMNTasks), u64(t.ID), t)
}

func getMNTask(tx *bbolt.Tx, id uint64) (*mnTask, error) {
	t := new(mnTask)
	if err := getJSON(tx.Bucket(bucketMNTasks), u64(id), t); err != nil {
		return nil, fmt.Errorf("task %d: %w", id, err)
	}
	if t.ByStatus == nil {
		t.ByStatus = map[string]int64{}
	}
	if t.SceneMembers == nil {
		t.SceneMembers = map[uint64]int64{}
	}
	if t.SceneTriggers == nil {
		t.SceneTriggers = map[uint64]int64{}
	}
	return t, nil
}

func getMNMember(tx *bbolt.Tx, id uint64) (*mnMember, error) {
	m := new(mnMember)
	if err := getJSON(tx.Bucket(bucketMNMembers), u64(id), m); err != nil {
		return nil, fmt.Errorf("plan member %d: %w", id, err)
	}
	return m, nil
}

// getPlan loads a plan with its status settled.
func (db *DB) getPlan(tx *bbolt.Tx, id uint64) (wire.MNPlan, error) {
	var p wire.MNPlan
	if err := getJSON(tx.Bucket(bucketMNPlans), u64(id), &p); err != nil {
		return p, mnNotFound("plan", id)
	}
	settle(&p, db.now())
	return p, nil
}

// resolvePlanMember finds the account a member is reached through: the
// sheet's account column, else the account whose contact or conversation
// holds the candidate. A non-empty reason means it cannot be reached.
func resolvePlanMember(tx *bbolt.Tx, ix accountIndex, m wire.NotifyMember) (wire.Contact, wire.Account, string) {
	if m.Account != "" && m.ContactID == 0 {
		a, ok := ix.byKey[m.Account]
		if !ok {
			return wire.Contact{}, wire.Account{}, "unknown account " + strconv.Quote(m.Account)
		}
		// The contact, when there is one, only gives the name.
		var c wire.Contact
		if id := tx.Bucket(bucketContactsByKey).Get(contactKey(a.ID, m.UserID)); id != nil {
			_ = getJSON(tx.Bucket(bucketContacts), id, &c)
		}
		return c, a, ""
	}
	c, a, reason := resolveMember(tx, ix, m) // notify.go: contacts
	if reason != ReasonNoConversation || m.UserID == "" {
		return c, a, reason
	}
	// A conversation the worker reported without a contact (schema 3).
	conv := tx.Bucket(bucketConversations)
	for _, aid := range ix.ids {
		if conv.Get(contactKey(aid, m.UserID)) != nil {
			return wire.Contact{}, ix.byID[aid], ""
		}
	}
	return c, a, reason
}

// CreateMNTask stores a task of a released plan with its members, in one
// transaction. Members no account can reach are IGNOREd with the reason;
// a task none of whose members can be reached is IGNORE at once.
func (db *DB) CreateMNTask(in wire.MNTaskCreate) (wire.MNTask, error) {
	in.Name = strings.TrimSpace(in.Name)
	if err := checkText("name", in.Name, 1, 120); err != nil {
		return wire.MNTask{}, err
	}
	if len(in.Members) == 0 {
		return wire.MNTask{}, fieldErr("fileIds", "the member sheets list no member")
	}
	var out wire.MNTask
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		p, err := db.getPlan(tx, in.PlanID)
		if err != nil {
			return err
		}
		if p.Status != wire.MNPlanExecution {
			return fieldErr("id", "plan %d is %s; tasks can only be created on a released, running plan (EXECUTION)", p.ID, p.Status)
		}
		now := db.now()
		start := in.Start.UTC().Truncate(time.Second)
		if start.IsZero() || start.Before(now) {
			start = now
		}
		if !p.EndTime.IsZero() && !start.Before(p.EndTime.Time) {
			return fieldErr("startTime", "must be before the plan's endTime %s", p.EndTime.In(clock.Shanghai).Format(wire.SeedTimeLayout))
		}
		tb := tx.Bucket(bucketMNTasks)
		id, err := tb.NextSequence()
		if err != nil {
			return err
		}
		t := &mnTask{ID: id, PlanID: p.ID, Name: in.Name, Status: wire.MNTaskNotStarted, Start: start, CreatedAt: now,
			FileIDs: in.FileIDs, Columns: in.Columns, Total: int64(len(in.Members)), ByStatus: map[string]int64{},
			SceneMembers: map[uint64]int64{}, SceneTriggers: map[uint64]int64{}}
		if t.Columns == nil {
			t.Columns = []string{}
		}
		ix, err := loadAccounts(tx)
		if err != nil {
			return err
		}
		mb, byTask := tx.Bucket(bucketMNMembers), tx.Bucket(bucketMNMembersByTask)
		for _, nm := range in.Members {
			mid, err := mb.NextSequence()
			if err != nil {
				return err
			}
			m := &mnMember{ID: mid, TaskID: id, PlanID: p.ID, UserID: nm.UserID, ContactID: nm.ContactID,
				Status: wire.MemberNotReached, Vars: nm.Vars}
			c, a, reason := resolvePlanMember(tx, ix, nm)
			m.Name = nm.Nickname
			if m.Name == "" {
				m.Name = nm.Vars["name"]
			}
			if m.Name == "" {
				m.Name = c.Name
			}
			if reason == "" {
				if c.ID != 0 {
					m.ContactID, m.UserID = c.ID, c.CandidateID
				}
				m.Account, m.AccountID = a.Key, a.ID
				if v := tx.Bucket(bucketMNMembersByConv).Get(contactKey(a.ID, m.UserID)); v != nil {
					// One conversation follows one plan at a time.
					other, err := getMNMember(tx, btou(v))
					if err != nil {
						return err
					}
					if other.TaskID == id {
						reason = fmt.Sprintf("%s (member %d)", ReasonDuplicateMember, other.ID)
					} else {
						reason = fmt.Sprintf("%s (task %d, member %d)", ReasonHostedElsewhere, other.TaskID, other.ID)
					}
					m.AccountID = 0 // kept out of the indexes
				}
			}
			if reason != "" {
				m.Status, m.Reason = wire.MemberIgnore, reason
			}
			t.ByStatus[m.Status]++
			if err := putMNMember(tx, m); err != nil {
				return err
			}
			if err := byTask.Put(pairKey(id, mid), nil); err != nil {
				return err
			}
		}
		switch {
		case t.open() == 0:
			t.Status = wire.MNTaskIgnore
		case !now.Before(start):
			t.Status = wire.MNTaskExecution
		}
		if err := tx.Bucket(bucketMNTasksByPlan).Put(pairKey(p.ID, id), nil); err != nil {
			return err
		}
		if err := db.saveMNTask(tx, t); err != nil {
			return err
		}
		out = t.wire()
		return nil
	})
	return out, err
}

// MNTaskTick applies the status changes time causes: NOT_STARTED →
// EXECUTION at the start time; a task whose plan stopped running (plan
// terminated, or its end time passed) is terminated; a TERMINATING task
// past TerminateGrace ends its remaining members itself.
func (db *DB) MNTaskTick() error {
	now := db.now()
	var due []uint64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMNTasksActive).ForEach(func(k, _ []byte) error {
			t, err := getMNTask(tx, btou(k))
			if err != nil {
				return err
			}
			if taskDue(db, tx, t, now) {
				due = append(due, t.ID)
			}
			return nil
		})
	})
	if err != nil || len(due) == 0 {
		return err
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, id := range due {
			t, err := getMNTask(tx, id)
			if err != nil {
				return err
			}
			if !taskDue(db, tx, t, now) {
				continue // another tick got there first
			}
			// A plan cannot be deleted while it has tasks; should one be
			// missing anyway, its tasks stop like those of a stopped plan.
			p, _ := db.getPlan(tx, t.PlanID)
			if t.Status == wire.MNTaskNotStarted && !now.Before(t.Start) && p.Status == wire.MNPlanExecution {
				t.Status = wire.MNTaskExecution
			}
			if (t.Status == wire.MNTaskNotStarted || t.Status == wire.MNTaskExecution) && p.Status != wire.MNPlanExecution {
				db.terminateMNTask(t)
			}
			if t.Status == wire.MNTaskTerminating && !now.Before(t.TerminatedAt.Add(TerminateGrace)) {
				if err := db.endInService(tx, t, ReasonNoStop); err != nil {
					return err
				}
			}
			t.settle()
			if err := db.saveMNTask(tx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// taskDue reports whether the tick has something to do for t.
func taskDue(db *DB, tx *bbolt.Tx, t *mnTask, now time.Time) bool {
	switch t.Status {
	case wire.MNTaskNotStarted, wire.MNTaskExecution:
		p, err := db.getPlan(tx, t.PlanID)
		if err != nil || p.Status != wire.MNPlanExecution {
			return true
		}
		return t.Status == wire.MNTaskNotStarted && !now.Before(t.Start)
	case wire.MNTaskTerminating:
		return !now.Before(t.TerminatedAt.Add(TerminateGrace)) || t.ByStatus[wire.MemberInService] == 0
	}
	return false
}

// terminateMNTask stops t: members not reached stay NOT_REACHED (an
// enable resumes them); members in service keep the task TERMINATING
// until their workers report the stop.
func (db *DB) terminateMNTask(t *mnTask) {
	t.TerminatedAt = db.now()
	if t.ByStatus[wire.MemberInService] > 0 {
		t.Status = wire.MNTaskTerminating
	} else {
		t.Status = wire.MNTaskTermination
	}
}

// endInService moves t's IN_SERVICE members to TERMINATE_SERVICE.
func (db *DB) endInService(tx *bbolt.Tx, t *mnTask, reason string) error {
	var ids []uint64
	c := tx.Bucket(bucketMNMembersByTask).Cursor()
	p := u64(t.ID)
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		ids = append(ids, btou(k[8:]))
	}
	for _, id := range ids {
		m, err := getMNMember(tx, id)
		if err != nil {
			return err
		}
		if m.Status == wire.MemberInService && setMemberStatus(t, m, wire.MemberTerminateService, reason) {
			if err := putMNMember(tx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetMNTaskStatus serves PATCH …/task/{taskId}/termination (to
// TERMINATION) and …/enable (to EXECUTION). Terminating a NOT_STARTED or
// EXECUTION task makes it TERMINATING while members are in service, else
// TERMINATION. Enabling starts a NOT_STARTED task now, or resumes a
// terminated one (its members not reached yet are reached again; final
// members stay final).
func (db *DB) SetMNTaskStatus(id uint64, to string) (wire.MNTask, error) {
	if err := db.MNTaskTick(); err != nil {
		return wire.MNTask{}, err
	}
	var out wire.MNTask
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		t, err := getMNTask(tx, id)
		if err != nil {
			return err
		}
		switch to {
		case wire.MNTaskTermination:
			if t.Status != wire.MNTaskNotStarted && t.Status != wire.MNTaskExecution {
				return fieldErr("taskId", "task %d is %s; only NOT_STARTED or EXECUTION tasks can be terminated", id, t.Status)
			}
			db.terminateMNTask(t)
		case wire.MNTaskExecution:
			p, err := db.getPlan(tx, t.PlanID)
			if err != nil {
				return err
			}
			switch {
			case t.Status != wire.MNTaskNotStarted && t.Status != wire.MNTaskTerminating && t.Status != wire.MNTaskTermination:
				return fieldErr("taskId", "task %d is %s; only NOT_STARTED, TERMINATING or TERMINATION tasks can be enabled", id, t.Status)
			case p.Status != wire.MNPlanExecution:
				return fieldErr("taskId", "plan %d of task %d is %s; enable the plan first", p.ID, id, p.Status)
			case t.open() == 0:
				return fieldErr("taskId", "task %d has no member left to reach or host", id)
			}
			if t.Status == wire.MNTaskNotStarted {
				t.Start = db.now()
			}
			t.Status, t.TerminatedAt = wire.MNTaskExecution, time.Time{}
		default:
			return fmt.Errorf("state: task status %q cannot be set", to)
		}
		t.settle()
		if err := db.saveMNTask(tx, t); err != nil {
			return err
		}
		out = t.wire()
		return nil
	})
	return out, err
}

// GetMNTask returns one task.
func (db *DB) GetMNTask(id uint64) (wire.MNTask, error) {
	if err := db.MNTaskTick(); err != nil {
		return wire.MNTask{}, err
	}
	var out wire.MNTask
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		t, err := getMNTask(tx, id)
		if err != nil {
			return err
		}
		out = t.wire()
		return nil
	})
	return out, err
}

// planTasks loads a plan's tasks in id order.
func planTasks(tx *bbolt.Tx, planID uint64) ([]*mnTask, error) {
	var out []*mnTask
	c := tx.Bucket(bucketMNTasksByPlan).Cursor()
	p := u64(planID)
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		t, err := getMNTask(tx, btou(k[8:]))
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// ListMNTasks returns a plan's tasks in id order.
func (db *DB) ListMNTasks(planID uint64) ([]wire.MNTask, error) {
	if err := db.MNTaskTick(); err != nil {
		return nil, err
	}
	out := []wire.MNTask{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMNPlans).Get(u64(planID)) == nil {
			return mnNotFound("plan", planID)
		}
		ts, err := planTasks(tx, planID)
		for _, t := range ts {
			out = append(out, t.wire())
		}
		return err
	})
	return out, err
}

// MNTaskSchema lists the columns of a plan's task member lists: the
// member's own fields, then every variable column of the plan's member
// sheets (key "vars.<column>").
func (db *DB) MNTaskSchema(planID uint64) ([]wire.MNSchemaField, error) {
	out := []wire.MNSchemaField{
		{Label: "用户ID", Key: "userId", Type: "STRING"},
		{Label: "姓名", Key: "name", Type: "STRING"},
		{Label: "账号", Key: "account", Type: "STRING"},
		{Label: "状态", Key: "status", Type: "STRING"},
		{Label: "触达时间", Key: "reachTime", Type: "DATE"},
		{Label: "最后触发时间", Key: "lastTriggerTime", Type: "DATE"},
	}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMNPlans).Get(u64(planID)) == nil {
			return mnNotFound("plan", planID)
		}
		ts, err := planTasks(tx, planID)
		seen := map[string]bool{}
		for _, t := range ts {
			for _, c := range t.Columns {
				if !seen[c] {
					seen[c] = true
					out = append(out, wire.MNSchemaField{Label: c, Key: "vars." + c, Type: "STRING"})
				}
			}
		}
		return err
	})
	return out, err
}

// ListMNTaskMembers returns a task's members matching f, in member order.
func (db *DB) ListMNTaskMembers(taskID uint64, f wire.MNTaskMemberFilter) ([]wire.MNTaskMember, error) {
	if err := db.MNTaskTick(); err != nil {
		return nil, err
	}
	out := []wire.MNTaskMember{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if _, err := getMNTask(tx, taskID); err != nil {
			return err
		}
		mb := tx.Bucket(bucketMNMembers)
		c := tx.Bucket(bucketMNMembersByTask).Cursor()
		p := u64(taskID)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			var m mnMember
			if err := getJSON(mb, k[8:], &m); err != nil {
				return err
			}
			if f.Status != "" && m.Status != f.Status {
				continue
			}
			if f.Mood != "" && !slices.Contains(m.Moods, f.Mood) {
				continue
			}
			if f.SceneIDs != nil && !slices.ContainsFunc(m.SceneIDs, func(id uint64) bool { return f.SceneIDs[id] }) {
				continue
			}
			if f.KeyWord != "" && !strings.Contains(m.UserID, f.KeyWord) && !strings.Contains(m.Name, f.KeyWord) &&
				!strings.Contains(m.Account, f.KeyWord) {
				continue
			}
			out = append(out, m.wire())
		}
		return nil
	})
	return out, err
}

// planScenes lists the scenes a plan's reports show and its workers
// monitor: every SYSTEM scene, then the plan's own scenes of
// data.sceneIds, then any other scene its tasks counted.
func planScenes(tx *bbolt.Tx, p wire.MNPlan, tasks []*mnTask) ([]wire.MNScene, error) {
	var out []wire.MNScene
	seen := map[uint64]bool{}
	sb := tx.Bucket(bucketMNScenes)
	add := func(id uint64) error {
		if seen[id] {
			return nil
		}
		var sc wire.MNScene
		if err := getJSON(sb, u64(id), &sc); err != nil {
			return nil // deleted since; its counts stay in the task
		}
		seen[id] = true
		out = append(out, sc)
		return nil
	}
	if err := sb.ForEach(func(k, v []byte) error {
		var sc wire.MNScene
		if err := jsonUnmarshal(v, &sc); err != nil {
			return err
		}
		if sc.SceneType == wire.SceneSystem {
			return add(sc.ID)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, id := range p.SceneIDs {
		if err := add(id); err != nil {
			return nil, err
		}
	}
	var extra []uint64
	for _, t := range tasks {
		for id := range t.SceneTriggers {
			extra = append(extra, id)
		}
	}
	slices.Sort(extra)
	for _, id := range extra {
		if err := add(id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// mnReport adds up tasks into a report over the plan's scenes.
func mnReport(scenes []wire.MNScene, tasks []*mnTask) wire.MNReport {
	r := wire.MNReport{SceneStatistics: []wire.MNSceneStat{}}
	people := map[string]int64{}
	for _, t := range tasks {
		r.PlannedNumberOfPeopl += t.Total
		r.CompleteServiceOfPeopl += t.ByStatus[wire.MemberCompleteService]
		for _, sc := range scenes {
			if sc.SceneType == wire.SceneSystem {
				people[sc.Name] += t.SceneMembers[sc.ID]
			}
		}
	}
	for _, sc := range scenes {
		var n int64
		for _, t := range tasks {
			if sc.StatisticalMethod == wire.SceneGrandTotal {
				n += t.SceneTriggers[sc.ID]
			} else {
				n += t.SceneMembers[sc.ID]
			}
		}
		r.SceneStatistics = append(r.SceneStatistics, wire.MNSceneStat{ID: sc.ID, Name: sc.Name, Number: n})
	}
	r.ContactSuccessOfPeopl = people[sceneContactSuccess]
	r.EffectiveCommunicationOfPeopl = people[sceneEffective]
	r.InvitationSuccessfulOfPeopl = people[sceneInvitation]
	rate := func(n int64) float64 {
		if r.PlannedNumberOfPeopl == 0 {
			return 0
		}
		return float64(n) / float64(r.PlannedNumberOfPeopl)
	}
	r.CompleteServiceRate = rate(r.CompleteServiceOfPeopl)
	r.ContactSuccessRate = rate(r.ContactSuccessOfPeopl)
	r.EffectiveCommunicationRate = rate(r.EffectiveCommunicationOfPeopl)
	r.InvitationSuccessfulRate = rate(r.InvitationSuccessfulOfPeopl)
	return r
}

// MNTaskReport returns a task's report.
func (db *DB) MNTaskReport(taskID uint64) (wire.MNReport, error) {
	var r wire.MNReport
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		t, err := getMNTask(tx, taskID)
		if err != nil {
			return err
		}
		var p wire.MNPlan
		if err := getJSON(tx.Bucket(bucketMNPlans), u64(t.PlanID), &p); err != nil {
			return mnNotFound("plan", t.PlanID)
		}
		scenes, err := planScenes(tx, p, []*mnTask{t})
		if err != nil {
			return err
		}
		r = mnReport(scenes, []*mnTask{t})
		return nil
	})
	return r, err
}

// MNPlanReport returns a plan's report: the sum of its tasks'.
func (db *DB) MNPlanReport(planID uint64) (wire.MNReport, error) {
	var r wire.MNReport
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var p wire.MNPlan
		if err := getJSON(tx.Bucket(bucketMNPlans), u64(planID), &p); err != nil {
			return mnNotFound("plan", planID)
		}
		tasks, err := planTasks(tx, planID)
		if err != nil {
			return err
		}
		scenes, err := planScenes(tx, p, tasks)
		if err != nil {
			return err
		}
		r = mnReport(scenes, tasks)
		return nil
	})
	return r, err
}

// MNPlanCounters returns the plan list's counters of every plan that has
// tasks (memberNumber, taskCount, lastTriggerTime and the four people
// counts, as in MNPlanReport), keyed by plan id; only those fields are set.
func (db *DB) MNPlanCounters() (map[uint64]wire.MNPlanSummary, error) {
	out := map[uint64]wire.MNPlanSummary{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		sys := map[string]uint64{}
		if err := tx.Bucket(bucketMNScenes).ForEach(func(k, v []byte) error {
			var sc wire.MNScene
			if err := jsonUnmarshal(v, &sc); err != nil {
				return err
			}
			if sc.SceneType == wire.SceneSystem {
				sys[sc.Name] = sc.ID
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketMNTasks).ForEach(func(k, v []byte) error {
			var t mnTask
			if err := jsonUnmarshal(v, &t); err != nil {
				return err
			}
			s := out[t.PlanID]
			s.ID = t.PlanID
			s.TaskCount++
			s.MemberNumber += t.Total
			s.CompleteServiceOfPeopl += t.ByStatus[wire.MemberCompleteService]
			s.ContactSuccessOfPeopl += t.SceneMembers[sys[sceneContactSuccess]]
			s.EffectiveCommunicationOfPeopl += t.SceneMembers[sys[sceneEffective]]
			s.InvitationSuccessfulOfPeopl += t.SceneMembers[sys[sceneInvitation]]
			if t.LastTrigger.After(s.LastTriggerTime.Time) {
				s.LastTriggerTime = wire.SeedTime{Time: t.LastTrigger}
			}
			out[t.PlanID] = s
			return nil
		})
	})
	return out, err
}

// planHasTasks reports whether a plan has tasks (DeleteMNPlan refuses).
func planHasTasks(tx *bbolt.Tx, planID uint64) (uint64, bool) {
	b := tx.Bucket(bucketMNTasksByPlan)
	if b == nil {
		return 0, false
	}
	k, _ := b.Cursor().Seek(u64(planID))
	if k != nil && btou(k[:8]) == planID {
		return btou(k[8:]), true
	}
	return 0, false
}
