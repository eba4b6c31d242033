package brain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/server"
)

// benchEnv starts the built-in brain on a loopback listener with one job
// (full filter_args) and one account, and returns a client for it.
func benchEnv(b *testing.B) *brain.Client {
	b.Helper()
	cfg := &server.Config{
		Jobs: []server.JobSpec{{PlatformType: "boss", PlatformID: "1", Name: "心理咨询师",
			Texts: brain.JobTexts{Salary: "薪资12-20K"},
			FilterArgs: brain.FilterArgs{AgeMin: 22, AgeMax: 40, DegreeMin: "本科", SchoolTier: "211", Locations: []string{"北京"},
				JobTags: []string{"咨询"}, NegativeWords: []string{"兼职"}, NegativeCompanies: []string{"竞品"},
				SalaryMin: 10, SalaryMax: 25, ApplyStatus: []string{"离职-随时到岗"}, ActiveWithinHours: 72}}},
		Accounts: []server.AccountSpec{{PlatformType: "boss", PlatformID: "2", Jobs: []string{"job_boss_1"}}},
	}
	srv, err := server.New(server.Options{DataDir: b.TempDir(), Config: cfg})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(func() { ts.Close(); srv.Close() })
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	c, err := brain.New(brain.Options{BaseURL: ts.URL, HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkFilterHTTP: /recruit/candidate/filter through real HTTP, each
// request a new candidate (dedupe look-up, full criteria, decision appended
// to the decision log). brain/loadbench measures the same with the server in
// its own process; docs/brain.md has the figures.
func BenchmarkFilterHTTP(b *testing.B) {
	c := benchEnv(b)
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := n.Add(1)
			info, _ := json.Marshal(map[string]any{"activeTimeDesc": "刚刚活跃", "geekCard": map[string]any{
				"geekId": id, "geekDegree": "硕士", "ageDesc": "28岁", "lowSalary": 12, "highSalary": 18,
				"expectLocationName": "北京", "expectPositionName": "心理咨询师", "applyStatusDesc": "离职-随时到岗",
				"geekEdus": []any{map[string]any{"school": "北京邮电大学"}}}})
			if _, err := c.Filter(context.Background(), brain.FilterRequest{AccountID: "account_boss_2", CandidateInfo: info}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}

// BenchmarkChatHTTP: /recruit/candidate/chat through real HTTP with a
// four-message history (session read-modify-write in bbolt, group commit
// with fsync).
func BenchmarkChatHTTP(b *testing.B) {
	c := benchEnv(b)
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := n.Add(1)
			_, err := c.Chat(context.Background(), brain.ChatRequest{AccountID: "account_boss_2", CandidateID: fmt.Sprint(id % 500),
				CandidateName: "候选人", HistoryMsg: []brain.ChatMessage{
					{Speaker: "robot", Msg: "您好，看了您的简历"}, {Speaker: "user", Msg: "您好"},
					{Speaker: "robot", Msg: "方便加个微信或者告知联系方式，咱们细聊"}, {Speaker: "user", Msg: "工资多少？"}}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}
