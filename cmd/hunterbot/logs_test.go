package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/hunterbot/hunterbot/internal/testwait"
)

func writeLog(t *testing.T, path string, mod time.Time, lines ...string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mod, mod); err != nil {
		t.Fatal(err)
	}
}

func runLogsCapture(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var buf syncBuffer
	old := logsOut
	logsOut = &buf
	defer func() { logsOut = old }()
	err := runLogs(testwait.Context(t, nil), args)
	return buf.String(), err
}

// logsDir builds a worker log directory: a rotated backup, the current
// worker.log and a control.log, with a malformed line in the middle.
func logsDir(t *testing.T) string {
	dir := t.TempDir()
	base := time.Now().Add(-time.Hour)
	writeLog(t, filepath.Join(dir, "worker-2026-11-23T01-00-00.000.log"), base,
		`{"level":"info","account":"a1","time":"2026-11-23T09:00:00+08:00","message":"logged in","uid":42}`,
		`{"level":"debug","account":"a2","time":"2026-11-23T09:00:01+08:00","message":"greet pass"}`)
	writeLog(t, filepath.Join(dir, "worker.log"), base.Add(2*time.Minute),
		`{"level":"warn","account":"a1","alert":true,"state":"paused_risk","time":"2026-11-23T09:05:00+08:00","message":"account state"}`,
		`goroutine 1 [running]:`,
		`{"level":"error","account":"a2","error":"boom here","time":"2026-11-23T09:06:00+08:00","message":"chat pass failed"}`)
	writeLog(t, filepath.Join(dir, "control.log"), base.Add(time.Minute),
		`{"level":"info","component":"control","time":"2026-11-23T09:02:00+08:00","message":"listening"}`)
	return dir
}

// hhmmss is how the view shows a log time (local zone).
func hhmmss(s string) string {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return tm.Local().Format(time.TimeOnly)
}

func TestLogsHistoryAndFilters(t *testing.T) {
	dir := logsDir(t)
	out, err := runLogsCapture(t, "--dir", dir, "--color", "never")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		hhmmss("2026-11-23T09:00:00+08:00") + " INF [a1] logged in uid=42",
		hhmmss("2026-11-23T09:00:01+08:00") + " DBG [a2] greet pass",
		hhmmss("2026-11-23T09:02:00+08:00") + " INF listening component=control",
		hhmmss("2026-11-23T09:05:00+08:00") + " WRN ALERT [a1] account state state=paused_risk",
		"goroutine 1 [running]:",
		hhmmss("2026-11-23T09:06:00+08:00") + ` ERR [a2] chat pass failed error="boom here"`,
	}
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}

	for _, tc := range []struct {
		args []string
		want []string // substrings of the kept lines, in order
	}{
		{[]string{"--account", "a1"}, []string{"logged in", "account state"}},
		{[]string{"--level", "warn"}, []string{"account state", "goroutine 1", "chat pass failed"}},
		{[]string{"--account", "a2", "--level", "info"}, []string{"chat pass failed"}},
		{[]string{"-n", "2"}, []string{"goroutine 1", "chat pass failed"}},
		{[]string{"--file", filepath.Join(dir, "control.log")}, []string{"listening"}},
	} {
		args := append([]string{"--color", "never"}, tc.args...)
		if !strings.Contains(strings.Join(tc.args, " "), "--file") {
			args = append(args, "--dir", dir)
		}
		out, err := runLogsCapture(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(tc.want) {
			t.Fatalf("%v: got %d lines, want %d:\n%s", tc.args, len(lines), len(tc.want), out)
		}
		for i, w := range tc.want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("%v: line %d = %q, want it to contain %q", tc.args, i, lines[i], w)
			}
		}
	}
}

func TestLogsBadInput(t *testing.T) {
	dir := logsDir(t)
	for _, args := range [][]string{
		{"--file", "x.log", "--dir", dir},
		{"--level", "loud", "--dir", dir},
		{"-n", "-1", "--dir", dir},
		{"--color", "purple", "--dir", dir},
		{"--dir", dir, "extra"},
	} {
		_, err := runLogsCapture(t, args...)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
	if _, err := runLogsCapture(t, "--dir", filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing dir: err = %v", err)
	}
	if _, err := runLogsCapture(t, "--dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no *.log files") {
		t.Errorf("empty dir: err = %v", err)
	}
	if _, err := runLogsCapture(t, "--file", filepath.Join(dir, "nope.log")); err == nil {
		t.Error("missing --file accepted")
	}
}

func TestLogsDefaultDir(t *testing.T) {
	wd, _ := os.Getwd()
	tmp := t.TempDir()
	if err := os.Chdir(tmp); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	if got := defaultLogDir(); got != "data/worker/logs" {
		t.Fatalf("without a demo: %q", got)
	}
	if err := os.MkdirAll("data/demo/logs", 0o700); err != nil {
		t.Fatal(err)
	}
	if got := defaultLogDir(); got != "data/demo/logs" {
		t.Fatalf("with a demo: %q", got)
	}
}

// TestLogsFollowAcrossRotation runs `logs -f` while the worker's logging
// stack (zerolog into lumberjack) writes and rotates, and a second file
// appears: every matching line is printed exactly once, in order.
// (Truncation is covered by internal/logview: lumberjack never truncates.)
func TestLogsFollowAcrossRotation(t *testing.T) {
	oldPoll := logsPoll
	logsPoll = 2 * time.Millisecond
	defer func() { logsPoll = oldPoll }()
	dir := t.TempDir()
	path := filepath.Join(dir, "worker.log")
	rot := &lumberjack.Logger{Filename: path, MaxSize: 50, MaxBackups: 100}
	defer rot.Close()
	log := zerolog.New(rot).With().Timestamp().Logger()
	log.Info().Str("account", "a1").Int("n", 0).Msg("before")
	log.Info().Str("account", "other").Msg("filtered out")

	var out syncBuffer
	oldOut := logsOut
	logsOut = &out
	defer func() { logsOut = oldOut }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runLogs(ctx, []string{"-f", "--dir", dir, "--account", "a1", "--color", "never"}) }()

	const total = 300
	for i := 1; i < total; i++ {
		log.Info().Str("account", "a1").Int("n", i).Msg("line")
		log.Debug().Str("account", "other").Msg("filtered out")
		if i%60 == 0 {
			time.Sleep(2 * time.Millisecond) // lumberjack names backups by the millisecond
			if err := rot.Rotate(); err != nil {
				t.Fatal(err)
			}
		}
	}
	late := zerolog.New(mustAppend(t, filepath.Join(dir, "late.log")))
	late.Warn().Str("account", "a1").Msg("from a new file")

	deadline := time.After(time.Until(testwait.Guard(t))) // a failure bound only
	for !strings.Contains(out.String(), "from a new file") || strings.Count(out.String(), "\n") < total+1 {
		select {
		case <-deadline:
			t.Fatalf("follow output incomplete: %s", summarize(out.String(), total))
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != total+1 {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), total+1, out.String())
	}
	for i := 0; i < total; i++ {
		if !strings.HasSuffix(lines[i], fmt.Sprintf(" n=%d", i)) || !strings.Contains(lines[i], " INF [a1] ") {
			t.Fatalf("line %d = %q", i, lines[i])
		}
	}
	if !strings.Contains(lines[total], "WRN [a1] from a new file") {
		t.Fatalf("last line = %q", lines[total])
	}
}

func mustAppend(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// summarize names the missing and repeated line numbers of a follow output.
func summarize(out string, total int) string {
	seen := map[int]int{}
	for _, l := range strings.Split(out, "\n") {
		var n int
		if i := strings.LastIndex(l, " n="); i >= 0 {
			if _, err := fmt.Sscanf(l[i:], " n=%d", &n); err == nil {
				seen[n]++
			}
		}
	}
	var missing, repeated []int
	for i := 0; i < total; i++ {
		switch {
		case seen[i] == 0:
			missing = append(missing, i)
		case seen[i] > 1:
			repeated = append(repeated, i)
		}
	}
	return fmt.Sprintf("missing %v, repeated %v", missing, repeated)
}
