package server

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"
)

// Filter decisions are a debugging record (GET /debug/decisions): the
// protocol state a filter answer depends on (chats, reported greetings) is
// written by the other endpoints. Committing each decision to bbolt cost
// two fdatasyncs per filter request, so decisions take a cheaper path:
//
//   - before the answer is sent, the decision is appended to a segment file
//     (decisions-<n>.log) with one write(2): once acknowledged it survives a
//     crash or SIGKILL of the process, because the kernel holds the bytes;
//   - every decisionFoldInterval (or foldRecords decisions, whichever comes first)
//     the pending decisions are folded into the decisions bucket in one
//     bbolt commit, and the sealed segments are deleted;
//   - at start, segments left by a crash are folded in before serving.
//
// The loss window is an operating-system crash or power cut: the decisions
// of the last decisionFoldInterval (those not yet folded into bbolt) may be lost.
// Keys carry the decision's sequence number, so folding a segment twice
// (a crash between the commit and the deletion) stores nothing twice.
const (
	decisionFoldInterval = time.Second
	foldRecords          = 4096
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type pendingDecision struct{ key, val []byte }

// decisionLog is the write-behind log of filter decisions.
type decisionLog struct {
	dir string
	db  *bolt.DB
	log zerolog.Logger

	foldMu  sync.Mutex // one fold at a time, so a fold returns after every earlier decision is stored
	mu      sync.Mutex
	f       *os.File // current segment
	segN    uint64   // number of the current segment
	sealed  []string // segments whose records are all in pending
	pending []pendingDecision
	seq     uint64 // last sequence number handed out
	broken  bool   // a write failed: the current segment may end in a torn record

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

func segmentName(n uint64) string { return fmt.Sprintf("decisions-%08d.log", n) }

// openDecisionLog folds the segments a previous run left into db, then
// starts a fresh segment and the background folder.
func openDecisionLog(dir string, db *bolt.DB, log zerolog.Logger) (*decisionLog, error) {
	d := &decisionLog{dir: dir, db: db, log: log, kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	segs, last, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	var recovered []pendingDecision
	for _, s := range segs {
		recs, err := readSegment(filepath.Join(dir, s))
		if err != nil {
			return nil, err
		}
		recovered = append(recovered, recs...)
	}
	if err := d.store(recovered); err != nil {
		return nil, fmt.Errorf("fold decision segments: %w", err)
	}
	for _, s := range segs {
		if err := os.Remove(filepath.Join(dir, s)); err != nil {
			return nil, err
		}
	}
	if err := db.View(func(tx *bolt.Tx) error {
		d.seq = tx.Bucket(bDecisions).Sequence()
		return nil
	}); err != nil {
		return nil, err
	}
	d.segN = last + 1
	if d.f, err = d.create(d.segN); err != nil {
		return nil, err
	}
	go d.run()
	return d, nil
}

func (d *decisionLog) create(n uint64) (*os.File, error) {
	return os.OpenFile(filepath.Join(d.dir, segmentName(n)), os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_EXCL, 0o600)
}

// listSegments returns the segment files in order and the highest number.
func listSegments(dir string) ([]string, uint64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	var names []string
	var last uint64
	for _, e := range ents {
		num, ok := strings.CutPrefix(e.Name(), "decisions-")
		num, ok2 := strings.CutSuffix(num, ".log")
		if !ok || !ok2 {
			continue
		}
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			continue
		}
		names = append(names, e.Name())
		last = max(last, n)
	}
	slices.Sort(names) // zero-padded: lexical order is numeric order
	return names, last, nil
}

// Record layout: uint32 payload length, uint32 CRC-32C of the payload,
// payload = uvarint key length, key, value. A torn or corrupt tail (an
// operating-system crash mid-write) ends the segment.
func appendRecord(buf, k, v []byte) []byte {
	n := binary.PutUvarint(make([]byte, binary.MaxVarintLen64), uint64(len(k)))
	plen := n + len(k) + len(v)
	start := len(buf)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(plen))
	buf = append(buf, 0, 0, 0, 0)
	buf = binary.AppendUvarint(buf, uint64(len(k)))
	buf = append(buf, k...)
	buf = append(buf, v...)
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+8:], castagnoli))
	return buf
}

func readSegment(path string) ([]pendingDecision, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var out []pendingDecision
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return out, nil // EOF or a torn header: the end
		}
		plen := binary.LittleEndian.Uint32(hdr[:4])
		if plen > maxJSONBody*4 {
			return out, nil
		}
		p := make([]byte, plen)
		if _, err := io.ReadFull(r, p); err != nil {
			return out, nil
		}
		if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(hdr[4:]) {
			return out, nil
		}
		klen, n := binary.Uvarint(p)
		if n <= 0 || uint64(len(p)-n) < klen {
			return out, nil
		}
		out = append(out, pendingDecision{key: p[n : n+int(klen)], val: p[n+int(klen):]})
	}
}

// add stores the encoded decision val for acct under the next sequence
// number; when it returns nil the record is in the kernel's hands and
// survives the process.
func (d *decisionLog) add(acct string, val []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return errClosed
	}
	if d.broken {
		if err := d.rotateLocked(); err != nil {
			return fmt.Errorf("decision log: %w", err)
		}
	}
	seq := d.seq + 1
	k := seqKey(acct, seq)
	if _, err := d.f.Write(appendRecord(nil, k, val)); err != nil {
		// A short write leaves a torn record, which ends the segment at
		// replay: nothing may follow it, so the next decision starts a
		// new segment. This one is answered with the error.
		d.broken = true
		return fmt.Errorf("decision log: %w", err)
	}
	d.seq = seq
	d.pending = append(d.pending, pendingDecision{key: k, val: val})
	if len(d.pending) == foldRecords {
		select {
		case d.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// rotateLocked seals the current segment (its records are all pending)
// and starts the next one. d.mu is held.
func (d *decisionLog) rotateLocked() error {
	nf, err := d.create(d.segN + 1)
	if err != nil {
		return err
	}
	d.f.Close()
	d.sealed = append(d.sealed, filepath.Join(d.dir, segmentName(d.segN)))
	d.f, d.segN, d.broken = nf, d.segN+1, false
	return nil
}

func (d *decisionLog) run() {
	defer close(d.done)
	t := time.NewTicker(decisionFoldInterval)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
		case <-d.kick:
		}
		if err := d.fold(); err != nil {
			d.log.Error().Err(err).Msg("fold filter decisions into the store")
		}
	}
}

// fold moves the pending decisions into bbolt: it seals the current
// segment (new decisions go to a fresh one), commits, then deletes the
// sealed segments. On failure the records stay pending and their segments
// stay on disk, so the next fold (or the next start) retries them.
func (d *decisionLog) fold() error {
	d.foldMu.Lock()
	defer d.foldMu.Unlock()
	d.mu.Lock()
	if len(d.pending) == 0 || d.f == nil {
		d.mu.Unlock()
		return nil
	}
	if err := d.rotateLocked(); err != nil {
		d.mu.Unlock()
		return err
	}
	batch := d.pending
	d.pending = nil
	sealed := d.sealed
	d.sealed = nil
	d.mu.Unlock()

	if err := d.store(batch); err != nil {
		d.mu.Lock()
		d.pending = append(batch, d.pending...)
		d.sealed = append(sealed, d.sealed...)
		d.mu.Unlock()
		return err
	}
	var errs []error
	for _, p := range sealed {
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// store puts recs into the decisions bucket in one commit and advances the
// bucket's sequence past them.
func (d *decisionLog) store(recs []pendingDecision) error {
	if len(recs) == 0 {
		return nil
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDecisions)
		top := b.Sequence()
		for _, r := range recs {
			if err := b.Put(r.key, r.val); err != nil {
				return err
			}
			if len(r.key) >= 8 {
				top = max(top, binary.BigEndian.Uint64(r.key[len(r.key)-8:]))
			}
		}
		return b.SetSequence(top)
	})
}

// close folds what is pending, stops the folder and removes the empty
// last segment.
func (d *decisionLog) close() error {
	close(d.stop)
	<-d.done
	err := d.fold()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f != nil {
		d.f.Close()
		if err == nil && len(d.pending) == 0 {
			err = os.Remove(filepath.Join(d.dir, segmentName(d.segN)))
		}
		d.f = nil
	}
	return err
}

// appendDecision appends d as JSON, the same document json.Marshal makes
// (but for <, > and & left unescaped), without reflection: encoding the
// decision was a tenth of a filter request's CPU.
func appendDecision(b []byte, d *Decision) []byte {
	b = append(b, `{"time":"`...)
	b = d.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","accountID":`...)
	b = appendJSONString(b, d.AccountID)
	b = append(b, `,"jobID":`...)
	b = appendJSONString(b, d.JobID)
	b = append(b, `,"candidateID":`...)
	b = appendJSONString(b, d.CandidateID)
	b = append(b, `,"touch":`...)
	b = strconv.AppendBool(b, d.Touch)
	b = append(b, `,"checks":`...)
	if d.Checks == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range d.Checks {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendJSONString(b, c.Name)
			b = append(b, `,"ok":`...)
			b = strconv.AppendBool(b, c.OK)
			b = append(b, `,"detail":`...)
			b = appendJSONString(b, c.Detail)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028
// and U+2029 escaped (as encoding/json does, for JavaScript readers).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
