package state

import (
	"errors"
	"fmt"
	"github.com/hunterbot/hunterbot/api/wire"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/testwait"
	"go.etcd.io/bbolt"
)

// growFile commits one write that at least doubles the database file, so
// bbolt must re-mmap it: that waits for every open read transaction.
func growFile(t *testing.T, db *DB) error {
	t.Helper()
	st, err := os.Stat(db.Path())
	if err != nil {
		return err
	}
	big := make([]byte, 2*st.Size()+1<<20)
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("scratch"))
		if err != nil {
			return err
		}
		return b.Put([]byte("big"), big)
	})
}

// An export walks every contact through a callback that may be slow (it
// writes a workbook). The walk must not hold a read transaction while the
// callback runs, or a write that grows the file waits for the whole export.
func TestEachContactHoldsNoTransactionDuringCallback(t *testing.T) {
	db, _, _ := openTest(t)
	in := make([]wire.ContactInput, 0, 1200)
	for i := 0; i < 1200; i++ {
		in = append(in, wire.ContactInput{Account: "a", CandidateID: fmt.Sprintf("c%d", i), Name: "张三", Notes: strings.Repeat("x", 300)})
	}
	if _, err := db.UpsertContacts("w1", in); err != nil {
		t.Fatal(err)
	}
	seen := 0
	err := db.EachContact(wire.ContactFilter{}, func(c *wire.Contact) error {
		seen++
		if seen != 1 {
			return nil
		}
		done := make(chan error, 1)
		go func() { done <- growFile(t, db) }()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Until(testwait.Guard(t))):
			return errors.New("a write that grows the file waited for the export's callback: the walk holds a read transaction")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != 1200 {
		t.Fatalf("walked %d contacts, want 1200", seen)
	}
}

// A backup snapshot must not hold a read transaction while the reader of
// the backup is slow: here the reader is blocked until a growing write has
// committed.
func TestWriteBackupHoldsNoTransactionWhileStreaming(t *testing.T) {
	db, _, path := openTest(t)
	if err := db.PutUser("someone", "password-123"); err != nil {
		t.Fatal(err)
	}
	w := &gatedWriter{db: db, t: t}
	n, err := db.WriteBackup(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.err != nil {
		t.Fatal(w.err)
	}
	if n == 0 || int64(w.n) != n {
		t.Fatalf("backup wrote %d bytes, reader got %d", n, w.n)
	}
	if left, _ := os.ReadDir(filepath.Dir(path)); len(left) != 1 {
		names := []string{}
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Fatalf("files next to the database after a backup: %v", names)
	}
}

// gatedWriter, on its first Write, commits a write that grows the file and
// fails if that write cannot finish.
type gatedWriter struct {
	db  *DB
	t   *testing.T
	n   int
	err error
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	if g.n == 0 {
		done := make(chan error, 1)
		go func() { done <- growFile(g.t, g.db) }()
		select {
		case g.err = <-done:
		case <-time.After(time.Until(testwait.Guard(g.t))):
			g.err = errors.New("a write that grows the file waited for the backup's reader: the backup holds a read transaction")
			return 0, g.err
		}
	}
	g.n += len(p)
	return len(p), nil
}

func TestRefreshTokenReuseRevokesTheFamily(t *testing.T) {
	db, _, _ := openTest(t)
	first, err := db.IssueTokens("op", "dash", time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, err := db.IssueTokens("op", "dash", time.Hour, time.Hour) // another session
	if err != nil {
		t.Fatal(err)
	}
	second, err := db.Refresh(first.RefreshToken, "dash", time.Hour, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The rotated token comes back (an attacker, or a replay): refused, and
	// the session it belongs to ends, including the tokens of the rotation.
	if _, err := db.Refresh(first.RefreshToken, "dash", time.Hour, time.Hour); !errors.Is(err, wire.ErrTokenReuse) || !errors.Is(err, wire.ErrUnauthorized) {
		t.Fatalf("reuse: %v, want wire.ErrTokenReuse", err)
	}
	if _, err := db.CheckAccessToken(second.AccessToken); !errors.Is(err, wire.ErrUnauthorized) {
		t.Fatalf("access token of the revoked family still valid: %v", err)
	}
	if _, err := db.Refresh(second.RefreshToken, "dash", time.Hour, time.Hour); !errors.Is(err, wire.ErrUnauthorized) {
		t.Fatalf("refresh token of the revoked family still valid: %v", err)
	}
	// The other session is untouched.
	if u, err := db.CheckAccessToken(other.AccessToken); err != nil || u != "op" {
		t.Fatalf("other session: %q %v", u, err)
	}
}

func TestRevokeTokenAndUserSessions(t *testing.T) {
	db, _, _ := openTest(t)
	a, _ := db.IssueTokens("op", "dash", time.Hour, time.Hour)
	b, _ := db.IssueTokens("op", "dash", time.Hour, time.Hour)
	c, _ := db.IssueTokens("other", "dash", time.Hour, time.Hour)
	if _, err := db.RevokeToken(a.RefreshToken, "cli"); !errors.Is(err, wire.ErrUnauthorized) {
		t.Fatalf("revoke by another client: %v", err)
	}
	if _, err := db.CheckAccessToken(a.AccessToken); err != nil {
		t.Fatalf("another client's revoke took effect: %v", err)
	}
	if n, err := db.RevokeToken(a.RefreshToken, "dash"); err != nil || n != 2 {
		t.Fatalf("revoke: %d %v", n, err)
	}
	if _, err := db.CheckAccessToken(a.AccessToken); !errors.Is(err, wire.ErrUnauthorized) {
		t.Fatalf("access token of a revoked session: %v", err)
	}
	if n, err := db.RevokeToken("never-issued", "dash"); err != nil || n != 0 {
		t.Fatalf("revoke unknown: %d %v", n, err)
	}
	if n, err := db.RevokeUserTokens("op"); err != nil || n != 2 {
		t.Fatalf("revoke user: %d %v", n, err)
	}
	if _, err := db.CheckAccessToken(b.AccessToken); !errors.Is(err, wire.ErrUnauthorized) {
		t.Fatalf("session survived revoking the user's sessions: %v", err)
	}
	if u, err := db.CheckAccessToken(c.AccessToken); err != nil || u != "other" {
		t.Fatalf("another user's session: %q %v", u, err)
	}
	// A new password ends the user's sessions too.
	if err := db.PutUser("other", "new-password-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CheckAccessToken(c.AccessToken); !errors.Is(err, wire.ErrUnauthorized) {
		t.Fatalf("session survived a password change: %v", err)
	}
}

// An unknown client id is answered without a bcrypt compare: it is
// recognisable (wire.ErrUnknownClient) and costs a map look-up.
func TestUnknownClientIsRejectedWithoutBcrypt(t *testing.T) {
	db, _, _ := openTest(t)
	if err := db.PutClient("dash", "client-secret"); err != nil {
		t.Fatal(err)
	}
	if err := db.CheckClient("nobody", "whatever"); !errors.Is(err, wire.ErrUnknownClient) || !errors.Is(err, wire.ErrUnauthorized) {
		t.Fatalf("unknown client: %v", err)
	}
	if db.dummy != nil {
		t.Fatal("an unknown client made the store compute its dummy bcrypt hash")
	}
	if err := db.CheckClient("dash", "wrong-secret"); err == nil || errors.Is(err, wire.ErrUnknownClient) {
		t.Fatalf("wrong secret: %v", err)
	}
	if err := db.CheckClient("dash", "client-secret"); err != nil {
		t.Fatal(err)
	}
}
