package state

import (
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// ScriptCounts is one follow-up script's sent → replied (ScriptID 0:
// manual sends, records without a script).
type ScriptCounts struct {
	ScriptID      uint64
	Sent, Replied int
}

// ScriptFunnel counts the sent follow-up records and those that got a
// reply, per script, in one read transaction. It decodes only the three
// fields it needs, so it costs about a microsecond per record (the funnel
// report caches its result; docs/console.md).
func (db *DB) ScriptFunnel() ([]ScriptCounts, error) {
	by := map[uint64]*ScriptCounts{}
	var out []ScriptCounts
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketRecords).ForEach(func(k, v []byte) error {
			var r struct {
				ScriptID *uint64           `json:"script_id"`
				GotReply bool              `json:"got_reply"`
				Status   wire.RecordStatus `json:"status"`
			}
			if err := jsonUnmarshal(v, &r); err != nil {
				return fmt.Errorf("state: record %d: %w", btou(k), err)
			}
			var id uint64
			if r.ScriptID != nil {
				id = *r.ScriptID
			}
			c := by[id]
			if c == nil {
				c = &ScriptCounts{ScriptID: id}
				by[id] = c
			}
			if r.Status == wire.StatusSent {
				c.Sent++
				if r.GotReply {
					c.Replied++
				}
			}
			return nil
		})
	})
	for _, c := range by {
		out = append(out, *c)
	}
	return out, err
}
