package console

import (
	"net/http"
	"strconv"

	"github.com/hunterbot/hunterbot/api/wire"
)

// AI-hosted marketing-notice plans (seed 002, state/marketing.go): the
// plans by group with their status, window and reply strategy; enable and
// terminate. Plans are written through the API (/api/v1/marketing-notice).

type planGroup struct {
	Group wire.MNGroup
	Plans []planRow
}

// planRow is a plan with its tasks' counters (the API's plan list has the
// same, from the same store function).
type planRow struct {
	wire.MNPlan
	C wire.MNPlanSummary
}

func (c *Console) plansPage(w http.ResponseWriter, r *http.Request, s *session) {
	groups, err := c.store.ListMNGroups()
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	plans, err := c.store.ListMNPlans()
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	counters, err := c.store.MNPlanCounters()
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	out := make([]planGroup, 0, len(groups))
	idx := map[uint64]int{}
	for _, g := range groups {
		idx[g.ID] = len(out)
		out = append(out, planGroup{Group: g})
	}
	for _, p := range plans {
		i, ok := idx[p.GroupID]
		if !ok {
			continue // its group was deleted between the two reads
		}
		out[i].Plans = append(out[i].Plans, planRow{MNPlan: p, C: counters[p.ID]})
	}
	c.render(w, r, s, http.StatusOK, "plans", out)
}

// setPlanStatus enables (EXECUTION) or terminates (TERMINATION) a plan;
// the store refuses moves the seed does not allow, naming the field.
func (c *Console) setPlanStatus(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "id", Msg: "must be a number"})
		return
	}
	to := r.PostFormValue("status")
	if to != wire.MNPlanExecution && to != wire.MNPlanTermination {
		c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "status", Msg: "must be EXECUTION or TERMINATION"})
		return
	}
	if _, err := c.store.SetMNPlanStatus(id, to); err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.log.Info().Uint64("plan", id).Str("status", to).Str("by", s.User).Msg("console: plan status changed")
	http.Redirect(w, r, "/ui/plans", http.StatusSeeOther)
}
