package cadence_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot/cadence"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state"
)

// TestControlPlaneRoundTrip drives the cadence from what a worker really
// pulls: the seed's configs are written to a control-plane bbolt file,
// served over HTTP, fetched with the worker client, converted with
// FromState, and the resulting sends are pushed back as follow-up records
// (twice, to show the UID makes the push idempotent).
func TestControlPlaneRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2026, 3, 5, 10, 0, 0, 0, clock.Shanghai))
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const token = "worker-token-0123456789abcdef"
	if err := db.PutWorker("worker-001", token); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	s, err := api.NewServer(api.Options{Store: db, Clock: clk, DataDir: dir, PublicURL: srv.URL, MaxBodyBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()

	// Seed 000, scenario 1, plus a generic config and an inactive script.
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	yes, no := true, false
	generic, err := db.CreateConfig(wire.ConfigPatch{Name: str("通用复聊"), Position: str("")})
	if err != nil {
		t.Fatal(err)
	}
	py, err := db.CreateConfig(wire.ConfigPatch{Name: str("Python开发复聊配置"), Position: str("Python开发"), IsActive: &yes})
	if err != nil {
		t.Fatal(err)
	}
	scripts := []wire.ScriptPatch{
		{ConfigID: &py.ID, DayNumber: num(1), Content: str("后续沟通会更及时,您方便留一下您的微信号吗?我这边加您。"), IntervalHours: num(24), Order: num(1), IsActive: &yes},
		{ConfigID: &py.ID, DayNumber: num(2), Content: str("您好,不知道您是否方便留个联系方式?"), IntervalHours: num(24), Order: num(1), IsActive: &yes},
		{ConfigID: &py.ID, DayNumber: num(2), Content: str("(停用)"), IntervalHours: num(0), Order: num(0), IsActive: &no},
		{ConfigID: &py.ID, DayNumber: num(0), Content: str("您好,如果您感兴趣可以随时联系我。"), IntervalHours: num(72), Order: num(1), IsActive: &yes},
		{ConfigID: &generic.ID, DayNumber: num(1), Content: str("您好"), IntervalHours: num(24), Order: num(1)},
	}
	var ids []uint64
	for _, p := range scripts {
		sc, err := db.CreateScript(p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sc.ID)
	}

	w := client.NewWorker(srv.URL, token, 5*time.Second)
	apiSnap, changed, err := w.FollowupConfigs(ctx, 0)
	if err != nil || !changed {
		t.Fatalf("FollowupConfigs: changed=%v err=%v", changed, err)
	}
	snap := cadence.FromState(apiSnap.Version, apiSnap.Configs)
	if err := snap.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, changed, err := w.FollowupConfigs(ctx, snap.Version); err != nil || changed {
		t.Fatalf("same version refetched: changed=%v err=%v", changed, err)
	}
	cfg, ok := cadence.Choose(snap, "高级Python开发工程师")
	if !ok || cfg.ID != py.ID {
		t.Fatalf("chose %d ok=%v, want %d", cfg.ID, ok, py.ID)
	}
	if g, _ := cadence.Choose(snap, "产品经理"); g.ID != generic.ID {
		t.Fatalf("fallback chose %d, want generic %d", g.ID, generic.ID)
	}

	// Run the cadence on the manual clock for 10 days.
	win := cadence.Window{QuietStart: "22:00", QuietEnd: "08:00", Loc: clock.Shanghai, DailyCap: 50}
	st := cadence.State{FirstContactAt: clk.Now(), LastSentAt: clk.Now()}
	end := clk.Now().Add(10 * 24 * time.Hour)
	var records []wire.RecordInput
	var got []string
	for {
		step, ok := cadence.Next(cfg, st, win, 0, clk.Now())
		if !ok || step.DueAt.After(end) {
			break
		}
		if step.DueAt.After(clk.Now()) {
			clk.Set(step.DueAt)
		}
		records = append(records, step.RecordInput("acc1", "cand-42", clk.Now()))
		got = append(got, step.Key+"@"+clk.Now().In(clock.Shanghai).Format("01-02 15:04:05"))
		cadence.Record(&st, step, clk.Now())
	}
	want := []string{
		itoa(ids[0]) + "/1@03-05 10:00:30",
		itoa(ids[1]) + "/1@03-06 10:00:30",
		itoa(ids[3]) + "/1@03-09 10:00:30",
		itoa(ids[3]) + "/2@03-12 10:00:30",
	}
	if len(got) != len(want) {
		t.Fatalf("sends %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sends %v, want %v", got, want)
		}
	}

	for range 2 {
		if _, err := w.PushRecords(ctx, records); err != nil {
			t.Fatal(err)
		}
	}
	stored, total, err := db.ListRecords(wire.RecordFilter{ConfigID: &py.ID}, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(records) {
		t.Fatalf("%d records stored after pushing %d twice, want %d", total, len(records), len(records))
	}
	byUID := map[string]wire.FollowupRecord{}
	for _, r := range stored {
		byUID[r.UID] = r
	}
	r, ok := byUID["followup/acc1/cand-42/"+itoa(ids[1])+"/1"]
	if !ok || r.DayNumber != 2 || *r.ScriptID != ids[1] || r.Content != "您好,不知道您是否方便留个联系方式?" ||
		r.SentAt == nil || !r.SentAt.Equal(time.Date(2026, 3, 6, 10, 0, 30, 0, clock.Shanghai)) {
		t.Fatalf("day-2 record: %+v (all %v)", r, byUID)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
