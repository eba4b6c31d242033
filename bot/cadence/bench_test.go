package cadence

import (
	"testing"
	"time"
)

// BenchmarkNext measures one Next call for a conversation deep into a
// realistic cadence: 6 scripts (4 numbered, 2 day-0), quiet hours, a cap,
// and 30 recorded sends.
func BenchmarkNext(b *testing.B) {
	cfg := cfgOf(sc(1, 1, 24, 1), sc(2, 1, 4, 2), sc(3, 2, 24, 1), sc(4, 3, 24, 1), sc(5, 0, 72, 1), sc(6, 0, 72, 2))
	w := Window{QuietStart: "22:00", QuietEnd: "08:00", DailyCap: 200}
	t0 := at("2026-03-05 21:30:00")
	st := State{FirstContactAt: t0, LastSentAt: t0}
	now := t0
	for len(st.Sent) < 30 {
		step, ok := Next(cfg, st, w, 0, now)
		if !ok {
			b.Fatal("cadence ended")
		}
		now = later(now, step.DueAt)
		Record(&st, step, now)
	}
	probe := now.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Next(cfg, st, w, 10, probe); !ok {
			b.Fatal("no step")
		}
	}
}

// BenchmarkChoose measures picking a config among 50 by position.
func BenchmarkChoose(b *testing.B) {
	snap := Snapshot{}
	for i := range 50 {
		snap.Configs = append(snap.Configs, Config{ID: uint64(i + 1), Position: "岗位" + string(rune('A'+i%26)) + "开发", IsActive: true})
	}
	snap.Configs = append(snap.Configs, Config{ID: 99, IsActive: true})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Choose(snap, "高级岗位Z开发工程师"); !ok {
			b.Fatal("no config")
		}
	}
}
