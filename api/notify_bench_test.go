package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state"
)

// notifyBench is a control plane with n contacts (candidates geek-0..n-1
// spread over 5 accounts) on 2026-03-02 08:00 Shanghai.
type notifyBench struct {
	db    *state.DB
	clk   *clock.Manual
	srv   *httptest.Server
	token string
}

func newNotifyBench(b *testing.B, contacts int) *notifyBench {
	b.Helper()
	dir := b.TempDir()
	clk := clock.NewManual(time.Date(2026, 3, 2, 8, 0, 0, 0, clock.Shanghai))
	db, err := state.Open(filepath.Join(dir, "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if err := db.PutUser(testUser, testPassword); err != nil {
		b.Fatal(err)
	}
	if err := db.PutClient(testClient, testSecret); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < contacts; i += 10_000 {
		var in []wire.ContactInput
		for j := i; j < i+10_000 && j < contacts; j++ {
			in = append(in, wire.ContactInput{Account: "acct-" + strconv.Itoa(j%5), CandidateID: "geek-" + strconv.Itoa(j), Name: "候选人" + strconv.Itoa(j)})
		}
		if _, err := db.UpsertContacts(testWorker, in); err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(nil)
	b.Cleanup(srv.Close)
	s, err := api.NewServer(api.Options{Store: db, Clock: clk, DataDir: dir, PublicURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	nb := &notifyBench{db: db, clk: clk, srv: srv}
	nb.login(b)
	return nb
}

// login gets a fresh access token (after the clock moved).
func (nb *notifyBench) login(b *testing.B) {
	body, _ := json.Marshal(map[string]string{"grant_type": "password", "username": testUser, "password": testPassword})
	req, _ := http.NewRequest("POST", nb.srv.URL+"/oauth/token", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(testClient, testSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var tr tokenResp
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		b.Fatalf("login: %v", err)
	}
	nb.token = tr.AccessToken
}

func (nb *notifyBench) do(b *testing.B, method, path, ctype string, body []byte) []byte {
	req, _ := http.NewRequest(method, nb.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+nb.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.Fatalf("%s %s: %d %.300s", method, path, resp.StatusCode, out)
	}
	return out
}

// peakHeap samples the heap while fn runs and returns the peak above the
// heap in use before it.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak.Load()
}

// BenchmarkNotifyCreateExcel10k: POST /api/v1/notification-tasks with a
// 10,000-member Excel list (uploaded once) over real HTTP against 10,000
// contacts: parse, validate, resolve every member to its account and
// write the task with its executions in one transaction. Reports the peak
// heap of the whole process during a create.
func BenchmarkNotifyCreateExcel10k(b *testing.B) {
	const n = 10_000
	nb := newNotifyBench(b, n)
	f := excelize.NewFile()
	sw, _ := f.NewStreamWriter("Sheet1")
	_ = sw.SetRow("A1", []any{"userId", "name", "city"})
	for i := 0; i < n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		_ = sw.SetRow(cell, []any{"geek-" + strconv.Itoa(i), "候选人" + strconv.Itoa(i), "杭州"})
	}
	_ = sw.Flush()
	var xlsx bytes.Buffer
	_, _ = f.WriteTo(&xlsx)
	f.Close()
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("moduleName", "notification")
	w, _ := mw.CreateFormFile("file", "members.xlsx")
	w.Write(xlsx.Bytes())
	mw.Close()
	var up struct{ ID uint64 }
	_ = json.Unmarshal(nb.do(b, "POST", "/api/v1/file", mw.FormDataContentType(), form.Bytes()), &up)
	body, _ := json.Marshal(map[string]any{"taskName": "bench", "taskType": "APPOINTMENT_REMINDER",
		"scheduledStartTime": "2026-03-02 09:00:00",
		"contents":           []map[string]string{{"contentType": "TEXT", "contentValue": "{{name}}您好，{{city}}有新岗位"}},
		"fileIds":            []uint64{up.ID}})
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		p := peakHeap(func() {
			var t struct{ TotalMembers int }
			_ = json.Unmarshal(nb.do(b, "POST", "/api/v1/notification-tasks", "application/json", body), &t)
			if t.TotalMembers != n {
				b.Fatalf("total %d", t.TotalMembers)
			}
		})
		if p > peak {
			peak = p
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(xlsx.Len())/1024, "xlsx-KB")
}

// BenchmarkNotifyExecutions100k: GET …/executions pages (size 100, random
// page, order and direction) of a task with 100,000 members over real
// HTTP; reports p50 and p99.
func BenchmarkNotifyExecutions100k(b *testing.B) {
	const n = 100_000
	nb := newNotifyBench(b, n)
	in := wire.NotifyTaskInput{TaskName: "bench", TaskType: wire.NotifyAppointmentReminder,
		Start: time.Date(2026, 3, 2, 9, 0, 0, 0, clock.Shanghai), End: time.Date(2026, 3, 2, 12, 0, 0, 0, clock.Shanghai),
		Contents: []wire.NotifyContent{{ContentType: wire.ContentText, ContentValue: "{{name}}您好"}}}
	for i := 0; i < n; i++ {
		in.Members = append(in.Members, wire.NotifyMember{UserID: "geek-" + strconv.Itoa(i), Vars: map[string]string{"name": "候选人" + strconv.Itoa(i)}})
	}
	t, err := nb.db.CreateNotifyTask(in)
	if err != nil {
		b.Fatal(err)
	}
	// 300 members delivered at different times, the rest failed at the
	// end of the window.
	nb.clk.Set(time.Date(2026, 3, 2, 9, 0, 0, 0, clock.Shanghai))
	if err := nb.db.NotifyTick(); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		seq := uint64(i*331%n + 1)
		if err := nb.db.AckNotify(testWorker, wire.NotifyAck{TaskID: t.ID, Seq: seq, Sent: true,
			At: time.Date(2026, 3, 2, 9, 0, i, 0, clock.Shanghai)}); err != nil {
			b.Fatal(err)
		}
	}
	nb.clk.Set(time.Date(2026, 3, 2, 12, 0, 0, 0, clock.Shanghai))
	if err := nb.db.NotifyTick(); err != nil {
		b.Fatal(err)
	}
	nb.login(b)
	rng := rand.New(rand.NewPCG(3, 4))
	orders := []string{"", "executeTime", "status"}
	lat := make([]time.Duration, 0, b.N)
	byOrder := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		order := orders[rng.IntN(3)]
		q := fmt.Sprintf("/api/v1/notification-tasks/%d/executions?size=100&current=%d&orderBy=%s&orderDirection=%s",
			t.ID, rng.IntN(n/100), order, []string{"ASC", "DESC"}[rng.IntN(2)])
		start := time.Now()
		out := nb.do(b, "GET", q, "", nil)
		d := time.Since(start)
		lat = append(lat, d)
		byOrder[order] = append(byOrder[order], d)
		if !strings.Contains(string(out), `"total":100000`) {
			b.Fatalf("page %.200s", out)
		}
	}
	b.StopTimer()
	pct := func(l []time.Duration, p int) float64 {
		if len(l) == 0 {
			return 0
		}
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		return float64(l[len(l)*p/100].Microseconds()) / 1000
	}
	b.ReportMetric(pct(lat, 50), "p50-ms")
	b.ReportMetric(pct(lat, 99), "p99-ms")
	b.ReportMetric(pct(byOrder[""], 99), "p99-member-order-ms")
	b.ReportMetric(pct(byOrder["status"], 99), "p99-by-status-ms")
	b.ReportMetric(pct(byOrder["executeTime"], 99), "p99-by-time-ms")
}
