package state

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

func TestDayCountsSumRunsAndKeepTheLargestReport(t *testing.T) {
	db, clk, _ := openTest(t) // 2024-03-01 08:00 in Shanghai
	beat := func(worker, run string, days ...wire.DayCount) {
		t.Helper()
		if _, err := db.Heartbeat(worker, []wire.AccountStatus{{Key: "acc1", State: "running", Run: run, Days: days}}); err != nil {
			t.Fatal(err)
		}
	}
	// Run a on w1 reports twice (counts grow); a late, older report must
	// not lower them. The account then restarts (run b) the same day.
	beat("w1", "a", wire.DayCount{Day: "2024-02-29", Greetings: 4, Messages: 2}, wire.DayCount{Day: "2024-03-01", Greetings: 1})
	beat("w1", "a", wire.DayCount{Day: "2024-03-01", Greetings: 3, Messages: 5, Followups: 2, Contacts: 1, Replies: 2})
	beat("w1", "a", wire.DayCount{Day: "2024-03-01", Greetings: 2, Messages: 4})
	beat("w1", "b", wire.DayCount{Day: "2024-03-01", Greetings: 1, Messages: 1, Replies: 1})
	got, err := db.DayCounts("acc1", "2024-02-01", "2024-03-31")
	if err != nil {
		t.Fatal(err)
	}
	want := []wire.DayCount{
		{Day: "2024-02-29", Greetings: 4, Messages: 2},
		{Day: "2024-03-01", Greetings: 4, Messages: 6, Followups: 2, Contacts: 1, Replies: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("days = %+v\nwant %+v", got, want)
	}
	if got, _ := db.DayCounts("acc1", "2024-03-01", "2024-03-01"); len(got) != 1 || got[0].Day != "2024-03-01" {
		t.Fatalf("one-day range: %+v", got)
	}
	if _, err := db.DayCounts("nope", "2024-03-01", "2024-03-01"); !errors.Is(err, wire.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}

	// Retention: once the clock passes it, the next heartbeat deletes the
	// old days in its transaction.
	clk.Advance(DayCountRetention + 24*time.Hour)
	today := clk.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	beat("w1", "c", wire.DayCount{Day: today, Greetings: 1})
	got, err = db.DayCounts("acc1", "2000-01-01", "2099-12-31")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Day != today {
		t.Fatalf("after retention: %+v", got)
	}
}

func TestHeartbeatDayCountsBadInputNamesTheField(t *testing.T) {
	db, _, _ := openTest(t)
	for _, tc := range []struct {
		st    wire.AccountStatus
		field string
	}{
		{wire.AccountStatus{Key: "a", Days: []wire.DayCount{{Day: "2024-03-01"}}}, "accounts[0].run"},
		{wire.AccountStatus{Key: "a", Run: "r", Days: []wire.DayCount{{Day: "1.3.2024"}}}, "accounts[0].days[0].day"},
		{wire.AccountStatus{Key: "a", Run: "r", Days: []wire.DayCount{{Day: "2024-03-05"}}}, "accounts[0].days[0].day"},
		{wire.AccountStatus{Key: "a", Run: "r", Days: []wire.DayCount{{Day: "2024-03-01", Messages: -1}}}, "accounts[0].days[0].messages"},
		{wire.AccountStatus{Key: "a", Run: "r", Days: make([]wire.DayCount, 4)}, "accounts[0].days"},
	} {
		_, err := db.Heartbeat("w1", []wire.AccountStatus{tc.st})
		var fe *wire.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%+v: %v, want a field error on %s", tc.st, err, tc.field)
		}
	}
	if accs, _ := db.ListAccounts(); len(accs) != 0 {
		t.Fatalf("a refused heartbeat stored accounts: %+v", accs)
	}
}
