// Package config loads hunterbot's YAML files strictly: an unknown key is an
// error that names the key and its line, so a typo never silently falls back
// to a default.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrInvalid is wrapped by every error this package returns for a file that
// was read but is not acceptable (syntax, unknown key, wrong type, failed
// validation). Commands map it to a one-line message and exit code 2.
var ErrInvalid = errors.New("invalid config")

// Validator is implemented by config structs that check their own values
// after decoding. Errors should name the key, e.g. `brain.url: must be an
// http(s) URL`.
type Validator interface {
	Validate() error
}

// Error describes one problem in a config file.
type Error struct {
	File string // path or name of the source
	Line int    // 1-based line, 0 when unknown
	Key  string // the offending key when known
	Msg  string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		fmt.Fprintf(&b, "key %q: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

// LoadFile reads path into dst (a pointer to a struct), rejecting unknown
// keys, then runs dst's Validate method when it has one.
func LoadFile(path string, dst any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	return Decode(bytes.NewReader(data), path, dst)
}

// Decode reads YAML from r into dst like LoadFile; name labels errors.
func Decode(r io.Reader, name string, dst any) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil && !errors.Is(err, io.EOF) {
		return translate(name, err)
	}
	if v, ok := dst.(Validator); ok {
		if err := v.Validate(); err != nil {
			return &Error{File: name, Msg: err.Error()}
		}
	}
	return nil
}

var (
	unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type`)
	lineMsg      = regexp.MustCompile(`line (\d+): (.*)`)
)

// translate turns yaml.v3's messages into one Error naming the first problem.
func translate(name string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		first := te.Errors[0]
		if m := unknownField.FindStringSubmatch(first); m != nil {
			return &Error{File: name, Line: atoi(m[1]), Key: m[2], Msg: "unknown key"}
		}
		if m := lineMsg.FindStringSubmatch(first); m != nil {
			return &Error{File: name, Line: atoi(m[1]), Msg: m[2]}
		}
		return &Error{File: name, Msg: first}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineMsg.FindStringSubmatch(msg); m != nil {
		return &Error{File: name, Line: atoi(m[1]), Msg: m[2]}
	}
	return &Error{File: name, Msg: msg}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
