package logview

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/hunterbot/hunterbot/internal/testwait"
)

func TestFormatJSONLine(t *testing.T) {
	f := &Formatter{Location: time.UTC}
	out, ok := f.Format([]byte(`{"level":"warn","account":"acc1","component":"worker","state":"paused_risk","alert":true,"cause":"pages: risk page","n":3,"extra":{"a":1},"time":"2026-11-23T18:00:05+08:00","message":"account state"}`))
	if !ok {
		t.Fatal("line dropped")
	}
	want := `10:00:05 WRN ALERT [acc1] account state cause="pages: risk page" component=worker extra={"a":1} n=3 state=paused_risk`
	if out != want {
		t.Fatalf("got  %q\nwant %q", out, want)
	}
	// Colors: the alert is highlighted, nothing else changes.
	f.Color = true
	out, _ = f.Format([]byte(`{"level":"error","alert":true,"message":"m","time":"2026-11-23T10:00:05Z"}`))
	if !strings.Contains(out, ansiAlert+"ALERT"+ansiReset) || !strings.Contains(out, ansiRed+"ERR"+ansiReset) {
		t.Fatalf("colored = %q", out)
	}
}

func TestFormatOddLines(t *testing.T) {
	f := &Formatter{Location: time.UTC}
	for _, tc := range []struct{ in, want string }{
		{`panic: runtime error: index out of range`, `panic: runtime error: index out of range`},
		{`{"level":"info","message":"x"`, `{"level":"info","message":"x"`}, // truncated JSON
		{`["not","an","object"]`, `["not","an","object"]`},
		{`{"a":1} {"b":2}`, `{"a":1} {"b":2}`},
		{``, ``},
		{`{"message":"no level\nor time","time":"yesterday"}`, `yesterday ??? no level\nor time`},
		{`{"level":"info","message":"crlf"}` + "\r", `--:--:-- INF crlf`},
		{`{"level":"notice","message":"m","k":""}`, `--:--:-- NOTICE m k=""`},
	} {
		got, ok := f.Format([]byte(tc.in))
		if !ok || got != tc.want {
			t.Errorf("Format(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func TestFilter(t *testing.T) {
	lines := []string{
		`{"level":"debug","account":"a","message":"1"}`,
		`{"level":"info","account":"b","message":"2"}`,
		`{"level":"warn","account":"a","message":"3"}`,
		`{"level":"error","message":"4"}`,
		`{"message":"5"}`,
		`plain 6`,
	}
	run := func(flt Filter) string {
		f := &Formatter{Filter: flt}
		var kept []string
		for _, l := range lines {
			if out, ok := f.Format([]byte(l)); ok {
				kept = append(kept, out[strings.LastIndexByte(out, ' ')+1:])
			}
		}
		return strings.Join(kept, ",")
	}
	for _, tc := range []struct {
		flt  Filter
		want string
	}{
		{Filter{}, "1,2,3,4,5,6"},
		{Filter{MinLevel: LevelWarn}, "3,4,5,6"},
		{Filter{Account: "a"}, "1,3"},
		{Filter{Account: "a", MinLevel: LevelInfo}, "3"},
		{Filter{Account: "zz"}, ""},
	} {
		if got := run(tc.flt); got != tc.want {
			t.Errorf("%+v: kept %q, want %q", tc.flt, got, tc.want)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel accepted an unknown level")
	}
	if l, err := ParseLevel("WARN"); err != nil || l != LevelWarn {
		t.Errorf("ParseLevel(WARN) = %v, %v", l, err)
	}
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func poll(t *testing.T, tl *Tail) []string {
	t.Helper()
	var got []string
	if err := tl.Poll(func(l []byte) { got = append(got, string(l)) }); err != nil {
		t.Fatal(err)
	}
	return got
}

func eq(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%s: got %q, want %q", step, got, want)
	}
}

func TestTailRenameAndRecreate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "worker.log")
	appendFile(t, p, "1\n2\n")
	tl, err := OpenTail(p)
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	eq(t, "start", poll(t, tl), "1", "2")
	eq(t, "nothing new", poll(t, tl))
	appendFile(t, p, "3\npart")
	eq(t, "partial line held back", poll(t, tl), "3")
	appendFile(t, p, "ial\n4\n")
	// Rotation: lines reach the old file, it is renamed, a new one starts.
	backup := filepath.Join(dir, "worker-2026-11-23T10-00-00.000.log")
	if err := os.Rename(p, backup); err != nil {
		t.Fatal(err)
	}
	eq(t, "renamed, not recreated", poll(t, tl), "partial", "4")
	appendFile(t, backup, "5\n") // a late write to the old file is not lost
	appendFile(t, p, "6\n7\n")
	eq(t, "recreated", poll(t, tl), "5", "6", "7")
	// Rotated twice between polls with an unterminated last line.
	appendFile(t, p, "8\nnonl")
	if err := os.Rename(p, backup+".2"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, p, "9\n")
	eq(t, "second rotation", poll(t, tl), "8", "nonl", "9")
	eq(t, "quiet", poll(t, tl))
}

// TestTailSeveralRotationsBetweenPolls: the files rotated in between are
// found among lumberjack's backups and read whole, in order.
func TestTailSeveralRotationsBetweenPolls(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "worker.log")
	appendFile(t, p, "a1\n")
	tl, err := OpenTail(p)
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	eq(t, "start", poll(t, tl), "a1")
	appendFile(t, p, "a2\n")
	for i, lines := range []string{"b1\nb2\n", "c1\n", "d1\n"} {
		if err := os.Rename(p, filepath.Join(dir, fmt.Sprintf("worker-2026-11-23T10-00-0%d.000.log", i))); err != nil {
			t.Fatal(err)
		}
		appendFile(t, p, lines)
	}
	// Unrelated backups (another base name, older ones) are not read.
	appendFile(t, filepath.Join(dir, "control-2026-11-23T10-00-01.000.log"), "control\n")
	appendFile(t, filepath.Join(dir, "worker-2026-11-23T09-00-00.000.log"), "older\n")
	eq(t, "three rotations", poll(t, tl), "a2", "b1", "b2", "c1", "d1")
	appendFile(t, p, "d2\n")
	eq(t, "then the current file", poll(t, tl), "d2")
}

func TestTailTruncate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "worker.log")
	appendFile(t, p, "aaaa\nbbbb\n")
	tl, err := OpenTail(p)
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	eq(t, "start", poll(t, tl), "aaaa", "bbbb")
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, p, "c\n")
	eq(t, "after truncate", poll(t, tl), "c")
	appendFile(t, p, "d\n")
	eq(t, "append after truncate", poll(t, tl), "d")
}

func TestTailWaitsForMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "later.log")
	tl, err := OpenTail(p)
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	eq(t, "missing", poll(t, tl))
	appendFile(t, p, "x\n")
	eq(t, "appeared", poll(t, tl), "x")
}

func TestFilesOrder(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i, name := range []string{"worker.log", "worker-2026-11-23T09-00-00.000.log", "control.log", "notes.txt", "worker-2026-11-23T08-00-00.000.log"} {
		p := filepath.Join(dir, name)
		appendFile(t, p, "x\n")
		mod := base.Add(time.Duration(i) * time.Minute)
		switch name {
		case "worker.log":
			mod = base.Add(time.Hour)
		case "worker-2026-11-23T08-00-00.000.log":
			mod = base.Add(-time.Hour)
		}
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i] = filepath.Base(got[i])
	}
	eq(t, "files", got, "worker-2026-11-23T08-00-00.000.log", "worker-2026-11-23T09-00-00.000.log", "control.log", "worker.log")
	cur, err := CurrentFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cur) != 2 || filepath.Base(cur[0]) != "control.log" || filepath.Base(cur[1]) != "worker.log" {
		t.Fatalf("current = %v", cur)
	}
}

// TestFollowAcrossLumberjackRotation writes numbered lines through zerolog
// and lumberjack (the worker's own stack), rotating every 50 lines, while
// Follow reads: every line must arrive exactly once and in order.
func TestFollowAcrossLumberjackRotation(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "worker.log")
	rot := &lumberjack.Logger{Filename: p, MaxSize: 50, MaxBackups: 100}
	defer rot.Close()
	log := zerolog.New(rot)
	const total = 600
	log.Info().Int("n", 0).Msg("line")
	tl, err := OpenTail(p)
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan string, total)
	done := make(chan error, 1)
	go func() {
		done <- Follow(ctx, []*Tail{tl}, FollowOptions{Interval: time.Millisecond}, func(_ string, l []byte) { lines <- string(l) })
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i < total; i++ {
			log.Info().Int("n", i).Msg("line")
			if i%50 == 0 {
				// lumberjack names backups by the millisecond: two
				// rotations within one would overwrite a backup (its
				// loss, not ours), so keep them a little apart.
				time.Sleep(2 * time.Millisecond)
				if err := rot.Rotate(); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	timeout := time.After(time.Until(testwait.Guard(t))) // a failure bound, not a measurement
	for i := 0; i < total; i++ {
		select {
		case l := <-lines:
			if want := fmt.Sprintf(`{"level":"info","n":%d,"message":"line"}`, i); l != want {
				t.Fatalf("line %d = %q, want %q", i, l, want)
			}
		case <-timeout:
			t.Fatalf("only %d of %d lines arrived", i, total)
		}
	}
	wg.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-lines:
		t.Fatalf("extra line %q", l)
	default:
	}
	if backups, _ := filepath.Glob(filepath.Join(dir, "worker-*.log")); len(backups) == 0 {
		t.Fatalf("the writer never rotated")
	}
}

// TestFollowDiscoversNewFiles: a file created in the directory after
// following started is picked up from its first line.
func TestFollowDiscoversNewFiles(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- Follow(ctx, nil, FollowOptions{Interval: time.Millisecond, Discover: func() ([]string, error) { return CurrentFiles(dir) }},
			func(path string, l []byte) { lines <- filepath.Base(path) + ":" + string(l) })
	}()
	appendFile(t, filepath.Join(dir, "control.log"), "first\nsecond\n")
	appendFile(t, filepath.Join(dir, "control-2026-11-23T10-00-00.000.log"), "backup lines are not followed\n")
	for _, want := range []string{"control.log:first", "control.log:second"} {
		select {
		case got := <-lines:
			if got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
		case <-time.After(time.Until(testwait.Guard(t))):
			t.Fatalf("%q never arrived", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(lines) != 0 {
		t.Fatalf("unexpected line %q", <-lines)
	}
}

func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	files := []struct {
		name string
		min  int
	}{{"worker-2026-11-23T01-00-00.000.log", 0}, {"control.log", 1}, {"worker.log", 2}, {"orphan-2026-11-23T01-00-00.000.log", 3}}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		appendFile(t, p, f.name+"\n")
		mod := base.Add(time.Duration(f.min) * time.Minute)
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	items, err := Snapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		kind := "backup"
		if it.Tail != nil {
			kind = "live"
			it.Tail.Close()
		}
		got = append(got, filepath.Base(it.Path)+":"+kind)
	}
	eq(t, "snapshot", got, "worker-2026-11-23T01-00-00.000.log:backup", "control.log:live", "worker.log:live", "orphan-2026-11-23T01-00-00.000.log:backup")
	if _, err := Snapshot(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("Snapshot of a missing directory succeeded")
	}
}
