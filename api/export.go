package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/httpserve"
)

type exportStore interface {
	PutExport(e wire.Export) error
	CheckExport(filename, token string) (wire.Export, error)
	LiveExports() (map[string]bool, error)
}

// ExportHeader is the seed-001 column order of the contacts export.
var ExportHeader = []string{"ID", "姓名", "岗位", "联系方式", "回复状态", "是否交换微信", "Worker ID", "备注", "联系时间", "创建时间"}

// ExportSheet is the sheet name of the contacts export.
const ExportSheet = "联系记录"

var exportName = regexp.MustCompile(`^contacts_export_\d{8}_\d{6}_[0-9a-f]{8}\.xlsx$`)

// exportResult is seed 001's export response data.
type exportResult struct {
	DownloadURL  string `json:"download_url"`
	Filename     string `json:"filename"`
	TotalRecords int    `json:"total_records"`
	GeneratedAt  string `json:"generated_at"`
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("api: crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// exportContacts writes every contact matching the seed-001 filters to an
// .xlsx under media/exports and returns a link that carries a random
// token and expires after ExportTTL.
func (s *Server) exportContacts(w http.ResponseWriter, r *http.Request) error {
	f, err := contactFilter(r)
	if err != nil {
		return err
	}
	for _, p := range []string{"page", "page_size"} {
		if r.URL.Query().Has(p) {
			return errBadRequest(p, "export is not paged; remove %s", p)
		}
	}
	// Waiting for the export slot and writing a large workbook may outlast
	// the server's write timeout.
	httpserve.Extend(w, longAnswerTimeout)
	select {
	case s.exportSlot <- struct{}{}:
		defer func() { <-s.exportSlot }()
	case <-r.Context().Done():
		return r.Context().Err()
	}
	now := s.clock.Now()
	name := fmt.Sprintf("contacts_export_%s_%s.xlsx", now.In(clock.Shanghai).Format("20060102_150405"), randHex(4))
	path := filepath.Join(s.exportDir, name)
	s.inProgress.Store(name, true)
	defer s.inProgress.Delete(name)
	n, err := s.writeExport(path, f)
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("export: %w", err)
	}
	token := randHex(32)
	e := wire.Export{Filename: name, TokenHash: wire.HashToken(token), Records: n, User: userFrom(r),
		CreatedAt: now.UTC(), ExpiresAt: now.Add(s.opt.ExportTTL).UTC()}
	if err := s.store.PutExport(e); err != nil {
		os.Remove(path)
		return err
	}
	s.log.Info().Str("file", name).Int("records", n).Str("user", userFrom(r)).Msg("contacts exported")
	writeCoded(w, exportResult{
		DownloadURL:  s.opt.PublicURL + "/media/exports/" + name + "?token=" + token,
		Filename:     name,
		TotalRecords: n,
		GeneratedAt:  now.In(clock.Shanghai).Format("2006-01-02 15:04:05"),
	})
	return nil
}

// WriteContactsXLSX streams contacts to an .xlsx at path (mode 0600) with
// excelize's StreamWriter, so memory stays flat however many rows there
// are. It returns the number of data rows.
func WriteContactsXLSX(path string, each func(fn func(*wire.Contact) error) error) (int, error) {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", ExportSheet); err != nil {
		return 0, err
	}
	head, err := x.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"4472C4"}},
	})
	if err != nil {
		return 0, err
	}
	sw, err := x.NewStreamWriter(ExportSheet)
	if err != nil {
		return 0, err
	}
	widths := []float64{10, 14, 20, 24, 10, 14, 14, 30, 20, 20}
	for i, wd := range widths {
		if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
			return 0, err
		}
	}
	hdr := make([]any, len(ExportHeader))
	for i, h := range ExportHeader {
		hdr[i] = excelize.Cell{StyleID: head, Value: h}
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return 0, err
	}
	n := 0
	row := make([]any, len(ExportHeader))
	err = each(func(c *wire.Contact) error {
		n++
		wechat := "否"
		if c.WechatExchanged {
			wechat = "是"
		}
		contacted := ""
		if c.ContactedAt != nil {
			contacted = c.ContactedAt.In(clock.Shanghai).Format("2006-01-02 15:04:05")
		}
		row[0] = c.ID
		row[1] = Inert(c.Name)
		row[2] = Inert(c.Position)
		row[3] = Inert(c.Contact)
		row[4] = c.ReplyStatus
		row[5] = wechat
		row[6] = Inert(c.WorkerID)
		row[7] = Inert(c.Notes)
		row[8] = contacted
		row[9] = c.CreatedAt.In(clock.Shanghai).Format("2006-01-02 15:04:05")
		cell, _ := excelize.CoordinatesToCellName(1, n+1)
		return sw.SetRow(cell, row)
	})
	if err != nil {
		return 0, err
	}
	if err := sw.Flush(); err != nil {
		return 0, err
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	if _, err := x.WriteTo(out); err != nil {
		out.Close()
		return 0, err
	}
	return n, out.Close()
}

func (s *Server) writeExport(path string, f wire.ContactFilter) (int, error) {
	return WriteContactsXLSX(path, func(fn func(*wire.Contact) error) error {
		return s.store.EachContact(f, fn)
	})
}

// Inert neutralises spreadsheet formula injection (OWASP CSV injection):
// a value starting with = + - @ tab or CR gets a leading apostrophe, so a
// spreadsheet shows it as text even after a round trip through CSV.
func Inert(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// downloadExport serves an export file to the holder of its link token.
func (s *Server) downloadExport(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if !exportName.MatchString(name) {
		return errNotFound("no such export")
	}
	if _, err := s.store.CheckExport(name, r.URL.Query().Get("token")); err != nil {
		return errNotFound("no such export, or the link expired")
	}
	fh, err := os.Open(filepath.Join(s.exportDir, name))
	if err != nil {
		return errNotFound("no such export, or the link expired")
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	httpserve.Extend(w, longAnswerTimeout)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, name, st.ModTime(), fh)
	return nil
}

// cleanupExports deletes files of expired (or unknown) exports.
func (s *Server) cleanupExports() (int, error) {
	live, err := s.store.LiveExports()
	if err != nil {
		return 0, err
	}
	ents, err := os.ReadDir(s.exportDir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range ents {
		if e.IsDir() || live[e.Name()] {
			continue
		}
		if _, busy := s.inProgress.Load(e.Name()); busy {
			continue
		}
		if err := os.Remove(filepath.Join(s.exportDir, e.Name())); err == nil {
			n++
		}
	}
	return n, nil
}
