package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/hunterbot/hunterbot/internal/logview"
)

func init() {
	register(command{
		name:    "logs",
		usage:   "[-f] [--account ID] [--level L] [-n N] [--file F | --dir DIR] [--color auto|always|never]",
		summary: "pretty view of the JSON log files; -f follows them across rotation",
		run:     runLogs,
	})
}

// logsOut is where logs prints (stdout; tests swap it).
var logsOut io.Writer = os.Stdout

// logsPoll is how often -f looks for new lines (tests shorten it).
var logsPoll = 250 * time.Millisecond

// defaultLogDir is the demo's log directory when it exists (the usual
// case on a developer machine), else a worker's default data_dir/logs.
func defaultLogDir() string {
	if st, err := os.Stat("data/demo/logs"); err == nil && st.IsDir() {
		return "data/demo/logs"
	}
	return "data/worker/logs"
}

func runLogs(ctx context.Context, args []string) error {
	fs := newFlagSet("logs")
	follow := fs.Bool("f", false, "follow: keep printing new lines, across rotation, until interrupted")
	account := fs.String("account", "", "only lines of this account")
	level := fs.String("level", "", "minimum level: trace, debug, info, warn, error")
	last := fs.Int("n", 0, "print only the last N matching lines of what is already logged (0 = all)")
	file := fs.String("file", "", "one log file")
	dir := fs.String("dir", "", "directory of *.log files (default data/demo/logs when it exists, else data/worker/logs)")
	color := fs.String("color", "auto", "auto (when stdout is a terminal and NO_COLOR is unset), always or never")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file != "" && *dir != "" {
		return usagef("--file and --dir are exclusive")
	}
	if *last < 0 {
		return usagef("-n: must be >= 0")
	}
	f := &logview.Formatter{Filter: logview.Filter{Account: *account}}
	if *level != "" {
		l, err := logview.ParseLevel(*level)
		if err != nil {
			return usagef("--level: %v", err)
		}
		f.MinLevel = l
	}
	switch *color {
	case "always":
		f.Color = true
	case "never":
	case "auto":
		if o, ok := logsOut.(*os.File); ok && os.Getenv("NO_COLOR") == "" {
			f.Color = isatty.IsTerminal(o.Fd())
		}
	default:
		return usagef("--color: want auto, always or never, got %q", *color)
	}
	src := logSource{file: *file, dir: *dir}
	if src.file == "" && src.dir == "" {
		src.dir = defaultLogDir()
	}
	return showLogs(ctx, logsOut, f, src, *follow, *last)
}

// logSource is one file or a directory of log files.
type logSource struct{ file, dir string }

// showLogs prints what is logged, then with follow the new lines. The
// live files (not rotated backups) are opened once, read to their end for
// the history and followed from there, so no line is printed twice or
// missed between the two, even when the writer rotates meanwhile.
func showLogs(ctx context.Context, w io.Writer, f *logview.Formatter, src logSource, follow bool, last int) error {
	var items []logview.Item
	if src.file != "" {
		if _, err := os.Stat(src.file); err != nil && !(follow && errors.Is(err, fs.ErrNotExist)) {
			return fmt.Errorf("--file: %w", err)
		}
		t, err := logview.OpenTail(src.file)
		if err != nil {
			return err
		}
		items = []logview.Item{{Path: src.file, Tail: t}}
	} else {
		var err error
		items, err = logview.Snapshot(src.dir)
		if err != nil && !(follow && errors.Is(err, fs.ErrNotExist)) { // -f waits for the first writer
			return fmt.Errorf("log directory: %w", err)
		}
		if len(items) == 0 && !follow {
			return fmt.Errorf("no *.log files in %s (use --dir or --file)", src.dir)
		}
	}
	var live []*logview.Tail
	defer func() {
		for _, t := range live {
			t.Close()
		}
	}()
	for _, it := range items {
		if it.Tail != nil {
			live = append(live, it.Tail)
		}
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	// history keeps the last N printed lines when -n is set.
	var history []string
	print := func(line []byte) {
		s, ok := f.Format(line)
		if !ok {
			return
		}
		if last > 0 {
			if len(history) == last {
				history = history[1:]
			}
			history = append(history, s)
			return
		}
		bw.WriteString(s)
		bw.WriteByte('\n')
	}
	for _, it := range items {
		if it.Tail == nil {
			if err := logview.ReadFile(it.Path, print); err != nil {
				return err
			}
			continue
		}
		if err := it.Tail.Poll(print); err != nil {
			return err
		}
		if !follow {
			it.Tail.Flush(print) // nothing will complete its last line
		}
	}
	for _, s := range history {
		bw.WriteString(s)
		bw.WriteByte('\n')
	}
	last = 0 // from now on every line is printed as it comes
	if err := bw.Flush(); err != nil || !follow {
		return err
	}
	opts := logview.FollowOptions{Interval: logsPoll, AfterPoll: func() { bw.Flush() }}
	if src.dir != "" {
		dir := src.dir
		opts.Discover = func() ([]string, error) {
			p, err := logview.CurrentFiles(dir)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil // the directory is created by the first writer
			}
			return p, err
		}
	}
	return logview.Follow(ctx, live, opts, func(_ string, line []byte) { print(line) })
}
