package server

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Sessions are the records read most: recallList reads ten per request,
// and chat, result and recallResult read and rewrite one each. Decoding
// them with encoding/json (reflection, RFC 3339 times) was about half of a
// recallList request's CPU, so they are stored in a small binary form:
// sessionV1, then the string fields, the CV file names, the flags, the
// counters and the two times, each length- or varint-encoded. Records
// written as JSON by earlier versions (they start with '{') are still read.
const sessionV1 byte = 1

func encodeSession(s *session) []byte {
	n := 32 + len(s.AccountID) + len(s.JobID) + len(s.CandidateID) + len(s.CandidateName) +
		len(s.Phone) + len(s.Wechat) + len(s.LastStep)
	for _, f := range s.CVFiles {
		n += len(f) + 2
	}
	b := make([]byte, 0, n)
	b = append(b, sessionV1)
	for _, f := range []string{s.AccountID, s.JobID, s.CandidateID, s.CandidateName, s.Phone, s.Wechat, s.LastStep} {
		b = appendString(b, f)
	}
	b = binary.AppendUvarint(b, uint64(len(s.CVFiles)))
	for _, f := range s.CVFiles {
		b = appendString(b, f)
	}
	var flags byte
	if s.Refused {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, int64(s.Chats))
	b = binary.AppendVarint(b, int64(s.RecallCount))
	b = appendTime(b, s.CreatedAt)
	return appendTime(b, s.UpdatedAt)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendTime keeps seconds and nanoseconds (a zero time stays zero); the
// location is not kept: every reader converts to the account timezone.
func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

var errSessionTruncated = errors.New("truncated session record")

type sessionReader struct {
	b   []byte
	err error
}

func (r *sessionReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errSessionTruncated, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sessionReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err, r.b = errSessionTruncated, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sessionReader) str() string {
	n := r.uvarint()
	if uint64(len(r.b)) < n {
		r.err, r.b = errSessionTruncated, nil
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *sessionReader) time() time.Time {
	sec := r.varint()
	nsec := r.uvarint()
	if r.err != nil || nsec >= 1e9 {
		r.err = errSessionTruncated
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec))
}

func decodeSession(raw []byte, s *session) error {
	if len(raw) > 0 && raw[0] == '{' {
		return json.Unmarshal(raw, s)
	}
	if len(raw) == 0 || raw[0] != sessionV1 {
		return errors.New("unknown session record version")
	}
	r := sessionReader{b: raw[1:]}
	for _, f := range []*string{&s.AccountID, &s.JobID, &s.CandidateID, &s.CandidateName, &s.Phone, &s.Wechat, &s.LastStep} {
		*f = r.str()
	}
	if n := r.uvarint(); n > 0 && n <= uint64(len(r.b)) {
		s.CVFiles = make([]string, n)
		for i := range s.CVFiles {
			s.CVFiles[i] = r.str()
		}
	} else if n > 0 {
		r.err = errSessionTruncated
	}
	if len(r.b) == 0 {
		return errSessionTruncated
	}
	s.Refused = r.b[0]&1 != 0
	r.b = r.b[1:]
	s.Chats = int(r.varint())
	s.RecallCount = int(r.varint())
	s.CreatedAt = r.time()
	s.UpdatedAt = r.time()
	return r.err
}

// getSession reads the session stored under k of the sessions bucket b.
func getSession(b *bolt.Bucket, k []byte, s *session) (bool, error) {
	raw := b.Get(k)
	if raw == nil {
		return false, nil
	}
	if err := decodeSession(raw, s); err != nil {
		return false, fmt.Errorf("decode %s record: %w", bSessions, err)
	}
	return true, nil
}
