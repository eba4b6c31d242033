package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// Notification tasks (seed 002 群通知任务): create, get, terminate, list and
// per-member executions, with the seed's paths, fields and formats. The
// members are candidates; workers deliver them (notify_worker.go).

type notifyStore interface {
	CreateNotifyTask(in wire.NotifyTaskInput) (wire.NotifyTask, error)
	NotifyTask(id uint64) (wire.NotifyTask, error)
	NotifyTaskMembers(id uint64, limit int) ([]wire.NotifyExecution, error)
	ListNotifyTasks(f wire.NotifyTaskFilter, current, size int) ([]wire.NotifyTask, int, error)
	NotifyExecutions(taskID uint64, orderBy string, desc bool, current, size int) ([]wire.NotifyExecution, int, error)
	TerminateNotifyTask(id uint64, reason string) (wire.NotifyStatus, error)
	NotifyDeliveries(workerID string, limit int) ([]wire.NotifyDelivery, error)
	ClaimNotify(workerID string, taskID, seq, epoch uint64) (wire.NotifyClaimResponse, error)
	AckNotify(workerID string, in wire.NotifyAck) error
	NotifyTick() error
}

// notifyLayout is the seed's datetime format (yyyy-MM-dd HH:mm:ss,
// Asia/Shanghai).
const notifyLayout = "2006-01-02 15:04:05"

// maxEchoMembers bounds the members GET …/{taskId} echoes.
const maxEchoMembers = 1000

func (s *Server) notifyRoutes() []route {
	return []route{
		{"POST /api/v1/notification-tasks", famPlain, authUser, s.createNotifyTask},
		{"GET /api/v1/notification-tasks", famPlain, authUser, s.listNotifyTasks},
		{"GET /api/v1/notification-tasks/member-template", famPlain, authUser, s.notifyMemberTemplate},
		{"GET /api/v1/notification-tasks/{id}", famPlain, authUser, s.getNotifyTask},
		{"PUT /api/v1/notification-tasks/{id}/termination", famPlain, authUser, s.terminateNotifyTask},
		{"GET /api/v1/notification-tasks/{id}/executions", famPlain, authUser, s.notifyExecutions},
		{"GET /api/worker/notify-deliveries", famPlain, authWorker, s.workerNotifyDeliveries},
		{"POST /api/worker/notify-claim", famPlain, authWorker, s.workerNotifyClaim},
		{"POST /api/worker/notify-acks", famPlain, authWorker, s.workerNotifyAcks},
	}
}

// notifyCreateRequest is the seed's creation body. Members are decoded
// loosely (ids may be strings or numbers, other keys are variables).
type notifyCreateRequest struct {
	TaskName           *string                      `json:"taskName"`
	TaskType           *string                      `json:"taskType"`
	ScheduledStartTime *string                      `json:"scheduledStartTime"`
	ScheduledEndTime   *string                      `json:"scheduledEndTime"`
	Contents           []notifyContentIn            `json:"contents"`
	FileIDs            []uint64                     `json:"fileIds"`
	Members            []map[string]json.RawMessage `json:"members"`
}

type notifyContentIn struct {
	ContentType  *string `json:"contentType"`
	ContentValue *string `json:"contentValue"`
}

// fileURLPath matches the path of a file URL of this API (either form the
// seed prints).
var fileURLPath = regexp.MustCompile(`^(?:/[^/]+)*/api(?:/v1)?/file/([1-9][0-9]{0,18})$`)

func parseNotifyTime(field, v string) (time.Time, error) {
	t, err := time.ParseInLocation(notifyLayout, strings.TrimSpace(v), clock.Shanghai)
	if err != nil {
		return t, errBadRequest(field, "must be a datetime yyyy-MM-dd HH:mm:ss, got %q", v)
	}
	return t, nil
}

func fmtNotifyTime(t time.Time) string { return t.In(clock.Shanghai).Format(notifyLayout) }

// rowReportError is a 400 about an Excel member list with its per-row
// report.
type rowReportError struct {
	Field  string
	Msg    string
	Errors []RowError
}

func (e *rowReportError) Error() string { return e.Field + ": " + e.Msg }

func (s *Server) createNotifyTask(w http.ResponseWriter, r *http.Request) error {
	var req notifyCreateRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	in, err := s.validateNotify(&req)
	if err != nil {
		if re, ok := err.(*rowReportError); ok {
			writeJSON(w, http.StatusBadRequest, map[string]any{"detail": re.Error(), "field": re.Field, "errors": re.Errors})
			return nil
		}
		return err
	}
	in.By = userFrom(r)
	t, err := s.store.CreateNotifyTask(in)
	if err != nil {
		return err
	}
	s.log.Info().Uint64("task", t.ID).Int("members", t.TotalMembers).Int("unreachable", t.FailedCount).Msg("notification task created")
	writeJSON(w, http.StatusOK, map[string]any{
		"id": t.ID, "createTime": fmtNotifyTime(t.CreatedAt), "lastUpdateTime": fmtNotifyTime(t.UpdatedAt),
		"taskName": t.TaskName, "taskType": t.TaskType, "status": t.Status,
		"scheduledStartTime": fmtNotifyTime(t.Start), "scheduledEndTime": fmtNotifyTime(t.End),
		"totalMembers": t.TotalMembers,
	})
	return nil
}

// validateNotify applies every rule of the seed; each error names the
// field.
func (s *Server) validateNotify(req *notifyCreateRequest) (wire.NotifyTaskInput, error) {
	var in wire.NotifyTaskInput
	if req.TaskName == nil || strings.TrimSpace(*req.TaskName) == "" {
		return in, errBadRequest("taskName", "required")
	}
	in.TaskName = strings.TrimSpace(*req.TaskName)
	if !utf8.ValidString(in.TaskName) {
		return in, errBadRequest("taskName", "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(in.TaskName); n > wire.MaxNotifyTaskName {
		return in, errBadRequest("taskName", "must be at most %d characters, got %d", wire.MaxNotifyTaskName, n)
	}
	if req.TaskType == nil || *req.TaskType == "" {
		return in, errBadRequest("taskType", "required")
	}
	switch tt := wire.NotifyTaskType(*req.TaskType); tt {
	case wire.NotifyAppointmentReminder, wire.NotifyCustomerResourceReminder:
		in.TaskType = tt
	default:
		return in, errBadRequest("taskType", "must be APPOINTMENT_REMINDER or CUSTOMER_RESOURCE_REMINDER, got %q", *req.TaskType)
	}
	if req.ScheduledStartTime == nil || *req.ScheduledStartTime == "" {
		return in, errBadRequest("scheduledStartTime", "required")
	}
	var err error
	if in.Start, err = parseNotifyTime("scheduledStartTime", *req.ScheduledStartTime); err != nil {
		return in, err
	}
	y, m, d := in.Start.Date()
	if req.ScheduledEndTime == nil || *req.ScheduledEndTime == "" {
		in.End = time.Date(y, m, d, 22, 0, 0, 0, clock.Shanghai)
		if !in.End.After(in.Start) {
			return in, errBadRequest("scheduledEndTime", "the default end (22:00 of the start day) is not after scheduledStartTime %s; give an end time", fmtNotifyTime(in.Start))
		}
	} else {
		if in.End, err = parseNotifyTime("scheduledEndTime", *req.ScheduledEndTime); err != nil {
			return in, err
		}
		if ey, em, ed := in.End.Date(); ey != y || em != m || ed != d {
			return in, errBadRequest("scheduledEndTime", "must be on the same day as scheduledStartTime (%04d-%02d-%02d)", y, m, d)
		}
		if !in.End.After(in.Start) {
			return in, errBadRequest("scheduledEndTime", "must be after scheduledStartTime")
		}
	}
	if !in.End.After(s.clock.Now()) {
		return in, errBadRequest("scheduledEndTime", "%s has already passed", fmtNotifyTime(in.End))
	}
	if len(req.Contents) == 0 {
		return in, errBadRequest("contents", "at least one content is required")
	}
	if len(req.Contents) > wire.MaxNotifyContents {
		return in, errBadRequest("contents", "at most %d contents", wire.MaxNotifyContents)
	}
	var vars []string
	varFrom := map[string]int{}
	for i, c := range req.Contents {
		f := func(n string) string { return fmt.Sprintf("contents[%d].%s", i, n) }
		if c.ContentType == nil || *c.ContentType == "" {
			return in, errBadRequest(f("contentType"), "required")
		}
		if c.ContentValue == nil || strings.TrimSpace(*c.ContentValue) == "" {
			return in, errBadRequest(f("contentValue"), "required")
		}
		v := strings.TrimSpace(*c.ContentValue)
		if !utf8.ValidString(v) {
			return in, errBadRequest(f("contentValue"), "must be valid UTF-8")
		}
		if n := utf8.RuneCountInString(v); n > wire.MaxNotifyContentValue {
			return in, errBadRequest(f("contentValue"), "must be at most %d characters, got %d", wire.MaxNotifyContentValue, n)
		}
		nc := wire.NotifyContent{ContentType: *c.ContentType, ContentValue: v}
		switch *c.ContentType {
		case wire.ContentText:
			for _, name := range wire.TemplateVars(v) {
				if _, ok := varFrom[name]; !ok {
					varFrom[name] = i
					vars = append(vars, name)
				}
			}
			if strings.Contains(wire.RenderTemplate(v, nil), "{{") && len(wire.TemplateVars(v)) == 0 {
				return in, errBadRequest(f("contentValue"), "holds {{ without a valid variable name (letters, digits, underscore)")
			}
		case wire.ContentImage:
			id, err := s.imageFileID(v)
			if err != nil {
				return in, errBadRequest(f("contentValue"), "%v", err)
			}
			nc.FileID = id
		default:
			return in, errBadRequest(f("contentType"), "must be TEXT or IMAGE, got %q", *c.ContentType)
		}
		in.Contents = append(in.Contents, nc)
	}
	switch {
	case len(req.FileIDs) > 0 && len(req.Members) > 0:
		return in, errBadRequest("fileIds", "give either fileIds or members, not both")
	case len(req.FileIDs) == 0 && len(req.Members) == 0:
		return in, errBadRequest("members", "members or fileIds is required")
	case len(req.FileIDs) > 0:
		if in.Members, err = s.membersFromFiles(req.FileIDs, vars, varFrom); err != nil {
			return in, err
		}
		in.FileIDs = req.FileIDs
	default:
		if len(req.Members) > wire.MaxNotifyMembers {
			return in, errBadRequest("members", "at most %d members", wire.MaxNotifyMembers)
		}
		for i, raw := range req.Members {
			m, err := memberFromJSON(i, raw)
			if err != nil {
				return in, err
			}
			for _, name := range vars {
				if m.Vars[name] == "" {
					return in, errBadRequest(fmt.Sprintf("members[%d].%s", i, name), "required by {{%s}} in contents[%d]", name, varFrom[name])
				}
			}
			in.Members = append(in.Members, m)
		}
	}
	return in, nil
}

// imageFileID resolves an IMAGE contentValue to an uploaded image: the URL
// must name a file of this API (/api/v1/file/{id} or /api/file/{id}). The
// host is not contacted: workers fetch the image from their control plane
// by id, so no operator-given URL is ever fetched (no SSRF).
func (s *Server) imageFileID(v string) (uint64, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, fmt.Errorf("must be an http(s) URL of an uploaded image, got %q", clip(v))
	}
	mm := fileURLPath.FindStringSubmatch(u.Path)
	if mm == nil {
		return 0, fmt.Errorf("must be the URL of an image uploaded through POST /api/v1/file (…/api/v1/file/{id}), got %q", clip(v))
	}
	id, _ := strconv.ParseUint(mm[1], 10, 64)
	f, err := s.store.File(id)
	if err != nil {
		return 0, fmt.Errorf("file %d does not exist", id)
	}
	if !f.IsImage() {
		return 0, fmt.Errorf("file %d is %s, not an image (png, jpeg, gif, webp)", id, f.ContentType)
	}
	return id, nil
}

// memberFromJSON reads one inline member: userId / ciq / memberId as
// string or number, account, nickname, and string variables.
func memberFromJSON(i int, raw map[string]json.RawMessage) (wire.NotifyMember, error) {
	m := wire.NotifyMember{Vars: map[string]string{}}
	for k, v := range raw {
		field := fmt.Sprintf("members[%d].%s", i, k)
		if !validVarName(k) {
			return m, errBadRequest(field, "is not a member field or variable name (letters, digits, underscore)")
		}
		var sv string
		if err := json.Unmarshal(v, &sv); err != nil {
			var n json.Number
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			if dec.Decode(&n) != nil {
				return m, errBadRequest(field, "must be a string or a number")
			}
			sv = n.String()
		}
		sv = strings.TrimSpace(sv)
		if !utf8.ValidString(sv) {
			return m, errBadRequest(field, "must be valid UTF-8")
		}
		if utf8.RuneCountInString(sv) > wire.MaxNotifyMemberValue {
			return m, errBadRequest(field, "must be at most %d characters", wire.MaxNotifyMemberValue)
		}
		if err := setMemberField(&m, k, sv); err != nil {
			return m, errBadRequest(field, "%v", err)
		}
	}
	if m.UserID == "" && m.ContactID == 0 {
		return m, errBadRequest(fmt.Sprintf("members[%d].userId", i), "userId or ciq is required")
	}
	nicknameAsName(&m)
	return m, nil
}

// nicknameAsName lets a member's nickname (the seed's memberName) fill
// {{name}} when no name variable is given: the seed's own example greets
// 尊敬的{{name}} a member that has only a nickname.
func nicknameAsName(m *wire.NotifyMember) {
	if m.Nickname != "" && m.Vars["name"] == "" {
		m.Vars["name"] = m.Nickname
	}
}

// membersFromFiles reads the Excel member lists; any bad row rejects the
// task with a report of every bad row (at most maxRowErrors).
func (s *Server) membersFromFiles(ids []uint64, vars []string, varFrom map[string]int) ([]wire.NotifyMember, error) {
	if len(ids) > wire.MaxNotifyFiles {
		return nil, errBadRequest("fileIds", "at most %d files", wire.MaxNotifyFiles)
	}
	var all []wire.NotifyMember
	for i, id := range ids {
		field := fmt.Sprintf("fileIds[%d]", i)
		if id == 0 {
			return nil, errBadRequest(field, "must be a positive integer")
		}
		_, body, err := s.store.OpenFile(id)
		if err != nil {
			return nil, errBadRequest(field, "file %d does not exist", id)
		}
		sheet, err := parseMemberSheet(body, wire.MaxNotifyMembers-len(all))
		body.Close()
		if err != nil {
			return nil, errBadRequest(field, "file %d: %v", id, err)
		}
		for _, name := range vars {
			if !sheet.Columns[name] && !(name == "name" && sheet.HasNickname) {
				return nil, errBadRequest(field, "file %d has no column %q, required by {{%s}} in contents[%d]", id, name, name, varFrom[name])
			}
		}
		for j, m := range sheet.Members {
			for _, name := range vars {
				if m.Vars[name] == "" && len(sheet.Errors) < maxRowErrors {
					sheet.Errors = append(sheet.Errors, RowError{Row: sheet.Rows[j], Column: name,
						Message: fmt.Sprintf("required by {{%s}} in contents[%d]", name, varFrom[name])})
				}
			}
		}
		if len(sheet.Errors) > 0 {
			return nil, &rowReportError{Field: field, Msg: fmt.Sprintf("file %d has %d bad row(s) (first: row %d: %s); nothing was created",
				id, len(sheet.Errors), sheet.Errors[0].Row, sheet.Errors[0].Message), Errors: sheet.Errors}
		}
		if len(sheet.Members) == 0 {
			return nil, errBadRequest(field, "file %d lists no member", id)
		}
		all = append(all, sheet.Members...)
	}
	return all, nil
}

func (s *Server) getNotifyTask(w http.ResponseWriter, r *http.Request) error {
	id, err := notifyTaskID(r)
	if err != nil {
		return err
	}
	t, err := s.store.NotifyTask(id)
	if err != nil {
		return err
	}
	contents := make([]map[string]string, 0, len(t.Contents))
	for _, c := range t.Contents {
		contents = append(contents, map[string]string{"type": c.ContentType, "value": c.ContentValue})
	}
	members := []map[string]any{}
	if t.InlineMembers {
		execs, err := s.store.NotifyTaskMembers(id, maxEchoMembers)
		if err != nil {
			return err
		}
		for _, e := range execs {
			m := map[string]any{}
			for k, v := range e.Vars {
				m[k] = v
			}
			if e.UserID != "" {
				m["userId"] = e.UserID
			}
			if e.ContactID != 0 {
				m["memberId"] = e.ContactID
			}
			if e.Name != "" {
				m["nickname"] = e.Name
			}
			members = append(members, m)
		}
	}
	body := map[string]any{
		"id": t.ID, "taskName": t.TaskName, "taskType": t.TaskType, "status": t.Status,
		"scheduledStartTime": fmtNotifyTime(t.Start), "scheduledEndTime": fmtNotifyTime(t.End),
		"statistics": map[string]int{"totalMembers": t.TotalMembers, "successCount": t.SuccessCount, "failedCount": t.FailedCount},
		"contents":   contents, "fileIds": t.FileIDs, "members": members,
		"createTime": fmtNotifyTime(t.CreatedAt), "lastUpdateTime": fmtNotifyTime(t.UpdatedAt),
	}
	if t.TerminateReason != "" {
		body["terminationReason"] = t.TerminateReason
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func notifyTaskID(r *http.Request) (uint64, error) {
	v := r.PathValue("id")
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, errBadRequest("taskId", "must be a positive integer, got %q", v)
	}
	return n, nil
}

func (s *Server) terminateNotifyTask(w http.ResponseWriter, r *http.Request) error {
	id, err := notifyTaskID(r)
	if err != nil {
		return err
	}
	var req struct {
		Reason *string `json:"reason"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Reason == nil || strings.TrimSpace(*req.Reason) == "" {
		return errBadRequest("reason", "required")
	}
	reason := strings.TrimSpace(*req.Reason)
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > wire.MaxNotifyReason {
		return errBadRequest("reason", "must be valid UTF-8 of at most %d characters", wire.MaxNotifyReason)
	}
	if err := s.store.NotifyTick(); err != nil {
		return err
	}
	prev, err := s.store.TerminateNotifyTask(id, reason)
	if err != nil {
		return err
	}
	s.log.Info().Uint64("task", id).Str("previous", string(prev)).Msg("notification task terminated")
	writeJSON(w, http.StatusOK, map[string]any{"previousStatus": prev, "currentStatus": wire.NotifyTerminated})
	return nil
}

// qPage0 reads the seed's 0-based current and size (default 20, at most
// max).
func qPage0(r *http.Request, max int) (current, size int, err error) {
	if current, err = qInt(r, "current", 0, 0, 10_000_000); err != nil {
		return 0, 0, err
	}
	if size, err = qInt(r, "size", 20, 1, max); err != nil {
		return 0, 0, err
	}
	return current, size, nil
}

func (s *Server) listNotifyTasks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var f wire.NotifyTaskFilter
	switch tt := wire.NotifyTaskType(q.Get("taskType")); tt {
	case "":
		return errBadRequest("taskType", "required")
	case wire.NotifyAppointmentReminder, wire.NotifyCustomerResourceReminder:
		f.TaskType = tt
	default:
		return errBadRequest("taskType", "must be APPOINTMENT_REMINDER or CUSTOMER_RESOURCE_REMINDER, got %q", tt)
	}
	switch st := wire.NotifyStatus(q.Get("status")); st {
	case "", wire.NotifyPending, wire.NotifyExecuting, wire.NotifyCompleted, wire.NotifyTerminated:
		f.Status = st
	default:
		return errBadRequest("status", "must be PENDING, EXECUTING, COMPLETED or TERMINATED, got %q", st)
	}
	var err error
	if v := q.Get("startTime"); v != "" {
		if f.From, err = parseNotifyTime("startTime", v); err != nil {
			return err
		}
	}
	if v := q.Get("endTime"); v != "" {
		if f.To, err = parseNotifyTime("endTime", v); err != nil {
			return err
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return errBadRequest("endTime", "must not be before startTime")
	}
	current, size, err := qPage0(r, 100)
	if err != nil {
		return err
	}
	tasks, total, err := s.store.ListNotifyTasks(f, current, size)
	if err != nil {
		return err
	}
	records := make([]map[string]any, 0, len(tasks))
	for _, t := range tasks {
		contents := make([]map[string]string, 0, len(t.Contents))
		for _, c := range t.Contents {
			contents = append(contents, map[string]string{"contentType": c.ContentType, "contentValue": c.ContentValue})
		}
		records = append(records, map[string]any{
			"id": t.ID, "taskName": t.TaskName, "taskType": t.TaskType, "status": t.Status,
			"scheduledStartTime": fmtNotifyTime(t.Start), "scheduledEndTime": fmtNotifyTime(t.End),
			"contents": contents, "totalMembers": t.TotalMembers, "successCount": t.SuccessCount,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"page": notifyPage{current, size, int64(total)}, "records": records})
	return nil
}

// notifyExecutionRecord is one member of GET …/executions.
type notifyExecutionRecord struct {
	MemberID         *uint64 `json:"memberId"`
	UserID           string  `json:"userId,omitempty"`
	MemberName       string  `json:"memberName"`
	Status           string  `json:"status"`
	ExecuteTime      *string `json:"executeTime"`
	NotificationTime *string `json:"notificationTime,omitempty"`
	FailureReason    string  `json:"failureReason,omitempty"`
}

func (s *Server) notifyExecutions(w http.ResponseWriter, r *http.Request) error {
	id, err := notifyTaskID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	orderBy := q.Get("orderBy")
	switch orderBy {
	case "", "executeTime", "status":
	default:
		return errBadRequest("orderBy", "must be executeTime or status, got %q", orderBy)
	}
	desc := false
	switch strings.ToUpper(q.Get("orderDirection")) {
	case "", "ASC":
	case "DESC":
		desc = true
	default:
		return errBadRequest("orderDirection", "must be ASC or DESC, got %q", q.Get("orderDirection"))
	}
	current, size, err := qPage0(r, 100)
	if err != nil {
		return err
	}
	execs, total, err := s.store.NotifyExecutions(id, orderBy, desc, current, size)
	if err != nil {
		return err
	}
	records := make([]notifyExecutionRecord, 0, len(execs))
	for _, e := range execs {
		rec := notifyExecutionRecord{UserID: e.UserID, MemberName: e.Name, Status: string(e.Status), FailureReason: e.Reason}
		if e.ContactID != 0 {
			id := e.ContactID
			rec.MemberID = &id
		}
		if e.ExecuteTime != nil {
			t := fmtNotifyTime(*e.ExecuteTime)
			rec.ExecuteTime, rec.NotificationTime = &t, &t
		}
		records = append(records, rec)
	}
	writeJSON(w, http.StatusOK, map[string]any{"page": notifyPage{current, size, int64(total)}, "records": records})
	return nil
}

func (s *Server) notifyMemberTemplate(w http.ResponseWriter, r *http.Request) error {
	data, err := memberTemplate()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="notification-members-template.xlsx"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
	return nil
}

// --- worker side ---

// notifyBatch bounds the members handed to a worker per account and pull:
// small, so a termination stops the rest quickly.
const notifyBatch = 5

func (s *Server) workerNotifyDeliveries(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.store.NotifyDeliveries(workerFrom(r), notifyBatch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.NotifyDeliveriesResponse{Deliveries: ds})
	return nil
}

func (s *Server) workerNotifyClaim(w http.ResponseWriter, r *http.Request) error {
	var req wire.NotifyClaimRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.TaskID == 0 || req.Seq == 0 {
		return errBadRequest("task_id", "task_id and seq are required")
	}
	res, err := s.store.ClaimNotify(workerFrom(r), req.TaskID, req.Seq, req.Epoch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) workerNotifyAcks(w http.ResponseWriter, r *http.Request) error {
	var req wire.NotifyAcksRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Acks) == 0 || len(req.Acks) > wire.MaxBatch {
		return errBadRequest("acks", "must hold 1 to %d items", wire.MaxBatch)
	}
	for i, a := range req.Acks {
		if err := s.store.AckNotify(workerFrom(r), a); err != nil {
			if ae := toAPIError(err); ae.Status == http.StatusBadRequest {
				return errBadRequest(fmt.Sprintf("acks[%d].%s", i, ae.Field), "%s", ae.Msg)
			}
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]int{"accepted": len(req.Acks)})
	return nil
}
