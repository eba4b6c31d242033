package state

import (
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// bucketWorkerLost remembers, per worker, the last-heartbeat time a
// worker_lost alert was raised for, so one silence raises one alert (also
// across restarts) and a later silence after the worker came back raises a
// new one. Created on first write, like the route buckets.
var bucketWorkerLost = []byte("alert_worker_lost") // worker id -> last seen (binary time)

// RecordWorkerLost queues a wire.AlertWorkerLost alert for workerID,
// silent since lastSeen, unless one was already raised for that same
// silence. It reports whether it queued one.
func (db *DB) RecordWorkerLost(workerID string, lastSeen time.Time, detail string) (wire.Alert, bool, error) {
	var al wire.Alert
	created := false
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		wl, err := tx.CreateBucketIfNotExists(bucketWorkerLost)
		if err != nil {
			return err
		}
		if v := wl.Get([]byte(workerID)); v != nil {
			var prev time.Time
			if err := prev.UnmarshalBinary(v); err == nil && prev.Equal(lastSeen) {
				return nil // this silence was reported
			}
		}
		b := tx.Bucket(bucketAlerts)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		now := db.now()
		al = wire.Alert{ID: id, WorkerID: workerID, State: wire.AlertWorkerLost, LastError: detail, At: now,
			Webhook: wire.WebhookPending, NextAttemptAt: &now}
		if err := putJSON(b, u64(id), al); err != nil {
			return err
		}
		if err := tx.Bucket(bucketAlertsByAccount).Put(pairKey(0, id), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bucketAlertsPending).Put(u64(id), nil); err != nil {
			return err
		}
		t, err := lastSeen.MarshalBinary()
		if err != nil {
			return err
		}
		created = true
		return wl.Put([]byte(workerID), t)
	})
	return al, created, err
}
