package server

import (
	"errors"
	"fmt"
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
}

func (c *committer) run() {
	defer close(c.done)
	target := 0
	for r := range c.reqs {
		group := c.gather([]*txReq{r}, target)
		c.commit(group)
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
