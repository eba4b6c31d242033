package console

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/hunterbot/hunterbot/state"
)

// funnel is one row of the report: greeted → replied → contact →
// interview (state.FunnelCounts; what each stage counts is in
// docs/console.md).
type funnel struct {
	Label string
	state.FunnelCounts
	// Bars are the widths (0..barMax) of the chart's bars.
	Bars [4]int
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

// buildReport reads the funnel counts the contact index keeps per account
// and per position (no walk over the contacts) and counts the follow-up
// records per script (ScriptFunnel, one pass decoding three fields). The
// result is still cached (reportsPage) because the records part is linear
// in the records.
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
	accCounts, posCounts := c.store.ContactFunnel()
	byAcc, byJob := map[string]state.FunnelCounts{}, map[string]state.FunnelCounts{}
	for id, f := range accCounts {
		k := keyOf[id]
		if k == "" {
			k = "#" + strconv.FormatUint(id, 10)
		}
		byAcc[k] = f
	}
	for p, f := range posCounts {
		byJob[p] = f
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
	counts, err := c.store.ScriptFunnel()
	if err != nil {
		return nil, err
	}
	byScript := map[string]*scriptFunnel{}
	for _, sc := range counts {
		k := "manual"
		if sc.ScriptID != 0 {
			if k = label[sc.ScriptID]; k == "" {
				k = "#" + strconv.FormatUint(sc.ScriptID, 10)
			}
		}
		f := byScript[k]
		if f == nil {
			f = &scriptFunnel{Label: k}
			byScript[k] = f
		}
		f.Sent += sc.Sent
		f.Replied += sc.Replied
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

func sortFunnels(m map[string]state.FunnelCounts) []funnel {
	out := make([]funnel, 0, len(m))
	for k, f := range m {
		out = append(out, funnel{Label: k, FunnelCounts: f,
			Bars: [4]int{bar(f.Greeted, f.Greeted), bar(f.Replied, f.Greeted), bar(f.Contact, f.Greeted), bar(f.Interview, f.Greeted)}})
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
