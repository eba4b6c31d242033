package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/rules"
)

func init() {
	register(command{
		name:    "rules",
		usage:   "extract [--rules FILE] [--own FILE] [--direction received|sent]",
		summary: "extract contacts and keyword-rule hits: one message per stdin line -> one JSON line",
		run:     runRules,
	})
}

func runRules(ctx context.Context, args []string) error {
	return rulesMain(ctx, args, os.Stdin, os.Stdout)
}

// ruleFile is the --rules file: {"rules": [ seed 004 rule objects ]}, YAML
// or JSON, decoded strictly.
type ruleFile struct {
	Rules []rules.Rule `yaml:"rules"`
}

// Validate checks the rules against seed 004's limits.
func (f *ruleFile) Validate() error { return rules.ValidateSet(f.Rules) }

// extractLine is one output line of `hunterbot rules extract`.
type extractLine struct {
	Text     string          `json:"text"`
	Contacts []rules.Contact `json:"contacts"`
	Hits     []rules.Hit     `json:"hits"`
}

func rulesMain(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	if len(args) == 0 || args[0] != "extract" {
		return usagef("usage: hunterbot rules extract [--rules FILE] [--own FILE] [--direction received|sent]")
	}
	fs := newFlagSet("rules extract")
	rulesPath := fs.String("rules", "", "YAML/JSON file {rules: [...]} with seed-004 keyword rules")
	ownPath := fs.String("own", "", "file with our own texts (one per line) whose contacts are ignored")
	dir := fs.String("direction", "received", "direction of the input messages: received (from candidates) or sent")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	msgDir := rules.DirReceived
	switch *dir {
	case "received":
	case "sent":
		msgDir = rules.DirSent
	default:
		return usagef("--direction must be received or sent, not %q", *dir)
	}
	var set *rules.RuleSet
	if *rulesPath != "" {
		var f ruleFile
		if err := config.LoadFile(*rulesPath, &f); err != nil {
			return fmt.Errorf("load rules: %w", err)
		}
		var err error
		if set, err = rules.Compile(f.Rules, 1); err != nil {
			return fmt.Errorf("load rules: %w", &config.Error{File: *rulesPath, Msg: err.Error()})
		}
	}
	x := rules.NewExtractor()
	if *ownPath != "" {
		data, err := os.ReadFile(*ownPath)
		if err != nil {
			return fmt.Errorf("read own texts: %w", err)
		}
		x = rules.NewExtractor(strings.Split(string(data), "\n")...)
	}
	eng := rules.NewEngine(set)
	eng.SetExtractor(x)

	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	w := bufio.NewWriter(out)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		text := strings.TrimSuffix(sc.Text(), "\r")
		res := eng.Process(&rules.Message{Text: text, Direction: msgDir})
		line := extractLine{Text: text, Contacts: res.Contacts, Hits: res.Hits}
		if line.Contacts == nil {
			line.Contacts = []rules.Contact{}
		}
		if line.Hits == nil {
			line.Hits = []rules.Hit{}
		}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("write: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	return w.Flush()
}
