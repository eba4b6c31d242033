package console_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/console"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state"
)

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彩春菊凤洁梅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉娣叶璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡")
	benchJob = []string{"产品经理", "前端工程师", "后端工程师", "Go开发", "Python开发", "Java开发", "测试工程师", "运维工程师", "数据分析师", "UI设计师"}
)

const benchAccounts = 50

// buildBench fills a control.db the way workers do (UpsertContacts in
// batches of 10,000 over 50 accounts, heartbeats, conversation statuses
// and follow-up records), then re-opens it like a restarted server so the
// contact index is rebuilt from disk. HUNTERBOT_BENCH_CONTACTS changes the
// size (default 1,000,000).
func buildBench(b *testing.B, dir string) (*state.DB, int) {
	n := 1_000_000
	if v := os.Getenv("HUNTERBOT_BENCH_CONTACTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < benchAccounts {
			b.Fatalf("HUNTERBOT_BENCH_CONTACTS=%q: want an integer >= %d", v, benchAccounts)
		}
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, clock.Shanghai)
	clk := clock.NewManual(start.AddDate(1, 0, 0))
	path := filepath.Join(dir, "control.db")
	db, err := state.Open(path, state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 10_000
	for i := 0; i < n; i += batch {
		in := make([]wire.ContactInput, 0, batch)
		for j := i; j < i+batch && j < n; j++ {
			name := string(surnames[rng.IntN(len(surnames))]) + string(given[rng.IntN(len(given))])
			c := wire.ContactInput{Account: "acct-" + strconv.Itoa(j%benchAccounts), CandidateID: "geek-" + strconv.Itoa(j),
				Name: name, Position: benchJob[rng.IntN(len(benchJob))], Replied: rng.IntN(3) == 0, WechatExchanged: rng.IntN(5) == 0}
			if rng.IntN(3) == 0 {
				c.Phone = fmt.Sprintf("13%09d", rng.IntN(1_000_000_000))
			}
			created := start.Add(time.Duration(j) * (365 * 24 * time.Hour / time.Duration(n)))
			c.CreatedAt = &created
			in = append(in, c)
		}
		if _, err := db.UpsertContacts("w1", in); err != nil {
			b.Fatal(err)
		}
	}
	var st []wire.AccountStatus
	var convs []wire.ConversationStatus
	var recs []wire.RecordInput
	for a := 0; a < benchAccounts; a++ {
		key := "acct-" + strconv.Itoa(a)
		st = append(st, wire.AccountStatus{Key: key, State: "running", Counters: map[string]int64{"greeted": 30, "planned": 60, "replies": 9, "contacts": 4}})
		for k := 0; k < 100; k++ {
			cid := "geek-" + strconv.Itoa(k*benchAccounts+a)
			status := wire.ConvInService
			if k%10 == 0 {
				status = wire.ConvIntervened
			}
			convs = append(convs, wire.ConversationStatus{Account: key, CandidateID: cid, Status: status, UpdatedAt: clk.Now()})
			sent := clk.Now()
			recs = append(recs, wire.RecordInput{UID: key + "-" + cid, Account: key, CandidateID: cid, Content: "您好", SentAt: &sent, GotReply: k%3 == 0, ReplyContent: "好的"})
		}
	}
	if _, err := db.Heartbeat("w1", st); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(convs); i += 500 {
		if _, err := db.UpsertConversations("w1", convs[i:min(i+500, len(convs))]); err != nil {
			b.Fatal(err)
		}
		if _, err := db.UpsertRecords("w1", recs[i:min(i+500, len(recs))]); err != nil {
			b.Fatal(err)
		}
	}
	fill := time.Since(t0)
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	t0 = time.Now()
	if db, err = state.Open(path, state.Options{Clock: clk, BcryptCost: bcrypt.MinCost}); err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture: %d contacts filled in %v, re-opened (index rebuilt) in %v", n, fill.Round(time.Second), time.Since(t0).Round(time.Millisecond))
	return db, n
}

// loadAvg is the machine's 1-minute load average (-1 where /proc is
// absent), reported next to each figure: on a shared machine the load
// explains most of the spread between runs.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// BenchmarkPages measures the server time of each console page on a
// control.db with 1M contacts: the handler runs in-process on a recorder
// (no network), behind the real session check. Reported: mean (ns/op),
// p50 and p99 wall time in ms, p50 and p99 of the process CPU time each
// request used (cpu-p50-ms, cpu-p99-ms: on a loaded machine the difference
// is time spent waiting for a CPU), and the load average when the case
// ended. Run with
//
//	go test -run '^$' -bench Pages -benchtime 200x ./console/
func BenchmarkPages(b *testing.B) {
	dir := b.TempDir()
	db, n := buildBench(b, dir)
	b.Cleanup(func() { _ = db.Close() })
	if err := db.PutUser(testUser, testPass); err != nil {
		b.Fatal(err)
	}
	con, err := console.New(console.Options{Store: db, SessionTTL: 24 * time.Hour * 365 * 10})
	if err != nil {
		b.Fatal(err)
	}
	pair, err := db.IssueTokens(testUser, console.ClientID, 24*time.Hour*365*10, 24*time.Hour*365*10)
	if err != nil {
		b.Fatal(err)
	}
	h := con.Handler()
	last := (n + 49) / 50
	for _, p := range []struct{ name, path string }{
		{"fleet", "/ui/fleet"},
		{"fleet-rows", "/ui/fleet/rows"},
		{"account", "/ui/accounts/acct-7"},
		{"conversations", "/ui/conversations"},
		{"conversations-taken", "/ui/conversations?status=CUSTOMER_SERVICE_INTERVENES&account=acct-7"},
		{"conversation", "/ui/conversations/acct-7/geek-4957"},
		{"contacts", "/ui/contacts"},
		{"contacts-last-page", "/ui/contacts?page=" + strconv.Itoa(last)},
		{"contacts-search", "/ui/contacts?search=%E5%BC%A0%E4%BC%9F"},
		{"contacts-search-phone", "/ui/contacts?search=138"},
		// A different needle every request ("1000", "1001", ...): no
		// cached search result helps (the cold cost of a new search).
		{"contacts-search-phone-cold", "/ui/contacts?search=1%03d"},
		{"contacts-filters-phone-cold", "/ui/contacts?search=1%03d&reply_status=%%E6%%9C%%AA%%E5%%9B%%9E%%E5%%A4%%8D&wechat_exchanged=false&start_date=2024-02-01&end_date=2024-11-30&page=2"},
		{"contacts-flags", "/ui/contacts?reply_status=%E5%B7%B2%E5%9B%9E%E5%A4%8D&wechat_exchanged=false&page=100"},
		{"contacts-dates", "/ui/contacts?start_date=2024-03-01&end_date=2024-03-07"},
		{"contacts-filters", "/ui/contacts?search=%E5%B7%A5%E7%A8%8B%E5%B8%88&reply_status=%E5%B7%B2%E5%9B%9E%E5%A4%8D&wechat_exchanged=true&start_date=2024-03-01&end_date=2024-09-30&page=3"},
		{"contacts-filters-phone", "/ui/contacts?search=139&reply_status=%E6%9C%AA%E5%9B%9E%E5%A4%8D&wechat_exchanged=false&start_date=2024-02-01&end_date=2024-11-30&page=2"},
		{"followups", "/ui/followups"},
		{"workers", "/ui/workers"},
		{"reports-cached", "/ui/reports"},
		// Builds the report each time, without the page's cache: the
		// funnel counts come from the contact index, the per-script part
		// pages the 5,000 follow-up records. The uncached page costs this
		// plus reports-cached (the rendering).
		{"reports-build", ""},
	} {
		b.Run(p.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			cpu := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				if p.path == "" {
					c0, t0 := processCPU(), time.Now()
					if err := con.BuildReport(); err != nil {
						b.Fatal(err)
					}
					lat, cpu = append(lat, time.Since(t0)), append(cpu, processCPU()-c0)
					continue
				}
				path := p.path
				if strings.Contains(path, "%03d") {
					path = fmt.Sprintf(path, i%1000)
				}
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.AddCookie(&http.Cookie{Name: "hb_session", Value: pair.AccessToken})
				rec := httptest.NewRecorder()
				c0, t0 := processCPU(), time.Now()
				h.ServeHTTP(rec, req)
				lat, cpu = append(lat, time.Since(t0)), append(cpu, processCPU()-c0)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
				}
			}
			load := loadAvg()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			sort.Slice(cpu, func(i, j int) bool { return cpu[i] < cpu[j] })
			ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
			if cpu[0] >= 0 {
				b.ReportMetric(ms(cpu[len(cpu)/2]), "cpu-p50-ms")
				b.ReportMetric(ms(cpu[len(cpu)*99/100]), "cpu-p99-ms")
			}
			if load >= 0 {
				b.ReportMetric(load, "load1")
			}
		})
	}
}
