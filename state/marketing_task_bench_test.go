package state

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// benchPlanTask stores a running plan and a task of n members over 10
// accounts of worker w1 (pinned by the sheet's account column); the
// clock starts inside the plan's window.
func benchPlanTask(b *testing.B, n int) (*DB, wire.MNTask) {
	b.Helper()
	clk := clock.NewManual(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC))
	db, err := Open(filepath.Join(b.TempDir(), "control.db"), Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var contacts []wire.ContactInput
	for a := 0; a < 10; a++ {
		contacts = append(contacts, wire.ContactInput{Account: fmt.Sprintf("boss-%02d", a), CandidateID: "seed"})
	}
	if _, err := db.UpsertContacts("w1", contacts); err != nil {
		b.Fatal(err)
	}
	g, err := db.CreateMNGroup("g")
	if err != nil {
		b.Fatal(err)
	}
	p, err := db.CreateMNPlan(wire.MNPlanInput{Options: wire.MNOptionRelease, Data: &wire.MNPlanData{Name: "p", GroupID: g.ID,
		StartTime: wire.SeedTime{Time: clk.Now().Add(-time.Hour)}, EndTime: wire.SeedTime{Time: clk.Now().Add(30 * 24 * time.Hour)}}})
	if err != nil {
		b.Fatal(err)
	}
	t, err := db.CreateMNTask(wire.MNTaskCreate{PlanID: p.ID, Name: "bench", Members: benchMembers(0, n)})
	if err != nil {
		b.Fatal(err)
	}
	return db, t
}

func benchMembers(batch, n int) []wire.NotifyMember {
	ms := make([]wire.NotifyMember, n)
	for i := range ms {
		ms[i] = wire.NotifyMember{UserID: fmt.Sprintf("geek-%d-%07d", batch, i), Account: fmt.Sprintf("boss-%02d", i%10),
			Vars: map[string]string{"city": "杭州"}}
	}
	return ms
}

// BenchmarkCreateMNTask: one task of 10 000 members (resolution, members,
// indexes and counters in one transaction).
func BenchmarkCreateMNTask(b *testing.B) {
	db, t := benchPlanTask(b, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.CreateMNTask(wire.MNTaskCreate{PlanID: t.PlanID, Name: "bench", Members: benchMembers(i+1, 10_000)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanMembers: a worker's pull over a task of 10 000 open members
// on its 10 accounts.
func BenchmarkPlanMembers(b *testing.B) {
	db, _ := benchPlanTask(b, 10_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := db.PlanMembers("w1", "")
		if err != nil || len(res.Members) != 10_000 {
			b.Fatalf("%d members, %v", len(res.Members), err)
		}
	}
}

// BenchmarkApplyPlanEvents: a batch of 100 events (reply with a mood and
// a summary, then a scene) on a 10 000-member task.
func BenchmarkApplyPlanEvents(b *testing.B) {
	db, t := benchPlanTask(b, 10_000)
	first := uint64(1) // member ids start at 1 in a fresh store
	at := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		evs := make([]wire.PlanEvent, 0, 100)
		for j := 0; j < 50; j++ {
			m := first + uint64((i*50+j)%int(t.TotalMember))
			acct := fmt.Sprintf("boss-%02d", (m-1)%10)
			evs = append(evs,
				wire.PlanEvent{ID: fmt.Sprintf("r-%d-%d", i, j), MemberID: m, Account: acct, Kind: wire.PlanEventReply, Mood: "满意", Summary: "候选人同意面试", At: at},
				wire.PlanEvent{ID: fmt.Sprintf("s-%d-%d", i, j), MemberID: m, Account: acct, Kind: wire.PlanEventScene, SceneID: 1, At: at})
		}
		res, err := db.ApplyPlanEvents("w1", evs)
		if err != nil || res.Rejected != 0 {
			b.Fatalf("%+v %v", res.Results[0], err)
		}
	}
}

// BenchmarkListMNTaskMembers: a filtered member list of a 10 000-member
// task (the API pages it in memory).
func BenchmarkListMNTaskMembers(b *testing.B) {
	db, t := benchPlanTask(b, 10_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ms, err := db.ListMNTaskMembers(t.ID, wire.MNTaskMemberFilter{Status: wire.MemberNotReached, KeyWord: "geek-0-00099"})
		if err != nil || len(ms) != 100 {
			b.Fatalf("%d members, %v", len(ms), err)
		}
	}
}
