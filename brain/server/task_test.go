package server

import (
	"reflect"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
)

func at(hhmm string) time.Time {
	t, _ := time.ParseInLocation("2006-01-02 15:04", "2026-11-23 "+hhmm, clock.Shanghai)
	return t
}

func TestRescaleTask(t *testing.T) {
	slots := func(kv ...any) []brain.TimeMount {
		var out []brain.TimeMount
		for i := 0; i < len(kv); i += 2 {
			out = append(out, brain.TimeMount{Time: kv[i].(string), Mount: kv[i+1].(int)})
		}
		return out
	}
	tests := []struct {
		name     string
		cfg      brain.TaskConfig
		reported int
		now      string
		wantSum  int
		want     []brain.TimeMount
	}{
		{"spec worked example", brain.TaskConfig{HelloSum: 50, TimeMount: slots("09:00", 25, "16:00", 25)}, 13, "12:00", 37, slots("16:00", 37)},
		{"before every slot keeps weights", brain.TaskConfig{HelloSum: 50, TimeMount: slots("09:00", 25, "16:00", 25)}, 0, "08:00", 50, slots("09:00", 25, "16:00", 25)},
		{"slot at exactly now is past", brain.TaskConfig{HelloSum: 50, TimeMount: slots("09:00", 25, "16:00", 25)}, 0, "09:00", 50, slots("16:00", 50)},
		{"uneven weights round to exact sum", brain.TaskConfig{HelloSum: 10, TimeMount: slots("10:00", 1, "11:00", 1, "12:00", 1)}, 0, "08:00", 10, slots("10:00", 4, "11:00", 3, "12:00", 3)},
		{"weights proportional", brain.TaskConfig{HelloSum: 40, TimeMount: slots("10:00", 10, "14:00", 30)}, 20, "09:30", 20, slots("10:00", 5, "14:00", 15)},
		{"over-reported clamps to zero", brain.TaskConfig{HelloSum: 5, TimeMount: slots("16:00", 5)}, 9, "12:00", 0, slots("16:00", 0)},
		{"all zero weights share equally", brain.TaskConfig{HelloSum: 7, TimeMount: slots("13:00", 0, "15:00", 0)}, 0, "12:00", 7, slots("13:00", 4, "15:00", 3)},
		{"no future slot", brain.TaskConfig{HelloSum: 50, TimeMount: slots("09:00", 25)}, 3, "21:00", 47, slots()},
		{"bad slot time skipped", brain.TaskConfig{HelloSum: 4, TimeMount: slots("nope", 9, "18:00", 1)}, 0, "12:00", 4, slots("18:00", 4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, got := rescaleTask(tt.cfg, tt.reported, at(tt.now))
			if sum != tt.wantSum {
				t.Errorf("helloSum = %d, want %d", sum, tt.wantSum)
			}
			if tt.want == nil {
				tt.want = []brain.TimeMount{}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("timeMount = %v, want %v", got, tt.want)
			}
			total := 0
			for _, s := range got {
				total += s.Mount
			}
			if len(got) > 0 && total != sum {
				t.Errorf("mounts sum to %d, want %d", total, sum)
			}
		})
	}
}
