package api

import (
	"net/http"
	"strings"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Seed 002's marketing notices: plan groups, scenes and AI-hosted
// conversation plans under /api/v1/marketing-notice. Errors use the plain
// family ({"detail", "field"}); the seed lists only status codes.

type marketingStore interface {
	CreateMNGroup(name string) (wire.MNGroup, error)
	UpdateMNGroup(id uint64, name string) (wire.MNGroup, error)
	DeleteMNGroup(id uint64) error
	GetMNGroup(id uint64) (wire.MNGroup, error)
	ListMNGroups() ([]wire.MNGroup, error)
	CreateMNScene(in wire.MNSceneInput) (wire.MNScene, error)
	UpdateMNScene(id uint64, in wire.MNSceneUpdate) (wire.MNScene, error)
	UnbindMNSceneExternalID(id uint64) (wire.MNScene, error)
	GetMNScene(id uint64) (wire.MNScene, error)
	ListMNScenes() ([]wire.MNScene, error)
	CreateMNPlan(in wire.MNPlanInput) (wire.MNPlan, error)
	UpdateMNPlan(id uint64, in wire.MNPlanInput) (wire.MNPlan, error)
	SetMNPlanStatus(id uint64, to string) (wire.MNPlan, error)
	DeleteMNPlan(id uint64) error
	GetMNPlan(id uint64) (wire.MNPlan, error)
	ListMNPlans() ([]wire.MNPlan, error)
	marketingTaskStore // marketing_task.go
}

func (s *Server) marketingRoutes() []route {
	const base = "/api/v1/marketing-notice"
	return append([]route{
		{"GET " + base + "/group", famPlain, authUser, s.listMNGroups},
		{"POST " + base + "/group", famPlain, authUser, s.createMNGroup},
		{"GET " + base + "/group/{id}", famPlain, authUser, s.getMNGroup},
		{"PUT " + base + "/group/{id}", famPlain, authUser, s.updateMNGroup},
		{"DELETE " + base + "/group/{id}", famPlain, authUser, s.deleteMNGroup},

		{"GET " + base + "/scene", famPlain, authUser, s.listMNScenes},
		{"POST " + base + "/scene", famPlain, authUser, s.createMNScene},
		{"GET " + base + "/scene/{id}", famPlain, authUser, s.getMNScene},
		{"PUT " + base + "/scene/{id}", famPlain, authUser, s.updateMNScene},
		{"PATCH " + base + "/scene/{id}/unbundled-externalId", famPlain, authUser, s.unbindMNScene},

		{"GET " + base, famPlain, authUser, s.listMNPlans},
		{"POST " + base, famPlain, authUser, s.createMNPlan},
		{"GET " + base + "/{id}", famPlain, authUser, s.getMNPlan},
		{"PUT " + base + "/{id}", famPlain, authUser, s.updateMNPlan},
		{"DELETE " + base + "/{id}", famPlain, authUser, s.deleteMNPlan},
		{"PATCH " + base + "/{id}/enable", famPlain, authUser, s.planStatus(wire.MNPlanExecution)},
		{"PATCH " + base + "/{id}/termination", famPlain, authUser, s.planStatus(wire.MNPlanTermination)},
	}, s.marketingTaskRoutes()...) // marketing_task.go
}

// empty is the seed's `{}` answer of deletes and state changes.
var empty = struct{}{}

// --- groups ---

var groupSortKeys = map[string]sortKey[wire.MNGroup]{
	"id":             byUint(func(g wire.MNGroup) uint64 { return g.ID }),
	"name":           byString(func(g wire.MNGroup) string { return g.Name }),
	"createTime":     byTime(func(g wire.MNGroup) wire.SeedTime { return g.CreateTime }),
	"lastUpdateTime": byTime(func(g wire.MNGroup) wire.SeedTime { return g.LastUpdateTime }),
}

type groupBody struct {
	Name string `json:"name"`
}

func (s *Server) listMNGroups(w http.ResponseWriter, r *http.Request) error {
	pq, err := readPageQuery(r, groupSortKeys)
	if err != nil {
		return err
	}
	ids, err := qIDList(r, "ids")
	if err != nil {
		return err
	}
	all, err := s.store.ListMNGroups()
	if err != nil {
		return err
	}
	var hits []wire.MNGroup
	for _, g := range all {
		if (ids == nil || ids[g.ID]) && (pq.KeyWord == "" || strings.Contains(g.Name, pq.KeyWord)) {
			hits = append(hits, g)
		}
	}
	writeJSON(w, http.StatusOK, newSpringPage(hits, pq, groupSortKeys))
	return nil
}

func (s *Server) createMNGroup(w http.ResponseWriter, r *http.Request) error {
	return createFrom(w, r, func(b groupBody) (wire.MNGroup, error) { return s.store.CreateMNGroup(b.Name) })
}

func (s *Server) getMNGroup(w http.ResponseWriter, r *http.Request) error {
	return answerByID(w, r, s.store.GetMNGroup)
}

func (s *Server) updateMNGroup(w http.ResponseWriter, r *http.Request) error {
	return updateFrom(w, r, func(id uint64, b groupBody) (wire.MNGroup, error) { return s.store.UpdateMNGroup(id, b.Name) })
}

func (s *Server) deleteMNGroup(w http.ResponseWriter, r *http.Request) error {
	return deleteByID(w, r, s.store.DeleteMNGroup)
}

// --- scenes ---

var sceneSortKeys = map[string]sortKey[wire.MNScene]{
	"id":                byUint(func(sc wire.MNScene) uint64 { return sc.ID }),
	"name":              byString(func(sc wire.MNScene) string { return sc.Name }),
	"externalId":        byString(func(sc wire.MNScene) string { return sc.ExternalID }),
	"sceneType":         byString(func(sc wire.MNScene) string { return sc.SceneType }),
	"statisticalMethod": byString(func(sc wire.MNScene) string { return sc.StatisticalMethod }),
	"createTime":        byTime(func(sc wire.MNScene) wire.SeedTime { return sc.CreateTime }),
	"lastUpdateTime":    byTime(func(sc wire.MNScene) wire.SeedTime { return sc.LastUpdateTime }),
}

func (s *Server) listMNScenes(w http.ResponseWriter, r *http.Request) error {
	pq, err := readPageQuery(r, sceneSortKeys)
	if err != nil {
		return err
	}
	planID, err := qUint(r, "planId")
	if err != nil {
		return err
	}
	ext := r.URL.Query().Get("externalId")
	all, err := s.store.ListMNScenes()
	if err != nil {
		return err
	}
	var hits []wire.MNScene
	for _, sc := range all {
		// A plan's scenes are its CUSTOM ones plus the SYSTEM ones it may use.
		if planID != nil && sc.PlanID != *planID && sc.SceneType != wire.SceneSystem {
			continue
		}
		if (ext == "" || sc.ExternalID == ext) && (pq.KeyWord == "" || strings.Contains(sc.Name, pq.KeyWord)) {
			hits = append(hits, sc)
		}
	}
	writeJSON(w, http.StatusOK, newSpringPage(hits, pq, sceneSortKeys))
	return nil
}

func (s *Server) createMNScene(w http.ResponseWriter, r *http.Request) error {
	return createFrom(w, r, s.store.CreateMNScene)
}

func (s *Server) getMNScene(w http.ResponseWriter, r *http.Request) error {
	return answerByID(w, r, s.store.GetMNScene)
}

func (s *Server) updateMNScene(w http.ResponseWriter, r *http.Request) error {
	return updateFrom(w, r, s.store.UpdateMNScene)
}

func (s *Server) unbindMNScene(w http.ResponseWriter, r *http.Request) error {
	return answerByID(w, r, s.store.UnbindMNSceneExternalID)
}

// --- plans ---

var planSortKeys = map[string]sortKey[wire.MNPlan]{
	"id":             byUint(func(p wire.MNPlan) uint64 { return p.ID }),
	"name":           byString(func(p wire.MNPlan) string { return p.Name }),
	"status":         byString(func(p wire.MNPlan) string { return p.Status }),
	"createTime":     byTime(func(p wire.MNPlan) wire.SeedTime { return p.CreateTime }),
	"lastUpdateTime": byTime(func(p wire.MNPlan) wire.SeedTime { return p.LastUpdateTime }),
	"startTime":      byTime(func(p wire.MNPlan) wire.SeedTime { return p.StartTime }),
	"endTime":        byTime(func(p wire.MNPlan) wire.SeedTime { return p.EndTime }),
}

// planListPage is the plan list's answer: plans grouped by their group,
// with the notification API's page object.
type planListPage struct {
	Records []wire.MNGroupPlans `json:"records"`
	Page    notifyPage          `json:"page"`
	Summary struct{}            `json:"summary"`
}

// notifyPage is seed 002's small page object {current, size, total}.
type notifyPage struct {
	Current int   `json:"current"`
	Size    int   `json:"size"`
	Total   int64 `json:"total"`
}

// listMNPlans pages over plans (filtered by keyWord, groupIds, status and
// sorted), then groups the page's plans by group in order of appearance.
func (s *Server) listMNPlans(w http.ResponseWriter, r *http.Request) error {
	pq, err := readPageQuery(r, planSortKeys)
	if err != nil {
		return err
	}
	groups, err := qIDList(r, "groupIds")
	if err != nil {
		return err
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", wire.MNPlanDraft, wire.MNPlanExecution, wire.MNPlanTermination, wire.MNPlanComplete:
	default:
		return errBadRequest("status", "must be DRAFT, EXECUTION, TERMINATION or COMPLETE, got %q", status)
	}
	all, err := s.store.ListMNPlans()
	if err != nil {
		return err
	}
	var hits []wire.MNPlan
	for _, p := range all {
		if (groups == nil || groups[p.GroupID]) && (status == "" || p.Status == status) &&
			(pq.KeyWord == "" || strings.Contains(p.Name, pq.KeyWord)) {
			hits = append(hits, p)
		}
	}
	sortRecords(hits, pq, planSortKeys)
	page := window(hits, pq)
	out := planListPage{Records: []wire.MNGroupPlans{}, Page: notifyPage{Current: pq.Current, Size: len(page), Total: int64(len(hits))}}
	if pq.Paged {
		out.Page.Size = pq.Size
	}
	counters, err := s.store.MNPlanCounters() // the plans' tasks
	if err != nil {
		return err
	}
	at := map[uint64]int{}
	for _, p := range page {
		i, ok := at[p.GroupID]
		if !ok {
			g, err := s.store.GetMNGroup(p.GroupID)
			if err != nil {
				return err
			}
			i = len(out.Records)
			at[p.GroupID] = i
			out.Records = append(out.Records, wire.MNGroupPlans{GroupID: g.ID, GroupName: g.Name, Plan: []wire.MNPlanSummary{}})
		}
		sum := counters[p.ID]
		sum.ID, sum.Name, sum.Status = p.ID, p.Name, p.Status
		out.Records[i].Plan = append(out.Records[i].Plan, sum)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createMNPlan(w http.ResponseWriter, r *http.Request) error {
	return createFrom(w, r, s.store.CreateMNPlan)
}

func (s *Server) getMNPlan(w http.ResponseWriter, r *http.Request) error {
	return answerByID(w, r, s.store.GetMNPlan)
}

func (s *Server) updateMNPlan(w http.ResponseWriter, r *http.Request) error {
	return updateFrom(w, r, s.store.UpdateMNPlan)
}

func (s *Server) deleteMNPlan(w http.ResponseWriter, r *http.Request) error {
	return deleteByID(w, r, s.store.DeleteMNPlan)
}

// planStatus serves PATCH …/{id}/enable and …/{id}/termination.
func (s *Server) planStatus(to string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		if _, err := s.store.SetMNPlanStatus(id, to); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, empty)
		return nil
	}
}

// --- shared shapes of the id routes ---

// answerByID serves a route on /{id} that answers the record get returns
// (a GET, or a body-less PATCH).
func answerByID[T any](w http.ResponseWriter, r *http.Request, get func(uint64) (T, error)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := get(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// createFrom serves a POST whose JSON body create turns into the record
// it answers.
func createFrom[In, Out any](w http.ResponseWriter, r *http.Request, create func(In) (Out, error)) error {
	var in In
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	v, err := create(in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// updateFrom serves a PUT of /{id} whose JSON body update applies.
func updateFrom[In, Out any](w http.ResponseWriter, r *http.Request, update func(uint64, In) (Out, error)) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return createFrom(w, r, func(in In) (Out, error) { return update(id, in) })
}

// deleteByID serves DELETE /{id}, answering the seed's {}.
func deleteByID(w http.ResponseWriter, r *http.Request, del func(uint64) error) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := del(id); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, empty)
	return nil
}
