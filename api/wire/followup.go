package wire

import (
	"time"
)

// FollowupConfig is a follow-up configuration (seed 000 follow_up_config).
type FollowupConfig struct {
	ID        uint64    `json:"id"`
	Name      string    `json:"name"`
	Position  string    `json:"position"`
	IsActive  bool      `json:"is_active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FollowupScript is one script line of a config (seed 000 follow_up_script).
// DayNumber 0 means "every day after the numbered ones".
type FollowupScript struct {
	ID            uint64    `json:"id"`
	ConfigID      uint64    `json:"config_id"`
	DayNumber     int       `json:"day_number"`
	Content       string    `json:"content"`
	IntervalHours int       `json:"interval_hours"`
	Order         int       `json:"order"`
	IsActive      bool      `json:"is_active"`
	CreatedAt     time.Time `json:"created_at"`
}

// ConfigWithScripts is a config and its scripts in display order.
type ConfigWithScripts struct {
	FollowupConfig
	Scripts []FollowupScript `json:"scripts"`
}

// ConfigPatch carries config fields; nil means "not given" (keep on update,
// default on create).
type ConfigPatch struct {
	Name     *string
	Position *string
	IsActive *bool
}

// ScriptPatch carries script fields; nil means "not given".
type ScriptPatch struct {
	ConfigID      *uint64
	DayNumber     *int
	Content       *string
	IntervalHours *int
	Order         *int
	IsActive      *bool
}

// Limits of follow-up fields (the seed's column sizes).
const (
	MaxConfigName    = 128
	MaxPosition      = 64
	MaxScriptContent = 2000
	MaxDayNumber     = 365
	MaxIntervalHours = 24 * 365
)
