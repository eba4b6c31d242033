package wire

// Parked reports: a worker parks a brain report the brain keeps refusing
// for a reason in its data and reports how many it holds per account in
// the heartbeat counter CounterParked; a rise raises an AlertReportsParked
// alert, and CommandReplayParked puts them back into delivery.
const (
	// CounterParked is the heartbeat counter of parked outbox items.
	CounterParked = "parked"
	// AlertReportsParked is the State of the alert raised when an account's
	// parked items increase (the account's own state does not change).
	AlertReportsParked = "reports_parked"
	// CommandReplayParked puts an account's parked items back into
	// delivery on its worker.
	CommandReplayParked = "replay_parked"
)

// ReplayRequest is the optional body of POST
// /api/accounts/{key}/outbox/replay.
type ReplayRequest struct {
	Note string `json:"note"`
}
