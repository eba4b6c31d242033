package cadence

import (
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

func TestChoose(t *testing.T) {
	snap := Snapshot{Version: 3, Configs: []Config{
		{ID: 1, Position: "", IsActive: true},          // generic
		{ID: 2, Position: "Python开发", IsActive: true},  // specific
		{ID: 3, Position: "Python", IsActive: true},    // broader
		{ID: 4, Position: "Java开发", IsActive: false},   // inactive
		{ID: 5, Position: "python开发", IsActive: true},  // same as 2 after folding: 2 wins (lower id)
		{ID: 6, Position: "Go 后端", IsActive: true},     // white space is ignored
		{ID: 7, Position: "数据分析师（高级）", IsActive: true}, // full-width brackets fold
		{ID: 8, Position: "Python测试", IsActive: true},
		{ID: 9, Position: "", IsActive: true}, // second generic: 1 wins
	}}
	for _, tc := range []struct {
		position string
		want     uint64
	}{
		{"Python开发", 2},      // exact
		{"  PYTHON开发 ", 2},   // case and spaces
		{"Ｐｙｔｈｏｎ开发", 2},      // full-width letters
		{"高级Python开发工程师", 2}, // config contained in the job: longest wins over "Python"
		{"Python", 3},        // exact beats substring
		{"Pyth", 3},          // job contained in configs: shortest ("Python") wins
		{"Python测试工程师", 8},   // longest contained
		{"Go后端", 6},          // white space in the config ignored
		{"go 后端 开发", 6},      // and in the job
		{"数据分析师(高级)", 7},     // NFKC folds the brackets
		{"Java开发", 1},        // inactive config: generic fallback
		{"Rust", 1},          // no match: generic
		{"", 1},              // no position: generic only
		{"开发", 2},            // contained in several: shortest, then lowest id
	} {
		got, ok := Choose(snap, tc.position)
		if !ok || got.ID != tc.want {
			t.Errorf("Choose(%q) = %d ok=%v, want %d", tc.position, got.ID, ok, tc.want)
		}
	}
	// No generic config and no match: no follow-ups.
	noGeneric := Snapshot{Configs: []Config{{ID: 2, Position: "Python开发", IsActive: true}, {ID: 1, Position: "", IsActive: false}}}
	if c, ok := Choose(noGeneric, "Rust"); ok {
		t.Errorf("no generic: got %d", c.ID)
	}
	if c, ok := Choose(noGeneric, ""); ok {
		t.Errorf("empty position without generic: got %d", c.ID)
	}
	if _, ok := Choose(Snapshot{}, "Python"); ok {
		t.Error("empty snapshot chose a config")
	}
	// The chosen config keeps its scripts (inactive ones too: Next skips them).
	withScripts := Snapshot{Configs: []Config{{ID: 1, IsActive: true, Scripts: []Script{sc(1, 1, 0, 0), {ID: 2, IsActive: false}}}}}
	if c, _ := Choose(withScripts, "x"); len(c.Scripts) != 2 {
		t.Errorf("scripts: %+v", c.Scripts)
	}
}

func TestFromState(t *testing.T) {
	created := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	in := []wire.ConfigWithScripts{{
		FollowupConfig: wire.FollowupConfig{ID: 4, Name: "Python开发复聊配置", Position: "Python开发", IsActive: true, CreatedAt: created},
		Scripts: []wire.FollowupScript{
			{ID: 9, ConfigID: 4, DayNumber: 0, Content: "您好,如果您感兴趣可以随时联系我。", IntervalHours: 72, Order: 1, IsActive: true, CreatedAt: created},
			{ID: 7, ConfigID: 4, DayNumber: 2, Content: "第二天", IntervalHours: 24, Order: 3, IsActive: false},
		},
	}, {FollowupConfig: wire.FollowupConfig{ID: 5, Name: "通用", IsActive: false}}}
	got := FromState(12, in)
	want := Snapshot{Version: 12, Configs: []Config{
		{ID: 4, Name: "Python开发复聊配置", Position: "Python开发", IsActive: true, Scripts: []Script{
			{ID: 9, ConfigID: 4, DayNumber: 0, Content: "您好,如果您感兴趣可以随时联系我。", IntervalHours: 72, Order: 1, IsActive: true},
			{ID: 7, ConfigID: 4, DayNumber: 2, Content: "第二天", IntervalHours: 24, Order: 3, IsActive: false},
		}},
		{ID: 5, Name: "通用", IsActive: false, Scripts: []Script{}},
	}}
	if !equalSnap(got, want) {
		t.Fatalf("FromState:\n got  %+v\n want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatal(err)
	}
}

func equalSnap(a, b Snapshot) bool {
	if a.Version != b.Version || len(a.Configs) != len(b.Configs) {
		return false
	}
	for i := range a.Configs {
		x, y := a.Configs[i], b.Configs[i]
		if x.ID != y.ID || x.Name != y.Name || x.Position != y.Position || x.IsActive != y.IsActive || len(x.Scripts) != len(y.Scripts) {
			return false
		}
		for j := range x.Scripts {
			if x.Scripts[j] != y.Scripts[j] {
				return false
			}
		}
	}
	return true
}

func TestSnapshotValidate(t *testing.T) {
	for _, tc := range []struct {
		s   Script
		err string
	}{
		{Script{ID: 1, DayNumber: -1}, "configs[1].scripts[0].day_number: must be >= 0"},
		{Script{ID: 1, IntervalHours: -2}, "configs[1].scripts[0].interval_hours: must be >= 0"},
		{Script{ID: 0}, "configs[1].scripts[0].id: must not be 0"},
	} {
		snap := Snapshot{Configs: []Config{{ID: 1, Scripts: []Script{sc(1, 1, 0, 0)}}, {ID: 2, Scripts: []Script{tc.s}}}}
		err := snap.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
			t.Errorf("%+v: err %v, want %q", tc.s, err, tc.err)
		}
	}
}
