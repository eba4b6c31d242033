package brain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-resty/resty/v2"
	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// Defaults of Options.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxRetries  = 3
	DefaultBackoffBase = 250 * time.Millisecond
	DefaultBackoffMax  = 5 * time.Second
)

// Options configures a Client.
type Options struct {
	// BaseURL is the brain's root, e.g. http://127.0.0.1:7003.
	BaseURL string
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token string
	// Timeout bounds each attempt of a call (default DefaultTimeout); the
	// caller's ctx still bounds the whole call including retries.
	Timeout time.Duration
	// MaxRetries is how many times a call that is safe to repeat is retried
	// after a transport error, 429 or 5xx (default DefaultMaxRetries; a
	// negative value disables retries).
	MaxRetries int
	// BackoffBase and BackoffMax shape the jittered exponential backoff.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Clock times the backoff sleeps (default the wall clock).
	Clock clock.Clock
	// Logger receives one line per attempt (nil: no logging).
	Logger *zerolog.Logger
	// HTTPClient overrides the transport (tests, proxies).
	HTTPClient *http.Client
	// Dialect fixes the server's dialect; "" or DialectAuto probes it on
	// first need (see Detect).
	Dialect Dialect
	// ManageCookie is the v3.0 console's user_name cookie (from its
	// /backend/manage/login), sent on the /backend/manage/ registration
	// routes only.
	ManageCookie string
	// Observe, when set, is told the duration of every call (all its
	// retries) with the call's path and outcome (Outcome); /metrics uses it
	// (internal/metrics.Brain). It must not block.
	Observe func(endpoint, outcome string, d time.Duration)
}

// Client calls a seed-003 brain. It is safe for concurrent use.
//
// Calls that only read or whose repetition is harmless (job/account query,
// task/fetch, filter, chat, recallList, taskToDo) are retried with jittered
// exponential backoff on transport errors, 429 and 5xx. Calls with an effect
// (task/report, candidate/result, recallResult, the WeChat reports and
// userMsg, registrations) are sent exactly once per method call: their
// delivery belongs to the caller's durable outbox, which retries with the
// same idempotency key (WithIdempotencyKey) so the server can drop replays.
type Client struct {
	rc      *resty.Client
	timeout time.Duration
	retries int
	base    time.Duration
	max     time.Duration
	clk     clock.Clock
	log     zerolog.Logger
	cookie  string

	dmu     sync.Mutex
	dialect Dialect
	observe func(endpoint, outcome string, d time.Duration)
}

// New returns a client for opts.BaseURL.
func New(opts Options) (*Client, error) {
	if !strings.HasPrefix(opts.BaseURL, "http://") && !strings.HasPrefix(opts.BaseURL, "https://") {
		return nil, fmt.Errorf("brain: base URL %q: must be an http(s) URL", opts.BaseURL)
	}
	c := &Client{
		timeout: opts.Timeout,
		retries: opts.MaxRetries,
		base:    opts.BackoffBase,
		max:     opts.BackoffMax,
		clk:     opts.Clock,
		log:     zerolog.Nop(),
		cookie:  opts.ManageCookie,
		dialect: opts.Dialect,
		observe: opts.Observe,
	}
	if c.dialect == "" {
		c.dialect = DialectAuto
	}
	if _, err := ParseDialect(string(c.dialect)); err != nil {
		return nil, err
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.retries == 0:
		c.retries = DefaultMaxRetries
	case c.retries < 0:
		c.retries = 0
	}
	if c.base <= 0 {
		c.base = DefaultBackoffBase
	}
	if c.max <= 0 {
		c.max = DefaultBackoffMax
	}
	if c.clk == nil {
		c.clk = clock.Real{}
	}
	if opts.Logger != nil {
		c.log = *opts.Logger
	}
	if opts.HTTPClient != nil {
		c.rc = resty.NewWithClient(opts.HTTPClient)
	} else {
		c.rc = resty.New()
	}
	c.rc.SetBaseURL(strings.TrimRight(opts.BaseURL, "/")).
		SetLogger(quietLogger{}).
		SetRetryCount(0) // retries are ours: per-endpoint policy and the injected clock
	if opts.Token != "" {
		c.rc.SetAuthToken(opts.Token)
	}
	return c, nil
}

// CallOption adjusts one call.
type CallOption func(*callOpts)

type callOpts struct{ idemKey string }

// WithIdempotencyKey sends key as the Idempotency-Key header so that a
// server which honours it (the built-in brain does) applies a replayed
// report once. Outboxes should derive the key from the report's identity.
func WithIdempotencyKey(key string) CallOption {
	return func(o *callOpts) { o.idemKey = key }
}

// call is one logical request.
type call struct {
	path    string
	account string
	safe    bool // may be retried
	body    []byte
	form    *ResultRequest
	idemKey string
}

// envelope is the reference server's answer; Ret is a pointer because its
// absence is the exception envelope.
type envelope struct {
	Ret  *int            `json:"ret"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

func (c *Client) postJSON(ctx context.Context, path, account string, safe bool, req, out any, opts []CallOption) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("brain %s: encode request: %w", path, err)
	}
	cl := call{path: path, account: account, safe: safe, body: body}
	for _, o := range opts {
		var co callOpts
		o(&co)
		if co.idemKey != "" {
			cl.idemKey = co.idemKey
		}
	}
	return c.do(ctx, cl, out)
}

func (c *Client) do(ctx context.Context, cl call, out any) error {
	if c.observe == nil {
		return c.doAttempts(ctx, cl, out)
	}
	// Latency is a real-world quantity: wall time, not the injected clock.
	start := time.Now()
	err := c.doAttempts(ctx, cl, out)
	c.observe(cl.path, Outcome(ctx, err), time.Since(start))
	return err
}

func (c *Client) doAttempts(ctx context.Context, cl call, out any) error {
	attempts := 1
	if cl.safe {
		attempts += c.retries
	}
	var err error
	for attempt := 1; ; attempt++ {
		var retryAfter time.Duration
		err, retryAfter = c.attempt(ctx, cl, attempt, out)
		if err == nil || attempt >= attempts || !retryable(ctx, err) {
			return err
		}
		wait := c.backoff(attempt)
		if retryAfter > 0 && retryAfter <= c.max {
			wait = retryAfter
		}
		if serr := c.clk.Sleep(ctx, wait); serr != nil {
			return err // the caller gave up; report the last failure
		}
	}
}

// retryable says whether a failed attempt may be repeated: transport
// errors (unless the caller's ctx ended), 429 and 5xx.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	return errors.Is(err, ErrTransport)
}

// backoff is exponential in the attempt with equal jitter, capped at max.
func (c *Client) backoff(attempt int) time.Duration {
	return clock.Backoff{Base: c.base, Max: c.max, Jitter: 0.5}.Delay(attempt)
}

func (c *Client) attempt(ctx context.Context, cl call, attempt int, out any) (error, time.Duration) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	r := c.rc.R().SetContext(actx)
	if cl.idemKey != "" {
		r.SetHeader("Idempotency-Key", cl.idemKey)
	}
	if c.cookie != "" && strings.HasPrefix(cl.path, "/backend/manage/") {
		r.SetCookie(&http.Cookie{Name: "user_name", Value: c.cookie})
	}
	if cl.form != nil {
		f := cl.form
		fields := map[string]string{
			"accountID":     f.AccountID,
			"candidateID":   f.CandidateID,
			"candidateName": f.CandidateName,
		}
		for k, v := range map[string]string{"jobID": f.JobID, "phone": f.Phone, "wechat": f.Wechat, "filename": f.Filename} {
			if v != "" {
				fields[k] = v
			}
		}
		r.SetMultipartFormData(fields)
		if f.CV != nil {
			name := f.Filename
			if name == "" {
				name = "cv"
			}
			r.SetFileReader("cv", name, bytes.NewReader(f.CV))
		}
	} else {
		r.SetHeader("Content-Type", "application/json").SetBody(cl.body)
	}
	// Latency is telemetry of a real network round trip, so it is measured
	// on the wall clock rather than the injected (possibly scaled) clock.
	start := time.Now()
	resp, err := r.Post(cl.path)
	lat := time.Since(start)
	ev := func(outcome string, e error) {
		l := c.log.Info()
		if e != nil {
			l = c.log.Warn().Err(e)
		}
		l.Str("endpoint", cl.path).Str("accountID", cl.account).Dur("latency", lat).
			Int("attempt", attempt).Str("outcome", outcome).Msg("brain call")
	}
	if err != nil {
		terr := &TransportError{Endpoint: cl.path, Err: err}
		ev("transport", terr)
		return terr, 0
	}
	code := resp.StatusCode()
	body := resp.Body()
	if code == http.StatusTooManyRequests || code >= 500 {
		serr := &StatusError{Endpoint: cl.path, Code: code, Body: snippet(body)}
		ev("http_"+strconv.Itoa(code), serr)
		return serr, retryAfter(resp.Header().Get("Retry-After"))
	}
	var env envelope
	if jerr := json.Unmarshal(body, &env); jerr != nil {
		var e error = &DecodeError{Endpoint: cl.path, Err: jerr}
		outcome := "decode"
		if code < 200 || code > 299 {
			e = &StatusError{Endpoint: cl.path, Code: code, Body: snippet(body)}
			outcome = "http_" + strconv.Itoa(code)
		}
		ev(outcome, e)
		return e, 0
	}
	if env.Ret == nil {
		aerr := &APIError{Endpoint: cl.path, Msg: env.Msg, Reason: env.Msg}
		ev("no_ret", aerr)
		return aerr, 0
	}
	if *env.Ret != 0 {
		reason := env.Msg
		var s string
		if json.Unmarshal(env.Data, &s) == nil && s != "" {
			reason = s
		}
		aerr := &APIError{Endpoint: cl.path, HasRet: true, Ret: *env.Ret, Msg: env.Msg, Reason: reason}
		ev("rejected", aerr)
		return aerr, 0
	}
	if out != nil {
		if jerr := json.Unmarshal(env.Data, out); jerr != nil {
			derr := &DecodeError{Endpoint: cl.path, Err: jerr}
			ev("decode", derr)
			return derr, 0
		}
	}
	ev("ok", nil)
	return nil, 0
}

func retryAfter(h string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}

// snippet is the start of a response body for an error message: at most
// 200 bytes, cut at a rune boundary so Chinese text stays valid UTF-8.
func snippet(b []byte) string {
	const max = 200
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// quietLogger keeps resty from printing on its own; the client logs.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
