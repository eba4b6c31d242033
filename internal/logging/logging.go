// Package logging sets up zerolog the same way for every hunterbot command:
// a pretty console on a terminal, JSON lines otherwise, and optionally a
// rotating JSON file (mode 0600) that `hunterbot logs` can follow.
package logging

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Options configures New. The zero value logs info and above to stderr.
type Options struct {
	// Level is trace, debug, info, warn or error; empty means info.
	Level string `yaml:"level"`
	// FileLevel, when set, is the level of the log file, which may be more
	// verbose than the console (e.g. a quiet console, an info-level file).
	FileLevel string `yaml:"file_level"`
	// File, when set, also writes JSON lines to this path, rotated by size.
	File string `yaml:"file"`
	// MaxSizeMB is the size at which File rotates (default 50).
	MaxSizeMB int `yaml:"max_size_mb"`
	// MaxBackups is how many rotated files are kept (default 5).
	MaxBackups int `yaml:"max_backups"`
	// Console overrides stderr as the console destination (tests).
	Console io.Writer `yaml:"-"`
	// Pretty forces ("on") or disables ("off") the human console format;
	// empty chooses by whether the console is a terminal.
	Pretty string `yaml:"pretty"`
}

// New builds a logger and returns a closer for the log file (a no-op closer
// when there is no file).
func New(opts Options) (zerolog.Logger, io.Closer, error) {
	level, err := parseLevel(opts.Level, zerolog.InfoLevel)
	if err != nil {
		return zerolog.Nop(), nopCloser{}, err
	}
	fileLevel, err := parseLevel(opts.FileLevel, level)
	if err != nil {
		return zerolog.Nop(), nopCloser{}, err
	}
	console := opts.Console
	if console == nil {
		console = os.Stderr
	}
	pretty := opts.Pretty == "on"
	if opts.Pretty == "" {
		if f, ok := console.(*os.File); ok {
			pretty = isatty.IsTerminal(f.Fd())
		}
	}
	var out io.Writer = console
	if pretty {
		out = zerolog.ConsoleWriter{Out: console, TimeFormat: time.TimeOnly}
	}
	var closer io.Closer = nopCloser{}
	if opts.File != "" {
		if err := os.MkdirAll(filepath.Dir(opts.File), 0o700); err != nil {
			return zerolog.Nop(), nopCloser{}, fmt.Errorf("log file: %w", err)
		}
		rot := &lumberjack.Logger{
			Filename:   opts.File,
			MaxSize:    orDefault(opts.MaxSizeMB, 50),
			MaxBackups: orDefault(opts.MaxBackups, 5),
		}
		// lumberjack creates new files 0600; make sure a pre-existing file is too.
		if _, err := os.Stat(opts.File); err == nil {
			if err := os.Chmod(opts.File, 0o600); err != nil {
				return zerolog.Nop(), nopCloser{}, fmt.Errorf("log file: %w", err)
			}
		}
		out = zerolog.MultiLevelWriter(
			&zerolog.FilteredLevelWriter{Writer: zerolog.LevelWriterAdapter{Writer: out}, Level: level},
			&zerolog.FilteredLevelWriter{Writer: zerolog.LevelWriterAdapter{Writer: rot}, Level: fileLevel})
		closer = rot
		level = min(level, fileLevel)
	}
	logger := zerolog.New(out).Level(level).With().Timestamp().Logger()
	return logger, closer, nil
}

func parseLevel(s string, def zerolog.Level) (zerolog.Level, error) {
	if s == "" {
		return def, nil
	}
	l, err := zerolog.ParseLevel(strings.ToLower(s))
	if err != nil || l == zerolog.NoLevel {
		return def, fmt.Errorf("log level %q: want trace, debug, info, warn or error", s)
	}
	return l, nil
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
