package api

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// ThrottleConfig tunes how /oauth/token slows down credential guessing
// (the `auth.throttle` section of the control plane config). Failures are
// counted per remote address, per OAuth client and per username; once a
// key has had Free failures, every further failure locks it for Base,
// doubling up to Max. A success clears the client's and the user's count.
type ThrottleConfig struct {
	Free int           `yaml:"free"` // failures allowed before backoff (default 5)
	Base time.Duration `yaml:"base"` // first lockout (default 1s)
	Max  time.Duration `yaml:"max"`  // longest lockout (default 15m)
	// Forget drops a key's count after this long without failures
	// (default 1h).
	Forget time.Duration `yaml:"forget"`
	// BurstFailures in one BurstWindow across all keys log a warning and
	// raise an auth_burst alert (defaults 20 per minute).
	BurstFailures int           `yaml:"burst_failures"`
	BurstWindow   time.Duration `yaml:"burst_window"`
}

func (c ThrottleConfig) withDefaults() ThrottleConfig {
	if c.Free <= 0 {
		c.Free = 5
	}
	if c.Base <= 0 {
		c.Base = time.Second
	}
	if c.Max <= 0 {
		c.Max = 15 * time.Minute
	}
	if c.Forget <= 0 {
		c.Forget = time.Hour
	}
	if c.BurstFailures <= 0 {
		c.BurstFailures = 20
	}
	if c.BurstWindow <= 0 {
		c.BurstWindow = time.Minute
	}
	return c
}

func (c ThrottleConfig) validate() error {
	if c.Free < 0 || c.BurstFailures < 0 {
		return fmt.Errorf("auth.throttle: counts must not be negative")
	}
	for k, d := range map[string]time.Duration{"base": c.Base, "max": c.Max, "forget": c.Forget, "burst_window": c.BurstWindow} {
		if d < 0 {
			return fmt.Errorf("auth.throttle.%s: must not be negative", k)
		}
	}
	return nil
}

// throttleMaxKeys bounds the table; past it, forgotten keys are swept and,
// if that is not enough, remote-address keys go first (a spray of source
// addresses must not evict a user's lockout).
const throttleMaxKeys = 10000

type throttleEntry struct {
	fails int
	last  time.Time // last failure
	until time.Time // locked until
}

// throttle is the in-memory failure table. It is per process on purpose:
// it protects this server's CPU and slows online guessing; a restart
// forgets it, which an attacker cannot trigger.
type throttle struct {
	cfg   ThrottleConfig
	clk   clock.Clock
	mu    sync.Mutex
	keys  map[string]*throttleEntry
	burst struct {
		start   time.Time
		n       int
		alerted bool
	}
}

func newThrottle(cfg ThrottleConfig, clk clock.Clock) *throttle {
	if clk == nil {
		clk = clock.Real{}
	}
	return &throttle{cfg: cfg.withDefaults(), clk: clk, keys: map[string]*throttleEntry{}}
}

// locked returns how long the first locked key of keys stays locked (0:
// none is).
func (t *throttle) locked(keys ...string) time.Duration {
	now := t.clk.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		if e := t.keys[k]; e != nil && now.Before(e.until) {
			wait = max(wait, e.until.Sub(now))
		}
	}
	return wait
}

// fail counts a failure against keys and reports whether this failure
// completed a burst (true once per burst window).
func (t *throttle) fail(keys ...string) (burst bool) {
	now := t.clk.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		e := t.keys[k]
		if e == nil || now.Sub(e.last) > t.cfg.Forget {
			if e == nil && len(t.keys) >= throttleMaxKeys {
				t.sweepLocked(now)
			}
			e = &throttleEntry{}
			t.keys[k] = e
		}
		e.fails++
		e.last = now
		if over := e.fails - t.cfg.Free; over > 0 {
			d := t.cfg.Base << min(over-1, 30)
			if d > t.cfg.Max || d <= 0 {
				d = t.cfg.Max
			}
			e.until = now.Add(d)
		}
	}
	if now.Sub(t.burst.start) > t.cfg.BurstWindow {
		t.burst.start, t.burst.n, t.burst.alerted = now, 0, false
	}
	t.burst.n++
	if t.burst.n >= t.cfg.BurstFailures && !t.burst.alerted {
		t.burst.alerted = true
		return true
	}
	return false
}

// ok clears keys after a success.
func (t *throttle) ok(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.keys, k)
	}
}

func (t *throttle) sweepLocked(now time.Time) {
	for k, e := range t.keys {
		if now.Sub(e.last) > t.cfg.Forget && !now.Before(e.until) {
			delete(t.keys, k)
		}
	}
	for k := range t.keys {
		if len(t.keys) < throttleMaxKeys {
			return
		}
		if len(k) > 3 && k[:3] == "ip:" {
			delete(t.keys, k)
		}
	}
	for k := range t.keys { // still full: oldest-agnostic eviction
		if len(t.keys) < throttleMaxKeys {
			return
		}
		delete(t.keys, k)
	}
}

// remoteKey is the throttle key of r's source address.
func remoteKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

// errThrottled is the 429 of a locked key; Retry-After is set by the
// caller.
func errThrottled(w http.ResponseWriter, wait time.Duration) error {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	return &apiError{Status: http.StatusTooManyRequests, Field: "throttle",
		Msg: fmt.Sprintf("too many failed attempts; retry in %d s", max(secs, 1))}
}
