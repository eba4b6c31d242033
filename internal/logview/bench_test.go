package logview

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const benchLine = `{"level":"info","component":"worker","account":"acct-001","candidate":"c-123456","job":"job_boss_1001","time":"2026-11-23T10:00:05+08:00","message":"greeted"}`

// BenchmarkFormat measures rendering one typical worker line.
func BenchmarkFormat(b *testing.B) {
	f := &Formatter{Color: true}
	line := []byte(benchLine)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, ok := f.Format(line); !ok {
			b.Fatal("dropped")
		}
	}
}

// BenchmarkReadAndFormat measures the history view: reading a 10k-line
// file and formatting every line.
func BenchmarkReadAndFormat(b *testing.B) {
	var sb strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&sb, "%s\n", strings.Replace(benchLine, "c-123456", fmt.Sprintf("c-%06d", i), 1))
	}
	p := filepath.Join(b.TempDir(), "worker.log")
	if err := os.WriteFile(p, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	f := &Formatter{}
	b.SetBytes(int64(sb.Len()))
	for b.Loop() {
		n := 0
		if err := ReadFile(p, func(l []byte) {
			if _, ok := f.Format(l); ok {
				n++
			}
		}); err != nil || n != 10000 {
			b.Fatalf("read %d lines: %v", n, err)
		}
	}
}
