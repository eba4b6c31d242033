package api

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/hunterbot/hunterbot/api/wire"
)

// Excel member lists for notification tasks (fileIds). The first sheet's
// first row names the columns; every further non-empty row is a member.
// Reserved columns: userId (the site's candidate id), ciq or memberId (the
// control plane's contact id), account (the recruiter account key, to pin
// one), nickname (shown as memberName). Every other column is a template
// variable: a column "name" fills {{name}}.

// memberTemplateHeader is the header of the published template.
var memberTemplateHeader = []string{"userId", "ciq", "account", "nickname", "name"}

// maxRowErrors bounds the per-row report of a rejected list.
const maxRowErrors = 100

// RowError is one problem of a member list, by sheet row (1-based, as a
// spreadsheet shows it) and column.
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// memberSheet is a parsed member list.
type memberSheet struct {
	Members []wire.NotifyMember
	Rows    []int // sheet row of each member
	Errors  []RowError
	// Columns are the variable columns present.
	Columns map[string]bool
	// HasNickname: a nickname column fills {{name}} where name is absent.
	HasNickname bool
}

// excelLimits bound what a member list may expand to in memory (a zip
// bomb is refused by excelize before it is inflated).
var excelLimits = excelize.Options{UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 64 << 20}

// parseMemberSheet reads a member list. A file that is not a spreadsheet,
// has no header or has too many rows is an error; bad rows are collected
// in Errors (at most maxRowErrors) and the rest still parsed.
func parseMemberSheet(r io.Reader, maxMembers int) (*memberSheet, error) {
	f, err := excelize.OpenReader(r, excelLimits)
	if err != nil {
		return nil, fmt.Errorf("not a readable .xlsx file: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fmt.Errorf("the workbook has no sheet")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %v", sheets[0], err)
	}
	defer rows.Close()
	out := &memberSheet{Columns: map[string]bool{}}
	addErr := func(row int, col, format string, args ...any) {
		if len(out.Errors) < maxRowErrors {
			out.Errors = append(out.Errors, RowError{Row: row, Column: col, Message: fmt.Sprintf(format, args...)})
		}
	}
	var header []string
	rowNo := 0
	for rows.Next() {
		rowNo++
		cells, err := rows.Columns()
		if err != nil {
			return nil, fmt.Errorf("row %d: %v", rowNo, err)
		}
		if header == nil {
			if allEmpty(cells) {
				continue
			}
			header, err = readHeader(cells)
			if err != nil {
				return nil, fmt.Errorf("row %d (header): %v", rowNo, err)
			}
			for _, h := range header {
				out.HasNickname = out.HasNickname || h == "nickname"
				if h != "" && !reservedColumn(h) {
					out.Columns[h] = true
				}
			}
			continue
		}
		if allEmpty(cells) {
			continue
		}
		if len(out.Members) >= maxMembers {
			return nil, fmt.Errorf("more than %d members", maxMembers)
		}
		m := wire.NotifyMember{Vars: map[string]string{}}
		ok := true
		for i, v := range cells {
			if i >= len(header) || header[i] == "" {
				if strings.TrimSpace(v) != "" {
					addErr(rowNo, "", "value %q in a column without a header", clip(v))
					ok = false
				}
				continue
			}
			v = strings.TrimSpace(v)
			col := header[i]
			if !utf8.ValidString(v) {
				addErr(rowNo, col, "must be valid UTF-8")
				ok = false
				continue
			}
			if utf8.RuneCountInString(v) > wire.MaxNotifyMemberValue {
				addErr(rowNo, col, "must be at most %d characters", wire.MaxNotifyMemberValue)
				ok = false
				continue
			}
			if err := setMemberField(&m, col, v); err != nil {
				addErr(rowNo, col, "%v", err)
				ok = false
			}
		}
		if m.UserID == "" && m.ContactID == 0 && ok {
			addErr(rowNo, "userId", "userId or ciq is required")
			ok = false
		}
		if ok {
			if m.Nickname != "" && m.Vars["name"] == "" {
				m.Vars["name"] = m.Nickname
			}
			out.Members = append(out.Members, m)
			out.Rows = append(out.Rows, rowNo)
		}
	}
	if err := rows.Error(); err != nil {
		return nil, fmt.Errorf("reading rows: %v", err)
	}
	if header == nil {
		return nil, fmt.Errorf("no header row (expected columns like %s)", strings.Join(memberTemplateHeader, ", "))
	}
	return out, nil
}

func allEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if utf8.RuneCountInString(s) > 40 {
		return string([]rune(s)[:40]) + "…"
	}
	return s
}

// readHeader validates the header row: names are template variable names
// (letters, digits, underscore), unique, and identify members.
func readHeader(cells []string) ([]string, error) {
	h := make([]string, len(cells))
	seen := map[string]bool{}
	ident := false
	for i, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !validVarName(c) {
			return nil, fmt.Errorf("column %d: %q is not a column name (letters, digits, underscore)", i+1, clip(c))
		}
		if seen[c] {
			return nil, fmt.Errorf("column %q appears twice", c)
		}
		seen[c] = true
		ident = ident || c == "userId" || c == "ciq" || c == "memberId"
		h[i] = c
	}
	if !ident {
		return nil, fmt.Errorf("a userId or ciq column is required")
	}
	return h, nil
}

func validVarName(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > 64 {
		return false
	}
	return len(wire.TemplateVars("{{"+s+"}}")) == 1 && wire.TemplateVars("{{" + s + "}}")[0] == s
}

func reservedColumn(c string) bool {
	switch c {
	case "userId", "ciq", "memberId", "account", "nickname":
		return true
	}
	return false
}

// setMemberField stores one cell or JSON value of a member.
func setMemberField(m *wire.NotifyMember, key, v string) error {
	switch key {
	case "userId":
		m.UserID = v
	case "ciq", "memberId":
		if v == "" {
			return nil
		}
		var id uint64
		if _, err := fmt.Sscan(v, &id); err != nil || id == 0 || fmt.Sprint(id) != v {
			return fmt.Errorf("must be a contact id (a positive integer), got %q", clip(v))
		}
		if m.ContactID != 0 && m.ContactID != id {
			return fmt.Errorf("ciq and memberId disagree")
		}
		m.ContactID = id
	case "account":
		m.Account = v
	case "nickname":
		m.Nickname = v
	default:
		if m.Vars == nil {
			m.Vars = map[string]string{}
		}
		m.Vars[key] = v
	}
	return nil
}

// memberTemplate builds the published member-list template.
func memberTemplate() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sh := "members"
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		return nil, err
	}
	rows := [][]any{
		{"userId", "ciq", "account", "nickname", "name"},
		{"72529037", "", "", "张三", "张先生"},
		{"", "1024", "", "", "李女士"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sh, cell, &r); err != nil {
			return nil, err
		}
	}
	// userId / ciq are text: a spreadsheet would otherwise show long ids
	// in scientific notation.
	st, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err == nil {
		_ = f.SetColStyle(sh, "A:B", st)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
