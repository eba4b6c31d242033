package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/httpserve"
	"github.com/hunterbot/hunterbot/internal/llm"
)

// Config is the built-in brain's YAML file (see docs/brain.md and
// configs/brain.example.yaml). Jobs and accounts listed here are registered
// at start, idempotently; the config wins over earlier registrations.
type Config struct {
	Server   ServerConfig  `yaml:"server"`
	Jobs     []JobSpec     `yaml:"jobs"`
	Accounts []AccountSpec `yaml:"accounts"`
	// LLM, when base_url is set, answers candidate/chat through an
	// OpenAI-compatible model (llmchat.go); empty keeps the rule texts.
	LLM llm.Config `yaml:"llm"`
}

// ServerConfig holds the listener settings.
type ServerConfig struct {
	// Addr is the listen address (the --addr flag overrides it).
	Addr string `yaml:"addr"`
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every route but /healthz. Without it `hunterbot brain` listens on
	// loopback addresses only (see CheckExposure).
	Token string `yaml:"token"`
	// Timeouts bound each connection (defaults: httpserve.Defaults).
	Timeouts httpserve.Timeouts `yaml:"timeouts"`
}

// JobSpec is one job to register.
type JobSpec struct {
	PlatformType string           `yaml:"platformType"`
	PlatformID   string           `yaml:"platformID"`
	Name         string           `yaml:"name"`
	JD           string           `yaml:"jd"`
	RobotAPI     string           `yaml:"robotApi"`
	Texts        brain.JobTexts   `yaml:"texts"`
	FilterArgs   brain.FilterArgs `yaml:"filter_args"`
	// Facts is the approved facts sheet (salary range, location, hours,
	// benefits, process) the model answers from.
	Facts brain.JobFacts `yaml:"facts"`
	// Plan is the AI-hosting plan (prompt, grounding, scenes).
	Plan brain.HostingPlan `yaml:"plan"`
}

// AccountSpec is one recruiter account to register.
type AccountSpec struct {
	PlatformType string `yaml:"platformType"`
	PlatformID   string `yaml:"platformID"`
	Desc         string `yaml:"desc"`
	// Jobs are jobIDs (job_<platformType>_<platformID>); the first one is
	// the default job of requests without jobID.
	Jobs []string `yaml:"jobs"`
	// Tasks is the daily plan per jobID.
	Tasks map[string]brain.TaskConfig `yaml:"tasks"`
}

// JobID forms the reference server's job id.
func JobID(platformType, platformID string) string {
	return "job_" + platformType + "_" + platformID
}

// AccountID forms the reference server's account id.
func AccountID(platformType, platformID string) string {
	return "account_" + platformType + "_" + platformID
}

// Validate implements config.Validator; errors name the key.
func (c *Config) Validate() error {
	if err := c.Server.Timeouts.Validate("server.timeouts"); err != nil {
		return err
	}
	if err := c.LLM.Validate("llm"); err != nil {
		return err
	}
	jobs := map[string]bool{}
	for i, j := range c.Jobs {
		p := fmt.Sprintf("jobs[%d].", i)
		if err := validateJob(p, j.PlatformType, j.PlatformID, j.Name); err != nil {
			return err
		}
		if err := validateFilterArgs(p+"filter_args.", j.FilterArgs); err != nil {
			return err
		}
		if err := j.Facts.Validate(p + "facts."); err != nil {
			return err
		}
		if err := j.Plan.Validate(p + "plan."); err != nil {
			return err
		}
		id := JobID(j.PlatformType, j.PlatformID)
		if jobs[id] {
			return fmt.Errorf("%splatformID: duplicate job %s", p, id)
		}
		jobs[id] = true
	}
	accounts := map[string]bool{}
	for i, a := range c.Accounts {
		p := fmt.Sprintf("accounts[%d].", i)
		if err := validateIDPart(p+"platformType", a.PlatformType); err != nil {
			return err
		}
		if err := validateIDPart(p+"platformID", a.PlatformID); err != nil {
			return err
		}
		id := AccountID(a.PlatformType, a.PlatformID)
		if accounts[id] {
			return fmt.Errorf("%splatformID: duplicate account %s", p, id)
		}
		accounts[id] = true
		if len(a.Jobs) == 0 {
			return fmt.Errorf("%sjobs: at least one jobID is required", p)
		}
		for k, j := range a.Jobs {
			if !jobs[j] {
				return fmt.Errorf("%sjobs[%d]: %q is not a job of this file", p, k, j)
			}
		}
		for j, tc := range a.Tasks {
			if !slices.Contains(a.Jobs, j) {
				return fmt.Errorf("%stasks.%s: not one of this account's jobs", p, j)
			}
			if err := validateTask(fmt.Sprintf("%stasks.%s.", p, j), tc); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateJob(prefix, platformType, platformID, name string) error {
	if err := validateIDPart(prefix+"platformType", platformType); err != nil {
		return err
	}
	if err := validateIDPart(prefix+"platformID", platformID); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%sname: required", prefix)
	}
	return nil
}

// validateIDPart keeps ids printable and free of the store's key separator.
func validateIDPart(key, v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("%s: required", key)
	}
	if strings.ContainsAny(v, "\x00\n\r\t /") {
		return fmt.Errorf("%s: %q must not contain spaces, slashes or control characters", key, v)
	}
	return nil
}

func validateTask(prefix string, tc brain.TaskConfig) error {
	if tc.HelloSum < 0 {
		return fmt.Errorf("%shelloSum: must be >= 0", prefix)
	}
	for i, tm := range tc.TimeMount {
		if _, err := parseHHMM(tm.Time); err != nil {
			return fmt.Errorf("%stimeMount[%d].time: %v", prefix, i, err)
		}
		if tm.Mount < 0 {
			return fmt.Errorf("%stimeMount[%d].mount: must be >= 0", prefix, i)
		}
	}
	return nil
}
