package api_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state"
)

// The 1M-contact benchmarks build their database once per process (about
// a minute); they only run with -bench, never in `go test`. Set
// HUNTERBOT_BENCH_CONTACTS to change the size.

var (
	bigOnce  sync.Once
	bigEnv   *benchEnv
	bigErr   error
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽")
	jobs     = []string{"产品经理", "前端工程师", "后端工程师", "Go开发", "Python开发", "Java开发", "测试工程师", "运维工程师", "数据分析师", "UI设计师",
		"销售经理", "客服专员", "人事专员", "财务会计", "市场专员", "算法工程师", "项目经理", "运营专员", "行政助理", "架构师"}
)

type benchEnv struct {
	db    *state.DB
	srv   *httptest.Server
	token string
	n     int
}

func buildBig() (*benchEnv, error) {
	n := 1_000_000
	if v := os.Getenv("HUNTERBOT_BENCH_CONTACTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	dir, err := os.MkdirTemp("", "hunterbot-bench-")
	if err != nil {
		return nil, err
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, clock.Shanghai)
	clk := clock.NewManual(start.AddDate(1, 0, 0))
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 10_000
	for i := 0; i < n; i += batch {
		in := make([]wire.ContactInput, 0, batch)
		for j := i; j < i+batch && j < n; j++ {
			name := string(surnames[rng.IntN(len(surnames))]) + string(given[rng.IntN(len(given))])
			if rng.IntN(2) == 0 {
				name += string(given[rng.IntN(len(given))])
			}
			c := wire.ContactInput{Account: "acct-" + strconv.Itoa(j%50), CandidateID: "geek-" + strconv.Itoa(j),
				Name: name, Position: jobs[rng.IntN(len(jobs))], Replied: rng.IntN(3) == 0, WechatExchanged: rng.IntN(5) == 0}
			switch rng.IntN(3) {
			case 0:
				c.Phone = fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1_000_000_000))
			case 1:
				c.Wechat = fmt.Sprintf("wx_%x", rng.Uint32())
			}
			created := start.Add(time.Duration(j) * (365 * 24 * time.Hour / time.Duration(n)))
			c.CreatedAt = &created
			in = append(in, c)
		}
		// One worker: an account belongs to the worker that first reports it.
		if _, err := db.UpsertContacts("worker-0", in); err != nil {
			return nil, err
		}
	}
	// Restart like a server would: the index is rebuilt from control.db.
	if err := db.Close(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	if db, err = state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost}); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: reopened control.db with %d contacts (index rebuilt) in %v\n", n, time.Since(t0).Round(time.Millisecond))
	if err := db.PutUser(testUser, testPassword); err != nil {
		return nil, err
	}
	if err := db.PutClient(testClient, testSecret); err != nil {
		return nil, err
	}
	pair, err := db.IssueTokens(testUser, testClient, 24*time.Hour, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	s, err := api.NewServer(api.Options{Store: db, Clock: clk, DataDir: dir, PublicURL: srv.URL, ExportTTL: time.Minute})
	if err != nil {
		return nil, err
	}
	srv.Config.Handler = s.Handler()
	return &benchEnv{db: db, srv: srv, token: pair.AccessToken, n: n}, nil
}

func big(b *testing.B) *benchEnv {
	b.Helper()
	bigOnce.Do(func() {
		t0 := time.Now()
		bigEnv, bigErr = buildBig()
		if bigErr == nil {
			fmt.Fprintf(os.Stderr, "bench: built %d contacts in %v\n", bigEnv.n, time.Since(t0).Round(time.Millisecond))
		}
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigEnv
}

func (be *benchEnv) get(b *testing.B, path string) []byte {
	req, _ := http.NewRequest("GET", be.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+be.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var buf [64 << 10]byte
	var out []byte
	for {
		n, err := resp.Body.Read(buf[:])
		out = append(out, buf[:n]...)
		if err != nil {
			break
		}
	}
	if resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d %s", path, resp.StatusCode, out)
	}
	return out
}

// BenchmarkContactsPage1M: one page of GET /api/contacts with a search term
// and every filter over 1,000,000 contacts, over real HTTP; reports p50 and
// p99 latency.
func BenchmarkContactsPage1M(b *testing.B) {
	be := big(b)
	queries := []string{"产品", "张伟", "138", "wx_a", "工程师", "李"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := url.Values{"search": {queries[i%len(queries)]}, "reply_status": {"已回复"}, "wechat_exchanged": {strconv.FormatBool(i%2 == 0)},
			"start_date": {"2024-02-01"}, "end_date": {"2024-11-30"}, "page": {strconv.Itoa(1 + i%5)}, "page_size": {"20"}}
		t0 := time.Now()
		be.get(b, "/api/contacts?"+q.Encode())
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkContactsPageNoSearch1M: filters only (no search term).
func BenchmarkContactsPageNoSearch1M(b *testing.B) {
	be := big(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := url.Values{"reply_status": {"未回复"}, "start_date": {"2024-03-01"}, "end_date": {"2024-09-30"}, "page": {strconv.Itoa(1 + i%1000)}}
		t0 := time.Now()
		be.get(b, "/api/contacts?"+q.Encode())
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkExport100k: GET /api/contacts/export selecting ~100,000 of the
// 1,000,000 contacts (a date range); reports rows, seconds per export and
// peak heap in use during the export (sampled every 5 ms).
func BenchmarkExport100k(b *testing.B) {
	be := big(b)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	// 2024-03-01..2024-04-06 is 37 days of 366: ~101,000 rows at 1M.
	q := url.Values{"start_date": {"2024-03-01"}, "end_date": {"2024-04-06"}}
	rows := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := be.get(b, "/api/contacts/export?"+q.Encode())
		var m struct {
			Data struct {
				TotalRecords int `json:"total_records"`
			} `json:"data"`
		}
		mustJSONB(b, body, &m)
		rows = m.Data.TotalRecords
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(base.HeapInuse)/(1<<20), "heap-before-MB")
}
