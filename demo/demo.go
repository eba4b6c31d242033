// Package demo assembles the embedded default: the simulated site, the
// built-in brain, the control plane and one worker, all in one process on
// loopback, talking to each other over real HTTP exactly as separate
// processes would. `hunterbot demo` runs it; the end-to-end tests run it
// with a manual clock.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hunterbot/hunterbot/internal/httpserve"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/brain"
	brainserver "github.com/hunterbot/hunterbot/brain/server"
	"github.com/hunterbot/hunterbot/console"
	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/metrics"
	secretbox "github.com/hunterbot/hunterbot/internal/secret"
	"github.com/hunterbot/hunterbot/sim"
	"github.com/hunterbot/hunterbot/state"
)

// Options configures the demo. Zero values take the defaults noted.
type Options struct {
	// AddrBase: the control plane listens here, the sim on port+1 and the
	// brain on port+2. A port of 0 puts all three on free ports.
	AddrBase string
	DataDir  string        // default ./data/demo
	Scenario *sim.Scenario // default sim.DefaultScenario()
	// Clock, when nil, is a scaled clock at Speed from the scenario start.
	Clock clock.Clock
	Speed float64 // default 60
	Seed  int64   // default 1
	Log   zerolog.Logger
	// Browser is shared instead of launching one (tests).
	Browser *browser.Browser
	// Pacing overrides the bot's default pacing; ChatPoll its chat poll.
	Pacing   *bot.Pacing
	ChatPoll time.Duration
	// HelloSum is the greetings planned per job per day (default 20).
	HelloSum int
	// AllAtOnce plans the day's greetings without time slots (all due at
	// once) instead of two slots; tests whose start-up time varies use it.
	AllAtOnce bool
	// Hosting overrides the accounts' conversation policy.
	Hosting *bot.Hosting
	// RecycleEvery overrides the worker's browser recycling period.
	RecycleEvery time.Duration
	// NoWorker builds everything but the worker (tests run the worker in a
	// separate process with WorkerConfig).
	NoWorker bool
	// Console serves the operators' web console under /ui/ on the control
	// plane's listener, as `hunterbot serve` does (`hunterbot demo` sets it).
	Console bool
	// Middleware, when set, wraps the handler of "control", "sim" and
	// "brain" (tests use it to take a service down).
	Middleware func(component string, h http.Handler) http.Handler
	// BrainUnconfigured starts the built-in brain without the scenario's
	// jobs and accounts: tests register them through the brain's API (in
	// the reference's request shapes).
	BrainUnconfigured bool
	// BrainPlatformType is the worker's brain.platform_type (default
	// "boss"; the reference names BOSS "Boss").
	BrainPlatformType string
	// BrainHook, when set, adjusts the built-in brain's configuration
	// (tests add a model, facts sheets and plans).
	BrainHook func(*brainserver.Config)
	// WorkerHook, when set, adjusts the worker configuration before the
	// worker is built (the live reference test points it at another brain).
	WorkerHook func(*bot.Config)
	// ManagedWorkers get worker credentials (tokens in Demo.WorkerTokens)
	// for worker processes that run managed accounts; LeaseTTL is their
	// lease length (default state.DefaultLeaseTTL, wall time).
	ManagedWorkers []string
	LeaseTTL       time.Duration
}

// Info is what the demo writes to <data>/demo.json for scripts.
type Info struct {
	ControlURL string `json:"control_url"`
	SimURL     string `json:"sim_url"`
	BrainURL   string `json:"brain_url"`
	// BrainToken is the built-in brain's bearer token (random per run):
	// the brain never serves without one beyond loopback, and its debug
	// route needs one.
	BrainToken   string `json:"brain_token"`
	Username     string `json:"username"`
	Password     string `json:"password"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// Demo is the assembled embedded default.
type Demo struct {
	Info
	Sim     *sim.Sim
	Brain   *brainserver.Server
	Control *api.Server
	Store   *state.DB
	Runtime *bot.Runtime
	Clock   clock.Clock
	// WorkerConfig is the worker's configuration (also when NoWorker).
	WorkerConfig *bot.Config
	// WorkerTokens are the tokens of Options.ManagedWorkers.
	WorkerTokens map[string]string
	console      *console.Console // Options.Console

	opts     Options
	servers  []*http.Server
	serveErr chan error
	lns      []net.Listener
	closers  []func()
}

// Start builds every component and opens the listeners; Run serves them.
func Start(ctx context.Context, opts Options) (*Demo, error) {
	if opts.AddrBase == "" {
		opts.AddrBase = "127.0.0.1:7000"
	}
	if opts.DataDir == "" {
		opts.DataDir = filepath.Join("data", "demo")
	}
	if opts.Scenario == nil {
		opts.Scenario = sim.DefaultScenario()
	}
	if opts.Speed <= 0 {
		opts.Speed = 60
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.HelloSum <= 0 {
		opts.HelloSum = 20
	}
	if opts.Clock == nil {
		opts.Clock = clock.NewScaled(opts.Scenario.Start, opts.Speed)
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("demo data dir: %w", err)
	}
	d := &Demo{opts: opts, Clock: opts.Clock}
	ok := false
	defer func() {
		if !ok {
			d.close()
		}
	}()
	addrs, err := addresses(opts.AddrBase)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", a, err)
		}
		d.lns = append(d.lns, ln)
		d.closers = append(d.closers, func() { _ = ln.Close() })
	}
	d.ControlURL = "http://" + d.lns[0].Addr().String()
	d.SimURL = "http://" + d.lns[1].Addr().String()
	d.BrainURL = "http://" + d.lns[2].Addr().String()
	d.BrainToken = secret()
	log := opts.Log

	// The simulated site.
	if d.Sim, err = sim.New(opts.Scenario, opts.Clock, opts.Seed, log.With().Str("component", "sim").Logger()); err != nil {
		return nil, err
	}
	// The built-in brain, configured from the scenario.
	brainLog := log.With().Str("component", "brain").Logger()
	brainCfg := BrainConfig(opts.Scenario, opts.HelloSum, !opts.AllAtOnce)
	if opts.BrainUnconfigured {
		brainCfg = &brainserver.Config{}
	}
	if opts.BrainHook != nil {
		opts.BrainHook(brainCfg)
	}
	d.Brain, err = brainserver.New(brainserver.Options{DataDir: filepath.Join(opts.DataDir, "brain"),
		Config: brainCfg, Clock: opts.Clock, Logger: &brainLog, Token: d.BrainToken})
	if err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { _ = d.Brain.Close() })

	// The control plane with a first admin, an OAuth client and a worker token.
	d.Username, d.ClientID = "admin", "hunterbot-demo"
	d.Password, d.ClientSecret = secret(), secret()
	workerToken := secret()
	// Leases run on the wall clock like the workers timing them.
	if d.Store, err = state.Open(filepath.Join(opts.DataDir, "control", "control.db"), state.Options{Clock: opts.Clock,
		LeaseTTL: opts.LeaseTTL, LeaseClock: clock.Real{}}); err != nil {
		return nil, err
	}
	d.closers = append(d.closers, func() { _ = d.Store.Close() })
	// A restarted demo keeps its admin; reset the password to this run's.
	if err := d.Store.PutUser(d.Username, d.Password); err != nil {
		return nil, err
	}
	ctlLog := log.With().Str("component", "control").Logger()
	creds := []api.WorkerCred{{ID: "demo-worker", Token: workerToken}}
	d.WorkerTokens = map[string]string{}
	for _, w := range opts.ManagedWorkers {
		d.WorkerTokens[w] = secret()
		creds = append(creds, api.WorkerCred{ID: w, Token: d.WorkerTokens[w]})
	}
	if err := api.Bootstrap(d.Store, api.AuthConfig{ClientID: d.ClientID, ClientSecret: d.ClientSecret},
		creds, ctlLog); err != nil {
		return nil, err
	}
	// A demo seals account secrets with a key of its own run.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return nil, err
	}
	// The demo's webhook receivers and callbacks live on its own loopback.
	outbound := api.OutboundConfig{Allow: []string{"127.0.0.0/8", "::1"}}
	if d.Control, err = api.NewServer(api.Options{Store: d.Store, Clock: opts.Clock, Logger: ctlLog,
		PublicURL: d.ControlURL, DataDir: filepath.Join(opts.DataDir, "control"), Outbound: outbound,
		Secrets: box, ValidateAccount: bot.ValidateSpec,
		Metrics: metrics.NewRegistry()}); err != nil { // GET /metrics with the operator token
		return nil, err
	}

	// One worker running every scenario account.
	cfg := WorkerConfig(opts.Scenario, d.SimURL, d.BrainURL, d.ControlURL, workerToken, filepath.Join(opts.DataDir, "worker"))
	cfg.Browser.RecycleEvery = opts.RecycleEvery
	cfg.Brain.Token = d.BrainToken
	cfg.Brain.PlatformType = opts.BrainPlatformType
	if opts.WorkerHook != nil {
		opts.WorkerHook(cfg)
	}
	for i := range cfg.Accounts {
		cfg.Accounts[i].Pacing = opts.Pacing
		if opts.Hosting != nil {
			cfg.Accounts[i].Hosting = *opts.Hosting
		}
		if opts.ChatPoll > 0 {
			cfg.Accounts[i].ChatPoll = opts.ChatPoll
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo worker config: %w", err)
	}
	d.WorkerConfig = cfg
	if !opts.NoWorker {
		if d.Runtime, err = bot.NewRuntime(ctx, cfg, bot.RuntimeOptions{Clock: opts.Clock,
			Log: log.With().Str("component", "worker").Logger(), Browser: opts.Browser}); err != nil {
			return nil, err
		}
	}
	if opts.Console {
		if d.console, err = console.New(console.Options{Store: d.Store, Clock: opts.Clock, Logger: ctlLog,
			ValidateAccount: bot.ValidateSpec}); err != nil {
			return nil, err
		}
	}
	if err := d.writeInfo(); err != nil {
		return nil, err
	}
	d.serve()
	ok = true
	return d, nil
}

func addresses(base string) ([]string, error) {
	host, port, err := net.SplitHostPort(base)
	if err != nil {
		return nil, fmt.Errorf("addr-base %q: %w", base, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65533 {
		return nil, fmt.Errorf("addr-base %q: port must be 0..65533", base)
	}
	out := make([]string, 3)
	for i := range out {
		q := 0
		if p != 0 {
			q = p + i
		}
		out[i] = net.JoinHostPort(host, strconv.Itoa(q))
	}
	return out, nil
}

func secret() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

func (d *Demo) writeInfo() error {
	data, err := json.MarshalIndent(d.Info, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d.opts.DataDir, "demo.json"), append(data, '\n'), 0o600)
}

// serve starts the HTTP servers of the control plane, the sim and the brain
// on their listeners; Close stops them.
func (d *Demo) serve() {
	handlers := []http.Handler{d.Control.Handler(), d.Sim.Handler(), d.Brain.Handler()}
	if d.console != nil {
		handlers[0] = console.Mount(handlers[0], d.console)
	}
	if d.opts.Middleware != nil {
		for i, name := range []string{"control", "sim", "brain"} {
			handlers[i] = d.opts.Middleware(name, handlers[i])
		}
	}
	d.serveErr = make(chan error, len(handlers))
	for i, h := range handlers {
		hs := httpserve.New(h, httpserve.Timeouts{})
		d.servers = append(d.servers, hs)
		go func(ln net.Listener) {
			if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				d.serveErr <- err
			}
		}(d.lns[i])
	}
}

// Run runs the worker, the control plane's housekeeping and its
// keyword-hit callback delivery (as `hunterbot serve` does) until ctx is
// done (or a server fails). The servers keep answering until Close.
func (d *Demo) Run(ctx context.Context) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); _ = d.Control.Run(runCtx) }()
	go func() { defer wg.Done(); _ = d.Control.RunKeywordHitDelivery(runCtx) }()
	var werr error
	go func() {
		defer wg.Done()
		if d.Runtime != nil {
			werr = d.Runtime.Run(runCtx)
		}
	}()
	var serr error
	select {
	case <-ctx.Done():
	case serr = <-d.serveErr:
		cancel()
	}
	wg.Wait()
	return errors.Join(serr, werr)
}

// Close stops the servers and closes the stores.
func (d *Demo) Close() error {
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, hs := range d.servers {
		_ = hs.Shutdown(shut)
	}
	d.servers = nil
	d.close()
	return nil
}

func (d *Demo) close() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.closers = nil
}

// Summary adds up the worker's account statuses.
type Summary struct {
	Greeted, Replies, Contacts int
	States                     map[string]string
}

// Summary returns the current totals.
func (d *Demo) Summary() Summary {
	s := Summary{States: map[string]string{}}
	if d.Runtime == nil {
		return s
	}
	for _, a := range d.Runtime.Agents() {
		st := a.Status()
		s.Greeted += st.Greeted
		s.Replies += st.Replies
		s.Contacts += st.Contacts
		s.States[st.Account] = string(st.State)
	}
	return s
}

// BrainConfig derives the built-in brain's jobs and accounts from a sim
// scenario: every account's jobs, a daily plan of helloSum greetings per job
// (spread over two slots when slots is set), a lenient filter and job texts.
func BrainConfig(sc *sim.Scenario, helloSum int, slots bool) *brainserver.Config {
	cfg := &brainserver.Config{}
	start := sc.Start.In(clock.Shanghai)
	// The worker fetches the plan when it starts; the brain drops slots
	// that are already past, so the first slot is a little after the start.
	slot1 := start.Add(20 * time.Minute).Format("15:04")
	slot2 := start.Add(4 * time.Hour).Format("15:04")
	first := helloSum * 2 / 3
	for _, a := range sc.Accounts {
		spec := brainserver.AccountSpec{PlatformType: "boss", PlatformID: a.ID, Desc: a.Name,
			Tasks: map[string]brain.TaskConfig{}}
		for _, j := range a.Jobs {
			id := strconv.FormatInt(j.ID, 10)
			jobID := brainserver.JobID("boss", id)
			cfg.Jobs = append(cfg.Jobs, brainserver.JobSpec{PlatformType: "boss", PlatformID: id, Name: j.Name,
				JD: j.Name + "，" + j.City + "，" + j.Salary,
				Texts: brain.JobTexts{
					Salary:   "这个岗位薪资" + j.Salary + "，五险一金，年底有绩效奖金。",
					Location: "工作地点在" + j.City + "，交通方便。",
					Company:  "我们是" + a.Company + "，团队氛围很好，业务稳定增长。",
				},
				FilterArgs: brain.FilterArgs{AgeMin: 20, AgeMax: 45, DegreeMin: "大专"},
			})
			spec.Jobs = append(spec.Jobs, jobID)
			task := brain.TaskConfig{HelloSum: helloSum, Filter: brain.FilterBool(true), TouchMsg: a.Greeting}
			if slots {
				task.TimeMount = []brain.TimeMount{{Time: slot1, Mount: first}, {Time: slot2, Mount: helloSum - first}}
			}
			spec.Tasks[jobID] = task
		}
		cfg.Accounts = append(cfg.Accounts, spec)
	}
	return cfg
}

// WorkerConfig is the worker configuration that runs every scenario account
// against the given services.
func WorkerConfig(sc *sim.Scenario, siteURL, brainURL, controlURL, workerToken, dataDir string) *bot.Config {
	cfg := &bot.Config{WorkerID: "demo-worker", DataDir: dataDir,
		Site:    bot.SiteConfig{BaseURL: siteURL},
		Brain:   bot.BrainConfig{URL: brainURL},
		Control: bot.ControlConfig{URL: controlURL, Token: workerToken}}
	for _, a := range sc.Accounts {
		cfg.Accounts = append(cfg.Accounts, bot.AccountConfig{ID: a.ID, Name: a.Name, PlatformID: a.ID,
			Login: bot.LoginConfig{Method: "password", Username: a.Username, Password: a.Password}})
	}
	return cfg
}
