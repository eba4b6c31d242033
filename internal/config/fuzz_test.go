package config_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/bot"
	brainserver "github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/sim"
)

// fuzzConfig decodes arbitrary YAML as one of hunterbot's config files.
// Whatever the input, Decode must return nil or an error wrapping
// config.ErrInvalid (the contract the commands rely on for exit code 2 and
// a one-line message), never panic. Seeds are the example files.
func fuzzConfig(f *testing.F, name string, mk func() any, seedGlobs ...string) {
	for _, pat := range seedGlobs {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{"", "a: [", "addr: 1", "\t", "&a [*a, *a]", "accounts: {}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := config.Decode(bytes.NewReader(data), name+".yaml", mk())
		if err != nil && !errors.Is(err, config.ErrInvalid) {
			t.Fatalf("%s config %q: error does not wrap ErrInvalid: %v", name, data, err)
		}
	})
}

func FuzzControlConfig(f *testing.F) {
	f.Add([]byte("outbound:\n  allow: [10.0.0.0/33]\nauth:\n  throttle:\n    free: -1\ntimeouts:\n  read: -1s\n"))
	fuzzConfig(f, "control", func() any { return &api.Config{} }, "../../configs/control.example.yaml")
}

func FuzzWorkerConfig(f *testing.F) {
	fuzzConfig(f, "worker", func() any { return &bot.Config{} }, "../../configs/worker.example.yaml")
}

func FuzzBrainConfig(f *testing.F) {
	f.Add([]byte("server:\n  timeouts:\n    idle: -5s\n"))
	fuzzConfig(f, "brain", func() any { return &brainserver.Config{} }, "../../configs/brain.example.yaml")
}

func FuzzScenario(f *testing.F) {
	fuzzConfig(f, "scenario", func() any { return &sim.Scenario{} }, "../../sim/default.yaml", "../../configs/sim-*.yaml")
}
