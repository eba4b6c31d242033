package api_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

func sh(s string) *time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, clock.Shanghai)
	if err != nil {
		panic(err)
	}
	return &t
}

// seedContacts stores the seed-001 example rows plus a few for filters.
func seedContacts(e *env) {
	e.pushContacts(
		wire.ContactInput{Account: "acct-1", CandidateID: "c1", Name: "张三", Position: "产品经理", Phone: "13800138000",
			Replied: true, WechatExchanged: true, Notes: "沟通顺畅，有意向", ContactedAt: sh("2024-03-01 10:30:00"), CreatedAt: sh("2024-03-01 10:00:00")},
		wire.ContactInput{Account: "acct-2", CandidateID: "c2", Name: "李四", Position: "前端工程师", Wechat: "lisi123",
			ContactedAt: sh("2024-03-02 14:20:00"), CreatedAt: sh("2024-03-02 14:00:00")},
		// 23:59:59 Shanghai on the 2nd: inside end_date=2024-03-02.
		wire.ContactInput{Account: "acct-1", CandidateID: "c3", Name: "王五", Position: "产品经理助理", Phone: "13900139000",
			Replied: true, CreatedAt: sh("2024-03-02 23:59:59")},
		// 00:00:00 Shanghai on the 3rd (16:00 UTC on the 2nd): outside.
		wire.ContactInput{Account: "acct-1", CandidateID: "c4", Name: `=HYPERLINK("http://x","y")`, Position: "Go开发",
			Contact: "+86 138 0000 0000", Notes: "@SUM(A1)", CreatedAt: sh("2024-03-03 00:00:00")},
	)
}

func TestSeed001Contacts(t *testing.T) {
	e := newEnv(t)
	seedContacts(e)
	get := func(q string) (int, map[string]any) {
		t.Helper()
		code, body := e.call("GET", "/api/contacts"+q, "")
		var m map[string]any
		mustJSON(t, body, &m)
		return code, m
	}
	code, m := get("?page=1&page_size=20")
	if code != 200 || m["code"] != float64(200) || m["msg"] != "success" {
		t.Fatalf("envelope: %d %v", code, m)
	}
	data := m["data"].(map[string]any)
	requireFields(t, "data", data, "total", "page", "page_size", "results")
	if data["total"] != float64(4) || data["page"] != float64(1) || data["page_size"] != float64(20) {
		t.Fatalf("data = %v", data)
	}
	r0 := data["results"].([]any)[0].(map[string]any)
	want := map[string]any{"id": float64(1), "name": "张三", "position": "产品经理", "contact": "13800138000",
		"reply_status": "已回复", "wechat_exchanged": true, "account_id": float64(1), "worker_id": testWorker,
		"notes": "沟通顺畅，有意向", "contacted_at": "2024-03-01T10:30:00", "created_at": "2024-03-01T10:00:00"}
	for k, v := range want {
		if r0[k] != v {
			t.Errorf("results[0].%s = %#v, want %#v", k, r0[k], v)
		}
	}
	r1 := data["results"].([]any)[1].(map[string]any)
	if r1["contact"] != "wechat:lisi123" || r1["reply_status"] != "未回复" || r1["wechat_exchanged"] != false || r1["account_id"] != float64(2) || r1["notes"] != "" {
		t.Errorf("results[1] = %v", r1)
	}
	// Defaults: page 1, page_size 10.
	_, m = get("")
	if d := m["data"].(map[string]any); d["page"] != float64(1) || d["page_size"] != float64(10) {
		t.Errorf("defaults: %v", d)
	}
	ids := func(q string) string {
		t.Helper()
		code, m := get(q)
		if code != 200 {
			t.Fatalf("%s: %d %v", q, code, m)
		}
		var out []string
		for _, r := range m["data"].(map[string]any)["results"].([]any) {
			out = append(out, fmt.Sprint(r.(map[string]any)["id"]))
		}
		return fmt.Sprintf("%v total=%v", out, m["data"].(map[string]any)["total"])
	}
	cases := map[string]string{
		"?search=张三":     "[1] total=1",
		"?search=产品经理":   "[1 3] total=2",
		"?search=LISI":   "[2] total=1", // case-insensitive on contact
		"?search=138":    "[1 4] total=2",
		"?search=nobody": "[] total=0",
		"?reply_status=" + url.QueryEscape("已回复"):    "[1 3] total=2",
		"?reply_status=" + url.QueryEscape("未回复"):    "[2 4] total=2",
		"?wechat_exchanged=true":                     "[1] total=1",
		"?wechat_exchanged=false":                    "[2 3 4] total=3",
		"?start_date=2024-03-02&end_date=2024-03-02": "[2 3] total=2",
		"?start_date=2024-03-03":                     "[4] total=1",
		"?end_date=2024-03-01":                       "[1] total=1",
		"?start_date=2024-01-01&end_date=2024-12-31": "[1 2 3 4] total=4",
		"?page=2&page_size=3":                        "[4] total=4",
		"?page=9":                                    "[] total=4",
		"?search=" + url.QueryEscape("产品经理") + "&reply_status=" + url.QueryEscape("已回复") + "&wechat_exchanged=true&start_date=2024-01-01&end_date=2024-12-31": "[1] total=1",
	}
	for q, want := range cases {
		if got := ids(q); got != want {
			t.Errorf("GET /api/contacts%s = %s, want %s", q, got, want)
		}
	}
	// An upsert of an existing (account, candidate) updates, never duplicates,
	// and the search index follows the new name.
	res := e.pushContacts(wire.ContactInput{Account: "acct-2", CandidateID: "c2", Name: "李四四", Replied: true})
	if res[0].ID != 2 || res[0].Created {
		t.Fatalf("upsert = %+v", res)
	}
	if got := ids("?search=" + url.QueryEscape("李四四")); got != "[2] total=1" {
		t.Errorf("after rename: %s", got)
	}
	if got := ids("?reply_status=" + url.QueryEscape("未回复")); got != "[4] total=1" {
		t.Errorf("after reply: %s", got)
	}
}

func TestSeed001Export(t *testing.T) {
	e := newEnv(t)
	seedContacts(e)
	code, body := e.call("GET", "/api/contacts/export?start_date=2024-01-01&end_date=2024-12-31", "")
	if code != 200 {
		t.Fatalf("export: %d %s", code, body)
	}
	var m struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Data struct {
			DownloadURL  string `json:"download_url"`
			Filename     string `json:"filename"`
			TotalRecords int    `json:"total_records"`
			GeneratedAt  string `json:"generated_at"`
		} `json:"data"`
	}
	mustJSON(t, body, &m)
	d := m.Data
	if m.Code != 200 || m.Msg != "success" || d.TotalRecords != 4 || d.GeneratedAt != "2024-03-04 15:30:45" {
		t.Fatalf("export response = %s", body)
	}
	if !strings.HasPrefix(d.Filename, "contacts_export_20240304_153045_") || len(d.Filename) != len("contacts_export_20240304_153045_a1b2c3d4.xlsx") {
		t.Fatalf("filename = %q", d.Filename)
	}
	if !strings.HasPrefix(d.DownloadURL, e.srv.URL+"/media/exports/"+d.Filename+"?token=") {
		t.Fatalf("download_url = %q", d.DownloadURL)
	}
	st, err := os.Stat(filepath.Join(e.data, "media", "exports", d.Filename))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %v", st, err)
	}
	// Download without any Authorization header (window.open in the seed).
	resp, err := http.Get(d.DownloadURL)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("download: %d %s", resp.StatusCode, resp.Header)
	}
	local := filepath.Join(t.TempDir(), "x.xlsx")
	if err := os.WriteFile(local, data, 0o600); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenFile(local)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(api.ExportSheet)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], "|"); got != "ID|姓名|岗位|联系方式|回复状态|是否交换微信|Worker ID|备注|联系时间|创建时间" {
		t.Fatalf("header = %s", got)
	}
	if len(rows) != 5 {
		t.Fatalf("rows = %d", len(rows))
	}
	if got := strings.Join(rows[1], "|"); got != "1|张三|产品经理|13800138000|已回复|是|worker-001|沟通顺畅，有意向|2024-03-01 10:30:00|2024-03-01 10:00:00" {
		t.Errorf("row 1 = %s", got)
	}
	if got := strings.Join(rows[2], "|"); got != "2|李四|前端工程师|wechat:lisi123|未回复|否|worker-001||2024-03-02 14:20:00|2024-03-02 14:00:00" {
		t.Errorf("row 2 = %s", got)
	}
	// Formula injection: stored as inert text, no formula anywhere.
	for _, cell := range []string{"B5", "D5", "H5"} {
		f, err := x.GetCellFormula(api.ExportSheet, cell)
		if err != nil || f != "" {
			t.Errorf("%s has formula %q (%v)", cell, f, err)
		}
	}
	if v, _ := x.GetCellValue(api.ExportSheet, "B5"); v != `'=HYPERLINK("http://x","y")` {
		t.Errorf("B5 = %q", v)
	}
	if v, _ := x.GetCellValue(api.ExportSheet, "H5"); v != "'@SUM(A1)" {
		t.Errorf("H5 = %q", v)
	}
	if v, _ := x.GetCellValue(api.ExportSheet, "D5"); v != "'+86 138 0000 0000" {
		t.Errorf("D5 = %q", v)
	}
	// Header style: blue fill, white bold font.
	for col := 1; col <= len(api.ExportHeader); col++ {
		cell, _ := excelize.CoordinatesToCellName(col, 1)
		sid, err := x.GetCellStyle(api.ExportSheet, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(sid)
		if err != nil {
			t.Fatal(err)
		}
		if st.Font == nil || !st.Font.Bold || !strings.EqualFold(st.Font.Color, "FFFFFF") ||
			st.Fill.Pattern != 1 || len(st.Fill.Color) == 0 || !strings.EqualFold(st.Fill.Color[0], "4472C4") {
			t.Errorf("%s style = font %+v fill %+v", cell, st.Font, st.Fill)
		}
	}

	// Wrong token, unknown name: 404. Filters apply to the export.
	if resp, _ := http.Get(strings.Replace(d.DownloadURL, "token=", "token=x", 1)); resp.StatusCode != 404 {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}
	code, body = e.call("GET", "/api/contacts/export?reply_status="+url.QueryEscape("已回复"), "")
	mustJSON(t, body, &m)
	if code != 200 || m.Data.TotalRecords != 2 {
		t.Errorf("filtered export: %s", body)
	}

	// Expiry on the clock: the link dies and cleanup removes the file.
	e.clk.Advance(time.Hour + time.Second)
	if resp, _ := http.Get(d.DownloadURL); resp.StatusCode != 404 {
		t.Errorf("expired link: %d", resp.StatusCode)
	}
	e.api.Cleanup()
	if _, err := os.Stat(filepath.Join(e.data, "media", "exports", d.Filename)); !os.IsNotExist(err) {
		t.Errorf("expired export not removed: %v", err)
	}
}

func TestInert(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@x": "'@x", "\tx": "'\tx",
		"\rx": "'\rx", "张三": "张三", "": "", "a=b": "a=b"} {
		if got := api.Inert(in); got != want {
			t.Errorf("Inert(%q) = %q, want %q", in, got, want)
		}
	}
}
