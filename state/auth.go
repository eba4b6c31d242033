package state

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// User is an operator who logs in through /oauth/token (grant_type=password).
type User struct {
	Username     string    `json:"username"`
	PasswordHash []byte    `json:"password_hash"` // bcrypt
	CreatedAt    time.Time `json:"created_at"`
}

// Client is an OAuth client (HTTP Basic on /oauth/token).
type Client struct {
	ID         string    `json:"id"`
	SecretHash []byte    `json:"secret_hash"` // bcrypt
	CreatedAt  time.Time `json:"created_at"`
}

// Token kinds.
const (
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

// Token is an issued access or refresh token; only its SHA-256 is the key,
// the plain value is shown once to the caller and never stored.
//
// Every token belongs to a family: the pairs issued from one login and all
// its refresh rotations. A rotated refresh token is kept, marked Used,
// until it expires, so presenting it again is recognised as reuse (a
// stolen token racing its owner) and revokes the whole family, as the
// OAuth 2.0 Security BCP asks.
type Token struct {
	Kind      string    `json:"kind"`
	Username  string    `json:"username"`
	ClientID  string    `json:"client_id"`
	ExpiresAt time.Time `json:"expires_at"`
	Family    string    `json:"family,omitempty"`
	Used      bool      `json:"used,omitempty"`
}

// Worker is a worker process's credential: workers authenticate with a long
// random token whose SHA-256 is stored.
type Worker struct {
	ID        string    `json:"id"`
	TokenHash string    `json:"token_hash"` // hex sha256
	CreatedAt time.Time `json:"created_at"`
}

// NewSecret returns a random 32-byte hex string for tokens and secrets.
func NewSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("state: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return hex.EncodeToString(b[:])
}

func validName(field, v string, max int) error {
	if v == "" {
		return fieldErr(field, "required")
	}
	if len(v) > max {
		return fieldErr(field, "longer than %d bytes", max)
	}
	if strings.ContainsAny(v, "\x00\r\n\t ") {
		return fieldErr(field, "must not contain spaces or control characters")
	}
	return nil
}

// PutUser creates the user or replaces its password.
func (db *DB) PutUser(username, password string) error {
	if err := validName("username", username, 128); err != nil {
		return err
	}
	if len(password) < 8 {
		return fieldErr("password", "must be at least 8 characters")
	}
	if len(password) > 72 {
		return fieldErr("password", "must be at most 72 bytes (bcrypt limit)")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), db.cost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	// A new password ends every session of the old one, in the same
	// transaction.
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketUsers), []byte(username), User{Username: username, PasswordHash: hash, CreatedAt: db.now()}); err != nil {
			return err
		}
		_, err := deleteTokens(tx, func(t Token) bool { return t.Username == username })
		return err
	})
}

// HasUsers reports whether any user exists (first-start bootstrap).
func (db *DB) HasUsers() (bool, error) {
	var n int
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketUsers).Stats().KeyN
		return nil
	})
	return n > 0, err
}

// CheckPassword returns wire.ErrUnauthorized unless username/password match.
func (db *DB) CheckPassword(username, password string) error {
	var u User
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketUsers), []byte(username), &u)
	})
	if errors.Is(err, wire.ErrNotFound) {
		// Spend the same time as a real check so usernames cannot be probed.
		_ = bcrypt.CompareHashAndPassword(db.dummyHash(), []byte(password))
		return wire.ErrUnauthorized
	}
	if err != nil {
		return err
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) != nil {
		return wire.ErrUnauthorized
	}
	return nil
}

// dummyHash is compared against when a user or client does not exist, so
// the answer takes as long as for a real one (no probing of names). It is
// made lazily with the store's cost: commands that never check a password
// do not pay for it.
func (db *DB) dummyHash() []byte {
	db.dummyOnce.Do(func() {
		db.dummy, _ = bcrypt.GenerateFromPassword([]byte("dummy-password"), db.cost)
	})
	return db.dummy
}

// PutClient creates or replaces an OAuth client.
func (db *DB) PutClient(id, secret string) error {
	if err := validName("client_id", id, 128); err != nil {
		return err
	}
	if len(secret) < 8 || len(secret) > 72 {
		return fieldErr("client_secret", "must be 8 to 72 bytes")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(secret), db.cost)
	if err != nil {
		return fmt.Errorf("hash secret: %w", err)
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketClients), []byte(id), Client{ID: id, SecretHash: hash, CreatedAt: db.now()})
	})
}

// CheckClient returns wire.ErrUnauthorized unless id/secret match a client. An
// unknown id is answered at once with wire.ErrUnknownClient, without a bcrypt
// compare: client ids are not secrets, and spending 100 ms of CPU on every
// made-up Basic header would hand anyone a cheap CPU-exhaustion lever.
func (db *DB) CheckClient(id, secret string) error {
	var c Client
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketClients), []byte(id), &c)
	})
	if errors.Is(err, wire.ErrNotFound) {
		return wire.ErrUnknownClient
	}
	if err != nil {
		return err
	}
	if bcrypt.CompareHashAndPassword(c.SecretHash, []byte(secret)) != nil {
		return wire.ErrUnauthorized
	}
	return nil
}

// IssueTokens creates a new access+refresh pair for username via clientID:
// a new session (token family).
func (db *DB) IssueTokens(username, clientID string, accessTTL, refreshTTL time.Duration) (wire.TokenPair, error) {
	var p wire.TokenPair
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		var err error
		p, err = db.issue(tx, username, clientID, NewSecret()[:32], accessTTL, refreshTTL)
		return err
	})
	return p, err
}

func (db *DB) issue(tx *bbolt.Tx, username, clientID, family string, accessTTL, refreshTTL time.Duration) (wire.TokenPair, error) {
	now := db.clock.Now().UTC()
	p := wire.TokenPair{AccessToken: NewSecret(), RefreshToken: NewSecret(), ExpiresIn: int(accessTTL / time.Second)}
	b := tx.Bucket(bucketTokens)
	if err := putJSON(b, []byte(wire.HashToken(p.AccessToken)), Token{Kind: TokenAccess, Username: username, ClientID: clientID, ExpiresAt: now.Add(accessTTL), Family: family}); err != nil {
		return p, err
	}
	if err := putJSON(b, []byte(wire.HashToken(p.RefreshToken)), Token{Kind: TokenRefresh, Username: username, ClientID: clientID, ExpiresAt: now.Add(refreshTTL), Family: family}); err != nil {
		return p, err
	}
	return p, nil
}

// Refresh rotates a refresh token: the old one is marked used and a new
// pair of the same family is issued in the same transaction. The refresh
// token must belong to clientID. Presenting a used refresh token again
// revokes its whole family and returns wire.ErrTokenReuse.
func (db *DB) Refresh(refreshToken, clientID string, accessTTL, refreshTTL time.Duration) (wire.TokenPair, error) {
	var p wire.TokenPair
	reused := false
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		key := []byte(wire.HashToken(refreshToken))
		var t Token
		if err := getJSON(b, key, &t); err != nil {
			if errors.Is(err, wire.ErrNotFound) {
				return wire.ErrUnauthorized
			}
			return err
		}
		if t.Kind != TokenRefresh || t.ClientID != clientID || !db.clock.Now().Before(t.ExpiresAt) {
			return wire.ErrUnauthorized
		}
		if t.Used {
			// Commit the revocation: return nil and report reuse after.
			reused = true
			_, err := deleteTokens(tx, func(o Token) bool { return o.Family == t.Family })
			return err
		}
		if t.Family == "" { // issued before families existed
			t.Family = NewSecret()[:32]
		}
		t.Used = true
		if err := putJSON(b, key, t); err != nil {
			return err
		}
		var err error
		p, err = db.issue(tx, t.Username, clientID, t.Family, accessTTL, refreshTTL)
		return err
	})
	if err == nil && reused {
		return wire.TokenPair{}, wire.ErrTokenReuse
	}
	return p, err
}

// RevokeToken implements RFC 7009 for clientID: the access or refresh token
// and every token of its session (family) are deleted. An unknown or
// expired token is not an error (the client's goal is reached). A token of
// another client is wire.ErrUnauthorized and nothing is revoked.
func (db *DB) RevokeToken(token, clientID string) (int, error) {
	n := 0
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		key := []byte(wire.HashToken(token))
		var t Token
		if err := getJSON(b, key, &t); err != nil {
			if errors.Is(err, wire.ErrNotFound) {
				return nil
			}
			return err
		}
		if t.ClientID != clientID {
			return wire.ErrUnauthorized
		}
		if err := b.Delete(key); err != nil {
			return err
		}
		n = 1
		if t.Family == "" {
			return nil
		}
		m, err := deleteTokens(tx, func(o Token) bool { return o.Family == t.Family })
		n += m
		return err
	})
	return n, err
}

// RevokeUserTokens deletes every access and refresh token of username (all
// their sessions, on every client) and returns how many were removed.
func (db *DB) RevokeUserTokens(username string) (int, error) {
	n := 0
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		var err error
		n, err = deleteTokens(tx, func(t Token) bool { return t.Username == username })
		return err
	})
	return n, err
}

// deleteTokens deletes the tokens match selects. Tokens are few (expired
// ones are purged), so a scan is cheaper than keeping family and user
// indexes consistent.
func deleteTokens(tx *bbolt.Tx, match func(Token) bool) (int, error) {
	b := tx.Bucket(bucketTokens)
	var dead [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var t Token
		if jsonUnmarshal(v, &t) == nil && match(t) {
			dead = append(dead, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(dead), nil
}

// CheckAccessToken returns the user an unexpired access token belongs to.
func (db *DB) CheckAccessToken(token string) (string, error) {
	var t Token
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return getJSON(tx.Bucket(bucketTokens), []byte(wire.HashToken(token)), &t)
	})
	if errors.Is(err, wire.ErrNotFound) {
		return "", wire.ErrUnauthorized
	}
	if err != nil {
		return "", err
	}
	if t.Kind != TokenAccess || !db.clock.Now().Before(t.ExpiresAt) {
		return "", wire.ErrUnauthorized
	}
	return t.Username, nil
}

// PurgeExpiredTokens deletes expired tokens; the server calls it on a
// clock-driven schedule. It returns how many were removed.
func (db *DB) PurgeExpiredTokens() (int, error) {
	now := db.clock.Now()
	n := 0
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var dead [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var t Token
			if err := jsonUnmarshal(v, &t); err != nil || !now.Before(t.ExpiresAt) {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

// PutWorker creates or replaces a worker credential. The plain token is
// hashed; a previous token of the same worker stops working.
func (db *DB) PutWorker(id, token string) error {
	if err := validName("worker_id", id, 64); err != nil {
		return err
	}
	if len(token) < 16 {
		return fieldErr("worker_token", "must be at least 16 characters")
	}
	h := wire.HashToken(token)
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		wb, ib := tx.Bucket(bucketWorkers), tx.Bucket(bucketWorkersByToken)
		var old Worker
		if err := getJSON(wb, []byte(id), &old); err == nil {
			if err := ib.Delete([]byte(old.TokenHash)); err != nil {
				return err
			}
		}
		if owner := ib.Get([]byte(h)); owner != nil && string(owner) != id {
			return fieldErr("worker_token", "already used by another worker")
		}
		if err := putJSON(wb, []byte(id), Worker{ID: id, TokenHash: h, CreatedAt: db.now()}); err != nil {
			return err
		}
		return ib.Put([]byte(h), []byte(id))
	})
}

// CheckWorkerToken returns the worker id a token belongs to.
func (db *DB) CheckWorkerToken(token string) (string, error) {
	h := wire.HashToken(token)
	var id string
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketWorkersByToken).Get([]byte(h))
		if v == nil {
			return wire.ErrUnauthorized
		}
		var w Worker
		if err := getJSON(tx.Bucket(bucketWorkers), v, &w); err != nil {
			return wire.ErrUnauthorized
		}
		// Constant-time compare guards against a corrupted index entry.
		if subtle.ConstantTimeCompare([]byte(w.TokenHash), []byte(h)) != 1 {
			return wire.ErrUnauthorized
		}
		id = w.ID
		return nil
	})
	return id, err
}
