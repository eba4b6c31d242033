package state

import (
	"bytes"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// IM alert routes: each configured route (a robot) has its own durable
// queue of alerts, so a robot that is down delays only its own messages
// and a restart loses none. The buckets are created on first write rather
// than by a schema migration: routes are optional, and a missing bucket
// simply reads as an empty queue.
var (
	bucketRouteCursor = []byte("alert_route_cursor") // route -> id of the last alert admitted
	bucketRouteQueue  = []byte("alert_route_queue")  // route\x00alert id -> RouteItem
	bucketRouteLast   = []byte("alert_route_last")   // route\x00kind -> time of the last message sent
)

func routeKey(route string, id uint64) []byte {
	return append(append([]byte(route), 0), u64(id)...)
}

// AdmitRouteAlerts queues for route every alert recorded since the route's
// cursor that match accepts, and moves the cursor past them, in one
// transaction. A route seen for the first time starts after the newest
// existing alert (no replay of history). It returns how many were queued.
func (db *DB) AdmitRouteAlerts(route string, match func(wire.Alert) bool) (int, error) {
	if route == "" || bytes.IndexByte([]byte(route), 0) >= 0 {
		return 0, fieldErr("route", "a route needs a name without NUL")
	}
	n := 0
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		cur, err := tx.CreateBucketIfNotExists(bucketRouteCursor)
		if err != nil {
			return err
		}
		q, err := tx.CreateBucketIfNotExists(bucketRouteQueue)
		if err != nil {
			return err
		}
		ab := tx.Bucket(bucketAlerts)
		c := ab.Cursor()
		var k, v []byte
		if last := cur.Get([]byte(route)); last == nil {
			if k, _ = c.Last(); k == nil {
				return cur.Put([]byte(route), u64(0))
			}
			return cur.Put([]byte(route), k)
		} else {
			k, v = c.Seek(u64(btou(last) + 1))
		}
		var lastID []byte
		now := db.now()
		for ; k != nil; k, v = c.Next() {
			lastID = k
			var al wire.Alert
			if err := jsonUnmarshal(v, &al); err != nil {
				return fmt.Errorf("alert %d: %w", btou(k), err)
			}
			if !match(al) {
				continue
			}
			if err := putJSON(q, routeKey(route, al.ID), wire.RouteItem{Alert: al, NextAt: now}); err != nil {
				return err
			}
			n++
		}
		if lastID == nil {
			return nil
		}
		return cur.Put([]byte(route), lastID)
	})
	return n, err
}

// RouteQueue returns route's queued alerts, oldest first, and the time the
// last message of each kind was sent on it.
func (db *DB) RouteQueue(route string) ([]wire.RouteItem, map[string]time.Time, error) {
	items, last := []wire.RouteItem{}, map[string]time.Time{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		prefix := append([]byte(route), 0)
		if q := tx.Bucket(bucketRouteQueue); q != nil {
			c := q.Cursor()
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				var it wire.RouteItem
				if err := jsonUnmarshal(v, &it); err != nil {
					return err
				}
				items = append(items, it)
			}
		}
		if lb := tx.Bucket(bucketRouteLast); lb != nil {
			c := lb.Cursor()
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				var t time.Time
				if err := t.UnmarshalBinary(v); err != nil {
					return err
				}
				last[string(k[len(prefix):])] = t
			}
		}
		return nil
	})
	return items, last, err
}

// SettleRouteBatch records one message sent on route for kind carrying the
// alerts ids. Delivered (ok) removes them and notes the time for the
// route's per-kind batching; a failure with a zero next gives up (removes
// them; the caller logs it); otherwise each is retried at next.
func (db *DB) SettleRouteBatch(route, kind string, ids []uint64, ok bool, errMsg string, next time.Time) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		q, err := tx.CreateBucketIfNotExists(bucketRouteQueue)
		if err != nil {
			return err
		}
		for _, id := range ids {
			k := routeKey(route, id)
			if ok || next.IsZero() {
				if err := q.Delete(k); err != nil {
					return err
				}
				continue
			}
			var it wire.RouteItem
			if err := getJSON(q, k, &it); err != nil {
				continue // settled meanwhile
			}
			it.Attempts++
			it.NextAt, it.LastErr = next.UTC(), errMsg
			if err := putJSON(q, k, it); err != nil {
				return err
			}
		}
		if !ok {
			return nil
		}
		lb, err := tx.CreateBucketIfNotExists(bucketRouteLast)
		if err != nil {
			return err
		}
		t, err := db.now().MarshalBinary()
		if err != nil {
			return err
		}
		return lb.Put(append(append([]byte(route), 0), kind...), t)
	})
}
