package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hunterbot/hunterbot/internal/config"
)

func TestRunMainExitCodes(t *testing.T) {
	saved := commands
	t.Cleanup(func() { commands = saved })
	commands = map[string]command{}
	register(command{name: "ok", run: func(context.Context, []string) error { return nil }})
	register(command{name: "bad-config", run: func(context.Context, []string) error {
		return fmt.Errorf("load: %w", &config.Error{File: "x.yaml", Key: "k", Msg: "unknown key"})
	}})
	register(command{name: "usage", run: func(_ context.Context, args []string) error {
		return parseFlags(newFlagSet("usage"), args)
	}})
	register(command{name: "fail", run: func(context.Context, []string) error { return errors.New("boom") }})

	tests := []struct {
		args []string
		want int
	}{
		{[]string{"ok"}, 0},
		{[]string{"bad-config"}, 2},
		{[]string{"usage", "--nope"}, 2},
		{[]string{"usage", "stray"}, 2},
		{[]string{"fail"}, 1},
		{[]string{"no-such-command"}, 2},
		{[]string{"help"}, 0},
	}
	for _, tt := range tests {
		if got := runMain(tt.args); got != tt.want {
			t.Errorf("runMain(%q) = %d, want %d", tt.args, got, tt.want)
		}
	}
}
