package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Buckets of managed accounts (accounts defined at the control plane).
var (
	bucketManaged         = []byte("managed_accounts")      // key -> managedRec
	bucketManagedByWorker = []byte("idx_managed_by_worker") // worker\x00key -> nil (current lease holder)
	bucketWorkerPulls     = []byte("worker_pulls")          // worker id -> workerPull
	managedBuckets        = [][]byte{bucketManaged, bucketManagedByWorker, bucketWorkerPulls}
)

// maxHistory bounds an account's stored state history (oldest dropped).
const maxHistory = 100

// DefaultLeaseTTL is the lease length when Options.LeaseTTL is zero.
const DefaultLeaseTTL = 30 * time.Second

// managedRec is a managed account as stored. The password and session are
// sealed by the API layer before they get here; the store never sees them
// in clear.
type managedRec struct {
	Spec   wire.AccountSpec   `json:"spec"` // Login.Password always empty
	Sealed wire.SealedSecrets `json:"sealed"`
	Lease  *wire.Lease        `json:"lease,omitempty"`
	Epoch  uint64             `json:"epoch"` // last epoch granted
	// LastWorker is who was granted Epoch; after a release (pause, stop)
	// it may still deliver what it captured under that epoch.
	LastWorker string             `json:"last_worker,omitempty"`
	Version    uint64             `json:"version"`
	History    []wire.StateChange `json:"history"`
	QR         []byte             `json:"qr,omitempty"`
	QRExpires  *time.Time         `json:"qr_expires,omitempty"`
	QRAt       *time.Time         `json:"qr_at,omitempty"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
}

type workerPull struct {
	MaxAccounts int       `json:"max_accounts"`
	LastPull    time.Time `json:"last_pull"`
}

func holderKey(worker, key string) []byte { return []byte(worker + "\x00" + key) }

func (r *managedRec) note(at time.Time, state, reason, worker string) {
	r.History = append(r.History, wire.StateChange{At: at, State: state, Reason: reason, Worker: worker})
	if n := len(r.History); n > maxHistory {
		r.History = append([]wire.StateChange(nil), r.History[n-maxHistory:]...)
	}
}

func getManaged(tx *bbolt.Tx, key string) (*managedRec, error) {
	var r managedRec
	if err := getJSON(tx.Bucket(bucketManaged), []byte(key), &r); err != nil {
		return nil, fmt.Errorf("account %q: %w", key, err)
	}
	return &r, nil
}

func putManaged(tx *bbolt.Tx, r *managedRec) error {
	return putJSON(tx.Bucket(bucketManaged), []byte(r.Spec.Key), r)
}

// CreateManagedAccount stores a new managed account. spec must already be
// validated by the caller's domain rules (bot.ValidateSpec) and carry no
// password; sealedPassword is the encrypted password (nil for qr).
func (db *DB) CreateManagedAccount(spec wire.AccountSpec, sealedPassword []byte, reason string) (wire.ManagedAccount, error) {
	if err := validName("key", spec.Key, 64); err != nil {
		return wire.ManagedAccount{}, err
	}
	spec.Login.Password = ""
	if spec.Desired == "" {
		spec.Desired = wire.DesiredRunning
	}
	if err := checkDesired("desired", spec.Desired); err != nil {
		return wire.ManagedAccount{}, err
	}
	var out wire.ManagedAccount
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketManaged).Get([]byte(spec.Key)) != nil {
			return fieldErr("key", "account %q already exists", spec.Key)
		}
		if id := tx.Bucket(bucketAccountsByKey).Get([]byte(spec.Key)); id != nil {
			var a wire.Account
			if err := getJSON(tx.Bucket(bucketAccounts), id, &a); err != nil {
				return err
			}
			if a.WorkerID != "" && db.ownerLive(a) {
				return fieldErr("key", "account %q runs as a static account on worker %s; remove it from that worker's YAML first", spec.Key, a.WorkerID)
			}
		}
		now := db.now()
		r := &managedRec{Spec: spec, Sealed: wire.SealedSecrets{Password: sealedPassword}, Version: 1, CreatedAt: now, UpdatedAt: now}
		r.note(now, spec.Desired, nonEmpty(reason, "created"), "")
		if _, err := db.ensureAccount(tx, "", spec.Key); err != nil {
			return err
		}
		if err := putManaged(tx, r); err != nil {
			return err
		}
		var err error
		out, err = db.viewManaged(tx, r)
		return err
	})
	return out, err
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func checkDesired(field, v string) error {
	switch v {
	case wire.DesiredRunning, wire.DesiredPaused, wire.DesiredStopped:
		return nil
	}
	return fieldErr(field, "want running, paused or stopped, got %q", v)
}

// viewManaged joins a managed record with its reported status.
func (db *DB) viewManaged(tx *bbolt.Tx, r *managedRec) (wire.ManagedAccount, error) {
	m := wire.ManagedAccount{AccountSpec: r.Spec, HasPassword: len(r.Sealed.Password) > 0,
		HasSession: len(r.Sealed.Session) > 0, Lease: r.Lease, History: r.History, LoginPending: r.QR != nil,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, SpecVersion: r.Version, State: "unknown"}
	m.Login.Password = ""
	if m.History == nil {
		m.History = []wire.StateChange{}
	}
	if n := len(r.History); n > 0 {
		last := r.History[n-1]
		m.LastChange = &last
	}
	if id := tx.Bucket(bucketAccountsByKey).Get([]byte(r.Spec.Key)); id != nil {
		var a wire.Account
		if err := getJSON(tx.Bucket(bucketAccounts), id, &a); err != nil {
			return m, err
		}
		m.ID, m.State, m.LastError, m.Counters, m.LastSeenAt = a.ID, string(a.State), a.LastError, a.Counters, a.LastSeenAt
	}
	return m, nil
}

// ManagedAccount returns one managed account.
func (db *DB) ManagedAccount(key string) (wire.ManagedAccount, error) {
	var out wire.ManagedAccount
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		r, err := getManaged(tx, key)
		if err != nil {
			return err
		}
		out, err = db.viewManaged(tx, r)
		return err
	})
	return out, err
}

// ListManagedAccounts returns every managed account in key order.
func (db *DB) ListManagedAccounts() ([]wire.ManagedAccount, error) {
	out := []wire.ManagedAccount{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketManaged).ForEach(func(k, v []byte) error {
			var r managedRec
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			m, err := db.viewManaged(tx, &r)
			out = append(out, m)
			return err
		})
	})
	return out, err
}

// PatchManagedAccount applies p. validate checks the resulting spec (the
// caller's domain rules) inside the transaction, so nothing is written when
// it fails; sealedPassword, when non-nil, replaces the stored password.
func (db *DB) PatchManagedAccount(key string, p wire.AccountPatch, sealedPassword []byte, validate func(wire.AccountSpec) error) (wire.ManagedAccount, error) {
	if p.Desired != nil {
		if err := checkDesired("desired", *p.Desired); err != nil {
			return wire.ManagedAccount{}, err
		}
	}
	if p.Pin != nil && *p.Pin != "" {
		if err := validName("pin", *p.Pin, 64); err != nil {
			return wire.ManagedAccount{}, err
		}
	}
	if err := checkText("reason", p.Reason, 0, maxShort); err != nil {
		return wire.ManagedAccount{}, err
	}
	var out wire.ManagedAccount
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		r, err := getManaged(tx, key)
		if err != nil {
			return err
		}
		s := r.Spec
		patchField(&s.Name, p.Name)
		patchField(&s.Login, p.Login)
		patchField(&s.Jobs, p.Jobs)
		patchField(&s.Hosting, p.Hosting)
		patchField(&s.Pacing, p.Pacing)
		patchField(&s.ContactRequests, p.ContactRequests)
		patchField(&s.ChatPoll, p.ChatPoll)
		patchField(&s.ChatSafetyPoll, p.ChatSafetyPoll)
		patchField(&s.DisablePush, p.DisablePush)
		patchField(&s.FollowupDailyCap, p.FollowupDailyCap)
		patchField(&s.FollowupReplyWait, p.FollowupReplyWait)
		patchField(&s.Desired, p.Desired)
		patchField(&s.Pin, p.Pin)
		if validate != nil {
			check := s
			if sealedPassword == nil && len(r.Sealed.Password) > 0 {
				check.Login.Password = "(stored)"
			}
			if err := validate(check); err != nil {
				return err
			}
		}
		s.Login.Password = ""
		now := db.now()
		if s.Desired != r.Spec.Desired {
			r.note(now, s.Desired, nonEmpty(p.Reason, "desired state set to "+s.Desired), "")
		}
		if s.Pin != r.Spec.Pin {
			r.note(now, "move", nonEmpty(p.Reason, "pinned to worker "+nonEmpty(s.Pin, "(any)")), s.Pin)
		}
		if sealedPassword != nil {
			r.Sealed.Password = sealedPassword
		}
		if s.Login.Method != wire.LoginPassword {
			r.Sealed.Password = nil
		}
		r.Spec, r.UpdatedAt = s, now
		r.Version++
		if err := putManaged(tx, r); err != nil {
			return err
		}
		out, err = db.viewManaged(tx, r)
		return err
	})
	return out, err
}

// DeleteManagedAccount removes a managed account and its lease; its worker
// stops the agent at its next pull. Contacts keep their account id.
func (db *DB) DeleteManagedAccount(key string) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		r, err := getManaged(tx, key)
		if err != nil {
			return err
		}
		if r.Lease != nil {
			if err := tx.Bucket(bucketManagedByWorker).Delete(holderKey(r.Lease.WorkerID, key)); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketManaged).Delete([]byte(key))
	})
}

// fence checks that workerID may write for account key with epoch. A
// managed account needs the worker to hold its lease with that epoch; a
// static (YAML) account needs the worker to be its registered owner, unless
// the owner has been silent for a whole lease (the account moved in YAML).
// takeover reports whether the caller may claim a static account's
// ownership (heartbeats only).
func (db *DB) fence(tx *bbolt.Tx, workerID, key string, epoch uint64, takeover bool) error {
	if v := tx.Bucket(bucketManaged).Get([]byte(key)); v != nil {
		var r managedRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		// The holder at its epoch may write; so may the last holder after a
		// release as long as nobody was granted the account since (its
		// outbox drains after the agent stopped).
		released := r.Lease == nil && r.LastWorker == workerID && r.Epoch == epoch && epoch != 0
		if !released && (r.Lease == nil || r.Lease.WorkerID != workerID || r.Lease.Epoch != epoch) {
			holder := "nobody"
			if r.Lease != nil {
				holder = fmt.Sprintf("worker %s (epoch %d)", r.Lease.WorkerID, r.Lease.Epoch)
			}
			return fmt.Errorf("account %q is leased to %s, not to %s at epoch %d: %w", key, holder, workerID, epoch, wire.ErrForbidden)
		}
		return nil
	}
	id := tx.Bucket(bucketAccountsByKey).Get([]byte(key))
	if id == nil {
		return nil // first report of a static account: ensureAccount creates it
	}
	var a wire.Account
	if err := getJSON(tx.Bucket(bucketAccounts), id, &a); err != nil {
		return err
	}
	if a.WorkerID == "" || a.WorkerID == workerID || (takeover && !db.ownerLive(a)) {
		return nil
	}
	return fmt.Errorf("account %q belongs to worker %s: %w", key, a.WorkerID, wire.ErrForbidden)
}

// ownerLive reports whether a static account's worker reported within a
// lease length.
func (db *DB) ownerLive(a wire.Account) bool {
	return a.LastSeenAt != nil && db.now().Sub(*a.LastSeenAt) < db.leaseTTL()
}

func (db *DB) leaseTTL() time.Duration {
	if db.lease > 0 {
		return db.lease
	}
	return DefaultLeaseTTL
}

// leaseNow is the lease clock's time.
func (db *DB) leaseNow() time.Time { return db.leaseClk.Now().UTC() }

// LeaseTTL is the lease length this store grants.
func (db *DB) LeaseTTL() time.Duration { return db.leaseTTL() }

// Assign is a worker's assignment pull, in one transaction: it renews the
// leases the worker holds and still should, releases those it reported
// stopped, and grants free accounts (never leased, or whose lease expired)
// up to the worker's fair share of the live workers and its max_accounts,
// honouring pins. It returns every account the worker holds afterwards.
func (db *DB) Assign(workerID string, req wire.AssignmentRequest) ([]wire.Assigned, error) {
	if req.MaxAccounts < 1 || req.MaxAccounts > 1000 {
		return nil, fieldErr("max_accounts", "must be 1..1000, got %d", req.MaxAccounts)
	}
	if len(req.Held) > 1000 {
		return nil, fieldErr("held", "at most 1000 items")
	}
	held := map[string]uint64{}
	for i, h := range req.Held {
		if err := validName(fmt.Sprintf("held[%d].key", i), h.Key, 64); err != nil {
			return nil, err
		}
		held[h.Key] = h.Epoch
	}
	var out []wire.Assigned
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		out = nil
		now, at := db.leaseNow(), db.now()
		ttl := db.leaseTTL()
		if err := putJSON(tx.Bucket(bucketWorkerPulls), []byte(workerID), workerPull{MaxAccounts: req.MaxAccounts, LastPull: now}); err != nil {
			return err
		}
		// Live workers (pulled within a lease) share the accounts.
		live := 0
		if err := tx.Bucket(bucketWorkerPulls).ForEach(func(k, v []byte) error {
			var p workerPull
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			if now.Sub(p.LastPull) < ttl {
				live++
			}
			return nil
		}); err != nil {
			return err
		}
		var recs []*managedRec
		if err := tx.Bucket(bucketManaged).ForEach(func(k, v []byte) error {
			var r managedRec
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			recs = append(recs, &r)
			return nil
		}); err != nil {
			return err
		}
		idx := tx.Bucket(bucketManagedByWorker)
		count, wanted := 0, 0
		for _, r := range recs {
			if r.Spec.Desired == wire.DesiredRunning && r.Spec.Pin == "" {
				wanted++
			}
		}
		share := req.MaxAccounts
		if live > 0 {
			share = min(share, int(math.Ceil(float64(wanted)/float64(live))))
		}
		// 1. Leases this worker holds: renew, revoke or release. Unpinned
		// leases beyond the fair share (a worker joined) are revoked so the
		// newcomer takes them: accounts spread whatever order workers start.
		kept := 0
		for _, r := range recs {
			l := r.Lease
			if l == nil || l.WorkerID != workerID {
				continue
			}
			ep, running := held[r.Spec.Key]
			regranted := false
			keep := r.Spec.Desired == wire.DesiredRunning && (r.Spec.Pin == "" || r.Spec.Pin == workerID)
			if keep && r.Spec.Pin == "" {
				kept++
				keep = kept <= share
			}
			switch {
			case !keep && running:
				// Not renewed and not returned: the worker stops the agent and
				// reports it at its next pull, which releases the lease.
				continue
			case !keep:
				r.Lease = nil
				r.note(at, "released", "worker "+workerID+" stopped the agent", workerID)
				if err := idx.Delete(holderKey(workerID, r.Spec.Key)); err != nil {
					return err
				}
			case running && ep == l.Epoch:
				l.RenewedAt, l.ExpiresAt = now, now.Add(ttl)
				count++
			default:
				// The worker holds the lease but does not run it at this epoch
				// (it restarted): grant afresh so writes of an older process
				// are fenced off.
				r.Epoch++
				r.Lease = &wire.Lease{WorkerID: workerID, Epoch: r.Epoch, GrantedAt: now, RenewedAt: now, ExpiresAt: now.Add(ttl)}
				r.LastWorker = workerID
				r.note(at, "assigned", fmt.Sprintf("re-granted to %s after its restart", workerID), workerID)
				count++
				regranted = true
			}
			if err := putManaged(tx, r); err != nil {
				return err
			}
			if r.Lease != nil {
				a := assigned(r)
				if regranted {
					var err error
					if a.HandedOver, err = handedOver(tx, r.Spec.Key); err != nil {
						return err
					}
				}
				out = append(out, a)
			}
		}
		// 2. Free accounts: pinned ones first, then a fair share of the rest.
		for _, pinned := range []bool{true, false} {
			for _, r := range recs {
				if count >= req.MaxAccounts || (!pinned && count >= share) {
					break
				}
				if r.Spec.Desired != wire.DesiredRunning || (r.Spec.Pin != "") != pinned || (pinned && r.Spec.Pin != workerID) {
					continue
				}
				if r.Lease != nil && (r.Lease.WorkerID == workerID || now.Before(r.Lease.ExpiresAt)) {
					continue
				}
				reason := "granted to " + workerID
				if old := r.Lease; old != nil {
					reason = fmt.Sprintf("lease of %s expired at %s; granted to %s", old.WorkerID, old.ExpiresAt.Format(time.RFC3339), workerID)
					if err := idx.Delete(holderKey(old.WorkerID, r.Spec.Key)); err != nil {
						return err
					}
				}
				r.Epoch++
				r.Lease = &wire.Lease{WorkerID: workerID, Epoch: r.Epoch, GrantedAt: now, RenewedAt: now, ExpiresAt: now.Add(ttl)}
				r.LastWorker = workerID
				r.note(at, "assigned", reason, workerID)
				if err := idx.Put(holderKey(workerID, r.Spec.Key), nil); err != nil {
					return err
				}
				if err := putManaged(tx, r); err != nil {
					return err
				}
				if err := db.moveSends(tx, r.Spec.Key, workerID); err != nil {
					return err
				}
				a := assigned(r)
				var err error
				if a.HandedOver, err = handedOver(tx, r.Spec.Key); err != nil {
					return err
				}
				out = append(out, a)
				count++
			}
		}
		return nil
	})
	return out, err
}

func assigned(r *managedRec) wire.Assigned {
	return wire.Assigned{Spec: r.Spec, Epoch: r.Lease.Epoch, Version: r.Version, Sealed: r.Sealed}
}

// moveSends hands an account's queued manual sends to its new worker and
// points the account's status record at it, in the grant's transaction.
func (db *DB) moveSends(tx *bbolt.Tx, key, workerID string) error {
	a, err := db.ensureAccount(tx, workerID, key)
	if err != nil {
		return err
	}
	if a.WorkerID != workerID {
		a.WorkerID = workerID
		if err := putJSON(tx.Bucket(bucketAccounts), u64(a.ID), a); err != nil {
			return err
		}
	}
	pend, sb := tx.Bucket(bucketSendsPending), tx.Bucket(bucketSends)
	type mv struct {
		old []byte
		id  uint64
	}
	var moves []mv
	c := pend.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) < 9 {
			continue
		}
		id := btou(k[len(k)-8:])
		var s wire.Send
		if err := getJSON(sb, k[len(k)-8:], &s); err != nil {
			return err
		}
		if s.Account == key && s.WorkerID != workerID {
			moves = append(moves, mv{append([]byte(nil), k...), id})
		}
	}
	for _, m := range moves {
		var s wire.Send
		if err := getJSON(sb, u64(m.id), &s); err != nil {
			return err
		}
		s.WorkerID = workerID
		if err := putJSON(sb, u64(m.id), s); err != nil {
			return err
		}
		if err := pend.Delete(m.old); err != nil {
			return err
		}
		if err := pend.Put(pendingKey(workerID, m.id), nil); err != nil {
			return err
		}
	}
	return nil
}

// StoreSession keeps an account's sealed site session so it moves with the
// account. Fenced like every worker write.
func (db *DB) StoreSession(workerID, key string, epoch uint64, sealed []byte) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := db.fence(tx, workerID, key, epoch, false); err != nil {
			return err
		}
		r, err := getManaged(tx, key)
		if err != nil {
			return err
		}
		if bytes.Equal(r.Sealed.Session, sealed) {
			return nil
		}
		r.Sealed.Session = sealed
		return putManaged(tx, r)
	})
}

// StoreLoginQR records the QR image a human must scan (png non-nil) or that
// the login finished (done). Fenced like every worker write.
func (db *DB) StoreLoginQR(workerID, key string, epoch uint64, png []byte, expires time.Time, done bool) error {
	if len(png) > 512<<10 {
		return fieldErr("png", "larger than 512 KiB")
	}
	if !done && len(png) == 0 {
		return fieldErr("png", "required unless done")
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := db.fence(tx, workerID, key, epoch, false); err != nil {
			return err
		}
		r, err := getManaged(tx, key)
		if err != nil {
			return err
		}
		now := db.now()
		if done {
			if r.QR == nil {
				return nil
			}
			r.QR, r.QRExpires, r.QRAt = nil, nil, nil
			r.note(now, "logged_in", "QR code scanned", workerID)
		} else {
			if r.QR == nil {
				r.note(now, "needs_login", "waiting for a QR scan", workerID)
			}
			exp := expires.UTC()
			r.QR, r.QRExpires, r.QRAt = png, &exp, &now
		}
		return putManaged(tx, r)
	})
}

// LoginStatus returns a managed account's login state and pending QR.
func (db *DB) LoginStatus(key string) (wire.LoginStatus, error) {
	var out wire.LoginStatus
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		r, err := getManaged(tx, key)
		if err != nil {
			return err
		}
		m, err := db.viewManaged(tx, r)
		if err != nil {
			return err
		}
		out = wire.LoginStatus{Key: key, State: m.State, Pending: r.QR != nil, PNG: r.QR, ExpiresAt: r.QRExpires, UpdatedAt: r.QRAt}
		return nil
	})
	return out, err
}

// noteReported appends a reported state change of a managed account to its
// history (called from Heartbeat in the same transaction).
func (db *DB) noteReported(tx *bbolt.Tx, workerID, key, prev, state, reason string) error {
	if prev == state {
		return nil
	}
	v := tx.Bucket(bucketManaged).Get([]byte(key))
	if v == nil {
		return nil
	}
	var r managedRec
	if err := json.Unmarshal(v, &r); err != nil {
		return err
	}
	r.note(db.now(), state, nonEmpty(reason, "reported by "+workerID), workerID)
	return putManaged(tx, &r)
}

// managedSummary fills the managed fields of a status account.
func (db *DB) managedSummary(tx *bbolt.Tx, a *wire.Account) error {
	v := tx.Bucket(bucketManaged).Get([]byte(a.Key))
	if v == nil {
		return nil
	}
	var r managedRec
	if err := json.Unmarshal(v, &r); err != nil {
		return err
	}
	a.Managed, a.Desired, a.Pin, a.Lease = true, r.Spec.Desired, r.Spec.Pin, r.Lease
	if r.Lease != nil {
		a.WorkerID = r.Lease.WorkerID
	}
	if n := len(r.History); n > 0 {
		last := r.History[n-1]
		a.LastChange = &last
	}
	return nil
}

// patchField sets *dst to *src when the PATCH body carried the field
// (src non-nil) and leaves it alone otherwise.
func patchField[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// MayAct answers a worker asking, just before a site action, whether it may
// still act for account key at epoch. It reads only: the lease itself is
// renewed or released by the worker's next pull (which the worker makes at
// once when the answer is no). Only managed agents ask; a key known but no
// longer managed (the account was deleted) answers no.
func (db *DB) MayAct(workerID, key string, epoch uint64) (wire.ActGate, error) {
	var out wire.ActGate
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketManaged).Get([]byte(key))
		if v == nil {
			if tx.Bucket(bucketAccountsByKey).Get([]byte(key)) == nil {
				return fmt.Errorf("account %q: %w", key, wire.ErrNotFound)
			}
			out = wire.ActGate{Reason: "not a managed account (deleted?)"}
			return nil
		}
		var r managedRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		out.Desired = r.Spec.Desired
		switch {
		case r.Lease == nil || r.Lease.WorkerID != workerID || r.Lease.Epoch != epoch:
			out.Reason = "the lease at this epoch is no longer held by " + workerID
		case r.Spec.Desired != wire.DesiredRunning:
			out.Reason = "desired state is " + r.Spec.Desired
		case r.Spec.Pin != "" && r.Spec.Pin != workerID:
			out.Reason = "pinned to " + r.Spec.Pin
		default:
			out.Act = true
		}
		return nil
	})
	return out, err
}

// handedOver lists the candidates of account key whose conversation is
// intervened (a human took over), from the conversation status index.
func handedOver(tx *bbolt.Tx, key string) ([]string, error) {
	id := tx.Bucket(bucketAccountsByKey).Get([]byte(key))
	if id == nil {
		return nil, nil
	}
	prefix := statusKey(wire.ConvIntervened, id)
	var out []string
	c := tx.Bucket(bucketConversationsByStatus).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, string(k[len(prefix):]))
	}
	return out, nil
}
