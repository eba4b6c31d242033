// Package state holds hunterbot's persistent stores on bbolt.
//
// The control plane's store (control.db) is DB: follow-up configs and
// scripts (seed 000), contacts (seed 001), follow-up records, accounts,
// queued manual sends, users, OAuth clients, tokens, worker credentials and
// export links. Every write that touches a record and its index entries runs
// in ONE bbolt transaction, so a failed request leaves nothing half-written.
//
// Records are JSON in their bucket keyed by a big-endian uint64 id; index
// buckets hold composite keys with empty values. The schema carries a version
// and an ordered list of migrations (see schema.go) that Open applies.
//
// Contacts also have an in-memory index (contactindex.go) so that a page of
// /api/contacts with substring search over a million contacts stays in
// milliseconds; it is rebuilt at Open and updated on commit.
package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// Sentinel errors of the bbolt backend; callers check them with errors.Is.
// The errors every Store backend shares (wire.ErrNotFound, wire.ErrInvalid,
// wire.ErrUnauthorized) live in api/wire.
var (
	// ErrSchemaTooNew means the file was written by a newer hunterbot.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
	// ErrLocked means another process holds the database file.
	ErrLocked = errors.New("database is locked by another process")
)

func fieldErr(field, format string, args ...any) error {
	return &wire.FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Options tune Open.
type Options struct {
	// Clock stamps created/updated times; default clock.Real{}.
	Clock clock.Clock
	// BcryptCost for passwords and client secrets; default bcrypt.DefaultCost.
	// Tests lower it to bcrypt.MinCost.
	BcryptCost int
	// LockTimeout is how long Open waits for the file lock; default 1s.
	LockTimeout time.Duration
	// LeaseTTL is the length of a managed account's lease (default
	// DefaultLeaseTTL); a static account's worker silent this long may be
	// replaced by another (managed.go).
	LeaseTTL time.Duration
	// LeaseClock times leases (default Clock). Workers time their leases on
	// the wall clock, so a control plane on a simulated clock (the demo)
	// sets clock.Real{} here.
	LeaseClock clock.Clock
}

// DB is the control plane's bbolt store. It is safe for concurrent use.
type DB struct {
	bolt     *bbolt.DB
	clock    clock.Clock
	cost     int
	contacts *contactIndex
	lease    time.Duration
	leaseClk clock.Clock

	dummyOnce sync.Once
	dummy     []byte
}

// Open opens (creating if needed) the control database at path with file
// mode 0600 in a 0700 directory, applies pending migrations and builds the
// in-memory contact index.
func Open(path string, opts Options) (*DB, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.BcryptCost == 0 {
		opts.BcryptCost = bcrypt.DefaultCost
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state: create dir: %w", err)
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.LockTimeout, FreelistType: bbolt.FreelistMapType})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("state: open %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", path, err)
	}
	// bbolt creates with 0600 but an existing file may have looser bits.
	if err := os.Chmod(path, 0o600); err != nil {
		b.Close()
		return nil, fmt.Errorf("state: chmod: %w", err)
	}
	removeBackupLeftovers(filepath.Dir(path))
	db := &DB{bolt: b, clock: opts.Clock, cost: opts.BcryptCost, lease: opts.LeaseTTL, leaseClk: opts.LeaseClock}
	if db.leaseClk == nil {
		db.leaseClk = opts.Clock
	}
	if err := db.migrate(); err != nil {
		b.Close()
		return nil, err
	}
	if err := db.loadContactIndex(); err != nil {
		b.Close()
		return nil, err
	}
	return db, nil
}

// Close releases the file.
func (db *DB) Close() error { return db.bolt.Close() }

// Path returns the database file path.
func (db *DB) Path() string { return db.bolt.Path() }

// backupTempPattern names the snapshot files WriteBackup makes next to the
// database; Open removes leftovers of a crash.
const backupTempPattern = ".backup-*.tmp"

// WriteBackup writes a consistent snapshot of the whole database to w and
// returns the number of bytes written. size is called first with the
// snapshot size so an HTTP handler can set Content-Length; it may be nil.
//
// The snapshot is first copied, inside one read transaction, to a private
// (0600) temporary file next to the database, and only then streamed to w
// with no transaction open. A slow or stalled reader of w therefore never
// keeps a read transaction alive: bbolt cannot grow (re-mmap) the file while
// one is open, so a held transaction would stall every write that needs
// more space and, behind it, every new read. The temporary file costs disk
// space equal to the database for the duration of the transfer.
func (db *DB) WriteBackup(w io.Writer, size func(int64)) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(db.Path()), backupTempPattern)
	if err != nil {
		return 0, fmt.Errorf("state: backup snapshot: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := f.Chmod(0o600); err != nil {
		return 0, fmt.Errorf("state: backup snapshot: %w", err)
	}
	var snap int64
	err = db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		snap, err = tx.WriteTo(f)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("state: backup snapshot: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("state: backup snapshot: %w", err)
	}
	if size != nil {
		size(snap)
	}
	return io.Copy(w, f)
}

// removeBackupLeftovers deletes snapshot files a crashed WriteBackup left.
func removeBackupLeftovers(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, backupTempPattern))
	for _, p := range old {
		_ = os.Remove(p)
	}
}

// --- small encoding helpers shared by the store files ---

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func btou(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// pairKey is an index key: two big-endian ids.
func pairKey(a, b uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, a)
	binary.BigEndian.PutUint64(k[8:], b)
	return k
}

func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func getJSON(b *bbolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return wire.ErrNotFound
	}
	return json.Unmarshal(data, v)
}

// now returns the clock's time truncated to the second: the API prints
// seconds and filters by seconds, so storing more would only confuse.
func (db *DB) now() time.Time { return db.clock.Now().UTC().Truncate(time.Second) }

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
