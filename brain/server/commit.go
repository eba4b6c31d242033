package server

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxGroup bounds how many queued requests the committer takes at once, so
// a burst cannot delay the first one's answer arbitrarily.
const maxGroup = 256

// errClosed answers writes that arrive after Close.
var errClosed = errors.New("brain server: store closed")

// The write path. A bbolt commit costs two fdatasyncs, and a closed loop of
// N clients can put at most N requests in one commit, so committing before
// every answer capped a write endpoint at N requests per commit latency
// (1–5 ms on this machine's disk under load). Instead:
//
//   - one goroutine (the committer) keeps a bbolt write transaction open and
//     runs every write request's function in it, one after another, so each
//     sees the effects of the ones before;
//   - the keys a request wrote (its write set, recorded by put, del and
//     nextSequence) are appended to the redo log (writes.go) with one
//     write(2) per batch before the requests are answered: from then on they
//     survive a crash or SIGKILL of the process, because the kernel holds
//     the bytes;
//   - every foldInterval (or foldSets write sets) the transaction is
//     committed, durably, and the redo log is emptied;
//   - at start, a redo log left by a crash is applied before serving.
//
// Reads see every answered write: while the open transaction holds writes
// not yet committed, read requests run in it too (view); otherwise they
// use their own read transaction, in parallel.
//
// The loss window is an operating-system crash or power cut: the writes
// answered in the last foldInterval (those not yet committed to bbolt) may
// be lost. Bot-side outboxes deliver those writes with an Idempotency-Key
// and only after an answer, so a lost report is one the brain had counted
// for at most that long.
const (
	foldInterval = 100 * time.Millisecond
	foldSets     = 4096
)

// committer runs the write transactions (see above). Without a redo log it
// commits before answering, every batch.
type committer struct {
	db    *bolt.DB
	log   *redoLog      // nil: commit before answering
	every time.Duration // commit answered writes at least this often
	reqs  chan *txReq
	done  chan struct{}

	mu     sync.RWMutex // held for sending; close takes it to close reqs
	closed bool

	// dirty is set while the open transaction holds answered writes that
	// are not committed yet: reads must then run in it.
	dirty atomic.Bool

	// Used by the committer goroutine only.
	tx       *bolt.Tx
	applied  []writeSet // the write sets in tx, in order
	cur      writeSet   // the running request's writes
	foldErr  error      // last failed fold (retried at the next)
	file     *os.File   // keepTail: a second descriptor of the store
	used     int64      // keepTail: bbolt's high-water mark after the last commit
	tailEnd  int64      // keepTail: end of the zeros written
	tailErr  error      // keepTail: last failure to extend the file
	recorder *recorderEntry
}

type txReq struct {
	fn   func(tx *bolt.Tx) error
	read bool // fn only reads: run it in the open transaction, record nothing
	err  chan error
	res  error
}

// recorders maps an open transaction of a committer to it, so put, del and
// nextSequence (which get only the transaction) can record a write set.
// Transactions of anything else (New's set-up, the decision log) are not
// in it and their writes are not recorded: those commit before returning.
var recorders sync.Map // *bolt.Tx -> *recorderEntry

type recorderEntry struct{ c *committer }

func newCommitter(db *bolt.DB, log *redoLog, every time.Duration) *committer {
	if every <= 0 {
		every = foldInterval
	}
	c := &committer{db: db, log: log, every: every, reqs: make(chan *txReq, maxGroup), done: make(chan struct{})}
	c.recorder = &recorderEntry{c: c}
	go c.run()
	return c
}

// update runs fn in the committer's write transaction and returns once its
// writes are in the redo log (or committed, without one), or fn failed.
// fn must write only through put, del and nextSequence, and may run more
// than once (a failed request's transaction is rebuilt without it).
func (c *committer) update(fn func(tx *bolt.Tx) error) error {
	return c.send(&txReq{fn: fn, err: make(chan error, 1)})
}

// view runs fn in a read transaction that sees every answered write.
func (c *committer) view(fn func(tx *bolt.Tx) error) error {
	if !c.dirty.Load() {
		return c.db.View(fn)
	}
	err := c.send(&txReq{fn: fn, read: true, err: make(chan error, 1)})
	if errors.Is(err, errClosed) {
		return c.db.View(fn) // closing committed everything
	}
	return err
}

func (c *committer) send(r *txReq) error {
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	c.reqs <- r
	c.mu.RUnlock()
	return <-r.err
}

// close commits what is queued and open, and stops the committer.
func (c *committer) close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.reqs)
	}
	c.mu.Unlock()
	<-c.done
	if c.file != nil {
		c.file.Close()
		c.file = nil
	}
	return c.foldErr
}

func (c *committer) run() {
	defer close(c.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var r *txReq
		var ok bool
		if c.dirty.Load() {
			select {
			case r, ok = <-c.reqs:
			case <-timer.C:
				c.fold()
				if c.dirty.Load() { // it failed: try again later
					timer.Reset(c.every)
				}
				continue
			}
		} else {
			r, ok = <-c.reqs
		}
		if !ok {
			c.fold()
			if c.tx != nil { // the last fold failed
				c.endTx(false)
			}
			return
		}
		group := []*txReq{r}
	drain:
		for len(group) < maxGroup {
			select {
			case r, ok := <-c.reqs:
				if !ok {
					break drain
				}
				group = append(group, r)
			default:
				break drain
			}
		}
		wasDirty := c.dirty.Load()
		c.apply(group)
		switch {
		case c.log == nil || len(c.applied) >= foldSets:
			c.fold()
		case c.dirty.Load() && !wasDirty:
			timer.Reset(c.every)
		}
		if c.log == nil && c.foldErr != nil {
			// Without a redo log an answer waits for the commit.
			for _, r := range group {
				if !r.read && r.res == nil {
					r.res = c.foldErr
				}
			}
		}
		if c.tx != nil && len(c.applied) == 0 {
			c.endTx(false) // nothing to commit: free bbolt's writer lock
		}
		for _, r := range group {
			r.err <- r.res
		}
	}
}

// apply runs the group's functions in the open transaction and puts the
// write sets of those that succeeded into the redo log. It sets each
// request's res; the caller answers.
func (c *committer) apply(group []*txReq) {
	var sets []writeSet
	var writers []*txReq
	for _, r := range group {
		if r.read && c.tx == nil && len(c.applied) == 0 {
			r.res = c.db.View(r.fn) // nothing pending: the committed state is the latest
			continue
		}
		if err := c.beginTx(); err != nil {
			r.res = err
			continue
		}
		c.cur = nil
		err := safeCall(r.fn, c.tx)
		switch {
		case r.read:
			r.res = err
		case err != nil:
			r.res = err
			if len(c.cur) > 0 || errors.Is(err, errPanic) {
				// It wrote before failing: rebuild the transaction from
				// the write sets before it, so a rejected request changes
				// nothing.
				if rerr := c.rebuild(sets); rerr != nil {
					for _, w := range writers {
						w.res = rerr
					}
					sets, writers = nil, nil
				}
			}
		case len(c.cur) > 0:
			sets = append(sets, c.cur)
			writers = append(writers, r)
		}
	}
	c.cur = nil
	if len(sets) == 0 {
		return
	}
	if c.log != nil {
		if err := c.log.append(sets); err != nil {
			// Not in the log, so not answered: take them out again.
			for _, w := range writers {
				w.res = fmt.Errorf("redo log: %w", err)
			}
			c.endTx(false) // the next transaction starts from c.applied
			// The log may end in a torn record now, and nothing written
			// after one is replayed: commit what it holds, which empties
			// it (append refuses until then).
			c.fold()
			return
		}
	}
	c.applied = append(c.applied, sets...)
	c.dirty.Store(true)
}

// beginTx opens the transaction when none is open. It starts from the
// answered write sets not yet committed (c.applied), which are there only
// when an earlier transaction failed: a transaction without them must
// never serve a read or be committed.
func (c *committer) beginTx() error {
	if c.tx != nil {
		return nil
	}
	tx, err := c.db.Begin(true)
	if err != nil {
		return err
	}
	c.tx = tx
	recorders.Store(tx, c.recorder)
	for _, ws := range c.applied {
		if err := ws.apply(tx); err != nil {
			c.endTx(false)
			return err
		}
	}
	return nil
}

// endTx commits (or rolls back) the open transaction.
func (c *committer) endTx(commit bool) error {
	tx := c.tx
	c.tx = nil
	recorders.Delete(tx)
	if commit {
		c.used = tx.Size() // before the commit's own allocations: keepTail checks again
		return tx.Commit()
	}
	return tx.Rollback()
}

// rebuild rolls the open transaction back and applies c.applied and then
// extra again in a new one. On failure no transaction is open.
func (c *committer) rebuild(extra []writeSet) error {
	if c.tx != nil {
		c.endTx(false)
	}
	if err := c.beginTx(); err != nil {
		return err
	}
	for _, ws := range extra {
		if err := ws.apply(c.tx); err != nil {
			c.endTx(false)
			return err
		}
	}
	return nil
}

// fold commits the open transaction durably and empties the redo log. On
// failure the write sets stay in the log and in a rebuilt transaction, and
// the next fold tries again.
func (c *committer) fold() {
	if len(c.applied) == 0 {
		if c.tx != nil {
			c.endTx(false)
		}
		if c.log != nil && c.log.broken {
			// Everything it holds is committed; only a torn record
			// may follow.
			if err := c.log.reset(); err != nil {
				c.foldErr = fmt.Errorf("redo log: %w", err)
			}
		}
		return
	}
	if err := c.beginTx(); err != nil { // after a failure: rebuilt from c.applied
		c.foldErr = fmt.Errorf("commit: %w", err)
		return
	}
	if err := c.endTx(true); err != nil {
		c.foldErr = fmt.Errorf("commit: %w", err)
		if c.log == nil {
			// Nothing else holds these writes: their requests get the
			// error (run) and they are dropped.
			c.applied = nil
			c.dirty.Store(false)
		}
		// Otherwise they stay in the log and in c.applied; the next
		// transaction starts from them and the next fold tries again.
		return
	}
	c.applied = nil
	c.dirty.Store(false)
	c.foldErr = nil
	if c.log != nil {
		if err := c.log.reset(); err != nil {
			// Replaying committed write sets again is harmless (they set
			// absolute values); only the file keeps growing.
			c.foldErr = fmt.Errorf("redo log: %w", err)
		}
	}
	if err := c.keepTail(); err != nil {
		c.tailErr = err // tried again after the next fold
	}
}

var errPanic = errors.New("panic in write transaction")

// safeCall turns a panic in a request's function into its error, so one bad
// request cannot stop the committer every writer depends on.
func safeCall(fn func(tx *bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", errPanic, p)
		}
	}()
	return fn(tx)
}

// The file's tail. bbolt grows its file with ftruncate, so the pages a
// commit appends land in holes, and the commit's fdatasync must then also
// journal the new blocks: on this machine's ext4 disk, under load, 2–5 ms
// instead of 0.7–1 ms for rewriting allocated blocks. keepTail keeps
// tailMin to tailChunk bytes of written zeros past the end of bbolt's data,
// so appended pages are rewrites. It runs in a write transaction (rolled
// back), so no commit can grow or write the file meanwhile, and it only
// writes past the file's end, where bbolt has nothing: pages at or beyond
// the high-water mark are never read.
const (
	tailMin   = 2 << 20
	tailChunk = 8 << 20
)

var errRollback = errors.New("rollback")

func (c *committer) keepTail() error {
	if c.tailEnd-c.used >= tailMin {
		return nil // known from the last commit: nothing to do
	}
	if c.file == nil {
		f, err := os.OpenFile(c.db.Path(), os.O_RDWR, 0)
		if err != nil {
			return err
		}
		c.file = f
	}
	err := c.db.Update(func(tx *bolt.Tx) error {
		st, err := c.file.Stat()
		if err != nil {
			return err
		}
		used := tx.Size()
		end := max(st.Size(), used)
		c.used, c.tailEnd = used, end
		if end-used >= tailMin {
			return errRollback
		}
		zeros := make([]byte, 1<<20)
		for ; end < used+tailChunk; end += int64(len(zeros)) {
			if _, err := c.file.WriteAt(zeros, end); err != nil {
				return err
			}
		}
		if err := c.file.Sync(); err != nil {
			return err
		}
		c.tailEnd = end
		return errRollback
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return err
}
