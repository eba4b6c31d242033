package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/config"
)

func init() {
	register(command{
		name:    "status",
		usage:   "[--control URL] [--demo DIR] [--json] [--stale D]",
		summary: "table of the fleet's accounts: state, worker, today's greetings / plan, replies, contacts, last error",
		run:     runStatus,
	})
}

// statusOut is where status prints (stdout; tests swap it).
var statusOut io.Writer = os.Stdout

// defaultDemoDir is where `hunterbot demo` writes demo.json by default.
const defaultDemoDir = "data/demo"

// staleAfterDefault is two worker heartbeats (bot.RuntimeOptions.Heartbeat
// defaults to 30s) plus slack: an account quieter than that has a worker
// that is down or cut off, whatever state it last reported.
const staleAfterDefault = 2 * time.Minute

// demoInfo is the part of demo.json (demo.Info) status needs.
type demoInfo struct {
	ControlURL   string `json:"control_url"`
	Username     string `json:"username"`
	Password     string `json:"password"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// operatorCreds says how to authenticate as an operator.
type operatorCreds struct {
	Token                  string
	ClientID, ClientSecret string
	Username, Password     string
	Source                 string // for error messages: "HUNTERBOT_TOKEN", "environment", a demo.json path
	ControlURL             string // from demo.json, if any
}

// errCredentialsRejected is returned when the control plane answers 401 (or
// refuses the password grant): retrying with the same settings won't help.
var errCredentialsRejected = errors.New("credentials rejected")

// statusCredentials picks the credentials: HUNTERBOT_TOKEN, else the
// password-grant variables, else demo.json (only when no variable is set, so
// a demo directory left in the working directory never shadows a real
// fleet's settings).
func statusCredentials(demoPath string, demoExplicit bool) (operatorCreds, error) {
	if tok := os.Getenv("HUNTERBOT_TOKEN"); tok != "" {
		return operatorCreds{Token: tok, Source: "HUNTERBOT_TOKEN"}, nil
	}
	env := map[string]string{
		"HUNTERBOT_CLIENT_ID":     os.Getenv("HUNTERBOT_CLIENT_ID"),
		"HUNTERBOT_CLIENT_SECRET": os.Getenv("HUNTERBOT_CLIENT_SECRET"),
		"HUNTERBOT_USER":          firstNonEmpty(os.Getenv("HUNTERBOT_USER"), os.Getenv("HUNTERBOT_ADMIN_USER")),
		"HUNTERBOT_PASSWORD":      firstNonEmpty(os.Getenv("HUNTERBOT_PASSWORD"), os.Getenv("HUNTERBOT_ADMIN_PASSWORD")),
	}
	var set, missing []string
	for _, k := range []string{"HUNTERBOT_CLIENT_ID", "HUNTERBOT_CLIENT_SECRET", "HUNTERBOT_USER", "HUNTERBOT_PASSWORD"} {
		if env[k] != "" {
			set = append(set, k)
		} else {
			missing = append(missing, k)
		}
	}
	if len(set) == 4 {
		return operatorCreds{ClientID: env["HUNTERBOT_CLIENT_ID"], ClientSecret: env["HUNTERBOT_CLIENT_SECRET"],
			Username: env["HUNTERBOT_USER"], Password: env["HUNTERBOT_PASSWORD"], Source: "environment"}, nil
	}
	if len(set) > 0 {
		return operatorCreds{}, usagef("credentials: %s set but %s missing", strings.Join(set, ", "), strings.Join(missing, ", "))
	}
	data, err := os.ReadFile(demoPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !demoExplicit {
			return operatorCreds{}, usagef("no credentials: set HUNTERBOT_TOKEN, or HUNTERBOT_CLIENT_ID, HUNTERBOT_CLIENT_SECRET, HUNTERBOT_USER and HUNTERBOT_PASSWORD (no %s from hunterbot demo either)", demoPath)
		}
		return operatorCreds{}, fmt.Errorf("%w: --demo: %v", config.ErrInvalid, err)
	}
	var d demoInfo
	if err := json.Unmarshal(data, &d); err != nil {
		return operatorCreds{}, fmt.Errorf("%w: %s: %v", config.ErrInvalid, demoPath, err)
	}
	for k, v := range map[string]string{"username": d.Username, "password": d.Password, "client_id": d.ClientID, "client_secret": d.ClientSecret} {
		if v == "" {
			return operatorCreds{}, fmt.Errorf("%w: %s: %s: required", config.ErrInvalid, demoPath, k)
		}
	}
	return operatorCreds{ClientID: d.ClientID, ClientSecret: d.ClientSecret, Username: d.Username, Password: d.Password,
		Source: demoPath, ControlURL: d.ControlURL}, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// demoJSONPath accepts the demo data directory or the demo.json file itself.
func demoJSONPath(p string) string {
	if strings.HasSuffix(p, ".json") {
		return p
	}
	return filepath.Join(p, "demo.json")
}

func runStatus(ctx context.Context, args []string) error {
	fs := newFlagSet("status")
	ctl := fs.String("control", "", "control plane URL (default $HUNTERBOT_CONTROL, else demo.json's control_url, else http://"+defaultControlAddr+")")
	demoDir := fs.String("demo", "", "demo data directory (or demo.json) used for credentials when no HUNTERBOT_* credentials are set (default "+defaultDemoDir+")")
	asJSON := fs.Bool("json", false, "print the accounts as the control plane returned them (JSON)")
	stale := fs.Duration("stale", staleAfterDefault, "show accounts not heard from for this long as stale")
	timeout := fs.Duration("timeout", 15*time.Second, "timeout of each request to the control plane")
	days := fs.Int("days", 0, "also print each account's per-day counters of the last N days (at most 30)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkDaysFlag(*days); err != nil {
		return err
	}
	if *stale <= 0 {
		return usagef("--stale: must be > 0")
	}
	if *timeout <= 0 {
		return usagef("--timeout: must be > 0")
	}
	demoPath := demoJSONPath(firstNonEmpty(*demoDir, defaultDemoDir))
	creds, err := statusCredentials(demoPath, *demoDir != "")
	if err != nil {
		return err
	}
	base := firstNonEmpty(*ctl, os.Getenv("HUNTERBOT_CONTROL"), creds.ControlURL, "http://"+defaultControlAddr)
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--control: want an http(s) URL, got %q", base)
	}
	accounts, op, err := fetchAccounts(ctx, base, creds, *timeout)
	if err != nil {
		return err
	}
	sort.Slice(accounts, func(i, j int) bool { return accounts[i].Key < accounts[j].Key })
	if *asJSON {
		enc := json.NewEncoder(statusOut)
		enc.SetIndent("", "  ")
		return enc.Encode(accounts)
	}
	now := time.Now()
	simulated := creds.Source == demoPath
	if simulated {
		// The demo's control plane runs on a scaled, simulated clock: its
		// timestamps cannot be compared with the wall clock. Its newest
		// heartbeat stands in for "now" (a stopped demo looks alive).
		now = newestSeen(accounts, now)
	}
	if err := writeStatusTable(statusOut, accounts, now, *stale); err != nil {
		return err
	}
	for i := 0; i < len(accounts) && *days > 0; i++ {
		ds, err := lastDays(ctx, op, accounts[i].Key, *days) // account_days.go
		if err != nil {
			return explainControlErr(err, base, creds.Source, false)
		}
		fmt.Fprintln(statusOut)
		if err := writeDays(statusOut, accounts[i].Key, ds); err != nil {
			return err
		}
	}
	if !simulated {
		return nil
	}
	_, err = fmt.Fprintln(statusOut, "(demo: simulated clock; ages are relative to the newest heartbeat)")
	return err
}

// newestSeen returns the latest last_seen_at, or def when none was seen.
func newestSeen(accounts []wire.Account, def time.Time) time.Time {
	var newest *time.Time
	for _, a := range accounts {
		if a.LastSeenAt != nil && (newest == nil || a.LastSeenAt.After(*newest)) {
			newest = a.LastSeenAt
		}
	}
	if newest == nil {
		return def
	}
	return *newest
}

// fetchAccounts logs in as needed and lists the accounts, turning
// transport and auth failures into one clear line. The logged-in client is
// returned for further requests.
func fetchAccounts(ctx context.Context, base string, creds operatorCreds, timeout time.Duration) ([]wire.Account, *client.Operator, error) {
	op := client.NewOperator(base, timeout)
	if creds.Token != "" {
		op.SetToken(creds.Token)
	} else if _, err := op.Login(ctx, creds.ClientID, creds.ClientSecret, creds.Username, creds.Password); err != nil {
		return nil, nil, explainControlErr(err, base, creds.Source, true)
	}
	accounts, err := op.Accounts(ctx)
	if err != nil {
		return nil, nil, explainControlErr(err, base, creds.Source, false)
	}
	if accounts == nil {
		accounts = []wire.Account{}
	}
	return accounts, op, nil
}

// explainControlErr maps client errors to what the operator must fix.
// login says the error came from the password grant.
func explainControlErr(err error, base, source string, login bool) error {
	if errors.Is(err, context.Canceled) {
		return err // interrupted by the operator: nothing to explain
	}
	var ce *client.Error
	if errors.As(err, &ce) {
		// 401 is a bad token or OAuth client; the password grant answers
		// 400 invalid_grant for a wrong user or password.
		if ce.Status == http.StatusUnauthorized || (login && ce.Status == http.StatusBadRequest) {
			return fmt.Errorf("%w by %s (from %s): %s", errCredentialsRejected, base, source, ce.Detail)
		}
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("control plane %s unreachable: %v", base, ue.Err)
	}
	return fmt.Errorf("control plane %s unreachable: %w", base, err)
}

// writeStatusTable prints one line per account. now decides staleness and
// the "last seen" ages.
func writeStatusTable(w io.Writer, accounts []wire.Account, now time.Time, staleAfter time.Duration) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tSTATE\tWORKER\tGREETED/PLAN\tREPLIES\tCONTACTS\tPARKED\tLAST SEEN\tLAST ERROR\tLEASE\tLAST CHANGE")
	for _, a := range accounts {
		st := a.State
		if st == "" {
			st = "unknown"
		}
		if a.LastSeenAt == nil || now.Sub(*a.LastSeenAt) > staleAfter {
			st = "stale (" + st + ")"
		}
		name := a.Key
		if a.Name != "" && a.Name != a.Key {
			name += " " + a.Name
		}
		// PARKED: brain reports taken out of delivery after repeated
		// rejections; an operator replays them (docs/brain.md).
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", oneLine(name, 40), st, orDash(a.WorkerID),
			a.Counters["greeted"], a.Counters["planned"], a.Counters["replies"], a.Counters["contacts"],
			a.Counters[wire.CounterParked], seenAgo(a.LastSeenAt, now), orDash(oneLine(a.LastError, 80)),
			leaseCell(a), changeCell(a.LastChange, now)) // account.go
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a cell on one line (tabs and newlines would break the
// table) and at most max runes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}

// seenAgo renders how long ago t was, coarse enough to read at a glance.
func seenAgo(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	d := now.Sub(*t)
	switch {
	case d < 0:
		return "just now" // clocks of the two machines differ slightly
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm ago", int(d/time.Hour), int(d%time.Hour/time.Minute))
	default:
		return t.Local().Format("2006-01-02 15:04")
	}
}
