package worker

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// EffectState is where a site effect (a greeting or a sent message) stands.
type EffectState string

// Effect states. Intended is written before acting on the site; Done after
// the site confirmed it; Abandoned when reconciliation showed the action did
// not happen and it is no longer wanted (it is never retried automatically).
const (
	Intended  EffectState = "intended"
	Done      EffectState = "done"
	Abandoned EffectState = "abandoned"
)

// Greeting is one entry of the greeting ledger, keyed by account + candidate.
type Greeting struct {
	AccountID   string      `json:"account_id"`
	CandidateID string      `json:"candidate_id"`
	JobID       string      `json:"job_id,omitempty"`
	State       EffectState `json:"state"`
	IntendedAt  time.Time   `json:"intended_at"`
	DoneAt      time.Time   `json:"done_at,omitzero"`
	Note        string      `json:"note,omitempty"` // e.g. "already chatted on the site"
}

// Greeting returns the ledger entry for a candidate, or ErrNotFound.
func (t *Tx) Greeting(accountID, candidateID string) (Greeting, error) {
	var g Greeting
	err := getJSON(t.tx.Bucket(bucketGreetings), key(accountID, candidateID), &g)
	return g, err
}

// IntendGreeting records that the bot is about to greet a candidate. It
// refuses (returning the existing entry and false) when the ledger already
// has the candidate in any state: a greeting is attempted at most once.
func (t *Tx) IntendGreeting(accountID, candidateID, jobID string) (Greeting, bool, error) {
	if accountID == "" || candidateID == "" {
		return Greeting{}, false, fmt.Errorf("%w: greeting needs account_id and candidate_id", ErrInvalid)
	}
	if g, err := t.Greeting(accountID, candidateID); err == nil {
		return g, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Greeting{}, false, err
	}
	g := Greeting{AccountID: accountID, CandidateID: candidateID, JobID: jobID, State: Intended, IntendedAt: t.now}
	return g, true, putJSON(t.tx.Bucket(bucketGreetings), key(accountID, candidateID), g)
}

// SettleGreeting moves an intended greeting to Done or Abandoned. Settling a
// greeting twice with the same state is a no-op; changing a settled state is
// an error.
func (t *Tx) SettleGreeting(accountID, candidateID string, state EffectState, note string) (Greeting, error) {
	if state != Done && state != Abandoned {
		return Greeting{}, fmt.Errorf("%w: settle greeting to %q", ErrInvalid, state)
	}
	g, err := t.Greeting(accountID, candidateID)
	if err != nil {
		return Greeting{}, err
	}
	if g.State == state {
		return g, nil
	}
	if g.State != Intended {
		return Greeting{}, fmt.Errorf("%w: greeting %s/%s is already %s", ErrInvalid, accountID, candidateID, g.State)
	}
	g.State, g.Note = state, note
	if state == Done {
		g.DoneAt = t.now
		if err := t.countDone(greetingCounter(accountID)); err != nil { // stats.go
			return Greeting{}, err
		}
	}
	return g, putJSON(t.tx.Bucket(bucketGreetings), key(accountID, candidateID), g)
}

// PendingGreetings lists an account's greetings still in Intended: after a
// crash these are reconciled against the site before anything else.
func (t *Tx) PendingGreetings(accountID string) ([]Greeting, error) {
	var out []Greeting
	prefix := append(key(accountID), 0)
	c := t.tx.Bucket(bucketGreetings).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var g Greeting
		if err := jsonUnmarshal(v, &g); err != nil {
			return nil, err
		}
		if g.State == Intended {
			out = append(out, g)
		}
	}
	return out, nil
}

// CountGreetings counts an account's Done greetings with DoneAt in [from, to).
func (t *Tx) CountGreetings(accountID string, from, to time.Time) (int, error) {
	return t.CountGreetingsForJob(accountID, "", from, to)
}

// CountGreetingsForJob is CountGreetings restricted to one job ("" = all).
func (t *Tx) CountGreetingsForJob(accountID, jobID string, from, to time.Time) (int, error) {
	n := 0
	prefix := append(key(accountID), 0)
	c := t.tx.Bucket(bucketGreetings).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var g Greeting
		if err := jsonUnmarshal(v, &g); err != nil {
			return 0, err
		}
		if g.State == Done && (jobID == "" || g.JobID == jobID) && !g.DoneAt.Before(from) && g.DoneAt.Before(to) {
			n++
		}
	}
	return n, nil
}

// Send is one entry of the send ledger: a message the bot types into a
// conversation. Key is the caller's idempotency key for the message (e.g.
// "chat/<account>/<candidate>/<turn>/<line>" or "followup/<record id>"), so
// the same logical message can never be sent twice.
type Send struct {
	Key         string `json:"key"`
	AccountID   string `json:"account_id"`
	CandidateID string `json:"candidate_id"`
	Kind        string `json:"kind"` // chat, followup, manual, recall, contact_request
	Text        string `json:"text"`
	// After is the newest message id when the send was planned: on
	// reconciliation the text is looked for only after it.
	After      int64       `json:"after,omitempty"`
	State      EffectState `json:"state"`
	IntendedAt time.Time   `json:"intended_at"`
	DoneAt     time.Time   `json:"done_at,omitzero"`
	Note       string      `json:"note,omitempty"`
}

// Send returns the ledger entry for key, or ErrNotFound.
func (t *Tx) Send(k string) (Send, error) {
	var s Send
	err := getJSON(t.tx.Bucket(bucketSends), []byte(k), &s)
	return s, err
}

// IntendSend records that the bot is about to send s.Text. Like
// IntendGreeting it refuses a key that is already in the ledger.
func (t *Tx) IntendSend(s Send) (Send, bool, error) {
	if s.Key == "" || s.AccountID == "" || s.CandidateID == "" {
		return Send{}, false, fmt.Errorf("%w: send needs key, account_id and candidate_id", ErrInvalid)
	}
	if old, err := t.Send(s.Key); err == nil {
		return old, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Send{}, false, err
	}
	s.State, s.IntendedAt, s.DoneAt = Intended, t.now, time.Time{}
	return s, true, putJSON(t.tx.Bucket(bucketSends), []byte(s.Key), s)
}

// SettleSend moves an intended send to Done or Abandoned, with the same
// rules as SettleGreeting.
func (t *Tx) SettleSend(k string, state EffectState, note string) (Send, error) {
	if state != Done && state != Abandoned {
		return Send{}, fmt.Errorf("%w: settle send to %q", ErrInvalid, state)
	}
	s, err := t.Send(k)
	if err != nil {
		return Send{}, err
	}
	if s.State == state {
		return s, nil
	}
	if s.State != Intended {
		return Send{}, fmt.Errorf("%w: send %s is already %s", ErrInvalid, k, s.State)
	}
	s.State, s.Note = state, note
	if state == Done {
		s.DoneAt = t.now
		if err := t.countDone(sendCounter(s.AccountID, s.Kind)); err != nil { // stats.go
			return Send{}, err
		}
	}
	return s, putJSON(t.tx.Bucket(bucketSends), []byte(k), s)
}

// PendingSends lists an account's sends still in Intended.
func (t *Tx) PendingSends(accountID string) ([]Send, error) {
	var out []Send
	err := t.tx.Bucket(bucketSends).ForEach(func(_, v []byte) error {
		var s Send
		if err := jsonUnmarshal(v, &s); err != nil {
			return err
		}
		if s.State == Intended && s.AccountID == accountID {
			out = append(out, s)
		}
		return nil
	})
	return out, err
}
