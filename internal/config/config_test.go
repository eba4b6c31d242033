package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type inner struct {
	URL string `yaml:"url"`
}

type sample struct {
	Name  string `yaml:"name"`
	Count int    `yaml:"count"`
	Brain inner  `yaml:"brain"`
}

func (s *sample) Validate() error {
	if s.Count < 0 {
		return fmt.Errorf("count: must be >= 0, got %d", s.Count)
	}
	return nil
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring; empty = success
	}{
		{"ok", "name: a\ncount: 2\nbrain:\n  url: http://x\n", ""},
		{"empty file", "", ""},
		{"unknown top key", "name: a\ncoutn: 2\n", `sample.yaml:2: key "coutn": unknown key`},
		{"unknown nested key", "brain:\n  uri: x\n", `sample.yaml:2: key "uri": unknown key`},
		{"wrong type", "count: many\n", "sample.yaml:1: cannot unmarshal"},
		{"syntax", "name: [\n", "sample.yaml:"},
		{"validation", "count: -1\n", "count: must be >= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sample
			err := Decode(strings.NewReader(tt.yaml), "sample.yaml", &s)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestLoadFileMissing(t *testing.T) {
	var s sample
	err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"), &s)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file error = %v, want os.ErrNotExist", err)
	}
}
