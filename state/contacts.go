package state

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Limits on contact fields.
const (
	maxShort = 128
	maxNotes = 2000
)

// validateContact checks the i-th contact of a worker push.
func validateContact(in *wire.ContactInput, i int) error {
	p := func(f string) string { return fmt.Sprintf("contacts[%d].%s", i, f) }
	if err := validName(p("account"), in.Account, 64); err != nil {
		return err
	}
	if err := checkText(p("candidate_id"), in.CandidateID, 1, maxShort); err != nil {
		return err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"name", in.Name, maxShort}, {"position", in.Position, maxShort}, {"phone", in.Phone, 32},
		{"wechat", in.Wechat, 64}, {"contact", in.Contact, maxShort}, {"notes", in.Notes, maxNotes}} {
		if err := checkText(p(f.name), f.v, 0, f.max); err != nil {
			return err
		}
	}
	return nil
}

// UpsertContacts stores a batch of contacts reported by workerID in one
// transaction: either all are stored or none. Unknown account keys are
// registered on the fly so a report never fails for lack of a heartbeat.
func (db *DB) UpsertContacts(workerID string, in []wire.ContactInput) ([]wire.UpsertResult, error) {
	for i := range in {
		if err := validateContact(&in[i], i); err != nil {
			return nil, err
		}
	}
	out := make([]wire.UpsertResult, 0, len(in))
	var changed []wire.Contact
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, ci := range in {
			if err := db.fence(tx, workerID, ci.Account, ci.Epoch, false); err != nil { // managed.go
				return err
			}
			acc, err := db.ensureAccount(tx, workerID, ci.Account)
			if err != nil {
				return err
			}
			c, created, err := db.upsertContact(tx, workerID, acc.ID, ci)
			if err != nil {
				return err
			}
			changed = append(changed, c)
			out = append(out, wire.UpsertResult{Account: ci.Account, CandidateID: ci.CandidateID, ID: c.ID, Created: created})
		}
		tx.OnCommit(func() {
			for i := range changed {
				db.contacts.put(&changed[i])
			}
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func contactKey(accountID uint64, candidate string) []byte {
	return append(u64(accountID), candidate...)
}

func (db *DB) upsertContact(tx *bbolt.Tx, workerID string, accountID uint64, in wire.ContactInput) (wire.Contact, bool, error) {
	b, idx := tx.Bucket(bucketContacts), tx.Bucket(bucketContactsByKey)
	key := contactKey(accountID, in.CandidateID)
	now := db.now()
	var c wire.Contact
	created := false
	if idb := idx.Get(key); idb != nil {
		if err := getJSON(b, idb, &c); err != nil {
			return c, false, fmt.Errorf("contact index points nowhere: %w", err)
		}
	} else {
		id, err := b.NextSequence()
		if err != nil {
			return c, false, err
		}
		c = wire.Contact{ID: id, AccountID: accountID, CandidateID: in.CandidateID, ReplyStatus: wire.ReplyNo, CreatedAt: now}
		if in.CreatedAt != nil {
			c.CreatedAt = in.CreatedAt.UTC().Truncate(time.Second)
		}
		if err := idx.Put(key, u64(id)); err != nil {
			return c, false, err
		}
		created = true
	}
	c.WorkerID = workerID
	set := func(dst *string, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*dst = v
		}
	}
	set(&c.Name, in.Name)
	set(&c.Position, in.Position)
	set(&c.Phone, in.Phone)
	set(&c.Wechat, in.Wechat)
	set(&c.Notes, in.Notes)
	set(&c.Contact, in.Contact)
	if strings.TrimSpace(in.Contact) == "" {
		switch {
		case c.Phone != "":
			c.Contact = c.Phone
		case c.Wechat != "":
			c.Contact = "wechat:" + c.Wechat
		}
	}
	if in.Replied {
		c.ReplyStatus = wire.ReplyYes
	}
	if in.WechatExchanged {
		c.WechatExchanged = true
	}
	if in.Interview {
		c.Interview = true
	}
	if in.ContactedAt != nil {
		t := in.ContactedAt.UTC().Truncate(time.Second)
		c.ContactedAt = &t
	}
	c.UpdatedAt = now
	return c, created, putJSON(b, u64(c.ID), c)
}

// GetContact returns one contact.
func (db *DB) GetContact(id uint64) (wire.Contact, error) {
	var c wire.Contact
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketContacts), u64(id), &c); err != nil {
			return fmt.Errorf("contact %d: %w", id, err)
		}
		return nil
	})
	return c, err
}

// QueryContacts returns one page (1-based) of contacts matching f in id
// order and the total number of matches.
func (db *DB) QueryContacts(f wire.ContactFilter, page, pageSize int) ([]wire.Contact, int, error) {
	if page < 1 || pageSize < 1 {
		return nil, 0, fieldErr("page", "page and page_size must be positive")
	}
	offset := (page - 1) * pageSize
	if offset/pageSize != page-1 { // overflow
		return []wire.Contact{}, 0, nil
	}
	ids, total := db.contacts.match(f, offset, pageSize)
	out := make([]wire.Contact, 0, len(ids))
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		for _, id := range ids {
			var c wire.Contact
			if err := getJSON(b, u64(id), &c); err != nil {
				return fmt.Errorf("contact %d: %w", id, err)
			}
			out = append(out, c)
		}
		return nil
	})
	return out, total, err
}

// CountContacts returns how many contacts match f.
func (db *DB) CountContacts(f wire.ContactFilter) int {
	_, total := db.contacts.match(f, 0, 0)
	return total
}

// ContactFunnel returns the funnel counts (greeted → replied → contact →
// interview) per account id and per position, as the contact index keeps
// them up to date on every commit: no walk over the contacts.
func (db *DB) ContactFunnel() (byAccount map[uint64]FunnelCounts, byPosition map[string]FunnelCounts) {
	return db.contacts.funnel()
}

// EachContact calls fn for every contact matching f (as of the call) in id
// order; fn's error stops the walk and is returned.
func (db *DB) EachContact(f wire.ContactFilter, fn func(*wire.Contact) error) error {
	ids, _ := db.contacts.match(f, 0, -1)
	// Read in batches, each in its own short transaction, and call fn with
	// no transaction open: fn may be slow (an export writing a workbook), and
	// an open read transaction stops bbolt from growing the file, which
	// stalls writers and, behind them, readers. A contact deleted between
	// batches is skipped.
	batch := make([]wire.Contact, 0, eachContactBatch)
	for len(ids) > 0 {
		n := min(len(ids), eachContactBatch)
		batch = batch[:0]
		err := db.bolt.View(func(tx *bbolt.Tx) error {
			b := tx.Bucket(bucketContacts)
			for _, id := range ids[:n] {
				var c wire.Contact
				if err := getJSON(b, u64(id), &c); err != nil {
					if errors.Is(err, wire.ErrNotFound) {
						continue
					}
					return fmt.Errorf("contact %d: %w", id, err)
				}
				batch = append(batch, c)
			}
			return nil
		})
		if err != nil {
			return err
		}
		ids = ids[n:]
		for i := range batch {
			if err := fn(&batch[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// eachContactBatch is how many contacts EachContact reads per transaction.
const eachContactBatch = 512

func (db *DB) loadContactIndex() error {
	ix := newContactIndex()
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketContacts).ForEach(func(k, v []byte) error {
			var c wire.Contact
			if err := jsonUnmarshal(v, &c); err != nil {
				return fmt.Errorf("state: contact %d: %w", btou(k), err)
			}
			ix.putLocked(&c)
			return nil
		})
	})
	ix.trim()
	db.contacts = ix
	return err
}
