package server

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxGroup bounds how many requests share one commit, so a burst cannot
// make one transaction (and its answer latency) arbitrarily long.
const maxGroup = 256

// errClosed answers writes that arrive after Close.
var errClosed = errors.New("brain server: store closed")

// committer runs write transactions in groups: every request that arrived
// while the previous commit was being written joins the next one, so N
// concurrent writers cost one bbolt commit (two fdatasyncs) instead of N.
// Nobody waits for a timer: an idle store commits a lone request at once.
//
// Each request's function still sees the effects of the ones before it in
// the group, exactly as if they ran one after another. When a function
// returns an error, the whole group's transaction is rolled back, that
// request gets its error (a rejected request changes nothing), and the rest
// are run again without it; so a function may run more than once and must
// not have effects outside its transaction.
type committer struct {
	db   *bolt.DB
	reqs chan *txReq
	done chan struct{}

	mu     sync.RWMutex // held for sending; Close takes it to close reqs
	closed bool

	// keepTail's state, used by the committer goroutine only.
	file    *os.File // a second descriptor of the store, for the zeros
	used    int64    // bbolt's high-water mark after the last commit
	tailEnd int64    // end of the zeros written
	tailErr error    // last failure to extend the file (tried again later)
}

type txReq struct {
	fn  func(tx *bolt.Tx) error
	err chan error
}

func newCommitter(db *bolt.DB) *committer {
	c := &committer{db: db, reqs: make(chan *txReq, maxGroup), done: make(chan struct{})}
	go c.run()
	return c
}

// update runs fn in a write transaction shared with concurrent callers and
// returns once that transaction is durably committed (or fn failed).
func (c *committer) update(fn func(tx *bolt.Tx) error) error {
	r := &txReq{fn: fn, err: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return errClosed
	}
	c.reqs <- r
	c.mu.RUnlock()
	return <-r.err
}

// close commits what is queued and stops the committer.
func (c *committer) close() {
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
}

func (c *committer) run() {
	defer close(c.done)
	target := 0
	for r := range c.reqs {
		group := c.gather([]*txReq{r}, target)
		c.commit(group)
		if err := c.keepTail(); err != nil {
			c.tailErr = err // tried again after the next commit
		}
		// The writers of this group plus those who queued meanwhile are
		// the current concurrency: they will be back shortly, and
		// without waiting for them two halves of the writers would take
		// turns, each commit carrying half of them.
		target = min(len(group)+len(c.reqs), maxGroup)
	}
}

// A group smaller than its target keeps waiting while writers keep
// arriving (each within gatherWait of the previous one), gatherMax at most
// (one commit, two fdatasyncs, takes about 1 ms on this disk). On a
// busy machine the writers of the last group come back late and one by one;
// a single fixed wait would either cut them off or keep the early ones
// waiting for nobody.
const (
	gatherWait = 300 * time.Microsecond
	gatherMax  = 2 * time.Millisecond
)

// gather adds the queued requests to group, then, while the group is
// smaller than target, waits for more (see gatherWait).
func (c *committer) gather(group []*txReq, target int) []*txReq {
	for len(group) < maxGroup {
		select {
		case r, ok := <-c.reqs:
			if !ok {
				return group
			}
			group = append(group, r)
			continue
		default:
		}
		break
	}
	if len(group) >= target {
		return group
	}
	deadline := time.NewTimer(gatherMax)
	defer deadline.Stop()
	idle := time.NewTimer(gatherWait)
	defer idle.Stop()
	for len(group) < target {
		select {
		case r, ok := <-c.reqs:
			if !ok {
				return group
			}
			group = append(group, r)
			idle.Reset(gatherWait)
		case <-idle.C:
			return group
		case <-deadline.C:
			return group
		}
	}
	return group
}

func (c *committer) commit(group []*txReq) {
	for len(group) > 0 {
		failed, ferr := -1, error(nil)
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, r := range group {
				if err := safeCall(r.fn, tx); err != nil {
					failed, ferr = i, err
					return err
				}
			}
			c.used = tx.Size() // before the commit's own allocations: keepTail checks again
			return nil
		})
		switch {
		case err == nil:
			for _, r := range group {
				r.err <- nil
			}
			return
		case failed < 0:
			// The commit itself failed (disk full, closed file): nothing
			// was stored for anyone.
			for _, r := range group {
				r.err <- err
			}
			return
		}
		group[failed].err <- ferr
		group = slices.Delete(group, failed, failed+1)
	}
}

// safeCall turns a panic in a request's function into its error, so one bad
// request cannot stop the committer every writer depends on.
func safeCall(fn func(tx *bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in write transaction: %v", p)
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
