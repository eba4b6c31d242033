package state

import (
	"encoding/json"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

// A control.db written before contacts had an interview stage (no
// "interview" key in the stored JSON) opens without a migration: the
// contact index, its funnel counts included, is built from the records at
// every Open, and the missing key reads as false.
func TestContactIndexOnOldFile(t *testing.T) {
	db, _, path := openTest(t)
	if _, err := db.UpsertContacts("w", []wire.ContactInput{
		{Account: "a", CandidateID: "1", Name: "张三", Position: "Go开发", Replied: true, Phone: "13800138000"},
		{Account: "a", CandidateID: "2", Name: "李四", Position: "Go开发", Interview: true},
		{Account: "b", CandidateID: "3", Name: "王五", Position: "产品经理", WechatExchanged: true},
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Rewrite every record the way the old binary stored it.
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = raw.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		return b.ForEach(func(k, v []byte) error {
			var m map[string]any
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			delete(m, "interview")
			old, err := json.Marshal(m)
			if err != nil {
				return err
			}
			return b.Put(k, old)
		})
	})
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	db2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	cs, total, err := db2.QueryContacts(wire.ContactFilter{Search: "go开"}, 1, 10)
	if err != nil || total != 2 || cs[0].Name != "张三" || cs[1].Interview {
		t.Fatalf("after reopen: %+v %d %v", cs, total, err)
	}
	acc, pos := db2.ContactFunnel()
	if len(acc) != 2 || pos["Go开发"] != (FunnelCounts{Greeted: 2, Replied: 1, Contact: 1}) || pos["产品经理"] != (FunnelCounts{Greeted: 1, Contact: 1}) {
		t.Fatalf("funnel after reopen: %v %v", acc, pos)
	}
	// New pushes set the stage on the old records.
	if _, err := db2.UpsertContacts("w", []wire.ContactInput{{Account: "a", CandidateID: "2", Interview: true}}); err != nil {
		t.Fatal(err)
	}
	if _, pos = db2.ContactFunnel(); pos["Go开发"].Interview != 1 {
		t.Fatalf("interview after a new push: %v", pos)
	}
}
