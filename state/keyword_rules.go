package state

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/rules"
)

// Keyword rules (seed 004) and their hit events.
var (
	bucketKeywordRules       = []byte("keyword_rules")            // rule_id -> rules.Rule
	bucketKeywordHits        = []byte("keyword_hits")             // id -> KeywordHit
	bucketKeywordHitsByKey   = []byte("idx_keyword_hits_by_key")  // worker\x00msg_id\x00rule_id -> id
	bucketKeywordHitsPending = []byte("idx_keyword_hits_pending") // id -> nil: callback not yet delivered
	keyKeywordRulesVersion   = []byte("keyword_rules_version")    // in meta
	keyKeywordCallback       = []byte("keyword_hit_callback")     // in meta: KeywordCallback
)

// keywordRuleBuckets are created by schema migration 2.
var keywordRuleBuckets = [][]byte{bucketKeywordRules, bucketKeywordHits, bucketKeywordHitsByKey, bucketKeywordHitsPending}

// ruleErr turns a rules validation error into a FieldError (400 in the API).
func ruleErr(err error) error {
	var fe *rules.FieldError
	if errors.As(err, &fe) {
		return &wire.FieldError{Field: fe.Field, Msg: fe.Msg}
	}
	return err
}

func bumpKeywordVersion(tx *bbolt.Tx) error {
	m := tx.Bucket(bucketMeta)
	return m.Put(keyKeywordRulesVersion, u64(readKeywordVersion(tx)+1))
}

func readKeywordVersion(tx *bbolt.Tx) uint64 {
	if b := tx.Bucket(bucketMeta).Get(keyKeywordRulesVersion); len(b) == 8 {
		return btou(b)
	}
	return 0
}

func newRuleID(seq uint64) (string, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	// The sequence prefix keeps bucket order == creation order, which the
	// get_rule_list cursor relies on; the random tail makes ids unguessable.
	return fmt.Sprintf("kr%010x%s", seq, hex.EncodeToString(b[:])), nil
}

// CreateKeywordRule validates r (seed 004 limits, at most rules.MaxRules
// rules in all), assigns rule_id and create_time and stores it.
func (db *DB) CreateKeywordRule(r rules.Rule) (rules.Rule, error) {
	r.RuleID, r.CreateTime = "", 0
	if err := r.Validate(); err != nil {
		return rules.Rule{}, ruleErr(err)
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketKeywordRules)
		if b.Stats().KeyN >= rules.MaxRules {
			return fieldErr("rules", "at most %d rules", rules.MaxRules)
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if r.RuleID, err = newRuleID(seq); err != nil {
			return err
		}
		r.CreateTime = db.now().Unix()
		if err := putJSON(b, []byte(r.RuleID), r); err != nil {
			return err
		}
		return bumpKeywordVersion(tx)
	})
	if err != nil {
		return rules.Rule{}, err
	}
	return r, nil
}

// GetKeywordRule returns one rule.
func (db *DB) GetKeywordRule(id string) (rules.Rule, error) {
	var r rules.Rule
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return getRule(tx, id, &r)
	})
	return r, err
}

func getRule(tx *bbolt.Tx, id string, r *rules.Rule) error {
	v := tx.Bucket(bucketKeywordRules).Get([]byte(id))
	if v == nil {
		return fmt.Errorf("keyword rule %q: %w", id, wire.ErrNotFound)
	}
	return json.Unmarshal(v, r)
}

// ListKeywordRules pages rules in creation order after cursor (a rule_id
// from a previous page, "" for the first). It returns the page, the cursor
// for the next one and whether more follow.
func (db *DB) ListKeywordRules(cursor string, limit int) ([]rules.Rule, string, bool, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []rules.Rule
	more := false
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketKeywordRules).Cursor()
		k, v := c.First()
		if cursor != "" {
			k, v = c.Seek([]byte(cursor))
			if k != nil && string(k) == cursor {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			if len(out) == limit {
				more = true
				break
			}
			var r rules.Rule
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	next := ""
	if more && len(out) > 0 {
		next = out[len(out)-1].RuleID
	}
	return out, next, more, err
}

// UpdateKeywordRule loads rule id, lets apply compute the new version
// (apply must not change rule_id or create_time), validates and stores it in
// one transaction.
func (db *DB) UpdateKeywordRule(id string, apply func(cur rules.Rule) (rules.Rule, error)) (rules.Rule, error) {
	var out rules.Rule
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		var cur rules.Rule
		if err := getRule(tx, id, &cur); err != nil {
			return err
		}
		next, err := apply(cur)
		if err != nil {
			return err
		}
		next.RuleID, next.CreateTime = cur.RuleID, cur.CreateTime
		if err := next.Validate(); err != nil {
			return ruleErr(err)
		}
		if err := putJSON(tx.Bucket(bucketKeywordRules), []byte(id), next); err != nil {
			return err
		}
		out = next
		return bumpKeywordVersion(tx)
	})
	return out, err
}

// DeleteKeywordRule removes a rule (its past hits stay).
func (db *DB) DeleteKeywordRule(id string) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketKeywordRules)
		if b.Get([]byte(id)) == nil {
			return fmt.Errorf("keyword rule %q: %w", id, wire.ErrNotFound)
		}
		if err := b.Delete([]byte(id)); err != nil {
			return err
		}
		return bumpKeywordVersion(tx)
	})
}

// KeywordRuleSnapshot returns every rule in creation order and the version
// of the set (bumped by every create, update and delete) from one read
// transaction.
func (db *DB) KeywordRuleSnapshot() (uint64, []rules.Rule, error) {
	var v uint64
	out := []rules.Rule{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		v = readKeywordVersion(tx)
		return tx.Bucket(bucketKeywordRules).ForEach(func(_, val []byte) error {
			var r rules.Rule
			if err := json.Unmarshal(val, &r); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	return v, out, err
}

// validateHit checks the i-th hit of a worker push.
func validateHit(in *wire.KeywordHitInput, i int) error {
	p := fmt.Sprintf("hits[%d].", i)
	switch {
	case strings.TrimSpace(in.RuleID) == "":
		return fieldErr(p+"rule_id", "required")
	case strings.TrimSpace(in.MsgID) == "":
		return fieldErr(p+"msg_id", "required (it makes retries idempotent)")
	case in.Direction != "sent" && in.Direction != "received":
		return fieldErr(p+"direction", "must be sent or received")
	case in.AccountID == "":
		return fieldErr(p+"account_id", "required")
	case in.MsgTime.IsZero():
		return fieldErr(p+"msg_time", "required")
	case len(in.Text) > 8192:
		return fieldErr(p+"text", "at most 8192 bytes")
	}
	for j, s := range in.Semantics {
		if s < 1 || s > 12 {
			return fieldErr(fmt.Sprintf("%ssemantics[%d]", p, j), "must be 1-12")
		}
	}
	return nil
}

// AddKeywordHits stores hits from worker in one transaction. A hit already
// stored for the same (worker, msg_id, rule_id) is returned unchanged, so a
// worker may retry a batch. New hits are queued for the callback when one
// is configured.
func (db *DB) AddKeywordHits(worker string, in []wire.KeywordHitInput) ([]wire.KeywordHit, error) {
	for i := range in {
		if err := validateHit(&in[i], i); err != nil {
			return nil, err
		}
	}
	out := make([]wire.KeywordHit, 0, len(in))
	now := db.now()
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		cb, err := readCallback(tx)
		if err != nil {
			return err
		}
		hits := tx.Bucket(bucketKeywordHits)
		byKey := tx.Bucket(bucketKeywordHitsByKey)
		pending := tx.Bucket(bucketKeywordHitsPending)
		for _, h := range in {
			key := []byte(worker + "\x00" + h.MsgID + "\x00" + h.RuleID)
			if id := byKey.Get(key); id != nil {
				var old wire.KeywordHit
				if err := getJSON(hits, id, &old); err != nil {
					return err
				}
				out = append(out, old)
				continue
			}
			seq, err := hits.NextSequence()
			if err != nil {
				return err
			}
			hit := wire.KeywordHit{ID: seq, KeywordHitInput: h, WorkerID: worker, CreatedAt: now, Callback: wire.CallbackNone}
			if cb.URL != "" {
				hit.Callback = wire.CallbackPending
				hit.NextAttemptAt = &now
				if err := pending.Put(u64(seq), nil); err != nil {
					return err
				}
			}
			if err := putJSON(hits, u64(seq), hit); err != nil {
				return err
			}
			if err := byKey.Put(key, u64(seq)); err != nil {
				return err
			}
			out = append(out, hit)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// matchHit reports whether h passes f.
func matchHit(f *wire.KeywordHitFilter, h *wire.KeywordHit) bool {
	return (f.RuleID == "" || h.RuleID == f.RuleID) && (f.AccountID == "" || h.AccountID == f.AccountID) &&
		(f.CandidateID == "" || h.CandidateID == f.CandidateID) && (f.Callback == "" || h.Callback == f.Callback) &&
		(f.Since.IsZero() || !h.MsgTime.Before(f.Since)) && (f.Until.IsZero() || !h.MsgTime.After(f.Until))
}

// ListKeywordHits pages matching hits, newest first, starting below cursor
// (an id from a previous page; 0 for the first page).
func (db *DB) ListKeywordHits(f wire.KeywordHitFilter, cursor uint64, limit int) ([]wire.KeywordHit, uint64, bool, error) {
	if limit <= 0 || limit > wire.MaxHitsPerPage {
		limit = 100
	}
	out := []wire.KeywordHit{}
	more := false
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketKeywordHits).Cursor()
		var k, v []byte
		if cursor == 0 {
			k, v = c.Last()
		} else {
			k, v = c.Seek(u64(cursor))
			if k == nil || btou(k) >= cursor {
				k, v = c.Prev()
			}
		}
		for ; k != nil; k, v = c.Prev() {
			var h wire.KeywordHit
			if err := json.Unmarshal(v, &h); err != nil {
				return err
			}
			if !matchHit(&f, &h) {
				continue
			}
			if len(out) == limit {
				more = true
				break
			}
			out = append(out, h)
		}
		return nil
	})
	var next uint64
	if more {
		next = out[len(out)-1].ID
	}
	return out, next, more, err
}

func readCallback(tx *bbolt.Tx) (wire.KeywordCallback, error) {
	var cb wire.KeywordCallback
	if v := tx.Bucket(bucketMeta).Get(keyKeywordCallback); v != nil {
		if err := json.Unmarshal(v, &cb); err != nil {
			return cb, err
		}
	}
	return cb, nil
}

// SetKeywordCallback stores the callback target; an empty URL disables
// callbacks (hits already queued stay queued).
func (db *DB) SetKeywordCallback(cb wire.KeywordCallback) error {
	if cb.URL != "" {
		u, err := url.Parse(cb.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fieldErr("url", "must be an http(s) URL")
		}
	}
	if len(cb.Secret) > 256 {
		return fieldErr("secret", "at most 256 bytes")
	}
	data, err := json.Marshal(cb)
	if err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyKeywordCallback, data)
	})
}

// GetKeywordCallback returns the callback target.
func (db *DB) GetKeywordCallback() (wire.KeywordCallback, error) {
	var cb wire.KeywordCallback
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		var err error
		cb, err = readCallback(tx)
		return err
	})
	return cb, err
}

// DueKeywordHits returns up to limit queued hits whose next attempt is at or
// before now, oldest first.
func (db *DB) DueKeywordHits(now time.Time, limit int) ([]wire.KeywordHit, error) {
	var out []wire.KeywordHit
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		hits := tx.Bucket(bucketKeywordHits)
		c := tx.Bucket(bucketKeywordHitsPending).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			var h wire.KeywordHit
			if err := getJSON(hits, k, &h); err != nil {
				return err
			}
			if h.NextAttemptAt == nil || !h.NextAttemptAt.After(now) {
				out = append(out, h)
			}
		}
		return nil
	})
	return out, err
}

// RecordKeywordHitAttempt records one callback attempt: delivered, or
// failed with errMsg and either a next attempt time or (next zero) give-up.
func (db *DB) RecordKeywordHitAttempt(id uint64, delivered bool, errMsg string, next time.Time) (wire.KeywordHit, error) {
	var h wire.KeywordHit
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		hits := tx.Bucket(bucketKeywordHits)
		if err := getJSON(hits, u64(id), &h); err != nil {
			return err
		}
		h.Attempts++
		h.LastError = errMsg
		switch {
		case delivered:
			h.Callback, h.NextAttemptAt, h.LastError = wire.CallbackDelivered, nil, ""
		case next.IsZero():
			h.Callback, h.NextAttemptAt = wire.CallbackFailed, nil
		default:
			n := next.UTC()
			h.Callback, h.NextAttemptAt = wire.CallbackPending, &n
		}
		if h.Callback != wire.CallbackPending {
			if err := tx.Bucket(bucketKeywordHitsPending).Delete(u64(id)); err != nil {
				return err
			}
		}
		return putJSON(hits, u64(id), h)
	})
	return h, err
}
