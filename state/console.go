package state

import (
	"fmt"
	"sort"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Read-only lookups the web console (console/) needs beyond what the REST
// API uses. They add no bucket and write nothing.

// ContactByCandidate returns the contact of (accountID, candidateID)
// through the idx_contacts_by_key index (no scan).
func (db *DB) ContactByCandidate(accountID uint64, candidateID string) (wire.Contact, error) {
	var c wire.Contact
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		id := tx.Bucket(bucketContactsByKey).Get(contactKey(accountID, candidateID))
		if id == nil {
			return fmt.Errorf("contact %d/%q: %w", accountID, candidateID, wire.ErrNotFound)
		}
		if err := getJSON(tx.Bucket(bucketContacts), id, &c); err != nil {
			return fmt.Errorf("contact %d: %w", btou(id), err)
		}
		return nil
	})
	return c, err
}

// WorkerPull is what a worker said at its last assignment pull.
type WorkerPull struct {
	ID          string    `json:"id"`
	MaxAccounts int       `json:"max_accounts"`
	LastPull    time.Time `json:"last_pull"`
}

// WorkerPulls lists every worker that ever pulled an assignment, by id,
// with the capacity it reported last.
func (db *DB) WorkerPulls() ([]WorkerPull, error) {
	var out []WorkerPull
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketWorkerPulls).ForEach(func(k, v []byte) error {
			var p workerPull
			if err := jsonUnmarshal(v, &p); err != nil {
				return fmt.Errorf("worker pull %q: %w", k, err)
			}
			out = append(out, WorkerPull{ID: string(k), MaxAccounts: p.MaxAccounts, LastPull: p.LastPull})
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}
