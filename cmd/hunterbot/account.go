package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
)

func init() {
	register(command{
		name:    "account",
		usage:   "add|list|show|pause|resume|stop|move|rm [flags] [KEY]",
		summary: "manage the accounts the control plane assigns to workers (see docs/operations.md)",
		run:     runAccount,
	})
}

// accountOut is where account and login print (tests swap it).
var accountOut io.Writer = os.Stdout

// operatorFlags are the connection flags every operator command shares
// with `status` (same credentials logic).
type operatorFlags struct {
	ctl, demo *string
	timeout   *time.Duration
}

func addOperatorFlags(fs interface {
	String(name, value, usage string) *string
	Duration(name string, value time.Duration, usage string) *time.Duration
}) operatorFlags {
	return operatorFlags{
		ctl:     fs.String("control", "", "control plane URL (default $HUNTERBOT_CONTROL, else demo.json's control_url, else http://"+defaultControlAddr+")"),
		demo:    fs.String("demo", "", "demo data directory (or demo.json) used for credentials when no HUNTERBOT_* credentials are set"),
		timeout: fs.Duration("timeout", 15*time.Second, "timeout of each request to the control plane"),
	}
}

// operator logs in like `status` and returns the client.
func (f operatorFlags) operator(ctx context.Context) (*client.Operator, string, error) {
	if *f.timeout <= 0 {
		return nil, "", usagef("--timeout: must be > 0")
	}
	demoPath := demoJSONPath(firstNonEmpty(*f.demo, defaultDemoDir))
	creds, err := statusCredentials(demoPath, *f.demo != "")
	if err != nil {
		return nil, "", err
	}
	base := firstNonEmpty(*f.ctl, os.Getenv("HUNTERBOT_CONTROL"), creds.ControlURL, "http://"+defaultControlAddr)
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, "", usagef("--control: want an http(s) URL, got %q", base)
	}
	op := client.NewOperator(base, *f.timeout)
	if creds.Token != "" {
		op.SetToken(creds.Token)
	} else if _, err := op.Login(ctx, creds.ClientID, creds.ClientSecret, creds.Username, creds.Password); err != nil {
		return nil, "", explainControlErr(err, base, creds.Source, true)
	}
	return op, base, nil
}

func runAccount(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("account: want a subcommand: add, list, show, pause, resume, stop, move or rm")
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("account " + sub)
	of := addOperatorFlags(fs)
	var (
		file, key, platform, method, user, pwEnv, name, pin, chatPoll, reason *string
		jobs                                                                  *string
		days                                                                  *int
	)
	switch sub {
	case "add":
		file = fs.String("file", "", "JSON account spec (as POST /api/accounts takes); flags below fill or override it")
		key = fs.String("key", "", "account key (unique in the fleet)")
		name = fs.String("name", "", "display name")
		platform = fs.String("platform-id", "", "the site's id of the account")
		method = fs.String("login", "", "login method: qr or password")
		user = fs.String("username", "", "site username (password method)")
		pwEnv = fs.String("password-env", "", "environment variable holding the site password (never pass it as a flag)")
		jobs = fs.String("jobs", "", "brain_job_id=site_job_id[:position],... jobs of the account")
		chatPoll = fs.String("chat-poll", "", "chat poll period, e.g. 20s")
		pin = fs.String("pin", "", "only this worker may run the account")
	case "pause", "resume", "stop", "move", "rm":
		reason = fs.String("reason", "", "why (kept in the account's history)")
	case "show":
		days = fs.Int("days", 7, "also print the per-day counters of the last N days (0: none, at most 30)")
	case "list":
	default:
		return usagef("account: unknown subcommand %q (want add, list, show, pause, resume, stop, move or rm)", sub)
	}
	if err := parseFlagsArgs(fs, args); err != nil {
		return err
	}
	rest := fs.Args()
	need := map[string]int{"add": 0, "list": 0, "show": 1, "pause": 1, "resume": 1, "stop": 1, "move": 2, "rm": 1}[sub]
	if len(rest) != need {
		if sub == "move" {
			return usagef("account move: want KEY WORKER (WORKER \"-\" unpins)")
		}
		return usagef("account %s: want %d argument(s), got %d", sub, need, len(rest))
	}
	if days != nil {
		if err := checkDaysFlag(*days); err != nil {
			return err
		}
	}
	op, base, err := of.operator(ctx)
	if err != nil {
		return err
	}
	explain := func(err error) error { return explainControlErr(err, base, "", false) }
	switch sub {
	case "add":
		var spec wire.AccountSpec
		if *file != "" {
			raw, err := os.ReadFile(*file)
			if err != nil {
				return usagef("--file: %v", err)
			}
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&spec); err != nil {
				return usagef("--file %s: %v", *file, err)
			}
		}
		setIf(&spec.Key, *key)
		setIf(&spec.Name, *name)
		setIf(&spec.PlatformID, *platform)
		setIf(&spec.Login.Method, *method)
		setIf(&spec.Login.Username, *user)
		setIf(&spec.ChatPoll, *chatPoll)
		setIf(&spec.Pin, *pin)
		if *pwEnv != "" {
			pw := os.Getenv(*pwEnv)
			if pw == "" {
				return usagef("--password-env: %s is empty", *pwEnv)
			}
			spec.Login.Password = pw
		}
		if *jobs != "" {
			js, err := parseJobs(*jobs)
			if err != nil {
				return err
			}
			spec.Jobs = js
		}
		m, err := op.CreateAccount(ctx, spec)
		if err != nil {
			return fieldHint(explain(err))
		}
		fmt.Fprintf(accountOut, "account %s created (id %d, %s login, desired %s)\n", m.Key, m.ID, m.Login.Method, m.Desired)
		return nil
	case "list":
		accs, err := op.Accounts(ctx)
		if err != nil {
			return explain(err)
		}
		sort.Slice(accs, func(i, j int) bool { return accs[i].Key < accs[j].Key })
		tw := tabwriter.NewWriter(accountOut, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tKIND\tDESIRED\tSTATE\tWORKER\tPIN\tLEASE\tLAST CHANGE")
		now := time.Now()
		for _, a := range accs {
			kind := "static"
			if a.Managed {
				kind = "managed"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Key, kind, orDash(a.Desired), orDash(string(a.State)), orDash(a.WorkerID),
				orDash(a.Pin), leaseCell(a), changeCell(a.LastChange, now))
		}
		return tw.Flush()
	case "show":
		m, err := op.Account(ctx, rest[0])
		if err != nil {
			return explain(err)
		}
		enc := json.NewEncoder(accountOut)
		enc.SetIndent("", "  ")
		if err := enc.Encode(m); err != nil || *days == 0 {
			return err
		}
		ds, err := lastDays(ctx, op, m.Key, *days)
		if err != nil {
			return explain(err)
		}
		return writeDays(accountOut, m.Key, ds)
	case "rm":
		if err := op.DeleteAccount(ctx, rest[0]); err != nil {
			return explain(err)
		}
		fmt.Fprintf(accountOut, "account %s removed; its worker stops it at its next pull\n", rest[0])
		return nil
	}
	p := wire.AccountPatch{Reason: *reason}
	switch sub {
	case "pause":
		p.Desired = ptr(wire.DesiredPaused)
	case "resume":
		p.Desired = ptr(wire.DesiredRunning)
	case "stop":
		p.Desired = ptr(wire.DesiredStopped)
	case "move":
		w := rest[1]
		if w == "-" {
			w = ""
		}
		p.Pin = &w
	}
	m, err := op.PatchAccount(ctx, rest[0], p)
	if err != nil {
		return fieldHint(explain(err))
	}
	fmt.Fprintf(accountOut, "account %s: desired %s, pin %s (a paused, stopped or moved account stops acting before its next site action; agents start at the workers' next pull)\n", m.Key, m.Desired, orDash(m.Pin))
	return nil
}

func ptr[T any](v T) *T { return &v }

func setIf(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// parseJobs reads "brain=site[:position],...".
func parseJobs(s string) ([]wire.AccountJob, error) {
	var out []wire.AccountJob
	for _, part := range strings.Split(s, ",") {
		b, site, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || b == "" || site == "" {
			return nil, usagef("--jobs: want brain_job_id=site_job_id[:position], got %q", part)
		}
		site, pos, _ := strings.Cut(site, ":")
		out = append(out, wire.AccountJob{BrainJobID: b, SiteJobID: site, Position: pos})
	}
	return out, nil
}

// fieldHint prefixes a 400's field so the operator knows what to fix.
func fieldHint(err error) error {
	var ce *client.Error
	if errors.As(err, &ce) && ce.Field != "" && !strings.HasPrefix(ce.Detail, ce.Field) {
		return fmt.Errorf("%s: %s", ce.Field, ce.Detail)
	}
	return err
}

// leaseCell shows which worker holds a managed account and for how long.
func leaseCell(a wire.Account) string {
	if !a.Managed {
		return "static"
	}
	if a.Lease == nil {
		return "none"
	}
	age := time.Since(a.Lease.GrantedAt).Round(time.Second)
	return fmt.Sprintf("%s#%d %s", a.Lease.WorkerID, a.Lease.Epoch, age)
}

// changeCell shows the last state change and its reason.
func changeCell(c *wire.StateChange, now time.Time) string {
	if c == nil {
		return "-"
	}
	return oneLine(fmt.Sprintf("%s: %s (%s)", c.State, c.Reason, seenAgo(&c.At, now)), 80)
}

// parseFlagsArgs is parseFlags for commands that take positional
// arguments after their flags.
func parseFlagsArgs(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stdout)
		fmt.Fprintf(os.Stdout, "usage: %s [flags] ARGS\n", fs.Name())
		fs.PrintDefaults()
		return flag.ErrHelp
	}
	if err != nil {
		return usageError{msg: err.Error()}
	}
	return nil
}
