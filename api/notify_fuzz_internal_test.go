package api

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/hunterbot/hunterbot/api/wire"
)

func fuzzSheet(t testing.TB, rows [][]any) []byte {
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzMemberSheet: the Excel member-list parser never panics on any bytes,
// and what it accepts keeps its promises: every member is identified,
// values are valid UTF-8 within the limit, the report is bounded and
// names rows that exist.
func FuzzMemberSheet(f *testing.F) {
	tpl, err := memberTemplate()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tpl)
	f.Add(fuzzSheet(f, [][]any{{"userId", "name", "city"}, {"1", "张三", "杭州"}, {"", "", ""}, {2, "李四", "=cmd"}}))
	f.Add(fuzzSheet(f, [][]any{{"ciq", "nickname"}, {"x", "a"}, {"5", "b", "extra"}}))
	f.Add(fuzzSheet(f, [][]any{{"name"}, {"a"}}))
	f.Add(fuzzSheet(f, [][]any{{"userId", "userId"}}))
	f.Add([]byte("PK\x03\x04 not really a zip"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		sh, err := parseMemberSheet(bytes.NewReader(raw), 1000)
		if err != nil {
			return
		}
		if len(sh.Members) != len(sh.Rows) || len(sh.Errors) > maxRowErrors || len(sh.Members) > 1000 {
			t.Fatalf("members %d rows %d errors %d", len(sh.Members), len(sh.Rows), len(sh.Errors))
		}
		for i, m := range sh.Members {
			if m.UserID == "" && m.ContactID == 0 {
				t.Fatalf("member %d (row %d) has no identity: %+v", i, sh.Rows[i], m)
			}
			if i > 0 && sh.Rows[i] <= sh.Rows[i-1] {
				t.Fatalf("rows out of order: %v", sh.Rows)
			}
			for k, v := range m.Vars {
				if !validVarName(k) || !utf8.ValidString(v) || utf8.RuneCountInString(v) > wire.MaxNotifyMemberValue {
					t.Fatalf("member %d: bad variable %q=%q", i, k, v)
				}
			}
		}
		for _, e := range sh.Errors {
			if e.Row < 1 || e.Message == "" {
				t.Fatalf("bad report entry %+v", e)
			}
		}
	})
}
