package state

import (
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// ensureAccount returns the account with key, creating it for workerID.
func (db *DB) ensureAccount(tx *bbolt.Tx, workerID, key string) (wire.Account, error) {
	b, idx := tx.Bucket(bucketAccounts), tx.Bucket(bucketAccountsByKey)
	var a wire.Account
	if id := idx.Get([]byte(key)); id != nil {
		err := getJSON(b, id, &a)
		return a, err
	}
	id, err := b.NextSequence()
	if err != nil {
		return a, err
	}
	a = wire.Account{ID: id, Key: key, WorkerID: workerID, Name: key, State: "unknown", Counters: map[string]int64{}, CreatedAt: db.now()}
	if err := putJSON(b, u64(id), a); err != nil {
		return a, err
	}
	return a, idx.Put([]byte(key), u64(id))
}

// Heartbeat records workerID's account statuses (register and heartbeat are
// the same report) in one transaction and returns the stored accounts.
func (db *DB) Heartbeat(workerID string, in []wire.AccountStatus) ([]wire.Account, error) {
	for i, s := range in {
		f := func(n string) string { return fmt.Sprintf("accounts[%d].%s", i, n) }
		if err := validName(f("key"), s.Key, 64); err != nil {
			return nil, err
		}
		if err := checkText(f("name"), s.Name, 0, maxShort); err != nil {
			return nil, err
		}
		if err := checkText(f("state"), string(s.State), 0, 32); err != nil {
			return nil, err
		}
		if err := checkText(f("last_error"), s.LastError, 0, maxNotes); err != nil {
			return nil, err
		}
		if len(s.Counters) > 32 {
			return nil, fieldErr(f("counters"), "at most 32 counters")
		}
		for k := range s.Counters {
			if err := checkText(f("counters"), k, 1, 32); err != nil {
				return nil, err
			}
		}
		if err := db.checkDays(f, s.Run, s.Days); err != nil { // account_days.go
			return nil, err
		}
	}
	out := make([]wire.Account, 0, len(in))
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, s := range in {
			if err := db.fence(tx, workerID, s.Key, s.Epoch, true); err != nil { // managed.go
				return err
			}
			a, err := db.ensureAccount(tx, workerID, s.Key)
			if err != nil {
				return err
			}
			now := db.now()
			prevState, prevParked, prevBlocked := a.State, a.Counters[wire.CounterParked], a.Counters[wire.CounterGateBlocked]
			a.WorkerID, a.LastSeenAt, a.LastError = workerID, &now, s.LastError
			if s.Name != "" {
				a.Name = s.Name
			}
			if s.State != "" {
				a.State = s.State
			}
			if s.Counters != nil {
				a.Counters = s.Counters
			}
			if err := putJSON(tx.Bucket(bucketAccounts), u64(a.ID), a); err != nil {
				return err
			}
			if err := db.recordStateChange(tx, prevState, a); err != nil { // alerts.go
				return err
			}
			if err := db.recordParked(tx, prevParked, a); err != nil { // parked.go
				return err
			}
			if err := db.recordGateBlocked(tx, prevBlocked, a); err != nil { // gate.go
				return err
			}
			if err := db.noteReported(tx, workerID, a.Key, string(prevState), string(a.State), s.LastError); err != nil { // managed.go
				return err
			}
			if err := db.putDays(tx, workerID, a.Key, s.Run, s.Days); err != nil { // account_days.go
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListAccounts returns every account in id order.
func (db *DB) ListAccounts() ([]wire.Account, error) {
	out := []wire.Account{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAccounts).ForEach(func(k, v []byte) error {
			var a wire.Account
			if err := jsonUnmarshal(v, &a); err != nil {
				return err
			}
			if err := db.managedSummary(tx, &a); err != nil { // managed.go
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}
