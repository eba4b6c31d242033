package state

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/api/wire"
)

var keyFollowupVersion = []byte("followup_version")

func checkText(field, v string, min, max int) error {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		return fieldErr(field, "must be valid UTF-8")
	case n < min && min == 1:
		return fieldErr(field, "must not be empty")
	case n < min:
		return fieldErr(field, "must be at least %d characters", min)
	case n > max:
		return fieldErr(field, "must be at most %d characters", max)
	}
	return nil
}

// bumpFollowupVersion increments the version workers poll; called in every
// transaction that changes configs or scripts.
func bumpFollowupVersion(tx *bbolt.Tx) error {
	m := tx.Bucket(bucketMeta)
	var v uint64
	if b := m.Get(keyFollowupVersion); len(b) == 8 {
		v = btou(b)
	}
	return m.Put(keyFollowupVersion, u64(v+1))
}

func readFollowupVersion(tx *bbolt.Tx) uint64 {
	if b := tx.Bucket(bucketMeta).Get(keyFollowupVersion); len(b) == 8 {
		return btou(b)
	}
	return 0
}

// CreateConfig validates and stores a new config. Name is required;
// IsActive defaults to true.
func (db *DB) CreateConfig(p wire.ConfigPatch) (wire.FollowupConfig, error) {
	if p.Name == nil {
		return wire.FollowupConfig{}, fieldErr("name", "required")
	}
	c := wire.FollowupConfig{IsActive: true}
	if err := applyConfigPatch(&c, p); err != nil {
		return wire.FollowupConfig{}, err
	}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketConfigs)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		c.ID = id
		c.CreatedAt, c.UpdatedAt = db.now(), db.now()
		if err := putJSON(b, u64(id), c); err != nil {
			return err
		}
		return bumpFollowupVersion(tx)
	})
	return c, err
}

func applyConfigPatch(c *wire.FollowupConfig, p wire.ConfigPatch) error {
	if p.Name != nil {
		name := strings.TrimSpace(*p.Name)
		if err := checkText("name", name, 1, wire.MaxConfigName); err != nil {
			return err
		}
		c.Name = name
	}
	if p.Position != nil {
		pos := strings.TrimSpace(*p.Position)
		if err := checkText("position", pos, 0, wire.MaxPosition); err != nil {
			return err
		}
		c.Position = pos
	}
	if p.IsActive != nil {
		c.IsActive = *p.IsActive
	}
	return nil
}

// UpdateConfig applies the given fields to config id.
func (db *DB) UpdateConfig(id uint64, p wire.ConfigPatch) (wire.ConfigWithScripts, error) {
	var out wire.ConfigWithScripts
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketConfigs)
		var c wire.FollowupConfig
		if err := getJSON(b, u64(id), &c); err != nil {
			return fmt.Errorf("followup config %d: %w", id, err)
		}
		if err := applyConfigPatch(&c, p); err != nil {
			return err
		}
		c.UpdatedAt = db.now()
		if err := putJSON(b, u64(id), c); err != nil {
			return err
		}
		out = wire.ConfigWithScripts{FollowupConfig: c, Scripts: scriptsOf(tx, id, nil)}
		return bumpFollowupVersion(tx)
	})
	return out, err
}

// DeleteConfig removes a config and its scripts. Follow-up records keep
// their config_id as history.
func (db *DB) DeleteConfig(id uint64) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketConfigs)
		if b.Get(u64(id)) == nil {
			return fmt.Errorf("followup config %d: %w", id, wire.ErrNotFound)
		}
		for _, s := range scriptsOf(tx, id, nil) {
			if err := deleteScript(tx, s); err != nil {
				return err
			}
		}
		if err := b.Delete(u64(id)); err != nil {
			return err
		}
		return bumpFollowupVersion(tx)
	})
}

// GetConfig returns one config with its scripts.
func (db *DB) GetConfig(id uint64) (wire.ConfigWithScripts, error) {
	var out wire.ConfigWithScripts
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketConfigs), u64(id), &out.FollowupConfig); err != nil {
			return fmt.Errorf("followup config %d: %w", id, err)
		}
		out.Scripts = scriptsOf(tx, id, nil)
		return nil
	})
	return out, err
}

// ListConfigs returns configs (id order) with their scripts, filtered by an
// exact position and/or is_active when given.
func (db *DB) ListConfigs(position *string, active *bool) ([]wire.ConfigWithScripts, error) {
	out := []wire.ConfigWithScripts{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketConfigs).ForEach(func(k, v []byte) error {
			var c wire.FollowupConfig
			if err := jsonUnmarshal(v, &c); err != nil {
				return err
			}
			if position != nil && c.Position != *position {
				return nil
			}
			if active != nil && c.IsActive != *active {
				return nil
			}
			out = append(out, wire.ConfigWithScripts{FollowupConfig: c, Scripts: scriptsOf(tx, c.ID, nil)})
			return nil
		})
	})
	return out, err
}

// FollowupSnapshot returns the follow-up version and every config with all
// its scripts (inactive ones included, flagged) for workers.
func (db *DB) FollowupSnapshot() (uint64, []wire.ConfigWithScripts, error) {
	var v uint64
	var out []wire.ConfigWithScripts
	// Version and configs come from one transaction: a consistent pair.
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		v = readFollowupVersion(tx)
		out = []wire.ConfigWithScripts{}
		return tx.Bucket(bucketConfigs).ForEach(func(k, val []byte) error {
			var c wire.FollowupConfig
			if err := jsonUnmarshal(val, &c); err != nil {
				return err
			}
			out = append(out, wire.ConfigWithScripts{FollowupConfig: c, Scripts: scriptsOf(tx, c.ID, nil)})
			return nil
		})
	})
	return v, out, err
}

// FollowupVersion returns the current follow-up version (changes on every
// config or script write).
func (db *DB) FollowupVersion() (uint64, error) {
	var v uint64
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		v = readFollowupVersion(tx)
		return nil
	})
	return v, err
}

// sortScripts orders scripts by day_number with day 0 ("from then on")
// last, then by order, then id: the order a worker uses them in.
func sortScripts(s []wire.FollowupScript) {
	day := func(d int) int {
		if d == 0 {
			return int(^uint(0) >> 1)
		}
		return d
	}
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if day(a.DayNumber) != day(b.DayNumber) {
			return day(a.DayNumber) < day(b.DayNumber)
		}
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.ID < b.ID
	})
}

// scriptsOf returns config's scripts (optionally of one day), sorted.
func scriptsOf(tx *bbolt.Tx, configID uint64, day *int) []wire.FollowupScript {
	out := []wire.FollowupScript{}
	sb := tx.Bucket(bucketScripts)
	c := tx.Bucket(bucketScriptsByCfg).Cursor()
	prefix := u64(configID)
	for k, _ := c.Seek(prefix); k != nil && len(k) == 16 && btou(k[:8]) == configID; k, _ = c.Next() {
		var s wire.FollowupScript
		if getJSON(sb, k[8:], &s) != nil {
			continue
		}
		if day != nil && s.DayNumber != *day {
			continue
		}
		out = append(out, s)
	}
	sortScripts(out)
	return out
}

func deleteScript(tx *bbolt.Tx, s wire.FollowupScript) error {
	if err := tx.Bucket(bucketScriptsByCfg).Delete(pairKey(s.ConfigID, s.ID)); err != nil {
		return err
	}
	return tx.Bucket(bucketScripts).Delete(u64(s.ID))
}

func applyScriptPatch(tx *bbolt.Tx, s *wire.FollowupScript, p wire.ScriptPatch) error {
	if p.ConfigID != nil {
		if tx.Bucket(bucketConfigs).Get(u64(*p.ConfigID)) == nil {
			return fmt.Errorf("config_id %d: %w", *p.ConfigID, wire.ErrNotFound)
		}
		s.ConfigID = *p.ConfigID
	}
	if p.DayNumber != nil {
		if *p.DayNumber < 0 || *p.DayNumber > wire.MaxDayNumber {
			return fieldErr("day_number", "must be 0 (every day after) or 1..%d", wire.MaxDayNumber)
		}
		s.DayNumber = *p.DayNumber
	}
	if p.Content != nil {
		c := strings.TrimSpace(*p.Content)
		if err := checkText("content", c, 1, wire.MaxScriptContent); err != nil {
			return err
		}
		s.Content = c
	}
	if p.IntervalHours != nil {
		if *p.IntervalHours < 0 || *p.IntervalHours > wire.MaxIntervalHours {
			return fieldErr("interval_hours", "must be 0..%d", wire.MaxIntervalHours)
		}
		s.IntervalHours = *p.IntervalHours
	}
	if p.Order != nil {
		if *p.Order < 0 || *p.Order > 1_000_000 {
			return fieldErr("order", "must be 0..1000000")
		}
		s.Order = *p.Order
	}
	if p.IsActive != nil {
		s.IsActive = *p.IsActive
	}
	return nil
}

// CreateScript stores a script. config_id, day_number and content are
// required; interval_hours defaults to 24, order to 0, is_active to true.
func (db *DB) CreateScript(p wire.ScriptPatch) (wire.FollowupScript, error) {
	switch {
	case p.ConfigID == nil:
		return wire.FollowupScript{}, fieldErr("config_id", "required")
	case p.DayNumber == nil:
		return wire.FollowupScript{}, fieldErr("day_number", "required")
	case p.Content == nil:
		return wire.FollowupScript{}, fieldErr("content", "required")
	}
	s := wire.FollowupScript{IntervalHours: 24, IsActive: true}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		if err := applyScriptPatch(tx, &s, p); err != nil {
			return err
		}
		b := tx.Bucket(bucketScripts)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		s.ID, s.CreatedAt = id, db.now()
		if err := putJSON(b, u64(id), s); err != nil {
			return err
		}
		if err := tx.Bucket(bucketScriptsByCfg).Put(pairKey(s.ConfigID, id), nil); err != nil {
			return err
		}
		return bumpFollowupVersion(tx)
	})
	return s, err
}

// UpdateScript applies the given fields; moving to another config_id moves
// its index entry in the same transaction.
func (db *DB) UpdateScript(id uint64, p wire.ScriptPatch) (wire.FollowupScript, error) {
	var s wire.FollowupScript
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketScripts)
		if err := getJSON(b, u64(id), &s); err != nil {
			return fmt.Errorf("followup script %d: %w", id, err)
		}
		oldCfg := s.ConfigID
		if err := applyScriptPatch(tx, &s, p); err != nil {
			return err
		}
		if s.ConfigID != oldCfg {
			idx := tx.Bucket(bucketScriptsByCfg)
			if err := idx.Delete(pairKey(oldCfg, id)); err != nil {
				return err
			}
			if err := idx.Put(pairKey(s.ConfigID, id), nil); err != nil {
				return err
			}
		}
		if err := putJSON(b, u64(id), s); err != nil {
			return err
		}
		return bumpFollowupVersion(tx)
	})
	return s, err
}

// DeleteScript removes a script.
func (db *DB) DeleteScript(id uint64) error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		var s wire.FollowupScript
		if err := getJSON(tx.Bucket(bucketScripts), u64(id), &s); err != nil {
			return fmt.Errorf("followup script %d: %w", id, err)
		}
		if err := deleteScript(tx, s); err != nil {
			return err
		}
		return bumpFollowupVersion(tx)
	})
}

// ListScripts returns scripts filtered by config and/or day. An unknown
// config_id gives ErrNotFound rather than an empty list.
func (db *DB) ListScripts(configID *uint64, day *int) ([]wire.FollowupScript, error) {
	out := []wire.FollowupScript{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		if configID != nil {
			if tx.Bucket(bucketConfigs).Get(u64(*configID)) == nil {
				return fmt.Errorf("config_id %d: %w", *configID, wire.ErrNotFound)
			}
			out = scriptsOf(tx, *configID, day)
			return nil
		}
		err := tx.Bucket(bucketScripts).ForEach(func(k, v []byte) error {
			var s wire.FollowupScript
			if err := jsonUnmarshal(v, &s); err != nil {
				return err
			}
			if day == nil || s.DayNumber == *day {
				out = append(out, s)
			}
			return nil
		})
		return err
	})
	if err == nil && configID == nil {
		// Group by config, each group in script order.
		sort.SliceStable(out, func(i, j int) bool { return out[i].ConfigID < out[j].ConfigID })
		start := 0
		for i := 1; i <= len(out); i++ {
			if i == len(out) || out[i].ConfigID != out[start].ConfigID {
				sortScripts(out[start:i])
				start = i
			}
		}
	}
	return out, err
}
