package api

import (
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// alertKind is the routing and batching kind of an alert: the state it
// entered (paused_risk, needs_login, quota_reached, error), "recovered" for
// a return to running, or the kind of a non-state alert (reports_parked,
// worker_lost, auth_burst).
func alertKind(al wire.Alert) string {
	if al.State == wire.AccountRunning {
		return "recovered"
	}
	return string(al.State)
}

// deliveryOutcome names an attempt's result for the
// hunterbot_alert_deliveries_total outcome label.
func deliveryOutcome(outcome wire.Delivery, next time.Time) string {
	switch {
	case outcome != "":
		return string(outcome) // delivered, skipped
	case next.IsZero():
		return "failed" // gave up
	default:
		return "retry"
	}
}
