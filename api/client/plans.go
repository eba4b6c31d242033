package client

import (
	"context"
	"net/url"

	"github.com/hunterbot/hunterbot/api/wire"
)

// --- worker side of marketing-notice plan tasks (api/wire/marketing_task.go) ---

// PlanMembers pulls the plan-task members of this worker's accounts (all
// of them when account is empty) and the plans hosting them.
func (w *Worker) PlanMembers(ctx context.Context, account string) (wire.PlanMembersResponse, error) {
	var out wire.PlanMembersResponse
	req := w.r.R().SetContext(ctx).SetResult(&out)
	if account != "" {
		req.SetQueryParamsFromValues(url.Values{"account": {account}})
	}
	err := check(req.Get("/api/worker/plan-members"))
	return out, err
}

// ClaimPlanMember asks whether the member's greetings may be sent now. A
// repeated claim by the same account answers true again, so a worker that
// crashed after claiming settles its sends.
func (w *Worker) ClaimPlanMember(ctx context.Context, req wire.PlanClaimRequest) (wire.PlanClaimResponse, error) {
	var out wire.PlanClaimResponse
	err := check(w.r.R().SetContext(ctx).SetBody(req).SetResult(&out).Post("/api/worker/plan-claim"))
	return out, err
}

// PlanEvents reports what happened to members; every event carries its
// own id, so delivering one twice is harmless. The answer says, per event,
// whether it was applied, a duplicate or rejected (a rejection is final).
func (w *Worker) PlanEvents(ctx context.Context, events []wire.PlanEvent) (wire.PlanEventsResponse, error) {
	var out wire.PlanEventsResponse
	err := check(w.r.R().SetContext(ctx).SetBody(wire.PlanEventsRequest{Events: events}).SetResult(&out).Post("/api/worker/plan-events"))
	return out, err
}
