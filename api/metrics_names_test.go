package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/internal/metrics"
	"github.com/hunterbot/hunterbot/internal/metrics/scrape"
)

// oneWorker is a fixed metrics.WorkerSource with every series populated.
type oneWorker struct{}

func (oneWorker) MetricsSample() (metrics.WorkerSample, error) {
	return metrics.WorkerSample{BrowserPID: os.Getpid(), BrowserRestarts: 1,
		Outbox: map[string]metrics.OutboxSample{"brain": {Depth: 1, OldestAge: time.Second}},
		Accounts: []metrics.AccountSample{{Account: "acc", State: "running", GreetingsTotal: 1,
			SentTotal: map[string]int64{"chat": 1}}}}, nil
}

// exposition scrapes both kinds of process with every series populated and
// returns their raw text and the metric families.
func exposition(t *testing.T) (map[string]string, scrape.Families) {
	t.Helper()
	e := newEnvWith(t, func(o *api.Options) { o.Metrics = metrics.NewRegistry(); o.MetricsToken = testMetricsToken })
	e.beat("acc", "paused_risk", "x")
	if _, err := e.api.DeliverAlerts(context.Background(), api.AlertsConfig{}); err != nil {
		t.Fatal(err)
	}
	wreg := metrics.NewRegistry()
	wreg.MustRegister(metrics.NewWorkerCollector(oneWorker{}, nil))
	metrics.NewBrain(wreg).Observe("/api/chat", "ok", time.Millisecond)
	ws := httptest.NewServer(metrics.Handler(wreg, "", nil))
	defer ws.Close()

	texts := map[string]string{}
	all := scrape.Families{}
	for name, u := range map[string]string{"control": e.srv.URL + "/metrics", "worker": ws.URL} {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Authorization", "Bearer "+testMetricsToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		texts[name] = string(b)
		f, err := scrape.Get(u, testMetricsToken)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range f {
			all[k] = v
		}
	}
	return texts, all
}

// TestMetricNamesDocumentedAndUsed: every hunterbot_ metric the processes
// export is listed in docs/metrics.md, and every hunterbot_ name the
// Grafana dashboard and the example alert rules query exists.
func TestMetricNamesDocumentedAndUsed(t *testing.T) {
	_, fams := exposition(t)
	exported := map[string]bool{}
	for name, mf := range fams {
		if !strings.HasPrefix(name, "hunterbot_") {
			continue
		}
		exported[name] = true
		if mf.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_count", "_sum"} {
				exported[name+s] = true
			}
		}
	}
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range fams {
		if strings.HasPrefix(n, "hunterbot_") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if !bytes.Contains(doc, []byte("`"+n+"`")) {
			t.Errorf("docs/metrics.md does not list `%s`", n)
		}
	}
	ref := regexp.MustCompile(`hunterbot_[a-z0-9_]+`)
	for _, f := range []string{"../configs/grafana-dashboard.json", "../configs/prometheus-rules.yml", "../docs/metrics.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ref.FindAllString(string(b), -1) {
			if !exported[n] && n != "hunterbot_" {
				t.Errorf("%s refers to %s, which no process exports", f, n)
			}
		}
	}
}

// TestMetricsPassPromtoolLint runs Prometheus's own linter (`promtool
// check metrics`: naming, units, _total suffixes, help texts) over both
// expositions. promtool comes with Debian's prometheus package.
func TestMetricsPassPromtoolLint(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus); the lint needs Prometheus's own tool")
	}
	texts, _ := exposition(t)
	for name, text := range texts {
		var own strings.Builder
		// Only our families: go_* and process_* belong to client_golang.
		for _, line := range strings.SplitAfter(text, "\n") {
			if strings.Contains(line, "hunterbot_") {
				own.WriteString(line)
			}
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = strings.NewReader(own.String())
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("%s: promtool check metrics: %v\n%s", name, err, out)
		}
	}
}

// TestPrometheusRulesWithPromtool checks the example alerting rules and
// runs their unit tests (configs/prometheus-rules.test.yml) with
// Prometheus's promtool.
func TestPrometheusRulesWithPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus); the rules need Prometheus's own checker")
	}
	for _, args := range [][]string{{"check", "rules", "prometheus-rules.yml"}, {"test", "rules", "prometheus-rules.test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../configs"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
