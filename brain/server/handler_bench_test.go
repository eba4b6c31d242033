package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/loadbench"
	"github.com/hunterbot/hunterbot/brain/server"
)

// BenchmarkHandlers runs the handlers without a network, one request at a
// time, with the bodies of brain/loadbench: the CPU cost of decoding,
// deciding, storing and encoding, apart from HTTP and load.
func BenchmarkHandlers(b *testing.B) {
	cfg := &server.Config{
		Jobs: []server.JobSpec{{PlatformType: "Boss", PlatformID: "lb1", Name: "心理咨询师",
			FilterArgs: brain.FilterArgs{AgeMin: 22, AgeMax: 40, DegreeMin: "本科", SchoolTier: "211", Locations: []string{"北京"},
				JobTags: []string{"心理咨询"}, NegativeWords: []string{"兼职", "实习"}, NegativeCompanies: []string{"某竞品心理"},
				SalaryMin: 10, SalaryMax: 25, ApplyStatus: []string{"离职-随时到岗"}, ActiveWithinHours: 72}}},
		Accounts: []server.AccountSpec{{PlatformType: "Boss", PlatformID: "lb1", Jobs: []string{"job_Boss_lb1"},
			Tasks: map[string]brain.TaskConfig{"job_Boss_lb1": {HelloSum: 1000000, TimeMount: []brain.TimeMount{{Time: "23:59", Mount: 1}}}}}},
	}
	srv, err := server.New(server.Options{DataDir: b.TempDir(), Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	h := srv.Handler()
	for _, e := range []loadbench.Endpoint{loadbench.Filter, loadbench.TaskFetch} {
		b.Run(string(e), func(b *testing.B) {
			bodies := loadbench.NewBodies("account_Boss_lb1", time.Now().UnixMicro())
			b.ReportAllocs()
			i := int64(0)
			for b.Loop() {
				i++
				r := bodies.Make(e, i)
				req := httptest.NewRequest(http.MethodPost, e.Path(), bytes.NewReader(r.Body))
				req.Header.Set("Content-Type", r.ContentType)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"ret":0`)) {
					b.Fatalf("%s: %d %s", e, w.Code, w.Body)
				}
			}
		})
	}
}
