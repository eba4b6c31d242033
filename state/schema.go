package state

import (
	"fmt"

	"go.etcd.io/bbolt"
)

// Bucket names of the control database. An index bucket's name says what it
// maps; index entries are always written in the same transaction as their
// record.
var (
	bucketMeta           = []byte("meta")             // schema_version, followup_version
	bucketConfigs        = []byte("followup_configs") // id -> FollowupConfig
	bucketScripts        = []byte("followup_scripts") // id -> FollowupScript
	bucketScriptsByCfg   = []byte("idx_scripts_by_config")
	bucketRecords        = []byte("followup_records")   // id -> FollowupRecord
	bucketRecordsByUID   = []byte("idx_records_by_uid") // worker uid -> id
	bucketRecordsByCont  = []byte("idx_records_by_contact")
	bucketContacts       = []byte("contacts")            // id -> Contact
	bucketContactsByKey  = []byte("idx_contacts_by_key") // account id|candidate -> id
	bucketAccounts       = []byte("accounts")            // id -> Account
	bucketAccountsByKey  = []byte("idx_accounts_by_key") // worker\x00key -> id
	bucketSends          = []byte("sends")               // id -> Send
	bucketSendsPending   = []byte("idx_sends_pending")   // worker\x00id -> nil
	bucketUsers          = []byte("users")               // username -> User
	bucketClients        = []byte("oauth_clients")       // client id -> Client
	bucketTokens         = []byte("oauth_tokens")        // sha256(token) -> Token
	bucketWorkers        = []byte("workers")             // worker id -> Worker
	bucketWorkersByToken = []byte("idx_workers_by_token")
	bucketExports        = []byte("exports") // filename -> Export
)

var keySchemaVersion = []byte("schema_version")

// Migration moves the schema from Version-1 to Version. Up runs inside the
// same write transaction that records the new version, so a failing
// migration leaves the file as it was.
type Migration struct {
	Version int
	Name    string
	Up      func(tx *bbolt.Tx) error
}

// migrations is THE ordered schema history. Extension point: to add buckets
// for a new feature (e.g. keyword rules), append ONE entry with the next
// version, e.g.
//
//	{Version: 2, Name: "keyword rules", Up: CreateBuckets(keywordRuleBuckets...)},
//
// and define the bucket names in your own file. Never edit or reorder an
// existing entry: databases in the field already ran it.
var migrations = []Migration{
	{Version: 1, Name: "control plane v1", Up: CreateBuckets(
		bucketConfigs, bucketScripts, bucketScriptsByCfg,
		bucketRecords, bucketRecordsByUID, bucketRecordsByCont,
		bucketContacts, bucketContactsByKey, bucketAccounts, bucketAccountsByKey,
		bucketSends, bucketSendsPending, bucketUsers, bucketClients, bucketTokens,
		bucketWorkers, bucketWorkersByToken, bucketExports,
	)},
	{Version: 2, Name: "keyword rules", Up: CreateBuckets(keywordRuleBuckets...)},
	{Version: 3, Name: "worker commands, conversations, alerts", Up: CreateBuckets(append(releaseBuckets, alertBuckets...)...)},
	{Version: 4, Name: "conversation status index", Up: indexConversationsByStatus},
	{Version: 5, Name: "managed accounts and leases", Up: CreateBuckets(managedBuckets...)},
	{Version: 6, Name: "marketing notices", Up: createMarketingBuckets},
	{Version: 7, Name: "files and notification tasks", Up: CreateBuckets(append(fileBuckets, notifyBuckets...)...)},
	{Version: 8, Name: "per-day account counters", Up: CreateBuckets(accountDaysBuckets...)},
	{Version: 9, Name: "marketing-notice plan tasks", Up: CreateBuckets(marketingTaskBucketSet...)},
	{Version: 10, Name: "conversation transcripts", Up: CreateBuckets(transcriptBuckets...)},
}

// CreateBuckets returns a migration step that creates the named buckets.
func CreateBuckets(names ...[]byte) func(tx *bbolt.Tx) error {
	return func(tx *bbolt.Tx) error {
		for _, n := range names {
			if _, err := tx.CreateBucketIfNotExists(n); err != nil {
				return fmt.Errorf("create bucket %s: %w", n, err)
			}
		}
		return nil
	}
}

// SchemaVersion is the version this binary writes (the last migration).
func SchemaVersion() int { return migrations[len(migrations)-1].Version }

// Version returns the schema version recorded in the file.
func (db *DB) Version() (int, error) {
	var v int
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		v = readVersion(tx)
		return nil
	})
	return v, err
}

func readVersion(tx *bbolt.Tx) int {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return 0
	}
	b := m.Get(keySchemaVersion)
	if len(b) != 8 {
		return 0
	}
	return int(btou(b))
}

func (db *DB) migrate() error {
	for i, m := range migrations {
		if m.Version != i+1 {
			return fmt.Errorf("state: migration %q has version %d, want %d", m.Name, m.Version, i+1)
		}
	}
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		cur := readVersion(tx)
		if cur > SchemaVersion() {
			return fmt.Errorf("state: file has schema %d, binary knows %d: %w", cur, SchemaVersion(), ErrSchemaTooNew)
		}
		for _, m := range migrations[cur:] {
			if err := m.Up(tx); err != nil {
				return fmt.Errorf("state: migration %d (%s): %w", m.Version, m.Name, err)
			}
		}
		return meta.Put(keySchemaVersion, u64(uint64(SchemaVersion())))
	})
}
