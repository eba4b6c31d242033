package brain

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Dialect names the brain a client talks to. The bot's own calls have one
// shape that every dialect accepts (compat.go); the dialect decides the
// registration routes, which v3.0 moved under /backend/manage/.
type Dialect string

// Dialects.
const (
	// DialectAuto probes the server on first need (Client.Detect).
	DialectAuto Dialect = "auto"
	// DialectBuiltin is `hunterbot brain`.
	DialectBuiltin Dialect = "builtin"
	// DialectV2 is the reference's v2.0_maimai_add_friend line.
	DialectV2 Dialect = "v2"
	// DialectV3 is the reference's v3.0 line (registrations under
	// /backend/manage/, which need its console login cookie).
	DialectV3 Dialect = "v3"
)

// Registration routes of the v3.0 line.
const (
	PathJobRegisterV3     = "/backend/manage/job/register"
	PathAccountRegisterV3 = "/backend/manage/account/register"
)

// ParseDialect reads a config value; "" is auto.
func ParseDialect(s string) (Dialect, error) {
	switch d := Dialect(strings.ToLower(strings.TrimSpace(s))); d {
	case "":
		return DialectAuto, nil
	case DialectAuto, DialectBuiltin, DialectV2, DialectV3:
		return d, nil
	}
	return "", fmt.Errorf("brain.dialect: %q is not one of auto, builtin, v2, v3", s)
}

// Dialect returns the configured or detected dialect (DialectAuto until a
// probe succeeded).
func (c *Client) Dialect() Dialect {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return c.dialect
}

// Detect probes the server once and remembers the answer:
//
//   - GET /healthz answering a ret-0 envelope is the built-in brain;
//   - else POST /backend/manage/job/register with an empty body: v3.0
//     answers an envelope (its exception for the missing platformType,
//     before anything is stored), v2.0 has no such route (404).
//
// Both probes change nothing on any of the three. A configured dialect
// other than auto is returned without probing.
func (c *Client) Detect(ctx context.Context) (Dialect, error) {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if c.dialect != DialectAuto {
		return c.dialect, nil
	}
	d, err := c.probe(ctx)
	if err != nil {
		return DialectAuto, err
	}
	c.dialect = d
	c.log.Info().Str("dialect", string(d)).Msg("brain dialect detected")
	return d, nil
}

func (c *Client) probe(ctx context.Context) (Dialect, error) {
	pctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.rc.R().SetContext(pctx).Get("/healthz")
	if err != nil {
		return "", &TransportError{Endpoint: "/healthz", Err: err}
	}
	if resp.StatusCode() == http.StatusOK || resp.StatusCode() == http.StatusUnauthorized {
		var env envelope
		if json.Unmarshal(resp.Body(), &env) == nil && env.Ret != nil {
			return DialectBuiltin, nil
		}
	}
	pctx2, cancel2 := context.WithTimeout(ctx, c.timeout)
	defer cancel2()
	resp, err = c.rc.R().SetContext(pctx2).SetHeader("Content-Type", "application/json").
		SetBody([]byte("{}")).Post(PathJobRegisterV3)
	if err != nil {
		return "", &TransportError{Endpoint: PathJobRegisterV3, Err: err}
	}
	if resp.StatusCode() == http.StatusNotFound || resp.StatusCode() == http.StatusMethodNotAllowed {
		return DialectV2, nil
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(resp.Body(), &raw) == nil {
		if _, ok := raw["msg"]; ok {
			return DialectV3, nil
		}
	}
	return "", &StatusError{Endpoint: PathJobRegisterV3, Code: resp.StatusCode(), Body: snippet(resp.Body())}
}

// registerPaths returns the job and account registration routes of the
// dialect, probing when it is auto.
func (c *Client) registerPaths(ctx context.Context) (job, account string, err error) {
	d, err := c.Detect(ctx)
	if err != nil {
		return "", "", fmt.Errorf("brain: detect dialect: %w", err)
	}
	if d == DialectV3 {
		return PathJobRegisterV3, PathAccountRegisterV3, nil
	}
	return PathJobRegister, PathAccountRegister, nil
}
