package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hunterbot/hunterbot/api/wire"
)

// AccountFromSpec turns a control-plane account spec into the account
// config an Agent runs, with defaults filled in and the same checks as a
// YAML account. Errors are *wire.FieldError naming the spec's JSON field.
func AccountFromSpec(spec wire.AccountSpec) (AccountConfig, error) {
	a := AccountConfig{ID: spec.Key, Name: spec.Name, PlatformID: spec.PlatformID,
		Login:           LoginConfig{Method: spec.Login.Method, Username: spec.Login.Username, Password: spec.Login.Password},
		ContactRequests: spec.ContactRequests, FollowupDailyCap: spec.FollowupDailyCap, DisablePush: spec.DisablePush}
	if spec.Login.Method == "" {
		return a, &wire.FieldError{Field: "login.method", Msg: "required: qr or password"}
	}
	var err error
	if a.ChatPoll, err = specDuration("chat_poll", spec.ChatPoll); err != nil {
		return a, err
	}
	if a.ChatSafetyPoll, err = specDuration("chat_safety_poll", spec.ChatSafetyPoll); err != nil {
		return a, err
	}
	if a.FollowupReplyWait, err = specDuration("followup_reply_wait", spec.FollowupReplyWait); err != nil {
		return a, err
	}
	if spec.FollowupDailyCap < 0 {
		return a, &wire.FieldError{Field: "followup_daily_cap", Msg: "must not be negative"}
	}
	if err := specBlock("hosting", spec.Hosting, &a.Hosting); err != nil {
		return a, err
	}
	if len(bytes.TrimSpace(spec.Pacing)) > 0 && string(bytes.TrimSpace(spec.Pacing)) != "null" {
		a.Pacing = &Pacing{}
		if err := specBlock("pacing", spec.Pacing, a.Pacing); err != nil {
			return a, err
		}
	}
	for i, j := range spec.Jobs {
		job := JobConfig{BrainJobID: j.BrainJobID, SiteJobID: j.SiteJobID, Position: j.Position}
		if err := specBlock(fmt.Sprintf("jobs[%d].hosting", i), j.Hosting, &job.Hosting); err != nil {
			return a, err
		}
		a.Jobs = append(a.Jobs, job)
	}
	// The YAML checks, on a one-account config with placeholder URLs.
	c := Config{WorkerID: "spec", Site: SiteConfig{BaseURL: "http://site"}, Brain: BrainConfig{URL: "http://brain"},
		Control: ControlConfig{URL: "http://control"}, Accounts: []AccountConfig{a}}
	if err := c.Validate(); err != nil {
		return a, specFieldError(err)
	}
	return c.Accounts[0], nil
}

// ValidateSpec checks an account spec the way a worker will run it; the
// control plane calls it before storing (api.Options.ValidateAccount).
func ValidateSpec(spec wire.AccountSpec) error {
	_, err := AccountFromSpec(spec)
	return err
}

func specDuration(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, &wire.FieldError{Field: field, Msg: fmt.Sprintf("want a positive duration like \"20s\", got %q", v)}
	}
	return d, nil
}

// specBlock decodes a JSON block with the YAML keys (so durations read
// "10s" as in the worker YAML), rejecting unknown keys.
func specBlock(field string, raw json.RawMessage, into any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "yaml: ")
		return &wire.FieldError{Field: field, Msg: msg}
	}
	return nil
}

// specFieldError maps a Config.Validate error ("accounts[0].login.username:
// required ...") to a FieldError on the spec's field.
func specFieldError(err error) error {
	msg := err.Error()
	const p = "accounts[0]"
	if !strings.HasPrefix(msg, p) {
		return &wire.FieldError{Field: "spec", Msg: msg}
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(msg, p), ".")
	field, m, ok := strings.Cut(rest, ": ")
	if !ok {
		return &wire.FieldError{Field: "spec", Msg: rest}
	}
	if field == "id" {
		field = "key"
	}
	return &wire.FieldError{Field: field, Msg: m}
}
