package cadence

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Script is one follow-up message of a config (seed 000 follow_up_script).
// DayNumber 1, 2, … is the cadence day the script belongs to; 0 means
// "from then on, forever" (used on every day that has no numbered script).
type Script struct {
	ID            uint64 `json:"id"`
	ConfigID      uint64 `json:"config_id"`
	DayNumber     int    `json:"day_number"`
	Content       string `json:"content"`
	IntervalHours int    `json:"interval_hours"`
	Order         int    `json:"order"`
	IsActive      bool   `json:"is_active"`
}

// Config is a follow-up configuration with its scripts (seed 000
// follow_up_config). An empty Position makes it the generic config.
type Config struct {
	ID       uint64   `json:"id"`
	Name     string   `json:"name"`
	Position string   `json:"position"`
	IsActive bool     `json:"is_active"`
	Scripts  []Script `json:"scripts"`
}

// Snapshot is the worker's copy of every config, as pulled from
// GET /api/worker/followup-configs. Version is the control plane's
// follow-up version (pass it back to Worker.FollowupConfigs).
type Snapshot struct {
	Version uint64   `json:"version"`
	Configs []Config `json:"configs"`
}

// FromState converts the control plane's snapshot (api.FollowupSnapshot's
// Version and Configs) into a Snapshot, field for field. Inactive configs
// and scripts are kept; Choose and Next skip them.
func FromState(version uint64, cfgs []wire.ConfigWithScripts) Snapshot {
	out := Snapshot{Version: version, Configs: make([]Config, 0, len(cfgs))}
	for _, c := range cfgs {
		cfg := Config{ID: c.ID, Name: c.Name, Position: c.Position, IsActive: c.IsActive,
			Scripts: make([]Script, 0, len(c.Scripts))}
		for _, s := range c.Scripts {
			cfg.Scripts = append(cfg.Scripts, Script{ID: s.ID, ConfigID: s.ConfigID, DayNumber: s.DayNumber,
				Content: s.Content, IntervalHours: s.IntervalHours, Order: s.Order, IsActive: s.IsActive})
		}
		out.Configs = append(out.Configs, cfg)
	}
	return out
}

// Validate checks the fields Next relies on; errors name the field, e.g.
// "configs[0].scripts[2].interval_hours: must be >= 0". The control plane
// already enforces these, so an error here means a corrupt or foreign
// snapshot; Next ignores invalid scripts rather than guessing.
func (s Snapshot) Validate() error {
	for i, c := range s.Configs {
		for j, sc := range c.Scripts {
			f := func(name string) string { return fmt.Sprintf("configs[%d].scripts[%d].%s", i, j, name) }
			switch {
			case sc.DayNumber < 0:
				return fmt.Errorf("%s: must be >= 0, got %d", f("day_number"), sc.DayNumber)
			case sc.IntervalHours < 0:
				return fmt.Errorf("%s: must be >= 0, got %d", f("interval_hours"), sc.IntervalHours)
			case sc.ID == 0:
				return fmt.Errorf("%s: must not be 0", f("id"))
			}
		}
	}
	return nil
}

// usable reports whether Next may use script s.
func usable(s *Script) bool { return s.IsActive && s.DayNumber >= 0 && s.IntervalHours >= 0 }

// Choose picks the config for a conversation whose job/position is
// position. Only active configs count (a config's scripts do not: an
// active position config without active scripts deliberately means "no
// follow-ups for this position"). Positions are compared after
// normalisation (NFKC, so full-width letters match; lower case; all white
// space removed). In order of preference:
//
//  1. a config whose position equals position;
//  2. a config whose position is contained in position ("Python开发" for
//     the job "高级Python开发工程师"), the longest such position first;
//  3. a config whose position contains position (the job "Python" and the
//     config "Python开发"), the shortest such position first;
//  4. the generic config (empty position).
//
// Ties go to the lowest config id, so the choice is deterministic. An empty
// position only matches the generic config. ok is false when nothing
// matches: no follow-ups.
func Choose(s Snapshot, position string) (Config, bool) {
	want := normPosition(position)
	best, bestRank, bestLen := -1, 5, 0
	for i := range s.Configs {
		c := &s.Configs[i]
		if !c.IsActive {
			continue
		}
		have := normPosition(c.Position)
		rank, n := 5, len(have)
		switch {
		case have == "":
			rank = 4
		case want == "":
			continue
		case have == want:
			rank = 1
		case strings.Contains(want, have):
			rank, n = 2, -n // longer is better: compare negated
		case strings.Contains(have, want):
			rank = 3
		default:
			continue
		}
		better := best < 0 || rank < bestRank || (rank == bestRank && n < bestLen) ||
			(rank == bestRank && n == bestLen && c.ID < s.Configs[best].ID)
		if better {
			best, bestRank, bestLen = i, rank, n
		}
	}
	if best < 0 {
		return Config{}, false
	}
	return s.Configs[best], true
}

func normPosition(s string) string {
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}
