package console

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// funnel is one row of the report: greeted → replied → contact →
// interview. Interview is not collected by any worker yet, so it is
// always absent (the page says so) rather than a made-up zero.
type funnel struct {
	Label   string
	Greeted int
	Replied int
	Contact int
	// Bars are the widths (0..barMax) of the chart's bars.
	Bars [3]int
}

// scriptFunnel is a follow-up script's sent → replied.
type scriptFunnel struct {
	Label   string
	Sent    int
	Replied int
	Bars    [2]int
}

type report struct {
	At        time.Time
	Took      time.Duration
	ByAccount []funnel
	ByJob     []funnel
	ByScript  []scriptFunnel
}

const barMax = 300

func bar(n, of int) int {
	if n == 0 || of == 0 {
		return 0
	}
	return max(1, n*barMax/of)
}

// buildReport walks every contact once (through the index, in batches)
// and the follow-up records. It is the only console view that is linear
// in the contacts, so its result is cached (reportsPage).
func (c *Console) buildReport() (*report, error) {
	start := time.Now()
	accs, err := c.store.ListAccounts()
	if err != nil {
		return nil, err
	}
	keyOf := map[uint64]string{}
	for _, a := range accs {
		keyOf[a.ID] = a.Key
	}
	byAcc, byJob := map[string]*funnel{}, map[string]*funnel{}
	add := func(m map[string]*funnel, k string, ct *wire.Contact) {
		f := m[k]
		if f == nil {
			f = &funnel{Label: k}
			m[k] = f
		}
		f.Greeted++
		if ct.ReplyStatus == wire.ReplyYes {
			f.Replied++
		}
		if ct.Phone != "" || ct.Wechat != "" || ct.WechatExchanged {
			f.Contact++
		}
	}
	err = c.store.EachContact(wire.ContactFilter{}, func(ct *wire.Contact) error {
		k := keyOf[ct.AccountID]
		if k == "" {
			k = "#" + strconv.FormatUint(ct.AccountID, 10)
		}
		add(byAcc, k, ct)
		add(byJob, ct.Position, ct)
		return nil
	})
	if err != nil {
		return nil, err
	}
	cfgs, err := c.store.ListConfigs(nil, nil)
	if err != nil {
		return nil, err
	}
	label := map[uint64]string{}
	for _, cf := range cfgs {
		for _, sc := range cf.Scripts {
			label[sc.ID] = cf.Name + " · D" + strconv.Itoa(sc.DayNumber) + " #" + strconv.FormatUint(sc.ID, 10)
		}
	}
	byScript := map[string]*scriptFunnel{}
	for page := 1; ; page++ {
		recs, total, err := c.store.ListRecords(wire.RecordFilter{}, page, 1000)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			k := "manual"
			if rec.ScriptID != nil {
				if k = label[*rec.ScriptID]; k == "" {
					k = "#" + strconv.FormatUint(*rec.ScriptID, 10)
				}
			}
			f := byScript[k]
			if f == nil {
				f = &scriptFunnel{Label: k}
				byScript[k] = f
			}
			if rec.Status == wire.StatusSent {
				f.Sent++
				if rec.GotReply {
					f.Replied++
				}
			}
		}
		if page*1000 >= total {
			break
		}
	}
	rep := &report{At: c.clock.Now(), ByAccount: sortFunnels(byAcc), ByJob: sortFunnels(byJob)}
	for _, f := range byScript {
		f.Bars = [2]int{bar(f.Sent, f.Sent), bar(f.Replied, f.Sent)}
		rep.ByScript = append(rep.ByScript, *f)
	}
	sort.Slice(rep.ByScript, func(i, j int) bool { return rep.ByScript[i].Label < rep.ByScript[j].Label })
	rep.Took = time.Since(start)
	return rep, nil
}

func sortFunnels(m map[string]*funnel) []funnel {
	out := make([]funnel, 0, len(m))
	for _, f := range m {
		f.Bars = [3]int{bar(f.Greeted, f.Greeted), bar(f.Replied, f.Greeted), bar(f.Contact, f.Greeted)}
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Greeted != out[j].Greeted {
			return out[i].Greeted > out[j].Greeted
		}
		return out[i].Label < out[j].Label
	})
	if len(out) > 50 {
		out = out[:50]
	}
	return out
}

// reportsPage shows the cached report. The first view builds it (seconds
// with a million contacts, see docs/console.md); later views get the
// cached one at once, and one older than a minute is rebuilt in the
// background while it is still shown. ?refresh=1 waits for a fresh one.
func (c *Console) reportsPage(w http.ResponseWriter, r *http.Request, s *session) {
	c.report.mu.Lock()
	rep, at := c.report.rep, c.report.at
	fresh := r.URL.Query().Get("refresh") != ""
	if (rep != nil && !fresh) && time.Since(at) > time.Minute && !c.report.building {
		c.report.building = true
		go func() {
			next, err := c.buildReport()
			c.report.mu.Lock()
			defer c.report.mu.Unlock()
			c.report.building = false
			if err != nil {
				c.log.Error().Err(err).Msg("console: report rebuild")
				return
			}
			c.report.rep, c.report.at = next, time.Now()
		}()
	}
	c.report.mu.Unlock()
	if rep == nil || fresh {
		// Builds are serialised so concurrent first viewers share the work.
		c.report.build.Lock()
		defer c.report.build.Unlock()
		c.report.mu.Lock()
		rep, at = c.report.rep, c.report.at
		c.report.mu.Unlock()
		if rep == nil || (fresh && time.Since(at) > time.Second) {
			var err error
			if rep, err = c.buildReport(); err != nil {
				c.fail(w, r, s, 0, err)
				return
			}
			c.report.mu.Lock()
			c.report.rep, c.report.at = rep, time.Now()
			c.report.mu.Unlock()
		}
	}
	c.render(w, r, s, http.StatusOK, "reports", rep)
}
