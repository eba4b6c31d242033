package console_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// The funnel report shows greeted → replied → contact → interview per
// account and per job as the contact index counts them, including after
// updates that move a contact to another job or turn its stages on; the
// figures equal a count over the contacts themselves.
func TestReportFunnel(t *testing.T) {
	e := newEnv(t, nil)
	var in []wire.ContactInput
	for i := 0; i < 40; i++ {
		c := wire.ContactInput{Account: fmt.Sprintf("acct-%d", i%3), CandidateID: fmt.Sprint("geek-", i), Name: "候选人",
			Position: []string{"Go开发", "产品经理"}[i%2], Replied: i%2 == 0, Interview: i%5 == 0}
		if i%4 == 0 {
			c.Phone = fmt.Sprintf("1380000%04d", i)
		}
		in = append(in, c)
	}
	if _, err := e.db.UpsertContacts("w1", in); err != nil {
		t.Fatal(err)
	}
	// Updates: a new job, a WeChat exchange (a contact) and an interview
	// for contacts that had neither.
	if _, err := e.db.UpsertContacts("w1", []wire.ContactInput{
		{Account: "acct-1", CandidateID: "geek-1", Position: "测试工程师", WechatExchanged: true, Interview: true},
		{Account: "acct-2", CandidateID: "geek-2", Interview: true},
	}); err != nil {
		t.Fatal(err)
	}
	// Follow-up records as workers push them (sent): manual ones and ones
	// of a script id no config knows (labelled #id).
	var recs []wire.RecordInput
	sent := time.Now()
	script := uint64(77)
	for i := 0; i < 9; i++ {
		r := wire.RecordInput{UID: fmt.Sprint("r", i), Account: "acct-0", CandidateID: fmt.Sprint("geek-", i*3), Content: "您好", GotReply: i%3 == 0, SentAt: &sent}
		if i%2 == 1 {
			r.ScriptID = &script
		}
		recs = append(recs, r)
	}
	if _, err := e.db.UpsertRecords("w1", recs); err != nil {
		t.Fatal(err)
	}
	type stages struct{ g, r, c, i int }
	wantAcc, wantJob := map[string]*stages{}, map[string]*stages{}
	err := e.db.EachContact(wire.ContactFilter{}, func(ct *wire.Contact) error {
		accs, err := e.db.ListAccounts()
		if err != nil {
			return err
		}
		key := ""
		for _, a := range accs {
			if a.ID == ct.AccountID {
				key = a.Key
			}
		}
		for _, k := range []struct {
			m map[string]*stages
			k string
		}{{wantAcc, key}, {wantJob, ct.Position}} {
			s := k.m[k.k]
			if s == nil {
				s = &stages{}
				k.m[k.k] = s
			}
			s.g++
			if ct.ReplyStatus == wire.ReplyYes {
				s.r++
			}
			if ct.Phone != "" || ct.Wechat != "" || ct.WechatExchanged {
				s.c++
			}
			if ct.Interview {
				s.i++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if wantJob["测试工程师"] == nil || wantJob["测试工程师"].i != 1 || wantAcc["acct-2"].i == 0 {
		t.Fatalf("fixture: %+v %+v", wantJob, wantAcc)
	}

	c := client(t)
	creds := url.Values{"username": {testUser}, "password": {testPass}, "csrf": {getCSRF(t, c, e.url+"/ui/login")}}
	if got := post(t, c, e.url+"/ui/login", creds, ""); got != http.StatusSeeOther {
		t.Fatalf("login = %d", got)
	}
	res, err := c.Get(e.url + "/ui/reports?refresh=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("reports = %d", res.StatusCode)
	}
	page := string(body)
	chart := regexp.MustCompile(`(?s)<svg class="chart" id="chart-script".*?</svg>`).FindString(page)
	// Even records are manual (0 and 6 replied), odd ones script 77 (3
	// replied).
	for _, want := range []string{`人工发送</text>.*?已发送 5</text>.*?已回复 2 `, `#77</text>.*?已发送 4</text>.*?已回复 1 `} {
		if !regexp.MustCompile(`(?s)` + want).MatchString(chart) {
			t.Errorf("script funnel lacks %q:\n%s", want, chart)
		}
	}
	for id, want := range map[string]map[string]*stages{"chart-account": wantAcc, "chart-job": wantJob} {
		chart := regexp.MustCompile(`(?s)<svg class="chart" id="` + id + `".*?</svg>`).FindString(page)
		rows := regexp.MustCompile(`(?s)class="lbl">([^<]*)</text>(.*?)(?:<text x="0"|</svg>)`).FindAllStringSubmatch(chart, -1)
		if len(rows) != len(want) {
			t.Fatalf("%s: %d rows, want %d:\n%s", id, len(rows), len(want), chart)
		}
		for _, r := range rows {
			w := want[r[1]]
			if w == nil {
				t.Fatalf("%s: unexpected row %q", id, r[1])
			}
			var got []string
			for _, m := range regexp.MustCompile(`class="num">(\d+)`).FindAllStringSubmatch(r[2], -1) {
				got = append(got, m[1])
			}
			if exp := fmt.Sprint(w.g, w.r, w.c, w.i); strings.Join(got, " ") != exp {
				t.Errorf("%s %s: stages %v, want %s", id, r[1], got, exp)
			}
		}
	}
}
