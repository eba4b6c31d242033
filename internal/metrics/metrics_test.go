package metrics_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/metrics"
	"github.com/hunterbot/hunterbot/internal/metrics/scrape"
)

// fakeWorker is a hand-written WorkerSource whose sample the test moves.
type fakeWorker struct {
	mu sync.Mutex
	s  metrics.WorkerSample
}

func (f *fakeWorker) MetricsSample() (metrics.WorkerSample, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.s, nil
}

func (f *fakeWorker) set(fn func(*metrics.WorkerSample)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(&f.s)
}

// TestWorkerMetricsListener serves a worker registry on its own loopback
// listener with a token, scrapes it over HTTP and checks the values follow
// the worker's state, brain calls are histogrammed by endpoint and outcome,
// and the Chromium memory comes from /proc (here: this test process).
func TestWorkerMetricsListener(t *testing.T) {
	const token = "worker-scrape-token-123"
	reg := metrics.NewRegistry()
	src := &fakeWorker{s: metrics.WorkerSample{BrowserPID: os.Getpid(), Accounts: []metrics.AccountSample{
		{Account: "acc-1", State: "running", GreetedToday: 3, GreetingsTotal: 10, SentTotal: map[string]int64{"chat": 4}},
	}}}
	reg.MustRegister(metrics.NewWorkerCollector(src, nil))
	br := metrics.NewBrain(reg)
	srv, err := metrics.Listen(metrics.Config{Addr: "127.0.0.1:0", Token: token}, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	url := "http://" + srv.Addr() + "/metrics"

	_, err = scrape.Get(url, "")
	var se *scrape.StatusError
	if !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
		t.Fatalf("no token: %v", err)
	}
	f, err := scrape.Get(url, token)
	if err != nil {
		t.Fatal(err)
	}
	check := func(f scrape.Families, name string, labels map[string]string, want float64) {
		t.Helper()
		if v, ok := f.Value(name, labels); !ok || v != want {
			t.Errorf("%s%v = %v (present %v), want %v; series %v", name, labels, v, ok, want, f.Labels(name))
		}
	}
	check(f, "hunterbot_account_greetings_today", map[string]string{"account": "acc-1"}, 3)
	check(f, "hunterbot_account_greetings_total", map[string]string{"account": "acc-1"}, 10)
	check(f, "hunterbot_account_messages_sent_total", map[string]string{"account": "acc-1", "kind": "chat"}, 4)
	check(f, "hunterbot_account_state", map[string]string{"account": "acc-1", "state": "running"}, 1)
	check(f, "hunterbot_outbox_items", map[string]string{"target": "brain"}, 0)
	check(f, "hunterbot_browser_restarts_total", nil, 0)
	check(f, "hunterbot_worker_sample_errors", nil, 0)
	if v, ok := f.Value("hunterbot_chromium_rss_bytes", nil); !ok || v < 1<<20 {
		t.Errorf("chromium_rss_bytes of this process = %v, want at least 1 MiB", v)
	}
	if f.Type("hunterbot_account_messages_sent_total") != "COUNTER" || f.Type("hunterbot_outbox_items") != "GAUGE" {
		t.Errorf("types: %s %s", f.Type("hunterbot_account_messages_sent_total"), f.Type("hunterbot_outbox_items"))
	}

	src.set(func(s *metrics.WorkerSample) {
		s.Accounts[0].State, s.Accounts[0].GreetedToday, s.Accounts[0].SentTotal["followup"] = "paused_risk", 5, 2
		s.Outbox = map[string]metrics.OutboxSample{"brain": {Depth: 7, OldestAge: 90 * time.Second}}
		s.BrowserRestarts = 2
	})
	br.Observe("/api/task/report", "ok", 30*time.Millisecond)
	br.Observe("/api/task/report", "http_5xx", 2*time.Second)
	br.Observe("/api/chat", "ok", time.Second)
	f, err = scrape.Get(url, token)
	if err != nil {
		t.Fatal(err)
	}
	check(f, "hunterbot_account_state", map[string]string{"account": "acc-1", "state": "running"}, 0)
	check(f, "hunterbot_account_state", map[string]string{"account": "acc-1", "state": "paused_risk"}, 1)
	check(f, "hunterbot_account_greetings_today", map[string]string{"account": "acc-1"}, 5)
	check(f, "hunterbot_account_messages_sent_total", map[string]string{"account": "acc-1", "kind": "followup"}, 2)
	check(f, "hunterbot_outbox_items", map[string]string{"target": "brain"}, 7)
	check(f, "hunterbot_outbox_oldest_item_age_seconds", map[string]string{"target": "brain"}, 90)
	check(f, "hunterbot_browser_restarts_total", nil, 2)
	check(f, "hunterbot_brain_request_duration_seconds", map[string]string{"endpoint": "/api/task/report", "outcome": "ok"}, 1)
	check(f, "hunterbot_brain_request_duration_seconds", map[string]string{"endpoint": "/api/task/report", "outcome": "http_5xx"}, 1)
	check(f, "hunterbot_brain_request_duration_seconds", map[string]string{"endpoint": "/api/chat", "outcome": "ok"}, 1)
}

// TestHTTPMiddlewareLabelsByPattern: the route label is the ServeMux
// pattern, unknown paths are "unmatched", made-up methods are "other".
func TestHTTPMiddlewareLabelsByPattern(t *testing.T) {
	reg := metrics.NewRegistry()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	mux.Handle("GET /metrics", metrics.Handler(reg, "", nil))
	ts := httptest.NewServer(metrics.NewHTTP(reg, "test").Wrap(mux))
	defer ts.Close()
	for _, p := range []string{"/items/1", "/items/2", "/nope"} {
		resp, err := http.Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	req, _ := http.NewRequest("BREW", ts.URL+"/items/3", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	f, err := scrape.Get(ts.URL+"/metrics", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"route": "GET /items/{id}", "method": "GET", "code": "418", "server": "test"}, 2},
		{map[string]string{"route": "unmatched", "method": "GET", "code": "404"}, 1},
		{map[string]string{"method": "other"}, 1},
	} {
		if v, ok := f.Value("hunterbot_http_request_duration_seconds", c.labels); !ok || v != c.want {
			t.Errorf("%v = %v, want %v; series %v", c.labels, v, c.want, f.Labels("hunterbot_http_request_duration_seconds"))
		}
	}
}

// TestConfigValidate: a metrics listener off loopback needs a token.
func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  metrics.Config
		fail bool
	}{
		{metrics.Config{}, false},
		{metrics.Config{Addr: "127.0.0.1:9464"}, false},
		{metrics.Config{Addr: "localhost:9464"}, false},
		{metrics.Config{Addr: "0.0.0.0:9464"}, true},
		{metrics.Config{Addr: "0.0.0.0:9464", Token: "long-enough-token-1"}, false},
		{metrics.Config{Addr: "127.0.0.1:9464", Token: "short"}, true},
		{metrics.Config{Addr: "9464"}, true},
	} {
		err := c.cfg.Validate("metrics")
		if (err != nil) != c.fail {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
}

// TestReadTreeMemory: a child process is found through /proc and its
// memory summed in.
func TestReadTreeMemory(t *testing.T) {
	child := exec.Command("sleep", "60")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	tm, err := metrics.ReadTreeMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if tm.Processes < 2 || tm.RSSBytes == 0 || tm.PSSBytes == 0 || tm.PSSBytes > tm.RSSBytes {
		t.Fatalf("tree memory = %+v", tm)
	}
	if _, err := metrics.ReadTreeMemory(0); err == nil {
		t.Fatal("pid 0 accepted")
	}
}

// Profiles mode runs a Chromium per account: the Chromium series sum the
// trees of every browser the sample names, and one that cannot be read
// (closed meanwhile) leaves the others counted and flags the scrape.
func TestChromiumSeriesSumEveryBrowser(t *testing.T) {
	mem := map[int]metrics.TreeMemory{
		101: {Processes: 9, RSSBytes: 800 << 20, PSSBytes: 200 << 20},
		202: {Processes: 8, RSSBytes: 700 << 20, PSSBytes: 150 << 20},
	}
	readMem := func(pid int) (metrics.TreeMemory, error) {
		if tm, ok := mem[pid]; ok {
			return tm, nil
		}
		return metrics.TreeMemory{}, errors.New("no such process")
	}
	src := &fakeWorker{s: metrics.WorkerSample{BrowserPID: 101, BrowserPIDs: []int{101, 202}}}
	reg := metrics.NewRegistry()
	reg.MustRegister(metrics.NewWorkerCollector(src, readMem))
	srv := httptest.NewServer(metrics.Handler(reg, "", nil))
	defer srv.Close()
	get := func() scrape.Families {
		t.Helper()
		f, err := scrape.Get(srv.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	want := func(f scrape.Families, name string, v float64) {
		t.Helper()
		if got, ok := f.Value(name, nil); !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, v)
		}
	}
	f := get()
	want(f, "hunterbot_chromium_processes", 17)
	want(f, "hunterbot_chromium_pss_bytes", 350<<20)
	want(f, "hunterbot_chromium_rss_bytes", 1500<<20)
	want(f, "hunterbot_worker_sample_errors", 0)

	src.set(func(s *metrics.WorkerSample) { s.BrowserPIDs = []int{101, 303} })
	f = get()
	want(f, "hunterbot_chromium_processes", 9)
	want(f, "hunterbot_worker_sample_errors", 1)
}
