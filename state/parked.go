package state

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// Parked reports: a worker parks an outbox item its receiver keeps
// rejecting for a reason in the data (bot/parking.go) and reports how many
// it holds per account in the heartbeat counter CounterParked. A rise
// raises an account alert (listed and sent to the webhook like the state
// alerts); the operator fixes the cause and queues CommandReplayParked.

const (
	// CounterParked is the heartbeat counter of parked outbox items.
	CounterParked = "parked"
	// AlertReportsParked is the State of the alert raised when an account's
	// parked items increase (the account's own state does not change).
	AlertReportsParked = "reports_parked"
	// CommandReplayParked puts an account's parked items back into
	// delivery on its worker.
	CommandReplayParked = "replay_parked"
)

// recordParked raises an AlertReportsParked alert when the account's
// parked counter rose above prevParked. It runs in the heartbeat's
// transaction.
func (db *DB) recordParked(tx *bbolt.Tx, prevParked int64, a Account) error {
	n := a.Counters[CounterParked]
	if n <= prevParked {
		return nil
	}
	b := tx.Bucket(bucketAlerts)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	now := db.now()
	al := Alert{ID: id, AccountID: a.ID, Account: a.Key, WorkerID: a.WorkerID, State: AlertReportsParked,
		PreviousState: a.State, At: now, Webhook: WebhookPending, NextAttemptAt: &now,
		LastError: fmt.Sprintf("%d report(s) parked after repeated rejections by the brain; fix the cause, then replay (POST /api/accounts/%s/outbox/replay)", n, a.Key)}
	if err := putJSON(b, u64(id), al); err != nil {
		return err
	}
	if err := tx.Bucket(bucketAlertsByAccount).Put(pairKey(a.ID, id), nil); err != nil {
		return err
	}
	return tx.Bucket(bucketAlertsPending).Put(u64(id), nil)
}

// QueueReplay queues a CommandReplayParked for the worker that owns the
// account. An open replay of the account is returned instead of queueing a
// second one (created is then false). An unknown account is ErrNotFound.
func (db *DB) QueueReplay(accountKey, note, requestedBy string) (cmd Command, created bool, err error) {
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
			var old Command
			if err := getJSON(cb, k[8:], &old); err != nil {
				return err
			}
			if old.Kind == CommandReplayParked {
				cmd = old
				return nil
			}
		}
		id, err := cb.NextSequence()
		if err != nil {
			return err
		}
		cmd = Command{ID: id, Kind: CommandReplayParked, AccountID: a.ID, Account: a.Key,
			Note: note, RequestedBy: requestedBy, Status: CommandPending, CreatedAt: db.now()}
		if err := putJSON(cb, u64(id), cmd); err != nil {
			return err
		}
		created = true
		return open.Put(pairKey(a.ID, id), nil)
	})
	return cmd, created, err
}
