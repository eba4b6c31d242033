package bot

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/logging"
	"github.com/hunterbot/hunterbot/internal/metrics"
)

// Config is a worker's YAML configuration (`hunterbot run` / `hunterbot
// worker`). configs/worker.example.yaml documents every key.
type Config struct {
	// WorkerID names this worker at the control plane (e.g. the VM name).
	WorkerID string `yaml:"worker_id"`
	// DataDir holds worker.db, QR codes and downloaded CVs.
	DataDir string          `yaml:"data_dir"`
	Site    SiteConfig      `yaml:"site"`
	Browser BrowserConfig   `yaml:"browser"`
	Brain   BrainConfig     `yaml:"brain"`
	Control ControlConfig   `yaml:"control"`
	Log     logging.Options `yaml:"log"`
	// Capacity lets the control plane assign managed accounts to this
	// worker (assignment.go); zero max_accounts runs only Accounts.
	Capacity CapacityConfig `yaml:"capacity"`
	// Accounts this worker runs as static accounts (small set-ups; managed
	// accounts are defined at the control plane instead).
	Accounts []AccountConfig `yaml:"accounts"`
	// Metrics serves Prometheus /metrics on its own address (off by
	// default; docs/operations.md).
	Metrics metrics.Config `yaml:"metrics"`
}

// CapacityConfig is how many managed accounts a worker runs and how often
// it pulls its assignment.
type CapacityConfig struct {
	MaxAccounts int `yaml:"max_accounts"`
	// Pull is the assignment pull period (default 5s, at most 10s).
	Pull time.Duration `yaml:"pull"`
}

// SiteConfig locates the recruiter site.
type SiteConfig struct {
	BaseURL   string `yaml:"base_url"`
	Selectors string `yaml:"selectors"` // optional override file
}

// BrowserConfig configures Chromium.
type BrowserConfig struct {
	Bin  string `yaml:"bin"`  // empty: /usr/bin/chromium or HUNTERBOT_CHROMIUM
	Show bool   `yaml:"show"` // visible window (debugging)
	// ProfileDir keeps the Chromium profile there instead of a temporary
	// directory removed at exit.
	ProfileDir string `yaml:"profile_dir"`
	// RecycleEvery restarts the browser this often (default 6h; wall
	// time); agents resume from worker.db.
	RecycleEvery time.Duration `yaml:"recycle_every"`
	// Mode is "contexts" (default: one Chromium, one browser context per
	// account) or "profiles" (one Chromium per account on a persistent
	// profile under ProfilesDir, kept across restarts; profiles.go). Empty
	// takes HUNTERBOT_BROWSER_MODE, then contexts.
	Mode string `yaml:"mode"`
	// ProfilesDir holds the per-account profiles of profiles mode
	// (default <data_dir>/profiles; directories 0700).
	ProfilesDir string `yaml:"profiles_dir"`
}

// BrainConfig locates the seed-003 brain.
type BrainConfig struct {
	URL          string        `yaml:"url"`
	Token        string        `yaml:"token"`
	PlatformType string        `yaml:"platform_type"` // default "boss"
	Timeout      time.Duration `yaml:"timeout"`
	// Dialect is auto (default: probed), builtin, v2 or v3 (the reference's
	// code lines); see docs/brain.md.
	Dialect string `yaml:"dialect"`
}

// ControlConfig locates the control plane.
type ControlConfig struct {
	URL   string `yaml:"url"`
	Token string `yaml:"token"` // worker token; HUNTERBOT_WORKER_TOKEN overrides
}

// AccountConfig is one recruiter account.
type AccountConfig struct {
	// ID is the account's key at the control plane.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// PlatformID is the site's id of the account; the brain's accountID is
	// account_<platform_type>_<platform_id>.
	PlatformID string      `yaml:"platform_id"`
	Login      LoginConfig `yaml:"login"`
	// Jobs maps the brain's jobs to the site's job ids; empty means the
	// site id is the platform id in the brain's job id (job_boss_<id>).
	Jobs []JobConfig `yaml:"jobs"`
	// ContactRequests are the toolbar requests made on need_contact, in
	// order: wechat, phone, resume. Default: [wechat].
	ContactRequests []string `yaml:"contact_requests"`
	// ChatPoll is how often the chat list is read (default 20s). With the
	// site's push channel it is how often the agent's cycle runs when
	// nothing is pushed; the full chat-list read then runs every
	// ChatSafetyPoll (default 3m) as a safety net (push.go).
	ChatPoll       time.Duration `yaml:"chat_poll"`
	ChatSafetyPoll time.Duration `yaml:"chat_safety_poll"`
	// DisablePush ignores the site's push channel and reads the chat list
	// every ChatPoll, as before it existed.
	DisablePush bool `yaml:"disable_push"`
	// Pacing overrides DefaultPacing when set.
	Pacing *Pacing `yaml:"pacing"`
	// FollowupDailyCap caps follow-up messages per day (0: no cap beyond
	// the pacing's message caps); FollowupReplyWait is how long after the
	// greeting the day-1 script waits for a reply (default 30 s).
	FollowupDailyCap  int           `yaml:"followup_daily_cap"`
	FollowupReplyWait time.Duration `yaml:"followup_reply_wait"`
	// Hosting is the conversation policy of the account's jobs (seed 002);
	// a job's own hosting overrides it key by key.
	Hosting Hosting `yaml:"hosting"`
}

// LoginConfig says how the account logs in when its session is gone.
type LoginConfig struct {
	Method   string `yaml:"method"` // password (sim) or qr
	Username string `yaml:"username"`
	// Password may be given directly or, better, via an environment
	// variable named in PasswordEnv.
	Password    string `yaml:"password"`
	PasswordEnv string `yaml:"password_env"`
}

// JobConfig maps one brain job to the site.
type JobConfig struct {
	BrainJobID string  `yaml:"brain_job_id"`
	SiteJobID  string  `yaml:"site_job_id"`
	Position   string  `yaml:"position"` // chooses follow-up configs
	Hosting    Hosting `yaml:"hosting"`
}

// LoadConfig reads and validates a worker config file.
func LoadConfig(path string) (*Config, error) {
	var c Config
	if err := config.LoadFile(path, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the config; errors name the key.
func (c *Config) Validate() error {
	c.setDefaults()
	if c.WorkerID == "" {
		return fmt.Errorf("worker_id: required")
	}
	for key, u := range map[string]string{"site.base_url": c.Site.BaseURL, "brain.url": c.Brain.URL, "control.url": c.Control.URL} {
		if err := checkURL(u); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	if _, err := brain.ParseDialect(c.Brain.Dialect); err != nil {
		return err
	}
	mode, err := browser.ParseMode(c.Browser.Mode)
	if err != nil {
		return fmt.Errorf("browser.mode: %w", err)
	}
	c.Browser.Mode = mode
	if mode == browser.ModeProfiles {
		if err := c.checkProfilesDir(); err != nil {
			return err
		}
	}
	if c.Capacity.MaxAccounts < 0 || c.Capacity.MaxAccounts > 1000 {
		return fmt.Errorf("capacity.max_accounts: must be 0..1000, got %d", c.Capacity.MaxAccounts)
	}
	if c.Capacity.Pull < 0 || c.Capacity.Pull > 10*time.Second {
		return fmt.Errorf("capacity.pull: must be at most 10s, got %s", c.Capacity.Pull)
	}
	c.Metrics.ApplyEnv(nil) // the token may come from HUNTERBOT_METRICS_TOKEN
	if err := c.Metrics.Validate("metrics"); err != nil {
		return err
	}
	if len(c.Accounts) == 0 && c.Capacity.MaxAccounts == 0 {
		return fmt.Errorf("accounts: at least one account is required (or capacity.max_accounts for managed accounts)")
	}
	seen := map[string]bool{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		p := fmt.Sprintf("accounts[%d]", i)
		// The id names files (qr/<id>.png) and, in profiles mode, the
		// account's profile directory, also for managed accounts (whose
		// specs pass this check in any mode).
		if a.ID == "" || strings.ContainsAny(a.ID, "/\\ \x00") || a.ID == "." || a.ID == ".." {
			return fmt.Errorf("%s.id: required, without spaces, slashes or backslashes, not . or ..", p)
		}
		if seen[a.ID] {
			return fmt.Errorf("%s.id: duplicate account %q", p, a.ID)
		}
		seen[a.ID] = true
		if a.PlatformID == "" {
			return fmt.Errorf("%s.platform_id: required", p)
		}
		switch a.Login.Method {
		case "qr":
		case "password":
			if a.Login.Username == "" {
				return fmt.Errorf("%s.login.username: required for the password method", p)
			}
			if a.Login.Password == "" && a.Login.PasswordEnv == "" {
				return fmt.Errorf("%s.login: password or password_env required for the password method", p)
			}
		default:
			return fmt.Errorf("%s.login.method: want password or qr, got %q", p, a.Login.Method)
		}
		for _, k := range a.ContactRequests {
			if k != "wechat" && k != "phone" && k != "resume" {
				return fmt.Errorf("%s.contact_requests: unknown request %q (want wechat, phone or resume)", p, k)
			}
		}
		if a.ChatPoll < 0 || a.ChatSafetyPoll < 0 {
			return fmt.Errorf("%s.chat_poll / chat_safety_poll: must not be negative", p)
		}
		if a.Pacing != nil {
			if err := a.Pacing.Validate(); err != nil {
				return fmt.Errorf("%s.%w", p, err)
			}
		}
		if err := a.Hosting.Validate(); err != nil {
			return fmt.Errorf("%s.%w", p, err)
		}
		for j, job := range a.Jobs {
			if job.BrainJobID == "" || job.SiteJobID == "" {
				return fmt.Errorf("%s.jobs[%d]: brain_job_id and site_job_id are required", p, j)
			}
			if err := job.Hosting.Validate(); err != nil {
				return fmt.Errorf("%s.jobs[%d].%w", p, j, err)
			}
		}
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.DataDir == "" {
		c.DataDir = "./data/worker"
	}
	if c.Brain.PlatformType == "" {
		c.Brain.PlatformType = "boss"
	}
	if c.Browser.ProfilesDir == "" {
		c.Browser.ProfilesDir = filepath.Join(c.DataDir, "profiles")
	}
	if c.Browser.RecycleEvery == 0 {
		c.Browser.RecycleEvery = 6 * time.Hour
	}
	if c.Brain.Timeout == 0 {
		c.Brain.Timeout = 20 * time.Second
	}
	if c.Capacity.Pull == 0 {
		c.Capacity.Pull = 5 * time.Second
	}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if a.Login.Method == "" {
			a.Login.Method = "password"
		}
		if len(a.ContactRequests) == 0 {
			a.ContactRequests = []string{"wechat"}
		}
		if a.ChatPoll == 0 {
			a.ChatPoll = 20 * time.Second
		}
		if a.ChatSafetyPoll == 0 {
			a.ChatSafetyPoll = defaultChatSafetyPoll
		}
		if a.Name == "" {
			a.Name = a.ID
		}
		if a.Pacing != nil {
			a.Pacing.fillDefaults()
		}
	}
}

// checkProfilesDir refuses a profiles_dir that is, contains or lies in
// profile_dir (contexts mode's single kept profile, unused in profiles
// mode): a Chromium on profile_dir would treat the account profiles as its
// own files, and one account's profile would be nested in another's.
func (c *Config) checkProfilesDir() error {
	if c.Browser.ProfileDir == "" {
		return nil
	}
	root, err1 := filepath.Abs(c.Browser.ProfilesDir)
	one, err2 := filepath.Abs(c.Browser.ProfileDir)
	if err1 != nil || err2 != nil {
		return nil
	}
	inside := func(a, b string) bool { // a is b or below it
		r, err := filepath.Rel(b, a)
		return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator))
	}
	if inside(root, one) || inside(one, root) {
		return fmt.Errorf("browser.profiles_dir: %s overlaps browser.profile_dir %s; profiles mode keeps one profile per account under profiles_dir and does not use profile_dir", c.Browser.ProfilesDir, c.Browser.ProfileDir)
	}
	return nil
}

func checkURL(u string) error {
	if u == "" {
		return fmt.Errorf("required")
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("want an http(s) URL, got %q", u)
	}
	return nil
}

// Account returns the account config with id.
func (c *Config) Account(id string) (AccountConfig, bool) {
	for _, a := range c.Accounts {
		if a.ID == id {
			return a, true
		}
	}
	return AccountConfig{}, false
}
