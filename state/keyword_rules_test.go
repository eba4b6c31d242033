package state

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/rules"
)

// TestKeywordRulesMigrationFromV1 opens a file written at schema 1 (before
// keyword rules existed) and checks migration 2 adds the buckets.
func TestKeywordRulesMigrationFromV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.db")
	b, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if err := migrations[0].Up(tx); err != nil {
			return err
		}
		return meta.Put(keySchemaVersion, u64(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	db, err := Open(path, Options{Clock: clock.NewManual(time.Unix(1700000000, 0)), BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Version(); v != SchemaVersion() || v < 2 {
		t.Fatalf("schema %d after migration, want %d", v, SchemaVersion())
	}
	r, err := db.CreateKeywordRule(rules.Rule{Name: "迁移后", Keyword: &rules.Keyword{WordList: []string{"面试"}}})
	if err != nil || r.CreateTime != 1700000000 || r.RuleID == "" {
		t.Fatalf("create after migration: %+v %v", r, err)
	}
}

func TestKeywordRuleStore(t *testing.T) {
	db, _, _ := openTest(t)
	mk := func(name string) rules.Rule {
		return rules.Rule{Name: name, Keyword: &rules.Keyword{WordList: []string{"词"}}}
	}
	a, err := db.CreateKeywordRule(mk("a"))
	if err != nil {
		t.Fatal(err)
	}
	v, set, err := db.KeywordRuleSnapshot()
	if err != nil || v != 1 || len(set) != 1 {
		t.Fatalf("snapshot %d %v %v", v, set, err)
	}
	// a failed update leaves rule and version unchanged (one transaction)
	_, err = db.UpdateKeywordRule(a.RuleID, func(cur rules.Rule) (rules.Rule, error) {
		cur.Name = ""
		return cur, nil
	})
	var fe *wire.FieldError
	if !errors.As(err, &fe) || fe.Field != "name" || !errors.Is(err, wire.ErrInvalid) {
		t.Fatalf("invalid update: %v", err)
	}
	if v2, set2, _ := db.KeywordRuleSnapshot(); v2 != 1 || set2[0].Name != "a" {
		t.Errorf("failed update changed state: %d %+v", v2, set2)
	}
	// apply cannot change id or create time
	up, err := db.UpdateKeywordRule(a.RuleID, func(cur rules.Rule) (rules.Rule, error) {
		cur.Name, cur.RuleID, cur.CreateTime = "b", "hijack", 1
		return cur, nil
	})
	if err != nil || up.RuleID != a.RuleID || up.CreateTime != a.CreateTime || up.Name != "b" {
		t.Errorf("update: %+v %v", up, err)
	}
	if _, err := db.GetKeywordRule("missing"); !errors.Is(err, wire.ErrNotFound) {
		t.Errorf("get missing: %v", err)
	}
	if err := db.DeleteKeywordRule(a.RuleID); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := db.KeywordRuleSnapshot(); v != 3 {
		t.Errorf("version after create+update+delete = %d, want 3", v)
	}
	// the 200-rule cap
	for i := 0; i < rules.MaxRules; i++ {
		if _, err := db.CreateKeywordRule(mk(fmt.Sprintf("r%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.CreateKeywordRule(mk("too many")); !errors.As(err, &fe) || fe.Field != "rules" {
		t.Errorf("201st: %v", err)
	}
	// paging returns creation order
	var ids []string
	cursor := ""
	for {
		page, next, more, err := db.ListKeywordRules(cursor, 64)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			ids = append(ids, r.Name)
		}
		if !more {
			break
		}
		cursor = next
	}
	if len(ids) != rules.MaxRules || ids[0] != "r0" || ids[199] != "r199" {
		t.Errorf("paged %d rules: first %s last %s", len(ids), ids[0], ids[len(ids)-1])
	}
}
