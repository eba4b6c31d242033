package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/brain/eval"
	"github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/logging"
)

// brainEvalOut is where `hunterbot brain eval` prints (tests swap it).
var brainEvalOut io.Writer = os.Stdout

// runBrainEval replays recorded conversations through a brain: the
// built-in brain of --config (with its llm: block, if any) on a throw-away
// store, or the brain at --url; the facts the checks compare with come
// from --config's jobs either way.
func runBrainEval(ctx context.Context, args []string) error {
	fs := newFlagSet("brain eval")
	convPath := fs.String("conversations", "", "JSONL file of recorded conversations (docs/brain.md \"Evaluation\")")
	cfgPath := fs.String("config", "", "brain YAML config: its jobs' facts are what the checks compare with; without --url its brain (llm: included) is evaluated")
	u := fs.String("url", "", "evaluate the brain at this URL instead of the built-in one of --config")
	token := fs.String("token", "", "bearer token of --url")
	account := fs.String("account", "", "accountID (default: the config's first account)")
	within := fs.Int("contact-within", 2, "N of the check \"asks for a contact within N candidate turns\"")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "list every failed check")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *convPath == "" {
		return usagef("--conversations: required")
	}
	if *cfgPath == "" {
		return usagef("--config: required (the jobs' facts sheets)")
	}
	if *within <= 0 {
		return usagef("--contact-within: must be > 0")
	}
	var cfg server.Config
	if err := config.LoadFile(*cfgPath, &cfg); err != nil {
		return fmt.Errorf("load config: %w", err)
	}
	if len(cfg.Jobs) == 0 || len(cfg.Accounts) == 0 {
		return usagef("--config: needs at least one job and one account")
	}
	f, err := os.Open(*convPath)
	if err != nil {
		return usagef("--conversations: %v", err)
	}
	convs, err := eval.Load(f)
	f.Close()
	if err != nil {
		return usagef("--conversations: %s: %v", *convPath, err)
	}
	acct := *account
	if acct == "" {
		acct = server.AccountID(cfg.Accounts[0].PlatformType, cfg.Accounts[0].PlatformID)
	}
	defJob := cfg.Accounts[0].Jobs[0]
	for _, a := range cfg.Accounts {
		if server.AccountID(a.PlatformType, a.PlatformID) == acct {
			defJob = a.Jobs[0]
		}
	}
	opts := eval.Options{AccountID: acct, DefaultJob: defJob, ContactWithin: *within,
		Facts: map[string]brain.JobFacts{}, JDs: map[string]string{}}
	for _, j := range cfg.Jobs {
		id := server.JobID(j.PlatformType, j.PlatformID)
		opts.Facts[id], opts.JDs[id] = j.Facts, j.JD
	}

	var srv *server.Server
	base := *u
	if base == "" {
		dir, err := os.MkdirTemp("", "hunterbot-eval-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		log, closer, err := logging.New(logging.Options{Level: "warn"})
		if err != nil {
			return err
		}
		defer closer.Close()
		cfg.Server.Token = ""
		if srv, err = server.New(server.Options{DataDir: dir, Config: &cfg, Clock: clock.Real{}, Logger: &log}); err != nil {
			return err
		}
		defer srv.Close()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		defer hs.Close()
		base = "http://" + ln.Addr().String()
	}
	c, err := brain.New(brain.Options{BaseURL: base, Token: *token, Timeout: 60 * time.Second, MaxRetries: -1})
	if err != nil {
		return usagef("--url: %v", err)
	}
	opts.Brain = c
	rep, err := eval.Run(ctx, convs, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		out := struct {
			eval.Report
			Model map[string]int64 `json:"model_outcomes,omitempty"`
		}{Report: rep}
		if srv != nil {
			out.Model = srv.LLMStats().Outcomes
		}
		enc := json.NewEncoder(brainEvalOut)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(brainEvalOut, "%d conversations, %d brain replies\n", rep.Conversations, rep.Replies)
	tw := tabwriter.NewWriter(brainEvalOut, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tPASS\tTOTAL\tRATE")
	for _, r := range rep.Results {
		rate := "-"
		if r.Total > 0 {
			rate = fmt.Sprintf("%.3f", r.Rate)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", r.Check, r.Pass, r.Total, rate)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.GateBlocks) > 0 {
		fmt.Fprintf(brainEvalOut, "gate blocks by reason: %v\n", rep.GateBlocks)
	}
	if srv != nil {
		if o := srv.LLMStats().Outcomes; len(o) > 0 {
			fmt.Fprintf(brainEvalOut, "model answers by outcome: %v\n", o)
		}
	}
	if *verbose {
		for _, f := range rep.Failures {
			fmt.Fprintf(brainEvalOut, "FAIL %s %s: %s %q\n", f.Conversation, f.Check, f.Why, oneLine(f.Reply, 80))
		}
	}
	return nil
}
