package state

import (
	"crypto/subtle"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// PutExport records an export link.
func (db *DB) PutExport(e wire.Export) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketExports), []byte(e.Filename), e)
	})
}

// CheckExport returns the export if filename exists, token matches and it
// has not expired; otherwise ErrNotFound (never saying which check failed).
func (db *DB) CheckExport(filename, token string) (wire.Export, error) {
	var e wire.Export
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketExports), []byte(filename), &e)
	})
	if err != nil || subtle.ConstantTimeCompare([]byte(e.TokenHash), []byte(wire.HashToken(token))) != 1 ||
		!db.clock.Now().Before(e.ExpiresAt) {
		return wire.Export{}, fmt.Errorf("export %s: %w", filename, wire.ErrNotFound)
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
			var e wire.Export
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
