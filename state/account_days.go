package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// bucketAccountDays holds per-day counters: account key \x00 day \x00 run
// -> wire.DayCount, the counts one agent run reported for that day. Keys
// sort by account then day, so a range is one cursor walk and pruning
// stops at the first kept day. There is no separate index: the key is the
// only access path.
var (
	bucketAccountDays  = []byte("account_days")
	accountDaysBuckets = [][]byte{bucketAccountDays}
)

// DayCountRetention is how long per-day counters are kept. Older days are
// deleted when the account's next heartbeat is stored.
const DayCountRetention = 400 * 24 * time.Hour

// maxDaysPerReport bounds Days in one heartbeat entry (a run reports today
// and, around midnight, yesterday).
const maxDaysPerReport = 3

// maxDayCount bounds one counter of one day: far above any real account,
// low enough that sums cannot overflow.
const maxDayCount = 1 << 30

func dayKey(account, day, run string) []byte {
	return []byte(account + "\x00" + day + "\x00" + run)
}

// checkDays validates a heartbeat entry's per-day counts; f names fields.
// A day after tomorrow (by the control plane's clock) is refused: it would
// never expire.
func (db *DB) checkDays(f func(string) string, run string, days []wire.DayCount) error {
	latest := db.now().In(clock.Shanghai).Add(24 * time.Hour).Format(time.DateOnly)
	if err := checkText(f("run"), run, 0, 64); err != nil {
		return err
	}
	if len(days) > 0 && run == "" {
		return fieldErr(f("run"), "required with days")
	}
	if len(days) > maxDaysPerReport {
		return fieldErr(f("days"), "at most %d days per report", maxDaysPerReport)
	}
	for i, d := range days {
		g := func(n string) string { return f(fmt.Sprintf("days[%d].%s", i, n)) }
		if _, err := time.Parse(time.DateOnly, d.Day); err != nil {
			return fieldErr(g("day"), "must be a date YYYY-MM-DD, got %q", d.Day)
		}
		if d.Day > latest {
			return fieldErr(g("day"), "%s is in the future", d.Day)
		}
		for name, v := range map[string]int64{"greetings": d.Greetings, "messages": d.Messages,
			"followups": d.Followups, "contacts": d.Contacts, "replies": d.Replies} {
			if v < 0 || v > maxDayCount {
				return fieldErr(g(name), "must be 0..%d, got %d", maxDayCount, v)
			}
		}
	}
	return nil
}

// putDays stores one run's per-day counts of an account (in the heartbeat's
// transaction) and drops the account's days past retention. Counts of a
// run only grow, so each field keeps the larger of the stored and the
// reported value: a late, older report never lowers them.
func (db *DB) putDays(tx *bbolt.Tx, workerID, account, run string, days []wire.DayCount) error {
	if len(days) == 0 {
		return nil
	}
	b := tx.Bucket(bucketAccountDays)
	cutoff := db.now().In(clock.Shanghai).Add(-DayCountRetention).Format(time.DateOnly)
	runKey := workerID + "/" + run
	for _, d := range days {
		if d.Day < cutoff {
			continue
		}
		k := dayKey(account, d.Day, runKey)
		var old wire.DayCount
		if v := b.Get(k); v != nil {
			if err := json.Unmarshal(v, &old); err != nil {
				return fmt.Errorf("day count %q: %w", k, err)
			}
		}
		d.Greetings, d.Messages, d.Followups = max(d.Greetings, old.Greetings), max(d.Messages, old.Messages), max(d.Followups, old.Followups)
		d.Contacts, d.Replies = max(d.Contacts, old.Contacts), max(d.Replies, old.Replies)
		if err := putJSON(b, k, d); err != nil {
			return err
		}
	}
	// Retention: the account's keys sort by day, so the expired ones come
	// first.
	prefix := []byte(account + "\x00")
	var expired [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if day, _, _ := bytes.Cut(k[len(prefix):], []byte{0}); string(day) >= cutoff {
			break
		}
		expired = append(expired, append([]byte(nil), k...))
	}
	for _, k := range expired {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// DayCounts returns account key's per-day counters from day from to day to
// (YYYY-MM-DD, inclusive), the runs of each day summed; days without any
// report are left out. An unknown account is wire.ErrNotFound.
func (db *DB) DayCounts(key, from, to string) ([]wire.DayCount, error) {
	out := []wire.DayCount{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketAccountsByKey).Get([]byte(key)) == nil && tx.Bucket(bucketManaged).Get([]byte(key)) == nil {
			return fmt.Errorf("account %q: %w", key, wire.ErrNotFound)
		}
		prefix := []byte(key + "\x00")
		c := tx.Bucket(bucketAccountDays).Cursor()
		for k, v := c.Seek(dayKey(key, from, "")); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			day, _, _ := bytes.Cut(k[len(prefix):], []byte{0})
			if string(day) > to {
				break
			}
			var d wire.DayCount
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("day count %q: %w", k, err)
			}
			d.Day = string(day)
			if n := len(out); n > 0 && out[n-1].Day == d.Day {
				out[n-1].Add(d)
			} else {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}
