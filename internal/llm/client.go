// Package llm is a client for OpenAI-compatible chat-completions endpoints
// (OpenAI, Azure-style gateways, DeepSeek, vLLM, Ollama's /v1): one POST
// {base_url}/chat/completions per answer, the key from an environment
// variable named in the config (never logged), every call bounded by its
// context, and structured replies (nextStep + content) validated before
// anyone sees them.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/netguard"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// Config is the `llm:` block of a config file.
type Config struct {
	// BaseURL is the API root, e.g. https://api.openai.com/v1; the client
	// posts to BaseURL + "/chat/completions".
	BaseURL string `yaml:"base_url"`
	// Model is the model name sent in every request.
	Model string `yaml:"model"`
	// APIKeyEnv names the environment variable holding the API key (the
	// key itself never appears in a config file or a log line). Empty: no
	// Authorization header (a local server).
	APIKeyEnv string `yaml:"api_key_env"`
	// Timeout is the budget of one answer, retries included (default 8s).
	Timeout time.Duration `yaml:"timeout"`
	// MaxRetries bounds retries of a failed attempt within the budget
	// (default 1; negative disables).
	MaxRetries int `yaml:"max_retries"`
	// ResponseFormat is json_schema (default: strict structured output)
	// or json_object (servers without json_schema support).
	ResponseFormat string `yaml:"response_format"`
	// Temperature (default 0.3) and MaxTokens (default 400).
	Temperature *float64 `yaml:"temperature"`
	MaxTokens   int      `yaml:"max_tokens"`
	// Allow lists non-public addresses (IP or CIDR) the endpoint may
	// resolve to, e.g. 127.0.0.1 for a model served on this host. Public
	// addresses need no entry.
	Allow []string `yaml:"allow"`
}

// Enabled reports whether a model is configured at all.
func (c Config) Enabled() bool { return strings.TrimSpace(c.BaseURL) != "" }

// Validate checks the block; errors name the key under prefix (e.g. "llm").
func (c Config) Validate(prefix string) error {
	if !c.Enabled() {
		if c.Model != "" || c.APIKeyEnv != "" {
			return fmt.Errorf("%s.base_url: required when %s.model or %s.api_key_env is set", prefix, prefix, prefix)
		}
		return nil
	}
	g, err := netguard.New(prefix+".allow", c.Allow)
	if err != nil {
		return err
	}
	if err := checkBaseURL(g, prefix+".base_url", c.BaseURL); err != nil {
		return err
	}
	if strings.TrimSpace(c.Model) == "" {
		return fmt.Errorf("%s.model: required", prefix)
	}
	if c.Timeout < 0 {
		return fmt.Errorf("%s.timeout: must be >= 0", prefix)
	}
	switch c.ResponseFormat {
	case "", FormatJSONSchema, FormatJSONObject:
	default:
		return fmt.Errorf("%s.response_format: %q is not json_schema or json_object", prefix, c.ResponseFormat)
	}
	if c.Temperature != nil && (*c.Temperature < 0 || *c.Temperature > 2) {
		return fmt.Errorf("%s.temperature: must be within 0..2", prefix)
	}
	if c.MaxTokens < 0 {
		return fmt.Errorf("%s.max_tokens: must be >= 0", prefix)
	}
	return nil
}

// Response formats.
const (
	FormatJSONSchema = "json_schema"
	FormatJSONObject = "json_object"
)

// Options are the non-config dependencies of New.
type Options struct {
	// Getenv reads the API key variable (default os.Getenv).
	Getenv func(string) string
	// Clock times backoff sleeps (default the wall clock).
	Clock clock.Clock
	// Logger gets one line per attempt: model, status, latency, outcome;
	// never the key, the prompt or the answer.
	Logger *zerolog.Logger
	// BackoffBase is the first retry delay (default 250ms).
	BackoffBase time.Duration
}

// Client calls one chat-completions endpoint. Safe for concurrent use.
type Client struct {
	cfg     Config
	url     string
	key     string
	http    *http.Client
	clk     clock.Clock
	log     zerolog.Logger
	backoff time.Duration
}

// New builds a client from a validated-or-not config (it validates).
func New(cfg Config, opts Options) (*Client, error) {
	if err := cfg.Validate("llm"); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return nil, errors.New("llm.base_url: required")
	}
	g, _ := netguard.New("llm.allow", cfg.Allow) // checked by Validate
	c := &Client{cfg: cfg, url: strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions",
		http: g.Client(0), clk: opts.Clock, log: zerolog.Nop(), backoff: opts.BackoffBase}
	if c.cfg.Timeout == 0 {
		c.cfg.Timeout = 8 * time.Second
	}
	if c.cfg.MaxRetries == 0 {
		c.cfg.MaxRetries = 1
	}
	if c.cfg.ResponseFormat == "" {
		c.cfg.ResponseFormat = FormatJSONSchema
	}
	if c.cfg.MaxTokens == 0 {
		c.cfg.MaxTokens = 400
	}
	if c.cfg.Temperature == nil {
		t := 0.3
		c.cfg.Temperature = &t
	}
	if c.clk == nil {
		c.clk = clock.Real{}
	}
	if c.backoff <= 0 {
		c.backoff = 250 * time.Millisecond
	}
	if opts.Logger != nil {
		c.log = *opts.Logger
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if cfg.APIKeyEnv != "" {
		c.key = strings.TrimSpace(getenv(cfg.APIKeyEnv))
		if c.key == "" {
			return nil, fmt.Errorf("llm.api_key_env: environment variable %s is empty or unset", cfg.APIKeyEnv)
		}
	}
	return c, nil
}

// Budget is the configured time budget of one answer.
func (c *Client) Budget() time.Duration { return c.cfg.Timeout }

// Model is the configured model name.
func (c *Client) Model() string { return c.cfg.Model }

// Message is one chat message (role system, user or assistant).
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Roles.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Errors, checkable with errors.Is / errors.As.
var (
	// ErrRefusal: the model refused (message.refusal set, or
	// finish_reason content_filter).
	ErrRefusal = errors.New("llm: model refused")
	// ErrInvalidOutput: the answer is not the JSON the caller asked for.
	ErrInvalidOutput = errors.New("llm: invalid structured output")
	// ErrTransport: the endpoint could not be reached or the budget ran out.
	ErrTransport = errors.New("llm: transport")
	// ErrStatus: a non-2xx answer (see *APIError).
	ErrStatus = errors.New("llm: error status")
)

// APIError is a non-2xx answer with the documented error body
// {"error":{"message","type","param","code"}}.
type APIError struct {
	Status  int
	Type    string
	Code    string
	Message string
	// RetryAfter is the server's Retry-After, if any.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	msg := e.Message
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return fmt.Sprintf("llm: HTTP %d %s %s: %s", e.Status, e.Type, e.Code, msg)
}

// Unwrap makes errors.Is(err, ErrStatus) true.
func (e *APIError) Unwrap() error { return ErrStatus }

// retryable: rate limits (but not an exhausted quota, which waiting does
// not fix), overload and server errors. A chat completion has no effect
// but its cost, so repeating one is safe.
func (e *APIError) retryable() bool {
	if e.Status == http.StatusTooManyRequests {
		return e.Code != "insufficient_quota" && e.Type != "insufficient_quota"
	}
	return e.Status == http.StatusRequestTimeout || e.Status == http.StatusConflict || e.Status >= 500
}

// request is the documented request body (the fields we use).
type request struct {
	Model          string          `json:"model"`
	Messages       []Message       `json:"messages"`
	Temperature    *float64        `json:"temperature,omitempty"`
	MaxTokens      int             `json:"max_tokens,omitempty"`
	ResponseFormat *responseFormat `json:"response_format,omitempty"`
}

type responseFormat struct {
	Type       string      `json:"type"`
	JSONSchema *jsonSchema `json:"json_schema,omitempty"`
}

type jsonSchema struct {
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict bool            `json:"strict"`
}

// response is the documented chat.completion object (the fields we read).
type response struct {
	Choices []struct {
		Message struct {
			Role    string  `json:"role"`
			Content *string `json:"content"`
			Refusal *string `json:"refusal"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
}

type errorBody struct {
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    any    `json:"code"`
	} `json:"error"`
}

// Schema asks for structured output: with json_schema the server enforces
// it; with json_object only JSON is enforced and the caller validates.
type Schema struct {
	Name   string
	Schema json.RawMessage
}

// Complete sends msgs and returns the first choice's content. The whole
// call, retries included, is bounded by ctx and the configured budget.
func (c *Client) Complete(ctx context.Context, msgs []Message, schema *Schema) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	body := request{Model: c.cfg.Model, Messages: msgs, Temperature: c.cfg.Temperature, MaxTokens: c.cfg.MaxTokens}
	if schema != nil {
		if c.cfg.ResponseFormat == FormatJSONObject {
			body.ResponseFormat = &responseFormat{Type: FormatJSONObject}
		} else {
			body.ResponseFormat = &responseFormat{Type: FormatJSONSchema,
				JSONSchema: &jsonSchema{Name: schema.Name, Schema: schema.Schema, Strict: true}}
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return "", err
	}
	for attempt := 0; ; attempt++ {
		content, err := c.attempt(ctx, raw, attempt)
		if err == nil {
			return content, nil
		}
		var ae *APIError
		retry := errors.Is(err, ErrTransport) && ctx.Err() == nil
		var wait time.Duration
		if errors.As(err, &ae) {
			retry = ae.retryable()
			wait = ae.RetryAfter
		}
		if !retry || attempt >= c.cfg.MaxRetries {
			return "", err
		}
		if wait <= 0 {
			d := c.backoff << attempt
			wait = d/2 + rand.N(d/2+1)
		}
		// Never wait past the budget: the caller's fallback is better
		// than an answer that arrives after it gave up.
		if dl, ok := ctx.Deadline(); ok && c.clk.Now().Add(wait).After(dl) {
			return "", err
		}
		if serr := c.clk.Sleep(ctx, wait); serr != nil {
			return "", fmt.Errorf("%w: %v (after %v)", ErrTransport, serr, err)
		}
	}
}

func (c *Client) attempt(ctx context.Context, raw []byte, attempt int) (string, error) {
	start := time.Now()
	outcome := "ok"
	status := 0
	defer func() {
		c.log.Debug().Str("model", c.cfg.Model).Int("attempt", attempt).Int("status", status).
			Dur("latency", time.Since(start)).Str("outcome", outcome).Msg("llm call")
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(raw))
	if err != nil {
		outcome = "request"
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		outcome = "transport"
		if errors.Is(err, ErrForbiddenAddr) {
			outcome = "forbidden"
			return "", fmt.Errorf("llm: %w", ErrForbiddenAddr)
		}
		// The URL (never the key) may appear in err; it is config, not secret.
		return "", fmt.Errorf("%w: %v", ErrTransport, err)
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		outcome = "transport"
		return "", fmt.Errorf("%w: read body: %v", ErrTransport, err)
	}
	if resp.StatusCode/100 != 2 {
		outcome = "http_" + strconv.Itoa(resp.StatusCode)
		ae := &APIError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
		var eb errorBody
		if json.Unmarshal(data, &eb) == nil && eb.Error != nil {
			ae.Message, ae.Type = eb.Error.Message, eb.Error.Type
			if eb.Error.Code != nil {
				ae.Code = fmt.Sprint(eb.Error.Code)
			}
		} else {
			ae.Message = strings.TrimSpace(string(data))
		}
		return "", ae
	}
	var r response
	if err := json.Unmarshal(data, &r); err != nil || len(r.Choices) == 0 {
		outcome = "decode"
		return "", fmt.Errorf("%w: not a chat.completion object", ErrInvalidOutput)
	}
	ch := r.Choices[0]
	if ch.Message.Refusal != nil && *ch.Message.Refusal != "" || ch.FinishReason == "content_filter" {
		outcome = "refusal"
		return "", ErrRefusal
	}
	if ch.Message.Content == nil {
		outcome = "empty"
		return "", fmt.Errorf("%w: no content", ErrInvalidOutput)
	}
	if ch.FinishReason == "length" {
		outcome = "truncated"
		return "", fmt.Errorf("%w: truncated (finish_reason length)", ErrInvalidOutput)
	}
	return *ch.Message.Content, nil
}

// retryAfter reads seconds (the form model APIs send); an HTTP date or
// garbage counts as absent.
func retryAfter(v string) time.Duration {
	if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && n >= 0 && n < 3600 {
		return time.Duration(n * float64(time.Second))
	}
	return 0
}
