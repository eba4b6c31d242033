package state

import (
	"crypto/subtle"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Export is a generated contacts export. The file is served only with the
// link token whose SHA-256 is stored, and only until ExpiresAt.
type Export struct {
	Filename  string    `json:"filename"`
	TokenHash string    `json:"token_hash"`
	Records   int       `json:"records"`
	User      string    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PutExport records an export link.
func (db *DB) PutExport(e Export) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketExports), []byte(e.Filename), e)
	})
}

// CheckExport returns the export if filename exists, token matches and it
// has not expired; otherwise ErrNotFound (never saying which check failed).
func (db *DB) CheckExport(filename, token string) (Export, error) {
	var e Export
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketExports), []byte(filename), &e)
	})
	if err != nil || subtle.ConstantTimeCompare([]byte(e.TokenHash), []byte(HashToken(token))) != 1 ||
		!db.clock.Now().Before(e.ExpiresAt) {
		return Export{}, fmt.Errorf("export %s: %w", filename, ErrNotFound)
	}
	return e, nil
}

// LiveExports returns the filenames of unexpired exports and deletes the
// records of expired ones, in one transaction.
func (db *DB) LiveExports() (map[string]bool, error) {
	now := db.clock.Now()
	live := map[string]bool{}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketExports)
		var dead [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var e Export
			if jsonUnmarshal(v, &e) != nil || !now.Before(e.ExpiresAt) {
				dead = append(dead, append([]byte(nil), k...))
				return nil
			}
			live[string(k)] = true
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return live, err
}
