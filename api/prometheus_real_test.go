package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/internal/metrics"
)

// TestRealPrometheusScrapesControlPlane runs the real Prometheus server
// (Debian's prometheus package) against the control plane: it scrapes
// /metrics with the scrape token as documented in docs/metrics.md, and its
// query API then returns the account's state; a job with a wrong token is
// down (401). This checks the format, the content type negotiation and the
// auth scheme against the real counterpart, not only our own parser.
func TestRealPrometheusScrapesControlPlane(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus not installed (apt-get install prometheus); this test needs the real server")
	}
	e := newEnvWith(t, func(o *api.Options) { o.Metrics = metrics.NewRegistry(); o.MetricsToken = testMetricsToken })
	e.beat("boss-a", "needs_login", "")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	promAddr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	target := strings.TrimPrefix(e.srv.URL, "http://")
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(testMetricsToken), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: hunterbot-control
    authorization: {credentials_file: %s}
    static_configs: [{targets: ["%s"]}]
  - job_name: wrong-token
    authorization: {credentials: not-the-token-0123456789}
    static_configs: [{targets: ["%s"]}]
`, filepath.Join(dir, "token"), target, target)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+promAddr, "--log.level=warn")
	out, _ := os.Create(filepath.Join(dir, "prometheus.log"))
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()

	query := func(q string) (map[string]string, bool) {
		resp, err := http.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return nil, false
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
					Value  []any             `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) != 1 {
			return nil, false
		}
		m := r.Data.Result[0].Metric
		m["__value"], _ = r.Data.Result[0].Value[1].(string)
		return m, true
	}
	waitFor := func(q string, want func(v string) bool) map[string]string {
		t.Helper()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			if m, ok := query(q); ok && want(m["__value"]) {
				return m
			}
			if cmd.ProcessState != nil {
				b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
				t.Fatalf("prometheus exited: %s", b)
			}
			if dl, ok := t.Deadline(); ok && time.Until(dl) < 5*time.Second {
				b, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
				t.Fatalf("no wanted value of %s from prometheus before the test deadline; log:\n%s", q, b)
			}
			<-tick.C
		}
	}
	is := func(want string) func(string) bool { return func(v string) bool { return v == want } }
	waitFor(`up{job="hunterbot-control"}`, is("1"))
	m := waitFor(`hunterbot_account_state{job="hunterbot-control", state="needs_login"}`, is("1"))
	if m["account"] != "boss-a" {
		t.Fatalf("series %v", m)
	}
	waitFor(`up{job="wrong-token"}`, is("0"))
	// Prometheus's own scrapes show in the request histogram.
	waitFor(`hunterbot_http_request_duration_seconds_count{job="hunterbot-control", route="GET /metrics", code="200"}`,
		func(v string) bool { return v != "" && v != "0" })

	// Every query of the Grafana dashboard is valid PromQL to the real
	// server (its variables filled in as Grafana would).
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, err := os.ReadFile("../configs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	vars := strings.NewReplacer("$control_job", "hunterbot-control", "$worker_job", "hunterbot-worker", "$account", ".*")
	checked := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			resp, err := http.Get("http://" + promAddr + "/api/v1/query?query=" + url.QueryEscape(vars.Replace(tg.Expr)))
			if err != nil {
				t.Fatal(err)
			}
			var r struct {
				Status string `json:"status"`
				Error  string `json:"error"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if r.Status != "success" {
				t.Errorf("panel %q: %s: %s", p.Title, tg.Expr, r.Error)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Fatalf("only %d dashboard queries found", checked)
	}
}
