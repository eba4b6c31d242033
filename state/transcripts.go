package state

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Conversation transcripts: every message of a conversation a worker read
// from the site's history, with who wrote it. Keys start with the
// conversation key (account id | candidate id, as contacts and
// conversations) and a 0 byte; candidate ids never hold a 0 byte (checked),
// so one conversation's keys are one prefix.
var (
	// conv\x00 at(unix ns, 8 bytes) msg id -> StoredMessage: time order.
	bucketTranscripts = []byte("transcripts")
	// conv\x00 msg id -> at (8 bytes): the idempotency index.
	bucketTranscriptsByMsg = []byte("idx_transcripts_by_msg")
	// conv -> message count (8 bytes): totals and the retention bound
	// without walking the messages.
	bucketTranscriptCounts = []byte("transcript_counts")
)

// transcriptBuckets are created by the transcripts schema migration.
var transcriptBuckets = [][]byte{bucketTranscripts, bucketTranscriptsByMsg, bucketTranscriptCounts}

// transcriptPrefix is the key prefix of one conversation's messages.
func transcriptPrefix(accountID uint64, candidate string) []byte {
	return append(contactKey(accountID, candidate), 0)
}

func transcriptKey(prefix []byte, at time.Time, msgID string) []byte {
	k := make([]byte, 0, len(prefix)+8+len(msgID))
	k = append(append(k, prefix...), u64(uint64(at.UnixNano()))...)
	return append(k, msgID...)
}

// validateTranscript checks the i-th conversation of a worker push.
func validateTranscript(i int, in wire.TranscriptInput) error {
	f := func(n string) string { return fmt.Sprintf("transcripts[%d].%s", i, n) }
	if err := validName(f("account"), in.Account, 64); err != nil {
		return err
	}
	if err := checkText(f("candidate_id"), in.CandidateID, 1, maxShort); err != nil {
		return err
	}
	if strings.ContainsRune(in.CandidateID, 0) {
		return fieldErr(f("candidate_id"), "must not contain a NUL character")
	}
	if len(in.Messages) == 0 || len(in.Messages) > wire.MaxTranscriptPush {
		return fieldErr(f("messages"), "must hold 1 to %d messages", wire.MaxTranscriptPush)
	}
	// 2000-01-01: a zero or epoch-0 time is a worker bug, not a message.
	floor := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for j, m := range in.Messages {
		g := func(n string) string { return fmt.Sprintf("transcripts[%d].messages[%d].%s", i, j, n) }
		if err := checkText(g("msg_id"), m.MsgID, 1, 64); err != nil {
			return err
		}
		if m.At.Before(floor) {
			return fieldErr(g("at"), "required: the message's time (RFC 3339, after 2000)")
		}
		if !wire.ValidAuthor(m.Author) {
			return fieldErr(g("author"), "must be one of %v, got %q", wire.Authors, m.Author)
		}
		if err := checkText(g("text"), m.Text, 0, wire.MaxTranscriptText); err != nil {
			return err
		}
		if err := checkText(g("type"), m.Type, 0, 32); err != nil {
			return err
		}
	}
	return nil
}

// AddTranscripts stores the messages workerID read, per conversation, in
// one transaction. A message already stored (same account, candidate and
// msg_id) is a duplicate and left as it is, so an outbox may replay a push.
// Each conversation keeps its newest wire.TranscriptRetention messages: a
// message past the bound evicts the oldest, one older than everything
// kept is dropped. Managed accounts are fenced like the other pushes;
// unknown account keys are registered for workerID.
func (db *DB) AddTranscripts(workerID string, in []wire.TranscriptInput) ([]wire.TranscriptResult, error) {
	n := 0
	for i, t := range in {
		if err := validateTranscript(i, t); err != nil {
			return nil, err
		}
		n += len(t.Messages)
	}
	if n > wire.MaxTranscriptMessages {
		return nil, fieldErr("transcripts", "must hold at most %d messages in all, got %d", wire.MaxTranscriptMessages, n)
	}
	out := make([]wire.TranscriptResult, 0, len(in))
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b, idx, counts := tx.Bucket(bucketTranscripts), tx.Bucket(bucketTranscriptsByMsg), tx.Bucket(bucketTranscriptCounts)
		now := db.now()
		for _, t := range in {
			if err := db.fence(tx, workerID, t.Account, t.Epoch, false); err != nil { // managed.go
				return err
			}
			a, err := db.ensureAccount(tx, workerID, t.Account)
			if err != nil {
				return err
			}
			res := wire.TranscriptResult{Account: a.Key, CandidateID: t.CandidateID}
			conv := contactKey(a.ID, t.CandidateID)
			prefix := transcriptPrefix(a.ID, t.CandidateID)
			var count uint64
			if v := counts.Get(conv); len(v) == 8 {
				count = btou(v)
			}
			for _, m := range t.Messages {
				ik := append(append([]byte{}, prefix...), m.MsgID...)
				if idx.Get(ik) != nil {
					res.Duplicates++
					continue
				}
				m.At = m.At.UTC()
				key := transcriptKey(prefix, m.At, m.MsgID)
				if count >= wire.TranscriptRetention {
					oldest, _ := b.Cursor().Seek(prefix)
					if oldest == nil || !bytes.HasPrefix(oldest, prefix) || bytes.Compare(key, oldest) < 0 {
						res.Dropped++ // older than everything kept
						continue
					}
					if err := db.dropTranscriptMessage(tx, prefix, oldest); err != nil {
						return err
					}
					count--
				}
				rec := wire.StoredMessage{TranscriptMessage: m, WorkerID: workerID, ReceivedAt: now}
				if err := putJSON(b, key, rec); err != nil {
					return err
				}
				if err := idx.Put(ik, u64(uint64(m.At.UnixNano()))); err != nil {
					return err
				}
				count++
				res.Added++
			}
			if err := counts.Put(conv, u64(count)); err != nil {
				return err
			}
			res.Total = int(count)
			out = append(out, res)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// dropTranscriptMessage deletes the message stored under key and its
// index entry (the retention bound).
func (db *DB) dropTranscriptMessage(tx *bbolt.Tx, prefix, key []byte) error {
	if len(key) < len(prefix)+8 {
		return fmt.Errorf("state: transcript key %x is too short", key)
	}
	msgID := key[len(prefix)+8:]
	ik := append(append([]byte{}, prefix...), msgID...)
	if err := tx.Bucket(bucketTranscriptsByMsg).Delete(ik); err != nil {
		return err
	}
	return tx.Bucket(bucketTranscripts).Delete(key)
}

// ListTranscript returns a page of one conversation's messages, oldest
// first, and how many it holds. page counts from 1. An unknown account key
// is ErrNotFound; a conversation with no messages is an empty page.
func (db *DB) ListTranscript(accountKey, candidateID string, page, pageSize int) ([]wire.StoredMessage, int, error) {
	if page < 1 || pageSize < 1 {
		return nil, 0, fieldErr("page", "page and page_size must be positive")
	}
	if err := checkText("candidate_id", candidateID, 1, maxShort); err != nil {
		return nil, 0, err
	}
	if strings.ContainsRune(candidateID, 0) {
		return nil, 0, fieldErr("candidate_id", "must not contain a NUL character")
	}
	out := []wire.StoredMessage{}
	total := 0
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		a, err := accountByKey(tx, accountKey)
		if err != nil {
			return err
		}
		if v := tx.Bucket(bucketTranscriptCounts).Get(contactKey(a.ID, candidateID)); len(v) == 8 {
			total = int(btou(v))
		}
		offset := (page - 1) * pageSize
		if offset >= total {
			return nil
		}
		prefix := transcriptPrefix(a.ID, candidateID)
		c := tx.Bucket(bucketTranscripts).Cursor()
		i := 0
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < pageSize; k, v = c.Next() {
			if i++; i <= offset {
				continue
			}
			var m wire.StoredMessage
			if err := jsonUnmarshal(v, &m); err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
