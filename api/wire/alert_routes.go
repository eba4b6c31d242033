package wire

import "time"

// RouteItem is an alert queued for one IM route (a WeCom, DingTalk or
// Feishu robot, see docs/operations.md): its delivery state on that route
// is kept apart from the alert's own webhook state.
type RouteItem struct {
	Alert    Alert     `json:"alert"`
	Attempts int       `json:"attempts"`
	NextAt   time.Time `json:"next_at"`
	LastErr  string    `json:"last_error,omitempty"`
}

// AlertWorkerLost is the state of an alert raised when a worker holding
// running accounts stops sending heartbeats (not an account state; account
// "", worker_id set).
const AlertWorkerLost = "worker_lost"
