// Package worker is the bbolt store a worker process owns (worker.db): browser
// sessions, the greeting and send ledgers that make site effects exactly-once,
// conversation cursors, and the durable outbox of reports to the brain and the
// control plane.
//
// The rule that shapes it: an effect on the site is recorded as intended
// before the click and as done after the site confirms it, and whatever must
// be reported about that effect is enqueued in the outbox in the SAME
// transaction that marks it done. A crash therefore leaves either an intended
// entry (to be reconciled against the site, never blindly retried) or a done
// entry whose reports are already durable.
package worker

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// SchemaVersion is the layout version this code reads and writes.
const SchemaVersion = 1

// Sentinel errors; callers check them with errors.Is.
var (
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrSchema means the file was written by an incompatible version.
	ErrSchema = errors.New("unsupported worker.db schema")
	// ErrInvalid means a record is missing a required field.
	ErrInvalid = errors.New("invalid record")
)

var (
	bucketMeta          = []byte("meta")
	bucketSessions      = []byte("sessions")
	bucketGreetings     = []byte("greetings")
	bucketSends         = []byte("sends")
	bucketConversations = []byte("conversations")
	bucketOutbox        = []byte("outbox")
	bucketOutboxKeys    = []byte("outbox_keys") // idempotency key -> outbox seq
	bucketKV            = []byte("kv")          // small per-account documents (today's plan)
	keySchema           = []byte("schema_version")
	allBuckets          = [][]byte{bucketMeta, bucketSessions, bucketGreetings, bucketSends,
		bucketConversations, bucketOutbox, bucketOutboxKeys, bucketKV}
)

// DB is an open worker.db.
type DB struct {
	bolt *bolt.DB
	clk  clock.Clock
}

// Open opens (creating when missing) the worker store at path with mode 0600.
// bbolt locks the file: a second process opening it waits up to 5 s and fails.
func Open(path string, clk clock.Clock) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("worker db dir: %w", err)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open worker db %s: %w", path, err)
	}
	err = b.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keySchema); v != nil {
			if got := binary.BigEndian.Uint64(v); got != SchemaVersion {
				return fmt.Errorf("%w: file has version %d, this build reads %d", ErrSchema, got, SchemaVersion)
			}
			return nil
		}
		return meta.Put(keySchema, u64(SchemaVersion))
	})
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("init worker db: %w", err)
	}
	return &DB{bolt: b, clk: clk}, nil
}

// Close closes the file.
func (d *DB) Close() error { return d.bolt.Close() }

// Path is the file path of the store.
func (d *DB) Path() string { return d.bolt.Path() }

// Update runs fn in one read-write transaction: everything fn does through tx
// commits together or not at all.
func (d *DB) Update(fn func(tx *Tx) error) error {
	return d.bolt.Update(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx, now: d.clk.Now()}) })
}

// View runs fn in one consistent read-only transaction.
func (d *DB) View(fn func(tx *Tx) error) error {
	return d.bolt.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx, now: d.clk.Now()}) })
}

// Tx is a transaction on the worker store; its methods are the only way
// records change, so invariants live here.
type Tx struct {
	tx  *bolt.Tx
	now time.Time
}

// Now is the clock's time when the transaction began; records written in the
// transaction use it as their timestamp.
func (t *Tx) Now() time.Time { return t.now }

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// key joins parts with NUL, which never occurs in ids, so prefixes are exact.
func key(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

func getJSON(b *bolt.Bucket, k []byte, v any) error {
	data := b.Get(k)
	if data == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode record %q: %w", k, err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}
