package state

import (
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Send gate blocks: a worker counts the texts its send gate blocked per
// account since it started (bot/gate) and reports the total in the
// heartbeat counter wire.CounterGateBlocked. New blocks raise an account
// alert (listed and sent to the webhook like the state alerts): a model or
// a script is writing what must not be sent.

// recordGateBlocked raises a wire.AlertTextsBlocked alert when the
// account's gate counter rose above prev, or restarted below it with new
// blocks (a worker restart resets the count). It runs in the heartbeat's
// transaction.
func (db *DB) recordGateBlocked(tx *bbolt.Tx, prev int64, a wire.Account) error {
	n := a.Counters[wire.CounterGateBlocked]
	if n == 0 || n == prev {
		return nil
	}
	b := tx.Bucket(bucketAlerts)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	now := db.now()
	al := wire.Alert{ID: id, AccountID: a.ID, Account: a.Key, WorkerID: a.WorkerID, State: wire.AlertTextsBlocked,
		PreviousState: a.State, At: now, Webhook: wire.WebhookPending, NextAttemptAt: &now,
		LastError: fmt.Sprintf("the send gate blocked %d text(s) since the worker started; see the worker log (\"send gate blocked a text\") for the reasons", n)}
	if err := putJSON(b, u64(id), al); err != nil {
		return err
	}
	if err := tx.Bucket(bucketAlertsByAccount).Put(pairKey(a.ID, id), nil); err != nil {
		return err
	}
	return tx.Bucket(bucketAlertsPending).Put(u64(id), nil)
}
