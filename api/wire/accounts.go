package wire

import (
	"time"
)

// Account is one recruiter account as its worker last reported it. Key is
// the worker-side account name (unique across the fleet); ID is the numeric
// account_id seed 001 prints on contacts.
type Account struct {
	ID         uint64           `json:"id"`
	Key        string           `json:"key"`
	WorkerID   string           `json:"worker_id"`
	Name       string           `json:"name"`
	State      AccountState     `json:"state"`
	Counters   map[string]int64 `json:"counters"`
	LastError  string           `json:"last_error"`
	LastSeenAt *time.Time       `json:"last_seen_at"`
	CreatedAt  time.Time        `json:"created_at"`
	// Managed accounts (defined through /api/accounts) also carry their
	// desired state, lease and last state change; static (YAML) ones leave
	// these empty.
	Managed    bool         `json:"managed,omitempty"`
	Desired    string       `json:"desired,omitempty"`
	Pin        string       `json:"pin,omitempty"`
	Lease      *Lease       `json:"lease,omitempty"`
	LastChange *StateChange `json:"last_change,omitempty"`
}

// AccountStatus is one account in a worker's register/heartbeat report.
type AccountStatus struct {
	Key       string           `json:"key"`
	Name      string           `json:"name"`
	State     AccountState     `json:"state"`
	Counters  map[string]int64 `json:"counters"`
	LastError string           `json:"last_error"`
	// Epoch is the lease epoch of a managed account (0 for a static one).
	Epoch uint64 `json:"epoch,omitempty"`
	// Run identifies this agent run (one start of the account on one
	// worker) and Days its per-day action counts since that start; the
	// control plane keeps each run's counts and sums the runs of a day, so
	// a restart or a move mid-day neither loses nor double-counts.
	Run  string     `json:"run,omitempty"`
	Days []DayCount `json:"days,omitempty"`
}
