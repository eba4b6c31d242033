package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/brain"
)

// Buckets of brain.db. Keys join ids with a NUL byte (ids never contain
// one; validateIDPart and requireID reject it), so prefix scans are exact.
var (
	bJobs      = []byte("jobs")      // jobID -> jobRec
	bAccounts  = []byte("accounts")  // accountID -> accountRec
	bSessions  = []byte("sessions")  // acct\0job\0cand -> session
	bTouched   = []byte("touched")   // job\0cand\0acct -> "chat"|"greet"
	bLatest    = []byte("latest")    // acct\0cand -> jobID of the latest chat
	bGreets    = []byte("greets")    // acct\0job\0YYYY-MM-DD\0cand -> ""
	bDecisions = []byte("decisions") // acct\0seq -> Decision
	bIdem      = []byte("idem")      // path\0acct\0key -> stored data JSON
	bWechat    = []byte("wechat")    // acct\0seq -> wxTask
	bAliases   = []byte("aliases")   // acct\0alias -> aliasRec
	bGreetN    = []byte("greetn")    // acct\0job\0YYYY-MM-DD -> uint64 count of that day's greets keys
	allBuckets = [][]byte{bJobs, bAccounts, bSessions, bTouched, bLatest, bGreets, bDecisions, bIdem, bWechat, bAliases, bGreetN}
)

func key(parts ...string) []byte {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(p)
	}
	return b.Bytes()
}

// prefix is key(parts...) followed by the separator.
func prefix(parts ...string) []byte { return append(key(parts...), 0) }

func seqKey(acct string, seq uint64) []byte {
	k := prefix(acct)
	return binary.BigEndian.AppendUint64(k, seq)
}

type jobRec struct {
	JobID        string          `json:"jobID"`
	PlatformType string          `json:"platformType"`
	PlatformID   string          `json:"platformID"`
	JobName      string          `json:"jobName"`
	JobJD        string          `json:"jobJD"`
	RobotAPI     string          `json:"robotApi"`
	Config       brain.JobConfig `json:"jobConfig"`
	CreatedAt    time.Time       `json:"createdAt"`
}

type accountRec struct {
	AccountID    string                      `json:"accountID"`
	PlatformType string                      `json:"platformType"`
	PlatformID   string                      `json:"platformID"`
	Jobs         []string                    `json:"jobs"`
	TaskConfig   map[string]brain.TaskConfig `json:"taskConfig"`
	Desc         string                      `json:"desc"`
	CreatedAt    time.Time                   `json:"createdAt"`
	UpdatedAt    time.Time                   `json:"updatedAt"`
}

// session is one (account, job, candidate) conversation.
type session struct {
	AccountID     string    `json:"accountID"`
	JobID         string    `json:"jobID"`
	CandidateID   string    `json:"candidateID"`
	CandidateName string    `json:"candidateName"`
	Phone         string    `json:"phone,omitempty"`
	Wechat        string    `json:"wechat,omitempty"`
	CVFiles       []string  `json:"cvFiles,omitempty"`
	Refused       bool      `json:"refused,omitempty"`
	LastStep      string    `json:"lastStep,omitempty"`
	Chats         int       `json:"chats"`
	RecallCount   int       `json:"recallCount"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
}

func (s *session) hasContact() bool {
	return s.Phone != "" || s.Wechat != "" || len(s.CVFiles) > 0
}

// Decision is a stored filter decision, served by GET /debug/decisions.
type Decision struct {
	Time        time.Time `json:"time"`
	AccountID   string    `json:"accountID"`
	JobID       string    `json:"jobID"`
	CandidateID string    `json:"candidateID"`
	Touch       bool      `json:"touch"`
	Checks      []Check   `json:"checks"`
}

// wxTask is one WeChat task of an account's queue.
type wxTask struct {
	Seq       uint64    `json:"seq"`
	Type      string    `json:"type"`
	AliasID   string    `json:"alias_id"`
	SearchID  string    `json:"search_id,omitempty"`
	Msg       string    `json:"msg,omitempty"`
	HelloMsg  string    `json:"hello_msg,omitempty"`
	Status    string    `json:"status"` // pending | done
	CreatedAt time.Time `json:"createdAt"`
	DoneAt    time.Time `json:"doneAt,omitzero"`
}

const (
	wxPending = "pending"
	wxDone    = "done"
)

type aliasRec struct {
	JobID       string `json:"jobID"`
	CandidateID string `json:"candidateID"`
}

func getJSON(tx *bolt.Tx, bucket, k []byte, v any) (bool, error) {
	raw := tx.Bucket(bucket).Get(k)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode %s record: %w", bucket, err)
	}
	return true, nil
}

func putJSON(tx *bolt.Tx, bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return put(tx, bucket, k, raw)
}

// hasPrefix reports whether any key of bucket starts with p.
func hasPrefix(tx *bolt.Tx, bucket, p []byte) bool {
	k, _ := tx.Bucket(bucket).Cursor().Seek(p)
	return k != nil && bytes.HasPrefix(k, p)
}

// countPrefix counts the keys of bucket starting with p.
func countPrefix(tx *bolt.Tx, bucket, p []byte) int {
	n := 0
	c := tx.Bucket(bucket).Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		n++
	}
	return n
}

// decoded caches decoded job and account records. Every request reads its
// account and job, and decoding them was a large share of a filter
// request's CPU. An entry is keyed by bucket and id and holds the stored
// bytes it was decoded from; a look-up still reads the bytes in the
// caller's transaction and reuses the decoded value only when they are
// identical, so a cached value can never be staler than the transaction
// and nothing needs invalidating. Sharing it between Server instances is
// safe for the same reason. Entries exist only for stored records, so the
// map is bounded by the number of jobs and accounts.
var decoded struct {
	sync.RWMutex
	m map[string]decodedEntry
}

type decodedEntry struct {
	raw []byte
	v   any
}

// cachedRecord returns the record id of bucket as a *T shared by every
// caller: callers must not modify it.
func cachedRecord[T any](tx *bolt.Tx, bucket []byte, id string) (*T, bool, error) {
	raw := tx.Bucket(bucket).Get([]byte(id))
	if raw == nil {
		return nil, false, nil
	}
	k := string(bucket) + "\x00" + id
	decoded.RLock()
	e, ok := decoded.m[k]
	decoded.RUnlock()
	if ok && bytes.Equal(e.raw, raw) {
		if v, ok := e.v.(*T); ok {
			return v, true, nil
		}
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, false, fmt.Errorf("decode %s record: %w", bucket, err)
	}
	decoded.Lock()
	if decoded.m == nil {
		decoded.m = map[string]decodedEntry{}
	}
	decoded.m[k] = decodedEntry{raw: bytes.Clone(raw), v: v}
	decoded.Unlock()
	return v, true, nil
}

// Daily greeting counts. task/fetch needs "distinct candidates reported
// today" for every account and job; counting the greets keys made each
// fetch cost as much as the day's reports. The count is kept next to them,
// in the same transaction as the key it counts. A day that has greets but
// no count (written before counts existed) is counted once, when first
// read or incremented.

// greetCount returns the number of candidates reported for acct and job on day.
func greetCount(tx *bolt.Tx, acct, job, day string) int {
	if v := tx.Bucket(bGreetN).Get(key(acct, job, day)); len(v) == 8 {
		return int(binary.BigEndian.Uint64(v))
	}
	return countPrefix(tx, bGreets, prefix(acct, job, day))
}

// addGreet records candidate cand as reported for acct and job on day;
// a candidate reported twice the same day counts once.
func addGreet(tx *bolt.Tx, acct, job, day, cand string) error {
	k := key(acct, job, day, cand)
	b := tx.Bucket(bGreets)
	// The values are empty, and Get answers nil for an empty value as for
	// a missing key: look the key up with a cursor.
	if found, _ := b.Cursor().Seek(k); bytes.Equal(found, k) {
		return nil
	}
	n := greetCount(tx, acct, job, day) // before the Put: a legacy day is counted without k
	if err := put(tx, bGreets, k, nil); err != nil {
		return err
	}
	return put(tx, bGreetN, key(acct, job, day), binary.BigEndian.AppendUint64(nil, uint64(n+1)))
}
