package state

import (
	"bytes"
	"fmt"
	"sort"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Worker commands (human-takeover release) and conversation statuses.
var (
	bucketCommands        = []byte("worker_commands")          // id -> Command
	bucketCommandsPending = []byte("idx_worker_commands_open") // account id|command id -> nil
	bucketConversations   = []byte("conversations")            // account id|candidate -> Conversation
	// status\x00account id|candidate -> nil (schema 4): operators list
	// human takeovers without decoding every conversation.
	bucketConversationsByStatus = []byte("idx_conversations_by_status")
)

// indexConversationsByStatus is schema migration 4: it creates the status
// index and fills it from the conversations stored under schema 3.
func indexConversationsByStatus(tx *bbolt.Tx) error {
	idx, err := tx.CreateBucketIfNotExists(bucketConversationsByStatus)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketConversations).ForEach(func(k, v []byte) error {
		var c wire.Conversation
		if err := jsonUnmarshal(v, &c); err != nil {
			return err
		}
		return idx.Put(statusKey(c.Status, k), nil)
	})
}

func statusKey(status wire.ConvStatus, convKey []byte) []byte {
	return append(append([]byte(status), 0), convKey...)
}

// releaseBuckets are created by schema migration 3 (with the alert buckets).
var releaseBuckets = [][]byte{bucketCommands, bucketCommandsPending, bucketConversations}

// accountByKey loads the account with key or returns a not-found error
// naming it.
func accountByKey(tx *bbolt.Tx, key string) (wire.Account, error) {
	var a wire.Account
	id := tx.Bucket(bucketAccountsByKey).Get([]byte(key))
	if id == nil {
		return a, fmt.Errorf("account %q: %w", key, wire.ErrNotFound)
	}
	return a, getJSON(tx.Bucket(bucketAccounts), id, &a)
}

// QueueRelease queues a release of the conversation (accountKey,
// candidateID) for the worker that owns the account. An open release for
// the same conversation is returned instead of queueing a second one
// (created is then false). An unknown account is ErrNotFound.
func (db *DB) QueueRelease(accountKey, candidateID, note, requestedBy string) (cmd wire.Command, created bool, err error) {
	if err := checkText("candidate_id", candidateID, 1, maxShort); err != nil {
		return cmd, false, err
	}
	if err := checkText("note", note, 0, maxNotes); err != nil {
		return cmd, false, err
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		a, err := accountByKey(tx, accountKey)
		if err != nil {
			return err
		}
		cb, open := tx.Bucket(bucketCommands), tx.Bucket(bucketCommandsPending)
		prefix := u64(a.ID)
		c := open.Cursor()
		for k, _ := c.Seek(prefix); k != nil && len(k) == 16 && btou(k[:8]) == a.ID; k, _ = c.Next() {
			var old wire.Command
			if err := getJSON(cb, k[8:], &old); err != nil {
				return err
			}
			if old.Kind == wire.CommandRelease && old.CandidateID == candidateID {
				cmd = old
				return nil
			}
		}
		id, err := cb.NextSequence()
		if err != nil {
			return err
		}
		cmd = wire.Command{ID: id, Kind: wire.CommandRelease, AccountID: a.ID, Account: a.Key, CandidateID: candidateID,
			Note: note, RequestedBy: requestedBy, Status: wire.CommandPending, CreatedAt: db.now()}
		if err := putJSON(cb, u64(id), cmd); err != nil {
			return err
		}
		created = true
		return open.Put(pairKey(a.ID, id), nil)
	})
	return cmd, created, err
}

// PendingCommands returns the open commands of every account workerID
// currently owns, oldest first. Commands follow the account: if another
// worker took the account over, that worker gets them.
func (db *DB) PendingCommands(workerID string) ([]wire.Command, error) {
	out := []wire.Command{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		cb, open := tx.Bucket(bucketCommands), tx.Bucket(bucketCommandsPending)
		c := open.Cursor()
		// Walk the (small) open index and keep the commands of this
		// worker's accounts; account lookups are cached per pass.
		owner := map[uint64]string{}
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) != 16 {
				continue
			}
			aid := btou(k[:8])
			w, ok := owner[aid]
			if !ok {
				var a wire.Account
				if err := getJSON(tx.Bucket(bucketAccounts), k[:8], &a); err != nil {
					return err
				}
				w, owner[aid] = a.WorkerID, a.WorkerID
			}
			if w != workerID {
				continue
			}
			var cmd wire.Command
			if err := getJSON(cb, k[8:], &cmd); err != nil {
				return err
			}
			out = append(out, cmd)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// AckCommand records workerID's outcome of command id. Acknowledging a
// closed command again returns it unchanged (idempotent). A command of an
// account the worker does not own is ErrNotFound.
func (db *DB) AckCommand(workerID string, id uint64, done bool, reason string) (wire.Command, error) {
	if err := checkText("reason", reason, 0, maxNotes); err != nil {
		return wire.Command{}, err
	}
	var cmd wire.Command
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		cb := tx.Bucket(bucketCommands)
		if err := getJSON(cb, u64(id), &cmd); err != nil {
			return fmt.Errorf("command %d: %w", id, err)
		}
		var a wire.Account
		if err := getJSON(tx.Bucket(bucketAccounts), u64(cmd.AccountID), &a); err != nil {
			return err
		}
		if cmd.Status != wire.CommandPending {
			if cmd.WorkerID != workerID {
				return fmt.Errorf("command %d: %w", id, wire.ErrNotFound)
			}
			return nil // already acknowledged by this worker
		}
		if a.WorkerID != workerID {
			return fmt.Errorf("command %d: %w", id, wire.ErrNotFound)
		}
		now := db.now()
		cmd.Status, cmd.Reason, cmd.WorkerID, cmd.AckedAt = wire.CommandFailed, reason, workerID, &now
		if done {
			cmd.Status = wire.CommandDone
		}
		if err := putJSON(cb, u64(id), cmd); err != nil {
			return err
		}
		return tx.Bucket(bucketCommandsPending).Delete(pairKey(cmd.AccountID, id))
	})
	return cmd, err
}

// UpsertConversations stores a batch of conversation statuses in one
// transaction. An older report (updated_at before the stored one) does not
// overwrite a newer one, so an outbox may replay batches in any order.
// Unknown account keys are registered for workerID, like other pushes.
func (db *DB) UpsertConversations(workerID string, in []wire.ConversationStatus) ([]wire.Conversation, error) {
	for i, s := range in {
		f := func(n string) string { return fmt.Sprintf("conversations[%d].%s", i, n) }
		if err := validName(f("account"), s.Account, 64); err != nil {
			return nil, err
		}
		if err := checkText(f("candidate_id"), s.CandidateID, 1, maxShort); err != nil {
			return nil, err
		}
		if err := checkText(f("name"), s.Name, 0, maxShort); err != nil {
			return nil, err
		}
		if !wire.ValidConversationStatus(s.Status) {
			return nil, fieldErr(f("status"), "must be one of %v, got %q", wire.ConversationStatuses, s.Status)
		}
	}
	out := make([]wire.Conversation, 0, len(in))
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, idx := tx.Bucket(bucketConversations), tx.Bucket(bucketConversationsByStatus)
		now := db.now()
		for _, s := range in {
			if err := db.fence(tx, workerID, s.Account, s.Epoch, false); err != nil { // managed.go
				return err
			}
			a, err := db.ensureAccount(tx, workerID, s.Account)
			if err != nil {
				return err
			}
			upd := s.UpdatedAt.UTC().Truncate(time.Second)
			if s.UpdatedAt.IsZero() {
				upd = now
			}
			key := contactKey(a.ID, s.CandidateID)
			var cur wire.Conversation
			if err := getJSON(b, key, &cur); err == nil && cur.UpdatedAt.After(upd) {
				out = append(out, cur) // a newer report is already stored
				continue
			}
			name := s.Name
			if name == "" {
				name = cur.Name
			}
			if cur.Status != "" && cur.Status != s.Status {
				if err := idx.Delete(statusKey(cur.Status, key)); err != nil {
					return err
				}
			}
			if err := idx.Put(statusKey(s.Status, key), nil); err != nil {
				return err
			}
			cur = wire.Conversation{AccountID: a.ID, Account: a.Key, CandidateID: s.CandidateID, Name: name,
				Status: s.Status, UpdatedAt: upd, WorkerID: workerID, ReportedAt: now}
			if err := putJSON(b, key, cur); err != nil {
				return err
			}
			out = append(out, cur)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListConversations returns a page of conversations matching f in
// (account id, candidate id) order, and the total. An unknown account key
// is ErrNotFound rather than an empty page.
func (db *DB) ListConversations(f wire.ConversationFilter, page, pageSize int) ([]wire.Conversation, int, error) {
	if page < 1 || pageSize < 1 {
		return nil, 0, fieldErr("page", "page and page_size must be positive")
	}
	if f.Status != "" && !wire.ValidConversationStatus(f.Status) {
		return nil, 0, fieldErr("status", "must be one of %v, got %q", wire.ConversationStatuses, f.Status)
	}
	out := []wire.Conversation{}
	total, offset := 0, (page-1)*pageSize
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketConversations)
		// Walk the keys of one prefix (of the conversations bucket, or of
		// the status index), counting all and decoding only the page.
		var prefix []byte
		if f.Account != "" {
			a, err := accountByKey(tx, f.Account)
			if err != nil {
				return err
			}
			prefix = u64(a.ID)
		}
		c, skip := b.Cursor(), 0
		if f.Status != "" {
			c = tx.Bucket(bucketConversationsByStatus).Cursor()
			skip = len(f.Status) + 1
			prefix = statusKey(f.Status, prefix)
		}
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if total >= offset && len(out) < pageSize {
				var cv wire.Conversation
				if err := getJSON(b, k[skip:], &cv); err != nil {
					return err
				}
				out = append(out, cv)
			}
			total++
		}
		return nil
	})
	return out, total, err
}
