package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

func runNotifyCmd(t *testing.T, url string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	notifyOut = &out
	t.Cleanup(func() { notifyOut = os.Stdout })
	err := runNotify(context.Background(), append(append([]string{args[0]}, "--control", url), args[1:]...))
	return out.String(), err
}

// TestNotifyCommands drives create (Excel list + image upload), list, show
// with executions, terminate and template against a real control plane.
func TestNotifyCommands(t *testing.T) {
	url, wk := newAccountEnv(t)
	if _, err := wk.PushContacts(context.Background(), []wire.ContactInput{
		{Account: "hr-1", CandidateID: "90001", Name: "张三"}, {Account: "hr-1", CandidateID: "90002", Name: "李四"}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := excelize.NewFile()
	for i, r := range [][]any{{"userId", "name"}, {"90001", "张三"}, {"90002", "李四"}, {"99999", "路人"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	list := filepath.Join(dir, "members.xlsx")
	if err := f.SaveAs(list); err != nil {
		t.Fatal(err)
	}
	var pic bytes.Buffer
	_ = png.Encode(&pic, image.NewGray(image.Rect(0, 0, 3, 3)))
	poster := filepath.Join(dir, "poster.png")
	if err := os.WriteFile(poster, pic.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	// A window over the whole of today: started, not over.
	day := time.Now().In(clock.Shanghai).Format("2006-01-02")
	out, err := runNotifyCmd(t, url, "create", "--name", "新岗位", "--start", day+" 00:00:00", "--end", day+" 23:59:59",
		"--text", "{{name}}您好", "--image", poster, "--file", list)
	if err != nil || !strings.Contains(out, `"totalMembers": 3`) || !strings.Contains(out, `"status": "PENDING"`) {
		t.Fatalf("create: %v %s", err, out)
	}
	out, err = runNotifyCmd(t, url, "list")
	if err != nil || !strings.Contains(out, "EXECUTING") || !strings.Contains(out, "新岗位") || !strings.Contains(out, "1 of 1 task(s)") {
		t.Fatalf("list: %v %s", err, out)
	}
	out, err = runNotifyCmd(t, url, "show", "--executions", "1")
	if err != nil || !strings.Contains(out, `"value": "`+url+`/api/v1/file/1"`) || !strings.Contains(out, "90001") ||
		!strings.Contains(out, "no conversation with this candidate on any account") || !strings.Contains(out, "3 of 3 member(s)") {
		t.Fatalf("show: %v %s", err, out)
	}
	out, err = runNotifyCmd(t, url, "terminate", "--reason", "活动取消", "1")
	if err != nil || !strings.Contains(out, `"previousStatus": "EXECUTING"`) {
		t.Fatalf("terminate: %v %s", err, out)
	}
	if _, err := runNotifyCmd(t, url, "terminate", "--reason", "again", "1"); err == nil || !strings.Contains(err.Error(), "status") {
		t.Fatalf("second terminate: %v", err)
	}
	tpl := filepath.Join(dir, "tpl.xlsx")
	if _, err := runNotifyCmd(t, url, "template", "-o", tpl); err != nil {
		t.Fatal(err)
	}
	if x, err := excelize.OpenFile(tpl); err != nil {
		t.Fatalf("template: %v", err)
	} else {
		x.Close()
	}
	var ue usageError
	for _, args := range [][]string{{"create", "--start", day + " 00:00:00", "--text", "x", "--file", list},
		{"create", "--name", "n", "--text", "x", "--file", list}, {"create", "--name", "n", "--start", "s", "--file", list},
		{"create", "--name", "n", "--start", "s", "--text", "x"}, {"show"}, {"terminate", "1"}, {"show", "x"}, {"bogus"}} {
		if _, err := runNotifyCmd(t, url, args...); !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
