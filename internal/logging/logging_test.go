package logging

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewWritesJSONToConsoleAndFile(t *testing.T) {
	var console bytes.Buffer
	file := filepath.Join(t.TempDir(), "logs", "bot.log")
	log, closer, err := New(Options{Level: "debug", File: file, Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	log.Debug().Str("account", "a1").Msg("hello")
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(console.Bytes(), &rec); err != nil {
		t.Fatalf("console output is not JSON: %q", console.String())
	}
	if rec["message"] != "hello" || rec["account"] != "a1" {
		t.Fatalf("console record = %v", rec)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"message":"hello"`) {
		t.Fatalf("log file = %q", data)
	}
	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("log file mode = %v, want 0600", st.Mode().Perm())
	}
}

func TestNewPrettyAndLevels(t *testing.T) {
	var console bytes.Buffer
	log, _, err := New(Options{Level: "warn", Console: &console, Pretty: "on"})
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("dropped")
	log.Warn().Msg("kept")
	out := console.String()
	if strings.Contains(out, "dropped") || !strings.Contains(out, "kept") || strings.HasPrefix(out, "{") {
		t.Fatalf("pretty warn-level output = %q", out)
	}
	if _, _, err := New(Options{Level: "loud"}); err == nil || !strings.Contains(err.Error(), `"loud"`) {
		t.Fatalf("bad level error = %v", err)
	}
}

func TestFileLevelMoreVerboseThanConsole(t *testing.T) {
	var console bytes.Buffer
	file := filepath.Join(t.TempDir(), "demo.log")
	log, closer, err := New(Options{Level: "warn", FileLevel: "info", File: file, Console: &console})
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("file only")
	log.Warn().Msg("both")
	log.Debug().Msg("neither")
	closer.Close()
	data, _ := os.ReadFile(file)
	if !strings.Contains(string(data), "file only") || !strings.Contains(string(data), "both") || strings.Contains(string(data), "neither") {
		t.Fatalf("file = %q", data)
	}
	if strings.Contains(console.String(), "file only") || !strings.Contains(console.String(), "both") {
		t.Fatalf("console = %q", console.String())
	}
}
