package sim

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// benchSim builds a sim with one logged-in account, a greeted candidate
// with a 40-message conversation, and returns the handler and the wt2
// cookie.
func benchSim(b *testing.B) (http.Handler, *http.Cookie, int64) {
	b.Helper()
	sc := parseTestScenario(b, func(sc *Scenario) { sc.Accounts[0].DailyQuota = 100000 })
	s, err := New(sc, clock.NewManual(sc.Start), 1, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/wapi/zppassport/login/account", strings.NewReader("account=boss&password=secret"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	h.ServeHTTP(rec, req)
	var wt2 *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "wt2" {
			wt2 = c
		}
	}
	if wt2 == nil {
		b.Fatal("no session cookie")
	}
	c := s.accts[0].jobCands[1001][0]
	s.mu.Lock()
	s.greet(s.accts[0], c, s.now())
	s.mu.Unlock()
	for i := 0; i < 40; i++ {
		if err := s.Inject("acc", c.id, fmt.Sprintf("消息%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	return h, wt2, c.id
}

func benchRequest(b *testing.B, h http.Handler, wt2 *http.Cookie, newReq func(i int) *http.Request) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			req := newReq(i)
			req.AddCookie(wt2)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"code":0`) {
				b.Fatalf("%s: %d %s", req.URL, rec.Code, rec.Body.String())
			}
			i++
		}
	})
}

func BenchmarkGeekList(b *testing.B) {
	h, wt2, _ := benchSim(b)
	benchRequest(b, h, wt2, func(i int) *http.Request {
		return httptest.NewRequest("GET", fmt.Sprintf("/wapi/zpjob/rec/geek/list?jobId=1001&page=%d", 1+i%2), nil)
	})
}

func BenchmarkHistoryMsg(b *testing.B) {
	h, wt2, gid := benchSim(b)
	benchRequest(b, h, wt2, func(int) *http.Request {
		return httptest.NewRequest("GET", fmt.Sprintf("/wapi/zpchat/boss/historyMsg?gid=%d&securityId=x&page=1&c=20&src=0", gid), nil)
	})
}

func BenchmarkFriendList(b *testing.B) {
	h, wt2, _ := benchSim(b)
	benchRequest(b, h, wt2, func(int) *http.Request {
		return httptest.NewRequest("GET", "/wapi/zprelation/friend/getBossFriendListV2.json", nil)
	})
}

func BenchmarkSendMsg(b *testing.B) {
	h, wt2, gid := benchSim(b)
	benchRequest(b, h, wt2, func(i int) *http.Request {
		form := url.Values{"gid": {fmt.Sprint(gid)}, "text": {fmt.Sprintf("第%d条消息", i)}}
		req := httptest.NewRequest("POST", "/wapi/zpchat/boss/sendMsg", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	})
}

// BenchmarkAccountPollOverHTTP is one chat-page poll cycle of an account
// over a real loopback connection: the friend list, the open conversation's
// history and its exchange state (what the chat page requests every 1.5 s).
// ns/op is per cycle; docs/sim.md turns it into a capacity figure.
func BenchmarkAccountPollOverHTTP(b *testing.B) {
	h, wt2, gid := benchSim(b)
	benchHTTP(b, h, wt2,
		"/wapi/zprelation/friend/getBossFriendListV2.json",
		fmt.Sprintf("/wapi/zpchat/boss/historyMsg?gid=%d&securityId=x&page=1&c=20&src=0", gid),
		fmt.Sprintf("/wapi/zpchat/boss/geekInfo?gid=%d&securityId=x", gid))
}

// BenchmarkGeekListOverHTTP is one recommend page over loopback.
func BenchmarkGeekListOverHTTP(b *testing.B) {
	h, wt2, _ := benchSim(b)
	benchHTTP(b, h, wt2, "/wapi/zpjob/rec/geek/list?jobId=1001&page=1")
}

func benchHTTP(b *testing.B, h http.Handler, wt2 *http.Cookie, paths ...string) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		defer cl.CloseIdleConnections()
		for pb.Next() {
			for _, p := range paths {
				req, _ := http.NewRequest("GET", srv.URL+p, nil)
				req.AddCookie(wt2)
				resp, err := cl.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatal(resp.Status)
				}
			}
		}
	})
}
