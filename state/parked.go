package state

import (
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Parked reports: a worker parks an outbox item its receiver keeps
// rejecting for a reason in the data (bot/parking.go) and reports how many
// it holds per account in the heartbeat counter wire.CounterParked. A rise
// raises an account alert (listed and sent to the webhook like the state
// alerts); the operator fixes the cause and queues wire.CommandReplayParked.

// recordParked raises a wire.AlertReportsParked alert when the account's
// parked counter rose above prevParked. It runs in the heartbeat's
// transaction.
func (db *DB) recordParked(tx *bbolt.Tx, prevParked int64, a wire.Account) error {
	n := a.Counters[wire.CounterParked]
	if n <= prevParked {
		return nil
	}
	b := tx.Bucket(bucketAlerts)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	now := db.now()
	al := wire.Alert{ID: id, AccountID: a.ID, Account: a.Key, WorkerID: a.WorkerID, State: wire.AlertReportsParked,
		PreviousState: a.State, At: now, Webhook: wire.WebhookPending, NextAttemptAt: &now,
		LastError: fmt.Sprintf("%d report(s) parked after repeated rejections by the brain; fix the cause, then replay (POST /api/accounts/%s/outbox/replay)", n, a.Key)}
	if err := putJSON(b, u64(id), al); err != nil {
		return err
	}
	if err := tx.Bucket(bucketAlertsByAccount).Put(pairKey(a.ID, id), nil); err != nil {
		return err
	}
	return tx.Bucket(bucketAlertsPending).Put(u64(id), nil)
}

// QueueReplay queues a wire.CommandReplayParked for the worker that owns the
// account. An open replay of the account is returned instead of queueing a
// second one (created is then false). An unknown account is ErrNotFound.
func (db *DB) QueueReplay(accountKey, note, requestedBy string) (cmd wire.Command, created bool, err error) {
	if err := checkText("note", note, 0, maxNotes); err != nil {
		return cmd, false, err
	}
	err = db.bolt.Update(func(tx *bbolt.Tx) error {
		a, err := accountByKey(tx, accountKey)
		if err != nil {
			return err
		}
		cb, open := tx.Bucket(bucketCommands), tx.Bucket(bucketCommandsPending)
		c := open.Cursor()
		for k, _ := c.Seek(u64(a.ID)); k != nil && len(k) == 16 && btou(k[:8]) == a.ID; k, _ = c.Next() {
			var old wire.Command
			if err := getJSON(cb, k[8:], &old); err != nil {
				return err
			}
			if old.Kind == wire.CommandReplayParked {
				cmd = old
				return nil
			}
		}
		id, err := cb.NextSequence()
		if err != nil {
			return err
		}
		cmd = wire.Command{ID: id, Kind: wire.CommandReplayParked, AccountID: a.ID, Account: a.Key,
			Note: note, RequestedBy: requestedBy, Status: wire.CommandPending, CreatedAt: db.now()}
		if err := putJSON(cb, u64(id), cmd); err != nil {
			return err
		}
		created = true
		return open.Put(pairKey(a.ID, id), nil)
	})
	return cmd, created, err
}
