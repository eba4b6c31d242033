package state

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

func openTest(t *testing.T) (*DB, *clock.Manual, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "control.db")
	clk := clock.NewManual(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	db, err := Open(path, Options{Clock: clk, BcryptCost: bcrypt.MinCost, LockTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, clk, path
}

func TestOpenSchemaAndPermissions(t *testing.T) {
	db, _, path := openTest(t)
	if v, err := db.Version(); err != nil || v != SchemaVersion() {
		t.Fatalf("version = %d, %v", v, err)
	}
	for p, want := range map[string]os.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v (%v)", p, st.Mode().Perm(), want, err)
		}
	}
	// A second opener gets ErrLocked, not a hang.
	if _, err := Open(path, Options{LockTimeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	// A file from a newer binary is refused.
	db.Close()
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	b.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchemaVersion, u64(99)) })
	b.Close()
	if _, err := Open(path, Options{}); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("newer schema: %v", err)
	}
}

func TestMigrationsRunOnceAndInOrder(t *testing.T) {
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	path := filepath.Join(t.TempDir(), "control.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	runs := 0
	extra := []byte("extra_bucket")
	migrations = append(append([]Migration{}, saved...), Migration{Version: len(saved) + 1, Name: "extra", Up: func(tx *bbolt.Tx) error {
		runs++
		_, err := tx.CreateBucket(extra) // fails if run twice
		return err
	}})
	for i := 0; i < 2; i++ {
		db, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if v, _ := db.Version(); v != len(saved)+1 {
			t.Fatalf("version = %d", v)
		}
		db.Close()
	}
	if runs != 1 {
		t.Fatalf("migration ran %d times", runs)
	}
	// A failing migration leaves the version where it was.
	migrations = append(migrations, Migration{Version: len(saved) + 2, Name: "broken", Up: func(tx *bbolt.Tx) error {
		return errors.New("boom")
	}})
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("broken migration: %v", err)
	}
	migrations = migrations[:len(migrations)-1]
	db, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Version(); v != len(saved)+1 {
		t.Fatalf("version after failed migration = %d", v)
	}
}

func TestUpsertIsAllOrNothing(t *testing.T) {
	db, _, _ := openTest(t)
	if _, err := db.UpsertContacts("w", []wire.ContactInput{{Account: "a", CandidateID: "1", Name: "甲"}}); err != nil {
		t.Fatal(err)
	}
	// A record whose uid belongs to another contact fails inside the
	// transaction after a new bare contact was created: nothing remains.
	if _, err := db.UpsertRecords("w", []wire.RecordInput{{UID: "u1", Account: "a", CandidateID: "1"}}); err != nil {
		t.Fatal(err)
	}
	_, err := db.UpsertRecords("w", []wire.RecordInput{{UID: "u2", Account: "a", CandidateID: "1"}, {UID: "u1", Account: "b", CandidateID: "9"}})
	if !errors.Is(err, wire.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	if n := db.CountContacts(wire.ContactFilter{}); n != 1 {
		t.Fatalf("contacts after failed batch = %d", n)
	}
	if _, total, _ := db.ListRecords(wire.RecordFilter{}, 1, 10); total != 1 {
		t.Fatalf("records after failed batch = %d", total)
	}
	if accs, _ := db.ListAccounts(); len(accs) != 1 {
		t.Fatalf("accounts after failed batch = %d", len(accs))
	}
	// The next contact still gets the next id (the rolled-back sequence is reused).
	res, err := db.UpsertContacts("w", []wire.ContactInput{{Account: "a", CandidateID: "2"}})
	if err != nil || res[0].ID != 2 {
		t.Fatalf("next = %+v %v", res, err)
	}
}

func TestTokenPurge(t *testing.T) {
	db, clk, _ := openTest(t)
	p, err := db.IssueTokens("u", "c", time.Hour, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(90 * time.Minute)
	if n, err := db.PurgeExpiredTokens(); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	if _, err := db.Refresh(p.RefreshToken, "c", time.Hour, 2*time.Hour); err != nil {
		t.Fatalf("refresh token purged too early: %v", err)
	}
}

// TestContactIndexMatchesBruteForce applies random inserts and updates
// (forcing dictionary rebuilds) and compares every query, and the funnel
// counts, with a plain scan.
func TestContactIndexMatchesBruteForce(t *testing.T) {
	ix := newContactIndex()
	rng := rand.New(rand.NewPCG(7, 7))
	words := []string{"张三", "李四", "产品经理", "Go开发", "wechat:ABC", "13800138000", "王五", "abc", "前端", ""}
	all := map[uint64]*wire.Contact{}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	yes, no := true, false
	filters := []wire.ContactFilter{{}, {Search: "张三"}, {Search: "abc"}, {Search: "ABC"}, {Search: "经理"}, {Search: "xxx"},
		{Search: "1380", Replied: &yes}, {Replied: &no, WechatExchanged: &yes}, {Search: "不存在"}, {Search: "x", Replied: &yes},
		{From: base.Add(100 * time.Minute), To: base.Add(500 * time.Minute), Search: "开发"},
		{From: base.Add(3000 * time.Minute), To: base.Add(3001 * time.Minute)},
		{Replied: &yes, WechatExchanged: &yes, From: base.Add(1000 * time.Minute), Search: "张"},
		{Search: "wx_1"}, {Search: "WX_9", WechatExchanged: &no}}
	check := func() {
		t.Helper()
		for _, f := range filters {
			var want []uint64
			for id, c := range all {
				if ref(c, f) {
					want = append(want, id)
				}
			}
			sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
			got, total := ix.match(f, 0, -1)
			if fmt.Sprint(got) != fmt.Sprint(want) || total != len(want) {
				t.Errorf("%+v: got %d ids, want %d", f, len(got), len(want))
			}
			page, total := ix.match(f, 3, 5)
			if total != len(want) || (len(want) > 3 && fmt.Sprint(page) != fmt.Sprint(want[3:min(8, len(want))])) {
				t.Errorf("%+v: paging wrong", f)
			}
		}
	}
	rebuilt := 0
	for step := 0; step < 60000; step++ {
		id := uint64(rng.IntN(20000) + 1)
		c := &wire.Contact{ID: id, AccountID: uint64(rng.IntN(7) + 1),
			Name:     words[rng.IntN(len(words))],
			Position: words[rng.IntN(len(words))], Contact: words[rng.IntN(len(words))],
			// Ids arrive in creation order but not strictly: a zone may straddle a bound.
			CreatedAt: base.Add(time.Duration(int(id)+rng.IntN(200)) * time.Minute)}
		if rng.IntN(2) == 0 {
			c.ReplyStatus = wire.ReplyYes
		}
		c.WechatExchanged = rng.IntN(3) == 0
		if rng.IntN(4) == 0 {
			c.Phone = "139" + strconv.Itoa(rng.IntN(1e8))
		}
		c.Interview = rng.IntN(9) == 0
		if rng.IntN(2) == 0 { // many distinct names: the dictionary gets rebuilt
			c.Name += strings.Repeat("x", rng.IntN(5)) + strconv.Itoa(rng.IntN(1e6))
		}
		if rng.IntN(3) == 0 { // mostly distinct contacts: a growing dictionary
			c.Contact = "wx_" + strconv.Itoa(rng.IntN(1e6))
		}
		all[id] = c
		before := ix.names
		ix.put(c)
		if ix.names != before {
			rebuilt++
		}
		// Query between writes too: cached search results must follow
		// the entries added since, and reset when a dictionary is rebuilt.
		if step%12000 == 0 {
			check()
		}
	}
	check()
	if rebuilt == 0 {
		t.Error("the name dictionary was never rebuilt")
	}
	wantAcc, wantPos := map[uint64]FunnelCounts{}, map[string]FunnelCounts{}
	for _, c := range all {
		add := func(f FunnelCounts) FunnelCounts {
			f.Greeted++
			if c.ReplyStatus == wire.ReplyYes {
				f.Replied++
			}
			if c.Phone != "" || c.Wechat != "" || c.WechatExchanged {
				f.Contact++
			}
			if c.Interview {
				f.Interview++
			}
			return f
		}
		wantAcc[c.AccountID] = add(wantAcc[c.AccountID])
		wantPos[c.Position] = add(wantPos[c.Position])
	}
	gotAcc, gotPos := ix.funnel()
	if !maps.Equal(gotAcc, wantAcc) || !maps.Equal(gotPos, wantPos) {
		t.Errorf("funnel:\n got %v %v\nwant %v %v", gotAcc, gotPos, wantAcc, wantPos)
	}
}

func ref(c *wire.Contact, f wire.ContactFilter) bool {
	if s := FoldSearch(f.Search); s != "" {
		hay := strings.ToLower(c.Name) + "\x01" + strings.ToLower(c.Position) + "\x01" + strings.ToLower(c.Contact)
		if !strings.Contains(hay, s) {
			return false
		}
	}
	if f.Replied != nil && (c.ReplyStatus == wire.ReplyYes) != *f.Replied {
		return false
	}
	if f.WechatExchanged != nil && c.WechatExchanged != *f.WechatExchanged {
		return false
	}
	if !f.From.IsZero() && c.CreatedAt.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && c.CreatedAt.After(f.To) {
		return false
	}
	return true
}

func TestIndexRebuiltOnOpen(t *testing.T) {
	db, _, path := openTest(t)
	if _, err := db.UpsertContacts("w", []wire.ContactInput{{Account: "a", CandidateID: "1", Name: "张三"}, {Account: "a", CandidateID: "2", Name: "李四"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	cs, total, err := db2.QueryContacts(wire.ContactFilter{Search: "李"}, 1, 10)
	if err != nil || total != 1 || cs[0].Name != "李四" {
		t.Fatalf("after reopen: %+v %d %v", cs, total, err)
	}
}
