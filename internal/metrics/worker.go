package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// AccountSample is one account as a worker sees it at scrape time.
type AccountSample struct {
	Account string
	State   string
	// Today's figures from the agent's status.
	GreetedToday, PlannedToday int64
	Replies, Contacts          int64
	Parked                     int64
	// Ledger totals (worker.db): confirmed greetings and sent messages by
	// kind (chat, followup, manual, ...).
	GreetingsTotal int64
	SentTotal      map[string]int64
}

// OutboxSample is the backlog of one outbox target ("brain", "control").
type OutboxSample struct {
	Depth     int
	OldestAge time.Duration
}

// WorkerSample is what the worker collector reads at each scrape.
type WorkerSample struct {
	Accounts        []AccountSample
	Outbox          map[string]OutboxSample
	BrowserRestarts int64
	// BrowserPID is the pid of the Chromium this worker launched (0: none,
	// e.g. a browser shared by tests); its process tree's memory is read
	// from /proc.
	BrowserPID int
	// BrowserPIDs, when set, are every Chromium the worker runs (profiles
	// mode: one per account) and replace BrowserPID: the Chromium series
	// sum their trees.
	BrowserPIDs []int
}

// WorkerSource produces a sample (bot.Runtime implements it).
type WorkerSource interface {
	MetricsSample() (WorkerSample, error)
}

// workerCollector turns a WorkerSample into metrics at scrape time, so the
// bot's code paths carry no metric calls and a scrape always shows the
// state worker.db and the agents are in.
type workerCollector struct {
	src     WorkerSource
	readMem func(pid int) (TreeMemory, error)

	state, greetedToday, plannedToday, replies, contacts, parked *prometheus.Desc
	greetings, sent                                              *prometheus.Desc
	outboxDepth, outboxAge                                       *prometheus.Desc
	restarts, rss, pss, procs, scrapeErr                         *prometheus.Desc
}

// AccountStates are the agent states exported as hunterbot_account_state
// series (1 for the current one, 0 for the others), so a dashboard can
// count accounts per state without a series appearing and vanishing.
var AccountStates = []string{"starting", "running", "paused_risk", "needs_login", "quota_reached", "error", "stopped"}

// NewWorkerCollector returns the collector of a worker process. readMem
// is ReadTreeMemory outside tests.
func NewWorkerCollector(src WorkerSource, readMem func(int) (TreeMemory, error)) prometheus.Collector {
	acc := []string{"account"}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(Namespace+"_"+name, help, labels, nil)
	}
	if readMem == nil {
		readMem = ReadTreeMemory
	}
	return &workerCollector{src: src, readMem: readMem,
		state:        d("account_state", "1 for the account's current state, 0 for the other known states.", "account", "state"),
		greetedToday: d("account_greetings_today", "Greetings confirmed today (agent status).", acc...),
		plannedToday: d("account_greetings_planned_today", "Greetings the brain planned today.", acc...),
		replies:      d("account_replied_conversations", "Conversations with a candidate reply (agent status).", acc...),
		contacts:     d("account_contacts", "Contacts captured (agent status).", acc...),
		parked:       d("account_parked_items", "Outbox items parked after repeated rejections.", acc...),
		greetings:    d("account_greetings_total", "Greetings confirmed, over the whole greeting ledger of worker.db.", acc...),
		sent:         d("account_messages_sent_total", "Messages the bot sent, by kind (chat, followup, manual, recall, contact_request, exchange), over the send ledger.", "account", "kind"),
		outboxDepth:  d("outbox_items", "Undelivered outbox items, by target.", "target"),
		outboxAge:    d("outbox_oldest_item_age_seconds", "Age of the oldest undelivered outbox item, by target (0 when empty).", "target"),
		restarts:     d("browser_restarts_total", "Chromium relaunches (crash or recycle) since the worker started."),
		rss:          d("chromium_rss_bytes", "Sum of Rss over the Chromium process tree (shared pages counted per process)."),
		pss:          d("chromium_pss_bytes", "Sum of Pss over the Chromium process tree (what it really occupies)."),
		procs:        d("chromium_processes", "Processes in the Chromium process tree."),
		scrapeErr:    d("worker_sample_errors", "1 when the last sample could not be read completely (see the worker log)."),
	}
}

// Describe implements prometheus.Collector.
func (c *workerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.state, c.greetedToday, c.plannedToday, c.replies, c.contacts, c.parked,
		c.greetings, c.sent, c.outboxDepth, c.outboxAge, c.restarts, c.rss, c.pss, c.procs, c.scrapeErr} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *workerCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.src.MetricsSample()
	failed := 0.0
	if err != nil {
		failed = 1 // partial sample: still export what was read
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	for _, a := range s.Accounts {
		known := false
		for _, st := range AccountStates {
			v := 0.0
			if st == a.State {
				v, known = 1, true
			}
			gauge(c.state, v, a.Account, st)
		}
		if !known && a.State != "" {
			gauge(c.state, 1, a.Account, a.State)
		}
		gauge(c.greetedToday, float64(a.GreetedToday), a.Account)
		gauge(c.plannedToday, float64(a.PlannedToday), a.Account)
		gauge(c.replies, float64(a.Replies), a.Account)
		gauge(c.contacts, float64(a.Contacts), a.Account)
		gauge(c.parked, float64(a.Parked), a.Account)
		counter(c.greetings, float64(a.GreetingsTotal), a.Account)
		for kind, n := range a.SentTotal {
			counter(c.sent, float64(n), a.Account, kind)
		}
	}
	// brain and control always appear (0 when empty) so alert rules on
	// the backlog have a series to evaluate; other targets when present.
	targets := map[string]OutboxSample{"brain": {}, "control": {}}
	for t, o := range s.Outbox {
		targets[t] = o
	}
	for target, o := range targets {
		gauge(c.outboxDepth, float64(o.Depth), target)
		gauge(c.outboxAge, o.OldestAge.Seconds(), target)
	}
	counter(c.restarts, float64(s.BrowserRestarts))
	pids := s.BrowserPIDs
	if len(pids) == 0 && s.BrowserPID > 0 {
		pids = []int{s.BrowserPID}
	}
	var sum TreeMemory
	read := 0
	for _, pid := range pids {
		tm, merr := c.readMem(pid)
		if merr != nil {
			failed = 1 // partial: the trees that were read still count
			continue
		}
		read++
		sum.RSSBytes += tm.RSSBytes
		sum.PSSBytes += tm.PSSBytes
		sum.Processes += tm.Processes
	}
	if read > 0 {
		gauge(c.rss, float64(sum.RSSBytes))
		gauge(c.pss, float64(sum.PSSBytes))
		gauge(c.procs, float64(sum.Processes))
	}
	gauge(c.scrapeErr, failed)
}
