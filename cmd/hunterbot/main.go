// Command hunterbot is the recruiting bot: simulator, brain, control plane,
// workers and operator tools in one binary. Each subcommand lives in its own
// file and registers itself in init; this file only dispatches.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/hunterbot/hunterbot/internal/config"
)

// command is one subcommand of hunterbot.
type command struct {
	name    string
	usage   string // flags synopsis shown in the help list
	summary string
	run     func(ctx context.Context, args []string) error
}

var commands = map[string]command{}

// register adds a subcommand; called from init in each command's file.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("hunterbot: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// usageError is a bad command line; it exits 2 like a bad config.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...)}
}

// newFlagSet returns a flag set that reports errors instead of exiting, so
// main prints exactly one line.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("hunterbot "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args and turns flag errors into usage errors; -h prints
// the command's flags and returns flag.ErrHelp.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stdout)
		fmt.Fprintf(os.Stdout, "usage: %s [flags]\n", fs.Name())
		fs.PrintDefaults()
		return flag.ErrHelp
	}
	if err != nil {
		return usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func main() {
	os.Exit(runMain(os.Args[1:]))
}

func runMain(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printHelp(os.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "hunterbot: unknown command %q (see hunterbot help)\n", args[0])
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := cmd.run(ctx, args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return 0 // stopped by a signal after a clean shutdown
	}
	fmt.Fprintf(os.Stderr, "hunterbot %s: %v\n", cmd.name, err)
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, config.ErrInvalid) {
		return 2
	}
	return 1
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "hunterbot — a recruiting bot for BOSS直聘-style recruiter sites")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: hunterbot <command> [flags]   (hunterbot <command> -h for flags)")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-8s %s\n", n, c.summary)
		if c.usage != "" {
			fmt.Fprintf(w, "  %-8s   %s\n", "", c.usage)
		}
	}
}
