// Package logview turns hunterbot's JSON log lines (zerolog, one object per
// line) into a readable, filterable view and follows log files across
// rotation, for `hunterbot logs`.
package logview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Level is a log level ranked so that a minimum can be compared; zero is
// "no level" (a line written without one).
type Level int

// Levels in increasing severity, matching zerolog's names.
const (
	LevelNone Level = iota
	LevelTrace
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
	LevelPanic
)

var levelNames = map[string]Level{
	"trace": LevelTrace, "debug": LevelDebug, "info": LevelInfo, "warn": LevelWarn, "warning": LevelWarn,
	"error": LevelError, "fatal": LevelFatal, "panic": LevelPanic,
}

var levelTags = map[Level]string{
	LevelTrace: "TRC", LevelDebug: "DBG", LevelInfo: "INF", LevelWarn: "WRN",
	LevelError: "ERR", LevelFatal: "FTL", LevelPanic: "PNC",
}

// ParseLevel reads a level name (trace, debug, info, warn, error, fatal,
// panic; case-insensitive).
func ParseLevel(s string) (Level, error) {
	if l, ok := levelNames[strings.ToLower(strings.TrimSpace(s))]; ok {
		return l, nil
	}
	return LevelNone, fmt.Errorf("level %q: want trace, debug, info, warn, error, fatal or panic", s)
}

// Filter selects lines. The zero value keeps everything.
type Filter struct {
	// Account keeps only lines whose "account" field equals it. Lines that
	// are not JSON carry no account, so they are dropped when it is set.
	Account string
	// MinLevel drops JSON lines below it. Lines without a level (and
	// non-JSON lines such as a panic's stack trace) are kept.
	MinLevel Level
}

// Formatter renders log lines.
type Formatter struct {
	Filter
	// Color adds ANSI colors (levels, alerts).
	Color bool
	// Location is the zone times are shown in (nil: time.Local).
	Location *time.Location
}

// Fields that are shown in fixed places rather than as key=value.
var fixedFields = map[string]bool{"time": true, "level": true, "message": true, "account": true, "alert": true}

const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiAlert  = "\x1b[1;97;41m" // bold white on red
)

// Format renders one line (without its newline). ok is false when the
// filter drops the line.
func (f *Formatter) Format(line []byte) (out string, ok bool) {
	line = bytes.TrimRight(line, "\r")
	rec, isJSON := parse(line)
	if !isJSON {
		if f.Account != "" {
			return "", false
		}
		return string(line), true
	}
	lvl := LevelNone
	if s, _ := rec["level"].(string); s != "" {
		lvl, _ = ParseLevel(s) // an unknown level name ranks as none: kept
	}
	if lvl != LevelNone && lvl < f.MinLevel {
		return "", false
	}
	account, _ := rec["account"].(string)
	if f.Account != "" && account != f.Account {
		return "", false
	}
	var b strings.Builder
	b.WriteString(f.paint(ansiDim, f.clock(rec["time"])))
	b.WriteByte(' ')
	b.WriteString(f.levelTag(lvl, rec["level"]))
	alert, _ := rec["alert"].(bool)
	if alert {
		b.WriteByte(' ')
		b.WriteString(f.paint(ansiAlert, "ALERT"))
	}
	if account != "" {
		b.WriteString(" [")
		b.WriteString(f.paint(ansiCyan, account))
		b.WriteByte(']')
	}
	if msg, ok := rec["message"]; ok {
		b.WriteByte(' ')
		m := valueString(msg, false)
		if alert {
			m = f.paint(ansiBold, m)
		}
		b.WriteString(m)
	}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		if !fixedFields[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(' ')
		b.WriteString(f.paint(ansiDim, k+"="))
		b.WriteString(valueString(rec[k], true))
	}
	return b.String(), true
}

// parse decodes a JSON object line; numbers stay as written.
func parse(line []byte) (map[string]any, bool) {
	t := bytes.TrimSpace(line)
	if len(t) == 0 || t[0] != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	var rec map[string]any
	if err := dec.Decode(&rec); err != nil || dec.More() {
		return nil, false
	}
	return rec, true
}

// clock shows a zerolog time (RFC 3339) as local HH:MM:SS; anything else
// is shown as it is so nothing is hidden.
func (f *Formatter) clock(v any) string {
	s, ok := v.(string)
	if !ok {
		if v == nil {
			return "--:--:--"
		}
		return valueString(v, false)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	loc := f.Location
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format(time.TimeOnly)
}

func (f *Formatter) levelTag(l Level, raw any) string {
	tag, ok := levelTags[l]
	if !ok {
		if s, _ := raw.(string); s != "" {
			tag = strings.ToUpper(s)
		} else {
			tag = "???"
		}
	}
	switch {
	case l >= LevelError:
		return f.paint(ansiRed, tag)
	case l == LevelWarn:
		return f.paint(ansiYellow, tag)
	case l <= LevelDebug && l != LevelNone:
		return f.paint(ansiDim, tag)
	}
	return tag
}

func (f *Formatter) paint(code, s string) string {
	if !f.Color || s == "" {
		return s
	}
	return code + s + ansiReset
}

// valueString renders a field value; in key=value position, strings with
// spaces, quotes, '=' or control characters are quoted so the line stays
// unambiguous.
func valueString(v any, quote bool) string {
	switch x := v.(type) {
	case string:
		if quote && needsQuote(x) {
			return strconv.Quote(x)
		}
		if !quote {
			// A message with a newline would break the one-line view.
			return newlines.Replace(x)
		}
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// newlines escapes line breaks inside a message.
var newlines = strings.NewReplacer("\n", `\n`, "\r", `\r`)

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r <= ' ' || r == '"' || r == '=' || r == 0x7f {
			return true
		}
	}
	return false
}
