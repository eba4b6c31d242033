package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// greetBatch is how many greetings one cycle makes before it returns to
// the chat list.
const greetBatch = 5

// maxScanPages bounds how deep one greet pass scrolls a recommend list.
const maxScanPages = 10

// dayPlan is the brain's greeting plan for one day, as fetched. It is kept
// in worker.db: a restart the same day uses it again instead of fetching a
// plan whose past slots the brain has already dropped.
type dayPlan struct {
	Day       string       `json:"day"` // YYYY-MM-DD in the account timezone
	FetchedAt time.Time    `json:"fetched_at"`
	Tasks     []brain.Task `json:"tasks"`
	QuotaHit  bool         `json:"quota_hit"`
}

const planDoc = "plan"

// allowed is how many greetings the task allows by now: the mounts of the
// slots already started (all of helloSum when the brain gave no slots).
func allowed(t brain.Task, now time.Time) int {
	if len(t.TimeMount) == 0 {
		return t.HelloSum
	}
	local := now.In(clock.Shanghai)
	minute := local.Hour()*60 + local.Minute()
	n := 0
	for _, s := range t.TimeMount {
		at, err := parseClock(s.Time)
		if err == nil && at <= minute {
			n += s.Mount
		}
	}
	if n > t.HelloSum {
		n = t.HelloSum
	}
	return n
}

// ensurePlan loads today's plan from worker.db, or fetches it from the
// brain once per day.
func (a *Agent) ensurePlan(ctx context.Context) error {
	now := a.Clock.Now()
	day := now.In(clock.Shanghai).Format(time.DateOnly)
	if a.plan != nil && a.plan.Day == day {
		return nil
	}
	var stored dayPlan
	err := a.DB.View(func(tx *worker.Tx) error { return tx.Doc(a.cfg.ID, planDoc, &stored) })
	switch {
	case err == nil && stored.Day == day:
		a.plan = &stored
	case err != nil && !errors.Is(err, worker.ErrNotFound):
		return err
	default:
		tasks, err := a.Brain.FetchTasks(ctx, brain.TaskFetchRequest{AccountID: a.brainAccount})
		if err != nil {
			return fmt.Errorf("fetch today's plan: %w", err)
		}
		a.plan = &dayPlan{Day: day, FetchedAt: now, Tasks: tasks}
		if err := a.savePlan(); err != nil {
			return err
		}
		a.Log.Info().Int("tasks", len(tasks)).Msg("fetched today's plan")
	}
	a.filtered = map[string]bool{}
	planned := 0
	for _, t := range a.plan.Tasks {
		planned += t.HelloSum
	}
	var greeted int
	_ = a.DB.View(func(tx *worker.Tx) (err error) {
		greeted, err = tx.CountGreetings(a.cfg.ID, startOfDay(now.In(clock.Shanghai)), now.Add(time.Nanosecond))
		return err
	})
	a.count(func(s *Status) { s.Planned = planned; s.Greeted = greeted })
	if a.plan.QuotaHit {
		a.setState(StateQuota, pages.ErrQuota)
	} else if a.Status().State == StateQuota {
		a.setState(StateRunning, nil)
	}
	return nil
}

func (a *Agent) savePlan() error {
	return a.DB.Update(func(tx *worker.Tx) error { return tx.PutDoc(a.cfg.ID, planDoc, a.plan) })
}

// greetPass greets, job by job, as many approved candidates as the plan
// allows by now.
func (a *Agent) greetPass(ctx context.Context) error {
	if err := a.ensurePlan(ctx); err != nil {
		return err
	}
	if a.plan.QuotaHit {
		return nil
	}
	for _, task := range a.plan.Tasks {
		var done int
		err := a.DB.View(func(tx *worker.Tx) (err error) {
			done, err = tx.CountGreetingsForJob(a.cfg.ID, task.JobID, a.plan.FetchedAt, a.Clock.Now().Add(time.Nanosecond))
			return err
		})
		if err != nil {
			return err
		}
		want := allowed(task, a.Clock.Now()) - done
		if want <= 0 {
			continue
		}
		a.Log.Debug().Str("job", task.JobID).Int("want", want).Int("done", done).Msg("greet pass")
		// Greet in small batches so conversations are answered between them.
		if want > greetBatch {
			want = greetBatch
		}
		if err := a.greetJob(ctx, task, want); err != nil {
			if errors.Is(err, pages.ErrQuota) || errors.Is(err, ErrDailyCap) {
				a.plan.QuotaHit = true
				a.setState(StateQuota, err)
				return a.savePlan()
			}
			return err
		}
	}
	return nil
}

// greetJob walks one job's recommend list and greets up to want candidates.
func (a *Agent) greetJob(ctx context.Context, task brain.Task, want int) error {
	siteJob := a.siteJobID(task.JobID)
	if err := a.gov.Wait(ctx, ActBrowse); err != nil {
		return err
	}
	list, geeks, err := a.Site.OpenRecommend(ctx, siteJob)
	if err != nil {
		return err
	}
	greeted := 0
	for page := 0; page < maxScanPages && greeted < want; page++ {
		for _, g := range geeks {
			if greeted >= want {
				break
			}
			ok, err := a.considerGeek(ctx, list, task, g)
			if err != nil {
				return err
			}
			if ok {
				greeted++
			}
		}
		if greeted >= want {
			break
		}
		if err := a.gov.Wait(ctx, ActBrowse); err != nil {
			return err
		}
		if geeks, err = list.More(ctx); err != nil {
			return err
		}
		if len(geeks) == 0 {
			break
		}
	}
	return nil
}

// considerGeek greets one candidate when nothing forbids it and the brain
// approves. It reports whether a greeting was confirmed.
func (a *Agent) considerGeek(ctx context.Context, list RecommendList, task brain.Task, g pages.Geek) (bool, error) {
	cid := g.CandidateID()
	if g.HaveChatted || g.GeekID == 0 || a.filtered[cid] {
		return false, nil
	}
	var known bool
	err := a.DB.View(func(tx *worker.Tx) error {
		_, err := tx.Greeting(a.cfg.ID, cid)
		known = err == nil
		if errors.Is(err, worker.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil || known {
		return false, err
	}
	if task.Filter.Ask {
		touch, err := a.Brain.Filter(ctx, brain.FilterRequest{AccountID: a.brainAccount, JobID: task.JobID,
			CandidateID: cid, CandidateInfo: g.Raw})
		if err != nil {
			return false, fmt.Errorf("brain filter: %w", err)
		}
		if !touch {
			a.filtered[cid] = true
			return false, nil
		}
	}
	if err := a.mayAct(ctx, ActGreet); err != nil {
		return false, err
	}
	var created bool
	err = a.DB.Update(func(tx *worker.Tx) (err error) {
		_, created, err = tx.IntendGreeting(a.cfg.ID, cid, task.JobID)
		return err
	})
	if err != nil || !created {
		return false, err
	}
	gerr := list.Greet(ctx, g.EncryptGeekID)
	if pages.IsUnknownOutcome(gerr) && ctx.Err() == nil {
		// The click may or may not have landed: ask the page, never click again.
		if yes, err := list.Greeted(ctx, g.EncryptGeekID); err == nil && yes {
			gerr = nil
		}
	}
	switch {
	case gerr == nil:
		return true, a.confirmGreeting(cid, task.JobID, g.Name, "")
	case errors.Is(gerr, pages.ErrQuota):
		err := a.DB.Update(func(tx *worker.Tx) error {
			_, err := tx.SettleGreeting(a.cfg.ID, cid, worker.Abandoned, "daily quota dialog")
			return err
		})
		if err != nil {
			return false, err
		}
		return false, gerr
	default:
		// Risk, logout or unknown outcome: stays intended and is reconciled
		// against the site before anything else.
		return false, gerr
	}
}

// confirmGreeting settles a greeting as done and, in the same transaction,
// queues its reports: task/report to the brain and the contact record to
// the control plane.
func (a *Agent) confirmGreeting(cid, brainJob, name, note string) error {
	err := a.DB.Update(func(tx *worker.Tx) error {
		g, err := tx.SettleGreeting(a.cfg.ID, cid, worker.Done, note)
		if err != nil {
			return err
		}
		conv := Conversation{CandidateID: cid, Name: name, BrainJobID: brainJob, Status: StatusNotReached}
		if err := tx.Conversation(a.cfg.ID, cid, &conv); err != nil && !errors.Is(err, worker.ErrNotFound) {
			return err
		}
		if conv.Name == "" {
			conv.Name = name
		}
		conv.GreetedAt = g.DoneAt
		conv.UpdatedAt = tx.Now()
		if conv.UID == 0 {
			fmt.Sscan(cid, &conv.UID)
		}
		if err := a.putConversation(tx, conv); err != nil {
			return err
		}
		if err := enqueueTaskReport(tx, a.brainAccount, brainJob, cid); err != nil {
			return err
		}
		return enqueueContact(tx, a.contactInput(conv))
	})
	if err != nil {
		return err
	}
	a.count(func(s *Status) { s.Greeted++ })
	a.tally(func(d *wire.DayCount) { d.Greetings++ })
	a.Log.Info().Str("candidate", cid).Str("job", brainJob).Msg("greeted")
	return nil
}

// contactInput is the control plane's view of a conversation.
func (a *Agent) contactInput(c Conversation) wire.ContactInput {
	return wire.ContactInput{
		Account: a.cfg.ID, CandidateID: c.CandidateID, Name: c.Name, Position: c.Position,
		Phone: c.Phone, Wechat: c.Wechat, Contact: c.contact(), Replied: c.Replied,
		WechatExchanged: c.Wechat != "", ContactedAt: timePtr(c.GreetedAt),
	}
}
