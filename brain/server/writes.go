package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// A write set is what one request wrote, in order: puts, deletes and
// bucket sequences of top-level buckets, with absolute values, so applying
// it again to a store that already has it changes nothing. It is recorded
// while the request runs in the committer (commit.go) and written to the
// redo log before the request is answered.
type writeSet []mutation

type mutation struct {
	op     byte // opPut, opDel, opSeq
	bucket []byte
	key    []byte
	val    []byte // opPut: the value; opSeq: the sequence, 8 bytes big-endian
}

const (
	opPut byte = 1
	opDel byte = 2
	opSeq byte = 3
)

// record appends m to the write set of the request running in tx, when tx
// is a committer's.
func record(tx *bolt.Tx, m mutation) {
	if e, ok := recorders.Load(tx); ok {
		c := e.(*recorderEntry).c
		c.cur = append(c.cur, m)
	}
}

// put stores v under k in bucket. Every write of a request function goes
// through put, del or nextSequence, so the redo log gets it.
func put(tx *bolt.Tx, bucket, k, v []byte) error {
	if err := tx.Bucket(bucket).Put(k, v); err != nil {
		return err
	}
	record(tx, mutation{op: opPut, bucket: bucket, key: k, val: v})
	return nil
}

// del deletes k from bucket (see put).
func del(tx *bolt.Tx, bucket, k []byte) error {
	if err := tx.Bucket(bucket).Delete(k); err != nil {
		return err
	}
	record(tx, mutation{op: opDel, bucket: bucket, key: k})
	return nil
}

// nextSequence returns the bucket's next sequence number (see put).
func nextSequence(tx *bolt.Tx, bucket []byte) (uint64, error) {
	seq, err := tx.Bucket(bucket).NextSequence()
	if err != nil {
		return 0, err
	}
	record(tx, mutation{op: opSeq, bucket: bucket, val: binary.BigEndian.AppendUint64(nil, seq)})
	return seq, nil
}

func (ws writeSet) apply(tx *bolt.Tx) error {
	for _, m := range ws {
		b := tx.Bucket(m.bucket)
		if b == nil {
			return fmt.Errorf("redo: no bucket %q", m.bucket)
		}
		var err error
		switch m.op {
		case opPut:
			err = b.Put(m.key, m.val)
		case opDel:
			err = b.Delete(m.key)
		case opSeq:
			if len(m.val) != 8 {
				return errors.New("redo: bad sequence record")
			}
			err = b.SetSequence(binary.BigEndian.Uint64(m.val))
		default:
			return fmt.Errorf("redo: unknown operation %d", m.op)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// encode is the write set as one redo record's payload: per mutation the
// operation byte, then bucket, key and value, each uvarint-length-prefixed.
func (ws writeSet) encode(b []byte) []byte {
	for _, m := range ws {
		b = append(b, m.op)
		for _, f := range [][]byte{m.bucket, m.key, m.val} {
			b = binary.AppendUvarint(b, uint64(len(f)))
			b = append(b, f...)
		}
	}
	return b
}

func decodeWriteSet(p []byte) (writeSet, error) {
	var ws writeSet
	for len(p) > 0 {
		m := mutation{op: p[0]}
		p = p[1:]
		for _, f := range []*[]byte{&m.bucket, &m.key, &m.val} {
			n, k := binary.Uvarint(p)
			if k <= 0 || uint64(len(p)-k) < n {
				return nil, errors.New("redo: truncated mutation")
			}
			*f = p[k : k+int(n)]
			p = p[k+int(n):]
		}
		ws = append(ws, m)
	}
	return ws, nil
}

// redoLog is <data>/writes.log: the write sets answered since the last
// commit of the committer's transaction, one record each (the decision
// log's framing: length, CRC-32C, payload). A torn or corrupt record (an
// operating-system crash mid-write) ends it.
type redoLog struct {
	f      *os.File
	path   string
	broken bool // a write failed: the file may end in a torn record
	buf    []byte
}

const redoName = "writes.log"

// openRedoLog applies the write sets a previous run left in path to db in
// one commit, then empties the file and returns the log.
func openRedoLog(path string, db *bolt.DB) (*redoLog, int, error) {
	recs, err := readSegment(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, 0, err
	}
	if len(recs) > 0 {
		if err := db.Update(func(tx *bolt.Tx) error {
			for i, r := range recs {
				ws, err := decodeWriteSet(r.val)
				if err != nil {
					return fmt.Errorf("record %d: %w", i, err)
				}
				if err := ws.apply(tx); err != nil {
					return fmt.Errorf("record %d: %w", i, err)
				}
			}
			return nil
		}); err != nil {
			return nil, 0, fmt.Errorf("replay %s: %w", path, err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	l := &redoLog{f: f, path: path}
	if err := l.reset(); err != nil {
		f.Close()
		return nil, 0, err
	}
	return l, len(recs), nil
}

// append writes the write sets with one write(2).
func (l *redoLog) append(sets []writeSet) error {
	if l.broken {
		return errors.New("an earlier write failed; waiting for a commit")
	}
	b := l.buf[:0]
	for _, ws := range sets {
		b = appendRecord(b, []byte{'w'}, ws.encode(nil))
	}
	l.buf = b
	if _, err := l.f.Write(b); err != nil {
		l.broken = true
		return err
	}
	if cap(l.buf) > 1<<20 {
		l.buf = nil // one large batch should not pin its buffer
	}
	return nil
}

// reset empties the log once its write sets are committed. Writes go on
// at the new end (O_APPEND). It truncates by path, so a descriptor that
// refuses writes cannot keep the log from being emptied.
func (l *redoLog) reset() error {
	if err := os.Truncate(l.path, 0); err != nil {
		return err
	}
	l.broken = false
	return nil
}

func (l *redoLog) close() error { return l.f.Close() }
