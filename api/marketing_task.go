package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// Seed 002's marketing-notice plan tasks: tasks of members (from uploaded
// member sheets) a released plan hosts, their members, the plan and task
// reports, members' daily reports, and the worker contract
// (api/wire/marketing_task.go). The store applies the status machines
// (state/marketing_task*.go); this file validates input and shapes answers.

type marketingTaskStore interface {
	CreateMNTask(in wire.MNTaskCreate) (wire.MNTask, error)
	GetMNTask(id uint64) (wire.MNTask, error)
	ListMNTasks(planID uint64) ([]wire.MNTask, error)
	SetMNTaskStatus(id uint64, to string) (wire.MNTask, error)
	MNTaskSchema(planID uint64) ([]wire.MNSchemaField, error)
	ListMNTaskMembers(taskID uint64, f wire.MNTaskMemberFilter) ([]wire.MNTaskMember, error)
	MNTaskReport(taskID uint64) (wire.MNReport, error)
	MNPlanReport(planID uint64) (wire.MNReport, error)
	MNPlanCounters() (map[uint64]wire.MNPlanSummary, error)
	MemberDailyReports(memberID uint64, f wire.MNDailyFilter) ([]wire.MNDailyReport, error)
	PlanMembers(workerID, account string) (wire.PlanMembersResponse, error)
	ClaimMNMember(workerID string, req wire.PlanClaimRequest) (wire.PlanClaimResponse, error)
	ApplyPlanEvents(workerID string, evs []wire.PlanEvent) (wire.PlanEventsResponse, error)
}

// marketingTaskRoutes are the task routes. Go 1.22's ServeMux refuses two
// patterns that match a common path with neither more specific:
// "GET …/{id}/task" and "…/{id}/report" both overlap "GET …/task/{taskId}"
// and "…/group/{id}" (e.g. /task/task, /group/report). So the plan-id
// routes with two segments are one "GET …/{plan}/{sub}" pattern, which
// every literal-first pattern is more specific than, dispatched on {sub}.
func (s *Server) marketingTaskRoutes() []route {
	const base = "/api/v1/marketing-notice"
	return []route{
		{"GET " + base + "/members/template", famPlain, authUser, s.mnMemberTemplate},
		{"POST " + base + "/{id}/task", famPlain, authUser, s.createMNTask},
		{"GET " + base + "/{id}/{sub}", famPlain, authUser, s.planSubresource},
		{"GET " + base + "/{id}/task/schema", famPlain, authUser, s.mnTaskSchema},
		{"GET " + base + "/task/{taskId}", famPlain, authUser, s.getMNTask},
		{"GET " + base + "/task/{taskId}/members", famPlain, authUser, s.listMNTaskMembers},
		{"GET " + base + "/task/{taskId}/report", famPlain, authUser, s.mnTaskReport},
		{"PATCH " + base + "/task/{taskId}/enable", famPlain, authUser, s.mnTaskStatus(wire.MNTaskExecution)},
		{"PATCH " + base + "/task/{taskId}/termination", famPlain, authUser, s.mnTaskStatus(wire.MNTaskTermination)},
		{"GET /api/v1/members/{id}/daily-reports", famPlain, authUser, s.memberDailyReports},

		{"GET /api/worker/plan-members", famPlain, authWorker, s.workerPlanMembers},
		{"POST /api/worker/plan-claim", famPlain, authWorker, s.workerPlanClaim},
		{"POST /api/worker/plan-events", famPlain, authWorker, s.workerPlanEvents},
	}
}

// planSubresource serves GET …/{id}/task (the plan's tasks) and
// …/{id}/report (the plan's report).
func (s *Server) planSubresource(w http.ResponseWriter, r *http.Request) error {
	switch r.PathValue("sub") {
	case "task":
		return s.listMNTasks(w, r)
	case "report":
		id, err := pathID(r)
		if err != nil {
			return err
		}
		rep, err := s.store.MNPlanReport(id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
	return errNotFound("no route " + r.URL.Path)
}

func taskID(r *http.Request) (uint64, error) {
	v := r.PathValue("taskId")
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, errBadRequest("taskId", "must be a positive integer, got %q", v)
	}
	return n, nil
}

func (s *Server) mnMemberTemplate(w http.ResponseWriter, r *http.Request) error {
	data, err := memberTemplate() // notify_excel.go: the same columns
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="marketing-notice-members-template.xlsx"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
	return nil
}

// createMNTask serves POST …/{id}/task: the plan must be released and
// running; the members are read from the uploaded sheets (fileIds) as
// notification tasks read them, with an `account` column to pin the
// account that reaches a member.
func (s *Server) createMNTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in wire.MNTaskInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(in.Name); {
	case n == 0:
		return errBadRequest("name", "required")
	case n > 120 || !utf8.ValidString(in.Name):
		return errBadRequest("name", "must be valid UTF-8 of at most 120 characters")
	}
	start := s.clock.Now()
	if v := strings.TrimSpace(in.StartTime); v != "" {
		st, err := wire.ParseSeedTime(v)
		if err != nil {
			return errBadRequest("startTime", "%v", err)
		}
		start = st.Time
	}
	if len(in.FileIDs) == 0 {
		return errBadRequest("fileIds", "at least one uploaded member sheet is required")
	}
	p, err := s.store.GetMNPlan(id)
	if err != nil {
		return err
	}
	if p.Status != wire.MNPlanExecution {
		return errBadRequest("id", "plan %d is %s; release it (options RELEASE or PATCH …/%d/enable) before creating tasks", id, p.Status, id)
	}
	members, err := s.membersFromFiles(in.FileIDs, nil, nil) // notify.go
	if err != nil {
		if re, ok := err.(*rowReportError); ok {
			writeJSON(w, http.StatusBadRequest, map[string]any{"detail": re.Error(), "field": re.Field, "errors": re.Errors})
			return nil
		}
		return err
	}
	var cols []string
	for _, m := range members {
		for k := range m.Vars {
			if !slices.Contains(cols, k) {
				cols = append(cols, k)
			}
		}
	}
	slices.Sort(cols)
	t, err := s.store.CreateMNTask(wire.MNTaskCreate{PlanID: id, Name: in.Name, Start: start, FileIDs: in.FileIDs, Columns: cols, Members: members})
	if err != nil {
		return err
	}
	s.log.Info().Uint64("plan", id).Uint64("task", t.ID).Int64("members", t.TotalMember).Str("status", t.Status).Msg("plan task created")
	writeJSON(w, http.StatusOK, t)
	return nil
}

var taskSortKeys = map[string]sortKey[wire.MNTask]{
	"id":             byUint(func(t wire.MNTask) uint64 { return t.ID }),
	"name":           byString(func(t wire.MNTask) string { return t.Name }),
	"status":         byString(func(t wire.MNTask) string { return t.Status }),
	"totalMember":    byUint(func(t wire.MNTask) uint64 { return uint64(t.TotalMember) }),
	"startTime":      byString(func(t wire.MNTask) string { return t.StartDate + " " + t.StartTime }),
	"createTime":     byTime(func(t wire.MNTask) wire.SeedTime { return t.CreateTime }),
	"lastUpdateTime": byTime(func(t wire.MNTask) wire.SeedTime { return t.LastUpdateTime }),
}

func (s *Server) listMNTasks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pq, err := readPageQuery(r, taskSortKeys)
	if err != nil {
		return err
	}
	all, err := s.store.ListMNTasks(id)
	if err != nil {
		return err
	}
	hits := []wire.MNTask{}
	for _, t := range all {
		if pq.KeyWord == "" || strings.Contains(t.Name, pq.KeyWord) {
			hits = append(hits, t)
		}
	}
	writeJSON(w, http.StatusOK, newSpringPage(hits, pq, taskSortKeys))
	return nil
}

func (s *Server) getMNTask(w http.ResponseWriter, r *http.Request) error {
	id, err := taskID(r)
	if err != nil {
		return err
	}
	t, err := s.store.GetMNTask(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) mnTaskSchema(w http.ResponseWriter, r *http.Request) error {
	return answerByID(w, r, s.store.MNTaskSchema)
}

var memberSortKeys = map[string]sortKey[wire.MNTaskMember]{
	"id":              byUint(func(m wire.MNTaskMember) uint64 { return m.ID }),
	"userId":          byString(func(m wire.MNTaskMember) string { return m.UserID }),
	"name":            byString(func(m wire.MNTaskMember) string { return m.Name }),
	"account":         byString(func(m wire.MNTaskMember) string { return m.Account }),
	"status":          byString(func(m wire.MNTaskMember) string { return m.Status }),
	"reachTime":       byTime(func(m wire.MNTaskMember) wire.SeedTime { return m.ReachTime }),
	"lastTriggerTime": byTime(func(m wire.MNTaskMember) wire.SeedTime { return m.LastTriggerTime }),
}

// memberStatuses are the member statuses a members list filters by.
var memberStatuses = []string{wire.MemberNotReached, wire.MemberInService, wire.MemberTerminateService,
	wire.MemberCustomerServiceIntervene, wire.MemberCompleteService, wire.MemberIgnore, wire.MemberTimeoutCompleteService}

func (s *Server) listMNTaskMembers(w http.ResponseWriter, r *http.Request) error {
	id, err := taskID(r)
	if err != nil {
		return err
	}
	pq, err := readPageQuery(r, memberSortKeys)
	if err != nil {
		return err
	}
	f := wire.MNTaskMemberFilter{KeyWord: pq.KeyWord, Mood: strings.TrimSpace(r.URL.Query().Get("moodValue"))}
	if f.Status = r.URL.Query().Get("status"); f.Status != "" && !slices.Contains(memberStatuses, f.Status) {
		return errBadRequest("status", "must be one of %s, got %q", strings.Join(memberStatuses, ", "), f.Status)
	}
	if f.SceneIDs, err = qIDList(r, "sceneIds"); err != nil {
		return err
	}
	all, err := s.store.ListMNTaskMembers(id, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSpringPage(all, pq, memberSortKeys))
	return nil
}

func (s *Server) mnTaskReport(w http.ResponseWriter, r *http.Request) error {
	id, err := taskID(r)
	if err != nil {
		return err
	}
	rep, err := s.store.MNTaskReport(id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// mnTaskStatus serves PATCH …/task/{taskId}/enable and …/termination.
func (s *Server) mnTaskStatus(to string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := taskID(r)
		if err != nil {
			return err
		}
		t, err := s.store.SetMNTaskStatus(id, to)
		if err != nil {
			return err
		}
		s.log.Info().Uint64("task", id).Str("status", t.Status).Str("by", userFrom(r)).Msg("plan task status changed")
		writeJSON(w, http.StatusOK, empty)
		return nil
	}
}

// memberDailyReports serves GET /api/v1/members/{id}/daily-reports; {id}
// is a plan-task member's id (the members list's `id`).
func (s *Server) memberDailyReports(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var f wire.MNDailyFilter
	for _, d := range []struct {
		name string
		dst  *string
	}{{"startDate", &f.From}, {"endDate", &f.To}} {
		v := strings.TrimSpace(r.URL.Query().Get(d.name))
		if v == "" {
			continue
		}
		if _, err := time.ParseInLocation("2006-01-02", v, clock.Shanghai); err != nil {
			return errBadRequest(d.name, "must be a date yyyy-MM-dd, got %q", v)
		}
		*d.dst = v
	}
	if f.From != "" && f.To != "" && f.To < f.From {
		return errBadRequest("endDate", "must not be before startDate")
	}
	f.KeyWord = strings.TrimSpace(r.URL.Query().Get("keyword"))
	days, err := s.store.MemberDailyReports(id, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.MNDailyReports{Records: days})
	return nil
}

// --- worker side ---

func (s *Server) workerPlanMembers(w http.ResponseWriter, r *http.Request) error {
	res, err := s.store.PlanMembers(workerFrom(r), strings.TrimSpace(r.URL.Query().Get("account")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) workerPlanClaim(w http.ResponseWriter, r *http.Request) error {
	var req wire.PlanClaimRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.MemberID == 0 {
		return errBadRequest("memberId", "required")
	}
	if strings.TrimSpace(req.Account) == "" {
		return errBadRequest("account", "required")
	}
	res, err := s.store.ClaimMNMember(workerFrom(r), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// workerPlanEvents applies a batch of events. A malformed body is a 400;
// an event that cannot apply (unknown member, another account, a bad
// field) is rejected alone and listed in the 200 answer, so one bad event
// never holds back the rest of a worker's outbox.
func (s *Server) workerPlanEvents(w http.ResponseWriter, r *http.Request) error {
	var req wire.PlanEventsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Events) == 0 || len(req.Events) > wire.MaxBatch {
		return errBadRequest("events", "must hold 1 to %d events", wire.MaxBatch)
	}
	res, err := s.store.ApplyPlanEvents(workerFrom(r), req.Events)
	if err != nil {
		return err
	}
	if res.Rejected > 0 {
		for _, e := range res.Results {
			if e.Outcome == wire.PlanEventRejected {
				s.log.Warn().Str("worker", workerFrom(r)).Str("event", e.ID).Int("code", e.Code).Str("field", e.Field).Str("detail", e.Detail).Msg("plan event rejected")
			}
		}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
