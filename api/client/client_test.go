package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state"
)

const workerToken = "worker-token-0123456789abcdef"

func setup(t *testing.T) (*state.DB, *clock.Manual, string) {
	t.Helper()
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2024, 3, 4, 7, 30, 45, 0, time.UTC))
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, err := range []error{db.PutUser("admin", "admin-password"), db.PutClient("cli", "cli-secret-1"), db.PutWorker("w1", workerToken)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	s, err := api.NewServer(api.Options{Store: db, Clock: clk, DataDir: dir, PublicURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	return db, clk, srv.URL
}

// TestWorkerFlow drives every worker endpoint through the client: register,
// push contacts twice (idempotent), push records, versioned config pulls,
// manual send queue and ack, and the operator view of it.
func TestWorkerFlow(t *testing.T) {
	ctx := context.Background()
	db, clk, base := setup(t)
	w := client.NewWorker(base, workerToken, 5*time.Second)

	reg, err := w.Register(ctx, []wire.AccountStatus{{Key: "boss-a", Name: "招聘A", State: "running"}})
	if err != nil || reg.WorkerID != "w1" || len(reg.Accounts) != 1 || reg.Accounts[0].ID != 1 {
		t.Fatalf("register = %+v, %v", reg, err)
	}
	in := []wire.ContactInput{{Account: "boss-a", CandidateID: "geek-1", Name: "张三", Position: "Go开发", Phone: "13800138000"}}
	for i := 0; i < 2; i++ { // an outbox replay must not duplicate
		res, err := w.PushContacts(ctx, in)
		if err != nil || len(res) != 1 || res[0].ID != 1 || res[0].Created != (i == 0) {
			t.Fatalf("push %d = %+v, %v", i, res, err)
		}
	}
	if n := db.CountContacts(wire.ContactFilter{}); n != 1 {
		t.Fatalf("contacts = %d", n)
	}
	sent := clk.Now()
	for i := 0; i < 2; i++ {
		recs, err := w.PushRecords(ctx, []wire.RecordInput{{UID: "boss-a/geek-1/1", Account: "boss-a", CandidateID: "geek-1", DayNumber: 1, Content: "您好", SentAt: &sent}})
		if err != nil || len(recs) != 1 || recs[0].ID != 1 || recs[0].ContactID != 1 {
			t.Fatalf("records %d = %+v, %v", i, recs, err)
		}
	}
	if _, total, _ := db.ListRecords(wire.RecordFilter{}, 1, 10); total != 1 {
		t.Fatalf("records total = %d", total)
	}

	// Versioned config pull: first fetch, then 304 until something changes.
	snap, changed, err := w.FollowupConfigs(ctx, 0)
	if err != nil || !changed || len(snap.Configs) != 0 {
		t.Fatalf("first pull: %+v %v %v", snap, changed, err)
	}
	name := "Go"
	if _, err := db.CreateConfig(wire.ConfigPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	snap, changed, err = w.FollowupConfigs(ctx, snap.Version)
	if err != nil || !changed || len(snap.Configs) != 1 || snap.Version == 0 {
		t.Fatalf("after change: %+v %v %v", snap, changed, err)
	}
	if again, changed, err := w.FollowupConfigs(ctx, snap.Version); err != nil || changed || again != nil {
		t.Fatalf("unchanged pull: %v %v %v", again, changed, err)
	}

	// Manual send: queued by an operator, pulled and acked by the worker.
	if _, err := db.QueueSend(1, "您好，我想和您聊聊这个职位。"); err != nil {
		t.Fatal(err)
	}
	sends, err := w.PendingSends(ctx)
	if err != nil || len(sends) != 1 || sends[0].Account != "boss-a" || sends[0].CandidateID != "geek-1" {
		t.Fatalf("sends = %+v, %v", sends, err)
	}
	at := clk.Now().Add(time.Minute)
	sendID := sends[0].ID
	rec, err := w.AckSend(ctx, sendID, true, at, "")
	if err != nil || rec.SentAt == nil || !rec.SentAt.Equal(at) || rec.Status != wire.StatusSent {
		t.Fatalf("ack = %+v, %v", rec, err)
	}
	if sends, _ := w.PendingSends(ctx); len(sends) != 0 {
		t.Fatalf("still pending: %+v", sends)
	}
	if _, err := w.AckSend(ctx, sendID, true, at, ""); err != nil {
		t.Fatalf("second ack: %v", err)
	}

	// Heartbeat updates the operator view.
	if _, err := w.Heartbeat(ctx, []wire.AccountStatus{{Key: "boss-a", State: "paused", LastError: "verify page", Counters: map[string]int64{"greeted": 12}}}); err != nil {
		t.Fatal(err)
	}
	op := client.NewOperator(base, 5*time.Second)
	if _, err := op.Login(ctx, "cli", "cli-secret-1", "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	accs, err := op.Accounts(ctx)
	if err != nil || len(accs) != 1 || accs[0].State != "paused" || accs[0].Counters["greeted"] != 12 || accs[0].LastError != "verify page" || accs[0].WorkerID != "w1" {
		t.Fatalf("accounts = %+v, %v", accs, err)
	}

	// Errors: bad input is a permanent 4xx naming the field; bad token is 401.
	_, err = w.PushContacts(ctx, []wire.ContactInput{{Account: "boss-a"}})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Field != "contacts[0].candidate_id" || ce.Temporary() {
		t.Fatalf("bad push: %v", err)
	}
	bad := client.NewWorker(base, "not-a-valid-token-at-all", time.Second)
	if _, err := bad.PendingSends(ctx); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("bad token: %v", err)
	}
}

// TestOperatorExportAndBackup downloads an export and a hot backup through
// the client and opens both.
func TestOperatorExportAndBackup(t *testing.T) {
	ctx := context.Background()
	db, _, base := setup(t)
	if _, err := db.UpsertContacts("w1", []wire.ContactInput{{Account: "a", CandidateID: "1", Name: "张三"}, {Account: "a", CandidateID: "2", Name: "李四", Replied: true}}); err != nil {
		t.Fatal(err)
	}
	op := client.NewOperator(base, 5*time.Second)
	if _, err := op.Login(ctx, "cli", "wrong-secret", "admin", "admin-password"); !errors.Is(err, client.ErrUnauthorized) {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := op.Login(ctx, "cli", "cli-secret-1", "admin", "admin-password"); err != nil {
		t.Fatal(err)
	}
	ex, err := op.ExportContacts(ctx, url.Values{"reply_status": {"已回复"}})
	if err != nil || ex.TotalRecords != 1 {
		t.Fatalf("export = %+v, %v", ex, err)
	}
	var buf bytes.Buffer
	if _, err := op.Download(ctx, ex.DownloadURL, &buf); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := x.GetCellValue(api.ExportSheet, "B2"); v != "李四" {
		t.Fatalf("B2 = %q", v)
	}
	x.Close()

	path := filepath.Join(t.TempDir(), "backup.db")
	var bk bytes.Buffer
	if _, err := op.Backup(ctx, &bk); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bk.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// The backup is a valid control.db with the same contacts.
	b2, err := state.Open(path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if n := b2.CountContacts(wire.ContactFilter{}); n != 2 {
		t.Fatalf("backup has %d contacts", n)
	}
	if v, err := b2.Version(); err != nil || v != state.SchemaVersion() {
		t.Fatalf("backup schema = %d, %v", v, err)
	}
}
