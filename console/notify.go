package console

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Notification tasks (seed 002 群通知任务, state/notify.go): the tasks with
// their status, window and statistics, each task's per-member executions,
// and termination. Tasks are created through the API or `hunterbot notify
// create` (an Excel member list is an upload, not a form).

const notifyPageSize = 50

type notifyList struct {
	Tasks      []wire.NotifyTask
	Page, Last int
}

type notifyTaskView struct {
	Task       wire.NotifyTask
	Execs      []wire.NotifyExecution
	Page, Last int
	Open       bool // PENDING or EXECUTING: it can be terminated
}

// pageParam reads the 0-based ?p= page number (bad or missing: 0).
func pageParam(r *http.Request) int {
	p, err := strconv.Atoi(r.URL.Query().Get("p"))
	if err != nil || p < 0 {
		return 0
	}
	return p
}

func lastPage(total int) int { return max(0, (total-1)/notifyPageSize) }

func (c *Console) notifyPage(w http.ResponseWriter, r *http.Request, s *session) {
	p := pageParam(r)
	tasks, total, err := c.store.ListNotifyTasks(wire.NotifyTaskFilter{}, p, notifyPageSize)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.render(w, r, s, http.StatusOK, "notify", notifyList{Tasks: tasks, Page: p, Last: lastPage(total)})
}

func notifyID(r *http.Request) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, &wire.FieldError{Field: "id", Msg: "must be a positive number"}
	}
	return id, nil
}

func (c *Console) notifyTaskPage(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := notifyID(r)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	t, err := c.store.NotifyTask(id)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	p := pageParam(r)
	execs, total, err := c.store.NotifyExecutions(id, "", false, p, notifyPageSize)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	open := t.Status == wire.NotifyPending || t.Status == wire.NotifyExecuting
	c.render(w, r, s, http.StatusOK, "notify_task", notifyTaskView{Task: t, Execs: execs, Page: p, Last: lastPage(total), Open: open})
}

// terminateNotify ends a PENDING or EXECUTING task with the operator's
// reason; the store refuses other states, naming the field.
func (c *Console) terminateNotify(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := notifyID(r)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || len([]rune(reason)) > wire.MaxNotifyReason {
		c.fail(w, r, s, http.StatusBadRequest, &wire.FieldError{Field: "reason", Msg: "required, at most 500 characters"})
		return
	}
	prev, err := c.store.TerminateNotifyTask(id, reason)
	if err != nil {
		c.fail(w, r, s, 0, err)
		return
	}
	c.log.Info().Uint64("task", id).Str("from", string(prev)).Str("by", s.User).Msg("console: notification task terminated")
	http.Redirect(w, r, "/ui/notify/"+strconv.FormatUint(id, 10), http.StatusSeeOther)
}
