package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Notification tasks (seed 002 群通知任务). A task holds its settings and
// statistics; each member is an execution keyed task id ‖ seq. Index
// entries (written in the same transaction as their execution):
//
//	idx_notify_pending   account id ‖ task id ‖ seq → ∅  members still to deliver
//	idx_notify_by_status task id ‖ status rank ‖ seq → ∅ (orderBy=status)
//	idx_notify_by_time   task id ‖ execute unix ‖ seq → ∅ (orderBy=executeTime)
//	idx_notify_active    task id → ∅  PENDING and EXECUTING tasks
var (
	bucketNotifyTasks    = []byte("notify_tasks")
	bucketNotifyExecs    = []byte("notify_execs")
	bucketNotifyPending  = []byte("idx_notify_pending")
	bucketNotifyByStatus = []byte("idx_notify_by_status")
	bucketNotifyByTime   = []byte("idx_notify_by_time")
	bucketNotifyActive   = []byte("idx_notify_active")
)

// notifyBuckets are created by the "files and notification tasks" migration.
var notifyBuckets = [][]byte{bucketNotifyTasks, bucketNotifyExecs, bucketNotifyPending,
	bucketNotifyByStatus, bucketNotifyByTime, bucketNotifyActive}

// Failure reasons recorded on executions (operators read them in
// GET …/executions).
const (
	ReasonNoConversation = "no conversation with this candidate on any account"
	ReasonUnknownMember  = "unknown member: no contact with this memberId"
	ReasonWindowEnded    = "scheduledEndTime reached before delivery"
	ReasonNoOutcome      = "the worker reported no outcome before scheduledEndTime + 1h"
)

// claimGrace is how long after scheduledEndTime a claimed member may still
// report its outcome before it is failed.
const claimGrace = time.Hour

func tripleKey(a, b, c uint64) []byte {
	k := make([]byte, 24)
	binary.BigEndian.PutUint64(k, a)
	binary.BigEndian.PutUint64(k[8:], b)
	binary.BigEndian.PutUint64(k[16:], c)
	return k
}

func statusRank(s wire.ExecStatus) uint64 {
	switch s {
	case wire.ExecFailed:
		return 1
	case wire.ExecPending:
		return 2
	}
	return 3 // SUCCESS
}

func execTimeKey(e *wire.NotifyExecution) uint64 {
	if e.ExecuteTime == nil {
		return 0 // null sorts first ascending
	}
	return uint64(e.ExecuteTime.Unix())
}

// putExec writes e and its status/time index entries, replacing old's.
func putExec(tx *bbolt.Tx, e, old *wire.NotifyExecution) error {
	st, tm := tx.Bucket(bucketNotifyByStatus), tx.Bucket(bucketNotifyByTime)
	if old != nil {
		if err := st.Delete(tripleKey(e.TaskID, statusRank(old.Status), e.Seq)); err != nil {
			return err
		}
		if err := tm.Delete(tripleKey(e.TaskID, execTimeKey(old), e.Seq)); err != nil {
			return err
		}
	}
	if err := putJSON(tx.Bucket(bucketNotifyExecs), pairKey(e.TaskID, e.Seq), e); err != nil {
		return err
	}
	if err := st.Put(tripleKey(e.TaskID, statusRank(e.Status), e.Seq), nil); err != nil {
		return err
	}
	return tm.Put(tripleKey(e.TaskID, execTimeKey(e), e.Seq), nil)
}

// accountIndex maps account ids and keys of control.db.
type accountIndex struct {
	byID  map[uint64]wire.Account
	byKey map[string]wire.Account
	ids   []uint64
}

func loadAccounts(tx *bbolt.Tx) (accountIndex, error) {
	ix := accountIndex{byID: map[uint64]wire.Account{}, byKey: map[string]wire.Account{}}
	err := tx.Bucket(bucketAccounts).ForEach(func(k, v []byte) error {
		var a wire.Account
		if err := jsonUnmarshal(v, &a); err != nil {
			return err
		}
		ix.byID[a.ID], ix.byKey[a.Key] = a, a
		ix.ids = append(ix.ids, a.ID)
		return nil
	})
	return ix, err
}

// resolveMember finds the conversation a member is reached through: the
// contact given by id, or the candidate's contact on the pinned account, or
// the most recently updated one among all accounts.
func resolveMember(tx *bbolt.Tx, ix accountIndex, m wire.NotifyMember) (wire.Contact, wire.Account, string) {
	cb, ck := tx.Bucket(bucketContacts), tx.Bucket(bucketContactsByKey)
	if m.ContactID != 0 {
		var c wire.Contact
		if getJSON(cb, u64(m.ContactID), &c) != nil {
			return c, wire.Account{}, ReasonUnknownMember
		}
		a, ok := ix.byID[c.AccountID]
		if !ok || (m.UserID != "" && m.UserID != c.CandidateID) || (m.Account != "" && m.Account != a.Key) {
			return c, a, ReasonUnknownMember
		}
		return c, a, ""
	}
	ids := ix.ids
	if m.Account != "" {
		a, ok := ix.byKey[m.Account]
		if !ok {
			return wire.Contact{}, wire.Account{}, "unknown account " + strconv.Quote(m.Account)
		}
		ids = []uint64{a.ID}
	}
	var best wire.Contact
	for _, aid := range ids {
		id := ck.Get(contactKey(aid, m.UserID))
		if id == nil {
			continue
		}
		var c wire.Contact
		if err := getJSON(cb, id, &c); err != nil {
			continue
		}
		if best.ID == 0 || c.UpdatedAt.After(best.UpdatedAt) {
			best = c
		}
	}
	if best.ID == 0 {
		return best, wire.Account{}, ReasonNoConversation
	}
	return best, ix.byID[best.AccountID], ""
}

// CreateNotifyTask stores a validated task and one execution per member in
// one transaction. Members that reach no conversation are FAILED at once
// with the reason; the rest are PENDING for their account's worker.
func (db *DB) CreateNotifyTask(in wire.NotifyTaskInput) (wire.NotifyTask, error) {
	now := db.now()
	t := wire.NotifyTask{TaskName: in.TaskName, TaskType: in.TaskType, Status: wire.NotifyPending,
		Start: in.Start.UTC(), End: in.End.UTC(), Contents: in.Contents, FileIDs: in.FileIDs,
		InlineMembers: len(in.FileIDs) == 0, TotalMembers: len(in.Members), CreatedAt: now, UpdatedAt: now, CreatedBy: in.By}
	if t.FileIDs == nil {
		t.FileIDs = []uint64{}
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		tb := tx.Bucket(bucketNotifyTasks)
		id, err := tb.NextSequence()
		if err != nil {
			return err
		}
		t.ID = id
		ix, err := loadAccounts(tx)
		if err != nil {
			return err
		}
		pend := tx.Bucket(bucketNotifyPending)
		for i, m := range in.Members {
			e := wire.NotifyExecution{TaskID: id, Seq: uint64(i + 1), UserID: m.UserID, ContactID: m.ContactID,
				Vars: m.Vars, Status: wire.ExecPending}
			c, a, reason := resolveMember(tx, ix, m)
			e.Name = m.Nickname
			if e.Name == "" {
				e.Name = m.Vars["name"]
			}
			if e.Name == "" {
				e.Name = c.Name
			}
			if reason != "" {
				e.Status, e.Reason = wire.ExecFailed, reason
				t.FailedCount++
			} else {
				e.ContactID, e.UserID, e.Account = c.ID, c.CandidateID, a.Key
				if err := pend.Put(tripleKey(a.ID, id, e.Seq), nil); err != nil {
					return err
				}
			}
			if err := putExec(tx, &e, nil); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketNotifyActive).Put(u64(id), nil); err != nil {
			return err
		}
		return putJSON(tb, u64(id), t)
	})
	return t, err
}

// NotifyTask returns task id after applying due status changes.
func (db *DB) NotifyTask(id uint64) (wire.NotifyTask, error) {
	if err := db.NotifyTick(); err != nil {
		return wire.NotifyTask{}, err
	}
	var t wire.NotifyTask
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketNotifyTasks), u64(id), &t); err != nil {
			return fmt.Errorf("notification task %d: %w", id, err)
		}
		return nil
	})
	return t, err
}

// NotifyTaskMembers returns the members of a task given inline (in member
// order, at most limit), as GET …/{taskId} echoes them.
func (db *DB) NotifyTaskMembers(id uint64, limit int) ([]wire.NotifyExecution, error) {
	var out []wire.NotifyExecution
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketNotifyExecs).Cursor()
		p := u64(id)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && len(out) < limit; k, v = c.Next() {
			var e wire.NotifyExecution
			if err := jsonUnmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// ListNotifyTasks returns one page (0-based) of tasks matching f, newest
// first, and the total.
func (db *DB) ListNotifyTasks(f wire.NotifyTaskFilter, current, size int) ([]wire.NotifyTask, int, error) {
	if err := db.NotifyTick(); err != nil {
		return nil, 0, err
	}
	out := []wire.NotifyTask{}
	total := 0
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketNotifyTasks).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var t wire.NotifyTask
			if err := jsonUnmarshal(v, &t); err != nil {
				return err
			}
			if (f.TaskType != "" && t.TaskType != f.TaskType) || (f.Status != "" && t.Status != f.Status) ||
				(!f.From.IsZero() && t.Start.Before(f.From)) || (!f.To.IsZero() && t.Start.After(f.To)) {
				continue
			}
			if total >= current*size && len(out) < size {
				out = append(out, t)
			}
			total++
		}
		return nil
	})
	return out, total, err
}

// NotifyExecutions returns one page (0-based) of a task's executions
// ordered by orderBy ("" = member order, "executeTime", "status") in
// direction desc or not, and the task's member count. Only the page's
// records are decoded: the order comes from key-only index scans.
func (db *DB) NotifyExecutions(taskID uint64, orderBy string, desc bool, current, size int) ([]wire.NotifyExecution, int, error) {
	if err := db.NotifyTick(); err != nil {
		return nil, 0, err
	}
	out := []wire.NotifyExecution{}
	var total int
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var t wire.NotifyTask
		if err := getJSON(tx.Bucket(bucketNotifyTasks), u64(taskID), &t); err != nil {
			return fmt.Errorf("notification task %d: %w", taskID, err)
		}
		total = t.TotalMembers
		eb := tx.Bucket(bucketNotifyExecs)
		var c *bbolt.Cursor
		switch orderBy {
		case "executeTime":
			c = tx.Bucket(bucketNotifyByTime).Cursor()
		case "status":
			c = tx.Bucket(bucketNotifyByStatus).Cursor()
		default:
			c = eb.Cursor()
		}
		p := u64(taskID)
		var k []byte
		var next func() ([]byte, []byte)
		if desc {
			next = c.Prev
			// Seek to the first key after the prefix, then step back.
			if k, _ = c.Seek(u64(taskID + 1)); k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
		} else {
			next = c.Next
			k, _ = c.Seek(p)
		}
		skip := current * size
		if orderBy == "" && skip > 0 {
			// Member order: seqs are 1..total without gaps, so the page's
			// first key is known and deep pages cost no scan.
			first := uint64(skip) + 1
			if desc {
				if skip >= total {
					return nil
				}
				first = uint64(total - skip)
			}
			k, _ = c.Seek(pairKey(taskID, first))
			skip = 0
		}
		for ; k != nil && bytes.HasPrefix(k, p) && len(out) < size; k, _ = next() {
			if skip > 0 {
				skip--
				continue
			}
			seq := btou(k[len(k)-8:])
			var e wire.NotifyExecution
			if err := getJSON(eb, pairKey(taskID, seq), &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, total, err
}

// TerminateNotifyTask ends a PENDING or EXECUTING task: members not yet
// being delivered are FAILED with the reason; a member a worker already
// started typing still reports its outcome. It returns the previous status.
func (db *DB) TerminateNotifyTask(id uint64, reason string) (prev wire.NotifyStatus, err error) {
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		var t wire.NotifyTask
		if err := getJSON(tx.Bucket(bucketNotifyTasks), u64(id), &t); err != nil {
			return fmt.Errorf("notification task %d: %w", id, err)
		}
		prev = t.Status
		if t.Status != wire.NotifyPending && t.Status != wire.NotifyExecuting {
			return fieldErr("status", "task %d is %s; only PENDING or EXECUTING tasks can be terminated", id, t.Status)
		}
		t.Status, t.TerminateReason = wire.NotifyTerminated, reason
		msg := "task terminated"
		if reason != "" {
			msg += ": " + reason
		}
		if err := db.failPending(tx, &t, msg, false); err != nil {
			return err
		}
		return db.saveTask(tx, &t)
	})
	return prev, err
}

func (db *DB) saveTask(tx *bbolt.Tx, t *wire.NotifyTask) error {
	t.UpdatedAt = db.now()
	act := tx.Bucket(bucketNotifyActive)
	if t.Status == wire.NotifyPending || t.Status == wire.NotifyExecuting {
		if err := act.Put(u64(t.ID), nil); err != nil {
			return err
		}
	} else if err := act.Delete(u64(t.ID)); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketNotifyTasks), u64(t.ID), t)
}

// failPending fails t's pending members with reason: unclaimed ones
// always, claimed ones only when evenClaimed. It reports how many stay
// pending.
func (db *DB) failPending(tx *bbolt.Tx, t *wire.NotifyTask, reason string, evenClaimed bool) error {
	pend, eb := tx.Bucket(bucketNotifyPending), tx.Bucket(bucketNotifyExecs)
	ix, err := loadAccounts(tx)
	if err != nil {
		return err
	}
	for _, aid := range ix.ids {
		p := pairKey(aid, t.ID)
		var keys [][]byte
		c := pend.Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
		}
		for _, k := range keys {
			seq := btou(k[16:])
			var e wire.NotifyExecution
			if err := getJSON(eb, pairKey(t.ID, seq), &e); err != nil {
				return err
			}
			if e.Claimed && !evenClaimed {
				continue
			}
			old := e
			e.Status, e.Reason = wire.ExecFailed, reason
			t.FailedCount++
			if err := putExec(tx, &e, &old); err != nil {
				return err
			}
			if err := pend.Delete(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// pendingCount counts t's members still to settle.
func pendingCount(t *wire.NotifyTask) int { return t.TotalMembers - t.SuccessCount - t.FailedCount }

// NotifyTick applies the status changes that time causes: PENDING →
// EXECUTING at scheduledStartTime; EXECUTING → COMPLETED once every member
// is settled or at scheduledEndTime (members not started then are FAILED;
// members being typed get claimGrace to report).
func (db *DB) NotifyTick() error {
	now := db.now()
	var due []uint64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		tb := tx.Bucket(bucketNotifyTasks)
		return tx.Bucket(bucketNotifyActive).ForEach(func(k, _ []byte) error {
			var t wire.NotifyTask
			if err := getJSON(tb, k, &t); err != nil {
				return err
			}
			if (t.Status == wire.NotifyPending && !now.Before(t.Start)) ||
				(t.Status == wire.NotifyExecuting && (pendingCount(&t) == 0 || !now.Before(t.End))) {
				due = append(due, btou(k))
			}
			return nil
		})
	})
	if err != nil || len(due) == 0 {
		return err
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, id := range due {
			var t wire.NotifyTask
			if err := getJSON(tx.Bucket(bucketNotifyTasks), u64(id), &t); err != nil {
				return err
			}
			changed := false
			if t.Status == wire.NotifyPending && !now.Before(t.Start) {
				t.Status, changed = wire.NotifyExecuting, true
			}
			if t.Status == wire.NotifyExecuting && !now.Before(t.End) && pendingCount(&t) > 0 {
				if err := db.failPending(tx, &t, ReasonWindowEnded, false); err != nil {
					return err
				}
				if !now.Before(t.End.Add(claimGrace)) {
					if err := db.failPending(tx, &t, ReasonNoOutcome, true); err != nil {
						return err
					}
				}
				changed = true
			}
			if t.Status == wire.NotifyExecuting && pendingCount(&t) == 0 {
				t.Status, changed = wire.NotifyCompleted, true
			}
			if changed {
				if err := db.saveTask(tx, &t); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// NotifyDeliveries returns up to limit members per account to deliver now
// for the accounts workerID runs: tasks EXECUTING inside their window, in
// task and member order, contents rendered per member.
func (db *DB) NotifyDeliveries(workerID string, limit int) ([]wire.NotifyDelivery, error) {
	if err := db.NotifyTick(); err != nil {
		return nil, err
	}
	now := db.now()
	out := []wire.NotifyDelivery{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		ix, err := loadAccounts(tx)
		if err != nil {
			return err
		}
		tasks := map[uint64]*wire.NotifyTask{}
		pend, eb, tb := tx.Bucket(bucketNotifyPending), tx.Bucket(bucketNotifyExecs), tx.Bucket(bucketNotifyTasks)
		for _, aid := range ix.ids {
			a := ix.byID[aid]
			if a.WorkerID != workerID {
				continue
			}
			n := 0
			c := pend.Cursor()
			p := u64(aid)
			for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && n < limit; k, _ = c.Next() {
				tid, seq := btou(k[8:16]), btou(k[16:])
				t, ok := tasks[tid]
				if !ok {
					t = new(wire.NotifyTask)
					if err := getJSON(tb, u64(tid), t); err != nil {
						return err
					}
					tasks[tid] = t
				}
				if t.Status == wire.NotifyPending || now.Before(t.Start) {
					// Not started: skip the rest of this task's members here.
					c.Seek(tripleKey(aid, tid+1, 0))
					k, _ = c.Prev()
					continue
				}
				var e wire.NotifyExecution
				if err := getJSON(eb, pairKey(tid, seq), &e); err != nil {
					return err
				}
				// After a termination or the window's end only members a
				// worker already started are handed out again, so a crashed
				// worker can settle them from the site's history.
				open := t.Status == wire.NotifyExecuting && now.Before(t.End)
				if !open && (!e.Claimed || !now.Before(t.End.Add(claimGrace))) {
					continue
				}
				d := wire.NotifyDelivery{TaskID: tid, Seq: seq, Account: a.Key, CandidateID: e.UserID, NotAfter: t.End}
				for _, ct := range t.Contents {
					part := ct
					if ct.ContentType == wire.ContentText {
						part.ContentValue = wire.RenderTemplate(ct.ContentValue, e.Vars)
					}
					d.Parts = append(d.Parts, part)
				}
				out = append(out, d)
				n++
			}
		}
		return nil
	})
	return out, err
}

// notifyExecForWorker loads a pending execution and checks that workerID
// may act for its account at epoch.
func (db *DB) notifyExecForWorker(tx *bbolt.Tx, workerID string, taskID, seq, epoch uint64) (wire.NotifyTask, wire.NotifyExecution, error) {
	var t wire.NotifyTask
	var e wire.NotifyExecution
	if err := getJSON(tx.Bucket(bucketNotifyTasks), u64(taskID), &t); err != nil {
		return t, e, fmt.Errorf("notification task %d: %w", taskID, err)
	}
	if err := getJSON(tx.Bucket(bucketNotifyExecs), pairKey(taskID, seq), &e); err != nil {
		return t, e, fmt.Errorf("notification task %d member %d: %w", taskID, seq, err)
	}
	if e.Account == "" {
		return t, e, fmt.Errorf("notification task %d member %d has no account: %w", taskID, seq, wire.ErrNotFound)
	}
	if err := db.fence(tx, workerID, e.Account, epoch, false); err != nil {
		return t, e, err
	}
	id := tx.Bucket(bucketAccountsByKey).Get([]byte(e.Account))
	var a wire.Account
	if id == nil || getJSON(tx.Bucket(bucketAccounts), id, &a) != nil || a.WorkerID != workerID {
		return t, e, fmt.Errorf("account %q is not run by worker %s: %w", e.Account, workerID, wire.ErrForbidden)
	}
	return t, e, nil
}

// ClaimNotify is the worker's last check before typing a member's message:
// it is allowed while the task is EXECUTING inside its window and the
// member is still pending. A claimed member is no longer failed by a
// termination or the window's end (it may already be on the site).
func (db *DB) ClaimNotify(workerID string, taskID, seq, epoch uint64) (wire.NotifyClaimResponse, error) {
	if err := db.NotifyTick(); err != nil {
		return wire.NotifyClaimResponse{}, err
	}
	var res wire.NotifyClaimResponse
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		t, e, err := db.notifyExecForWorker(tx, workerID, taskID, seq, epoch)
		if err != nil {
			return err
		}
		now := db.now()
		switch {
		case e.Status != wire.ExecPending:
			res.Reason = "member already settled: " + string(e.Status)
			if e.Status == wire.ExecSuccess {
				res.OK = true // a re-run after a crash may still confirm it
			}
			return nil
		case e.Claimed:
			// Claimed before (a crash, or the account's previous worker):
			// the worker settles what is already on the site first.
			res.OK, res.Resumed = true, true
			return nil
		case t.Status != wire.NotifyExecuting:
			res.Reason = "task is " + string(t.Status)
			return nil
		case now.Before(t.Start) || !now.Before(t.End):
			res.Reason = "outside the task's window"
			return nil
		}
		old := e
		e.Claimed, e.ClaimedBy = true, workerID
		res.OK = true
		return putExec(tx, &e, &old)
	})
	return res, err
}

// AckNotify records a member's outcome. Acking a settled member again is a
// no-op (outbox replays).
func (db *DB) AckNotify(workerID string, in wire.NotifyAck) error {
	if err := checkText("reason", in.Reason, 0, maxNotes); err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		t, e, err := db.notifyExecForWorker(tx, workerID, in.TaskID, in.Seq, in.Epoch)
		if err != nil {
			return err
		}
		if e.Status != wire.ExecPending {
			return nil
		}
		old := e
		if in.Sent {
			at := db.now()
			if !in.At.IsZero() {
				at = in.At.UTC().Truncate(time.Second)
			}
			e.Status, e.ExecuteTime = wire.ExecSuccess, &at
			t.SuccessCount++
		} else {
			e.Status, e.Reason = wire.ExecFailed, strings.TrimSpace(in.Reason)
			if e.Reason == "" {
				e.Reason = "not delivered"
			}
			t.FailedCount++
		}
		if err := putExec(tx, &e, &old); err != nil {
			return err
		}
		aid := tx.Bucket(bucketAccountsByKey).Get([]byte(e.Account))
		if aid != nil {
			if err := tx.Bucket(bucketNotifyPending).Delete(tripleKey(btou(aid), t.ID, e.Seq)); err != nil {
				return err
			}
		}
		if t.Status == wire.NotifyExecuting && pendingCount(&t) == 0 {
			t.Status = wire.NotifyCompleted
		}
		return db.saveTask(tx, &t)
	})
}
