package server

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func openTestDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("b"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestCommitterGroupIsolatesFailures queues three requests behind a
// blocked one so they share a commit: the failing one (which wrote before
// failing) changes nothing and gets its error, the panicking one gets an
// error, the others are committed and the later one saw the earlier one's
// write.
func TestCommitterGroupIsolatesFailures(t *testing.T) {
	db := openTestDB(t)
	c := newCommitter(db, nil, 0)
	defer c.close()

	started, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- c.update(func(tx *bolt.Tx) error {
			close(started)
			<-release
			return put(tx, []byte("b"), []byte("first"), []byte("1"))
		})
	}()
	put := func(k string) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error { return put(tx, []byte("b"), []byte(k), []byte("1")) }
	}
	<-started // the committer is busy: what follows queues up
	errBad := errors.New("rejected")
	var sawA bool
	fns := []func(tx *bolt.Tx) error{
		put("a"),
		func(tx *bolt.Tx) error {
			if err := put("bad")(tx); err != nil {
				return err
			}
			return errBad
		},
		func(tx *bolt.Tx) error { panic("boom") },
		func(tx *bolt.Tx) error {
			sawA = tx.Bucket([]byte("b")).Get([]byte("a")) != nil
			return put("b")(tx)
		},
	}
	errs := make([]chan error, len(fns))
	for i, fn := range fns {
		errs[i] = make(chan error, 1)
		// Queue in order: wait until the previous one is in the channel.
		go func() { errs[i] <- c.update(fn) }()
		for len(c.reqs) < i+1 {
			runtime.Gosched()
		}
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := <-errs[0]; err != nil {
		t.Errorf("a: %v", err)
	}
	if err := <-errs[1]; !errors.Is(err, errBad) {
		t.Errorf("bad: %v; want its own error", err)
	}
	if err := <-errs[2]; err == nil {
		t.Error("panicking request got no error")
	}
	if err := <-errs[3]; err != nil {
		t.Errorf("b: %v", err)
	}
	if !sawA {
		t.Error("a later request of the group did not see an earlier one's write")
	}
	db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		for _, k := range []string{"first", "a", "b"} {
			if b.Get([]byte(k)) == nil {
				t.Errorf("%s not committed", k)
			}
		}
		if b.Get([]byte("bad")) != nil {
			t.Error("a rejected request's write was committed")
		}
		return nil
	})
}

func TestCommitterRefusesAfterClose(t *testing.T) {
	c := newCommitter(openTestDB(t), nil, 0)
	c.close()
	if err := c.update(func(*bolt.Tx) error { return nil }); !errors.Is(err, errClosed) {
		t.Fatalf("update after close = %v", err)
	}
}

// TestCommitterSharesOneCommit: writers that queue while a commit is in
// progress are all committed by the next single transaction.
func TestCommitterSharesOneCommit(t *testing.T) {
	c := newCommitter(openTestDB(t), nil, 0)
	defer c.close()
	started, release := make(chan struct{}), make(chan struct{})
	go c.update(func(*bolt.Tx) error {
		close(started)
		<-release
		return nil
	})
	<-started
	const n = 20
	ids := make(chan int, n)
	for range n {
		go func() {
			c.update(func(tx *bolt.Tx) error {
				ids <- tx.ID()
				return put(tx, []byte("b"), []byte(strconv.Itoa(tx.ID())), nil)
			})
		}()
	}
	for len(c.reqs) < n {
		runtime.Gosched()
	}
	close(release)
	seen := map[int]bool{}
	for range n {
		seen[<-ids] = true
	}
	if len(seen) != 1 {
		t.Fatalf("%d queued writers were committed by %d transactions; want 1", n, len(seen))
	}
}

// TestCommitterKeepsAWrittenTail: after commits the file extends at least
// tailMin past bbolt's data with written (not sparse) zeros, and the store
// still checks out, also after reopening.
func TestCommitterKeepsAWrittenTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("b"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	c := newCommitter(db, nil, 0)
	val := make([]byte, 40000)
	for i := range 300 { // about 12 MB: the tail is renewed on the way
		if err := c.update(func(tx *bolt.Tx) error {
			return put(tx, []byte("b"), []byte(strconv.Itoa(i)), val)
		}); err != nil {
			t.Fatal(err)
		}
	}
	c.close()
	if c.tailErr != nil {
		t.Fatal(c.tailErr)
	}
	var used int64
	db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	db.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size()-used < tailMin {
		t.Fatalf("file %d bytes, data %d: tail %d < %d", st.Size(), used, st.Size()-used, tailMin)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Blocks*512 < st.Size() {
		t.Fatalf("file has holes: %d bytes allocated of %d", sys.Blocks*512, st.Size())
	}
	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		var first error
		for err := range tx.Check() {
			first = cmp.Or(first, err)
		}
		if first != nil {
			return first
		}
		if n := tx.Bucket([]byte("b")).Stats().KeyN; n != 300 {
			return fmt.Errorf("%d keys after reopening; want 300", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
