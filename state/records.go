package state

import (
	"fmt"
	"strconv"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

// UpsertRecords stores a batch of worker-reported records in one
// transaction. A record whose contact is not known yet creates a bare
// contact, so an outbox never blocks on ordering.
func (db *DB) UpsertRecords(workerID string, in []wire.RecordInput) ([]wire.FollowupRecord, error) {
	for i, r := range in {
		f := func(n string) string { return fmt.Sprintf("records[%d].%s", i, n) }
		if err := checkText(f("uid"), r.UID, 1, maxShort); err != nil {
			return nil, err
		}
		if err := validName(f("account"), r.Account, 64); err != nil {
			return nil, err
		}
		if err := checkText(f("candidate_id"), r.CandidateID, 1, maxShort); err != nil {
			return nil, err
		}
		if r.DayNumber < 0 || r.DayNumber > wire.MaxDayNumber {
			return nil, fieldErr(f("day_number"), "must be 0..%d", wire.MaxDayNumber)
		}
		if err := checkText(f("content"), r.Content, 0, wire.MaxScriptContent); err != nil {
			return nil, err
		}
		if err := checkText(f("reply_content"), r.ReplyContent, 0, wire.MaxScriptContent); err != nil {
			return nil, err
		}
	}
	out := make([]wire.FollowupRecord, 0, len(in))
	var contacts []wire.Contact
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		rb, uidx, cidx := tx.Bucket(bucketRecords), tx.Bucket(bucketRecordsByUID), tx.Bucket(bucketRecordsByCont)
		for _, in := range in {
			if err := db.fence(tx, workerID, in.Account, in.Epoch, false); err != nil { // managed.go
				return err
			}
			acc, err := db.ensureAccount(tx, workerID, in.Account)
			if err != nil {
				return err
			}
			var c wire.Contact
			if id := tx.Bucket(bucketContactsByKey).Get(contactKey(acc.ID, in.CandidateID)); id != nil {
				if err := getJSON(tx.Bucket(bucketContacts), id, &c); err != nil {
					return err
				}
			} else {
				c, _, err = db.upsertContact(tx, workerID, acc.ID, wire.ContactInput{Account: in.Account, CandidateID: in.CandidateID})
				if err != nil {
					return err
				}
				contacts = append(contacts, c)
			}
			var r wire.FollowupRecord
			if id := uidx.Get([]byte(in.UID)); id != nil {
				if err := getJSON(rb, id, &r); err != nil {
					return err
				}
			} else {
				id, err := rb.NextSequence()
				if err != nil {
					return err
				}
				r = wire.FollowupRecord{ID: id, UID: in.UID, ContactID: c.ID, Status: wire.StatusSent, CreatedAt: db.now()}
				if err := uidx.Put([]byte(in.UID), u64(id)); err != nil {
					return err
				}
				if err := cidx.Put(pairKey(c.ID, id), nil); err != nil {
					return err
				}
			}
			if r.ContactID != c.ID {
				return fieldErr("uid", "%q already belongs to another contact", in.UID)
			}
			r.AccountID, r.WorkerID = acc.ID, workerID
			if in.ConfigID != nil {
				r.ConfigID = in.ConfigID
			}
			if in.ScriptID != nil {
				r.ScriptID = in.ScriptID
			}
			if in.DayNumber != 0 {
				r.DayNumber = in.DayNumber
			}
			if in.Content != "" {
				r.Content = in.Content
			}
			if in.SentAt != nil {
				r.SentAt, r.Status = utcp(in.SentAt), wire.StatusSent
			}
			if in.GotReply {
				r.GotReply = true
			}
			if in.ReplyContent != "" {
				r.ReplyContent = in.ReplyContent
			}
			if in.RepliedAt != nil {
				r.RepliedAt = utcp(in.RepliedAt)
			}
			if err := putJSON(rb, u64(r.ID), r); err != nil {
				return err
			}
			out = append(out, r)
		}
		tx.OnCommit(func() {
			for i := range contacts {
				db.contacts.put(&contacts[i])
			}
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListRecords returns a page of records matching f, newest id last, and
// the total.
func (db *DB) ListRecords(f wire.RecordFilter, page, pageSize int) ([]wire.FollowupRecord, int, error) {
	if page < 1 || pageSize < 1 {
		return nil, 0, fieldErr("page", "page and page_size must be positive")
	}
	out := []wire.FollowupRecord{}
	total := 0
	offset := (page - 1) * pageSize
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		rb := tx.Bucket(bucketRecords)
		take := func(v []byte) error {
			var r wire.FollowupRecord
			if err := jsonUnmarshal(v, &r); err != nil {
				return err
			}
			if f.ContactID != nil && r.ContactID != *f.ContactID {
				return nil
			}
			if f.ConfigID != nil && (r.ConfigID == nil || *r.ConfigID != *f.ConfigID) {
				return nil
			}
			if f.GotReply != nil && r.GotReply != *f.GotReply {
				return nil
			}
			if total >= offset && len(out) < pageSize {
				out = append(out, r)
			}
			total++
			return nil
		}
		if f.ContactID != nil { // use the contact index
			c := tx.Bucket(bucketRecordsByCont).Cursor()
			for k, _ := c.Seek(u64(*f.ContactID)); k != nil && btou(k[:8]) == *f.ContactID; k, _ = c.Next() {
				if err := take(rb.Get(k[8:])); err != nil {
					return err
				}
			}
			return nil
		}
		return rb.ForEach(func(_, v []byte) error { return take(v) })
	})
	return out, total, err
}

// GetRecord returns one record.
func (db *DB) GetRecord(id uint64) (wire.FollowupRecord, error) {
	var r wire.FollowupRecord
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketRecords), u64(id), &r); err != nil {
			return fmt.Errorf("followup record %d: %w", id, err)
		}
		return nil
	})
	return r, err
}

func pendingKey(worker string, id uint64) []byte {
	return append(append([]byte(worker), 0), u64(id)...)
}

// QueueSend queues content for the worker owning contactID and creates the
// follow-up record (status queued, sent_at null) in the same transaction.
func (db *DB) QueueSend(contactID uint64, content string) (wire.FollowupRecord, error) {
	if err := checkText("content", content, 1, wire.MaxScriptContent); err != nil {
		return wire.FollowupRecord{}, err
	}
	var r wire.FollowupRecord
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		var c wire.Contact
		if err := getJSON(tx.Bucket(bucketContacts), u64(contactID), &c); err != nil {
			return fmt.Errorf("contact_id %d: %w", contactID, err)
		}
		var a wire.Account
		if err := getJSON(tx.Bucket(bucketAccounts), u64(c.AccountID), &a); err != nil {
			return fmt.Errorf("account %d of contact %d: %w", c.AccountID, contactID, err)
		}
		sb, rb := tx.Bucket(bucketSends), tx.Bucket(bucketRecords)
		sid, err := sb.NextSequence()
		if err != nil {
			return err
		}
		rid, err := rb.NextSequence()
		if err != nil {
			return err
		}
		now := db.now()
		r = wire.FollowupRecord{ID: rid, UID: "manual-" + strconv.FormatUint(sid, 10), ContactID: c.ID, Content: content,
			Status: wire.StatusQueued, AccountID: a.ID, WorkerID: a.WorkerID, CreatedAt: now}
		s := wire.Send{ID: sid, RecordID: rid, RecordUID: r.UID, ContactID: c.ID, AccountID: a.ID, Account: a.Key,
			CandidateID: c.CandidateID, WorkerID: a.WorkerID, Content: content, Status: wire.StatusQueued, CreatedAt: now}
		if err := putJSON(rb, u64(rid), r); err != nil {
			return err
		}
		if err := tx.Bucket(bucketRecordsByUID).Put([]byte(r.UID), u64(rid)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketRecordsByCont).Put(pairKey(c.ID, rid), nil); err != nil {
			return err
		}
		if err := putJSON(sb, u64(sid), s); err != nil {
			return err
		}
		return tx.Bucket(bucketSendsPending).Put(pendingKey(a.WorkerID, sid), nil)
	})
	return r, err
}

// PendingSends returns workerID's queued sends, oldest first.
func (db *DB) PendingSends(workerID string) ([]wire.Send, error) {
	out := []wire.Send{}
	prefix := append([]byte(workerID), 0)
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		sb := tx.Bucket(bucketSends)
		c := tx.Bucket(bucketSendsPending).Cursor()
		for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
			var s wire.Send
			if err := getJSON(sb, k[len(prefix):], &s); err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// AckSend records the worker's outcome of send id: sent (with sentAt) or
// failed (with errMsg). Acking again with the same outcome is a no-op; a
// send of another worker is ErrNotFound.
func (db *DB) AckSend(workerID string, id uint64, sent bool, sentAt *time.Time, errMsg string) (wire.FollowupRecord, error) {
	return db.AckSendFenced(workerID, id, 0, sent, sentAt, errMsg)
}

// AckSendFenced is AckSend for a worker holding the send's account at
// lease epoch (0 for a static account): a worker that does not hold the
// account gets wire.ErrForbidden and nothing changes (managed.go).
func (db *DB) AckSendFenced(workerID string, id, epoch uint64, sent bool, sentAt *time.Time, errMsg string) (wire.FollowupRecord, error) {
	if err := checkText("error", errMsg, 0, maxNotes); err != nil {
		return wire.FollowupRecord{}, err
	}
	var r wire.FollowupRecord
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		sb, rb := tx.Bucket(bucketSends), tx.Bucket(bucketRecords)
		var s wire.Send
		if err := getJSON(sb, u64(id), &s); err != nil {
			return fmt.Errorf("send %d: %w", id, wire.ErrNotFound)
		}
		if err := db.fence(tx, workerID, s.Account, epoch, false); err != nil { // managed.go
			return err
		}
		if s.WorkerID != workerID {
			return fmt.Errorf("send %d: %w", id, wire.ErrNotFound)
		}
		if err := getJSON(rb, u64(s.RecordID), &r); err != nil {
			return err
		}
		if s.Status != wire.StatusQueued {
			return nil // already acked: idempotent
		}
		if sent {
			t := db.now()
			if sentAt != nil {
				t = sentAt.UTC().Truncate(time.Second)
			}
			s.Status, s.SentAt = wire.StatusSent, &t
			r.Status, r.SentAt = wire.StatusSent, &t
		} else {
			s.Status, s.Error = wire.StatusFailed, errMsg
			r.Status, r.Error = wire.StatusFailed, errMsg
		}
		if err := putJSON(sb, u64(id), s); err != nil {
			return err
		}
		if err := putJSON(rb, u64(r.ID), r); err != nil {
			return err
		}
		return tx.Bucket(bucketSendsPending).Delete(pendingKey(workerID, id))
	})
	return r, err
}
