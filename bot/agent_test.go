package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

func TestSessionRestoresOrLogsIn(t *testing.T) {
	tests := []struct {
		name      string
		saved     bool // a session blob from an earlier run is in worker.db
		expired   bool
		loggedIn  bool
		method    string
		password  string
		env       string
		wantErr   error
		wantState AccountState
	}{
		{name: "already logged in", loggedIn: true, wantState: StateRunning},
		{name: "restores the saved session", saved: true, wantState: StateRunning},
		{name: "expired session logs in with the password", saved: true, expired: true, method: "password", password: "pw", wantState: StateRunning},
		{name: "password from the environment", method: "password", env: "pw", wantState: StateRunning},
		{name: "rejected password", method: "password", password: "wrong", wantErr: pages.ErrLoginRejected, wantState: StateStarting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, func(a *AccountConfig) {
				a.Login = LoginConfig{Method: tt.method, Username: "rec1", Password: tt.password}
				if tt.env != "" {
					a.Login.Password, a.Login.PasswordEnv = "", "HB_TEST_PW"
					t.Setenv("HB_TEST_PW", tt.env)
				}
			})
			h.site.password = "pw"
			h.site.loggedIn, h.site.expired = tt.loggedIn, tt.expired
			if tt.saved {
				if err := h.db.Update(func(tx *worker.Tx) error { return tx.PutSession("acc1", []byte(fakeSessionBlob)) }); err != nil {
					t.Fatal(err)
				}
			}
			err := h.agent.session(context.Background())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("session = %v, want %v", err, tt.wantErr)
			}
			if st := h.agent.Status().State; st != tt.wantState {
				t.Fatalf("state %s, want %s", st, tt.wantState)
			}
			if tt.saved && len(h.site.restored) != 1 {
				t.Fatalf("restored %d sessions, want 1", len(h.site.restored))
			}
			if err != nil {
				return
			}
			if h.agent.me.UserID != fakeRecruiterUID {
				t.Fatalf("recruiter uid %d", h.agent.me.UserID)
			}
			var blob []byte
			_ = h.db.View(func(tx *worker.Tx) (err error) { blob, err = tx.Session("acc1"); return })
			if string(blob) != fakeSessionBlob {
				t.Fatalf("saved session %q", blob)
			}
		})
	}
}

func TestQRLoginWaitsForAHuman(t *testing.T) {
	h := newHarness(t, func(a *AccountConfig) { a.Login = LoginConfig{Method: "qr"} })
	h.site.loggedIn, h.site.qrRounds = false, 2
	if err := h.agent.session(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(h.alerts) != 1 || h.alerts[0].State != StateNeedsLogin {
		t.Fatalf("alerts = %+v, want one needs_login", h.alerts)
	}
	qr := filepath.Join(h.agent.DataDir, "qr", "acc1.png")
	fi, err := os.Stat(qr)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("qr file: %v %v, want 0600", err, fi)
	}
	if st := h.agent.Status().State; st != StateRunning {
		t.Fatalf("state %s after the scan", st)
	}
}

// runUntil runs the agent until stop reports true from inside the site's
// OpenChat (the agent's first action of every cycle and its only look at
// the site while paused); it returns the states seen at each OpenChat.
func (h *harness) runUntil(open func(n int) error, stop func(n int) bool) []AccountState {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var seen []AccountState
	h.site.openChat = func(n int) error {
		seen = append(seen, h.agent.Status().State)
		if stop(n) {
			cancel()
			return context.Canceled
		}
		return open(n)
	}
	if err := h.agent.Run(ctx); err != nil {
		h.t.Fatalf("Run = %v", err)
	}
	if st := h.agent.Status().State; st != StateStopped {
		h.t.Fatalf("state after Run = %s, want stopped", st)
	}
	return seen
}

func alertStates(h *harness) []AccountState {
	var out []AccountState
	for _, s := range h.alerts {
		out = append(out, s.State)
	}
	return out
}

func TestRunHandlesEveryRiskSignal(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(h *harness)
		open   func(h *harness) func(n int) error
		stopAt int
		seen   []AccountState // state at each OpenChat before the stop
		alerts []AccountState
		idle   bool // no site action besides OpenChat while paused
	}{
		{
			name: "risk page pauses until a human clears it",
			open: func(h *harness) func(int) error {
				return func(n int) error {
					if n <= 3 {
						return fmt.Errorf("verify page: %w", pages.ErrRisk)
					}
					return nil
				}
			},
			stopAt: 6,
			seen:   []AccountState{StateRunning, StatePausedRisk, StatePausedRisk, StatePausedRisk, StateRunning},
			alerts: []AccountState{StatePausedRisk},
			idle:   true,
		},
		{
			name: "site risk code pauses too",
			open: func(h *harness) func(int) error {
				return func(n int) error {
					if n == 1 {
						return &pages.SiteError{Code: 36, Message: "操作频繁"}
					}
					return nil
				}
			},
			stopAt: 3,
			seen:   []AccountState{StateRunning, StatePausedRisk},
			alerts: []AccountState{StatePausedRisk},
		},
		{
			name:  "logout logs in again",
			setup: func(h *harness) { h.site.expired = true },
			open: func(h *harness) func(int) error {
				return func(n int) error {
					if n == 1 {
						h.site.loggedIn = false
						return fmt.Errorf("friend list: %w", pages.ErrLoggedOut)
					}
					return nil
				}
			},
			stopAt: 2,
			seen:   []AccountState{StateRunning},
			alerts: []AccountState{StateNeedsLogin},
		},
		{
			name:  "other errors back off and retry",
			setup: func(h *harness) { h.site.rowsErr = errBoom },
			open: func(h *harness) func(int) error {
				return func(n int) error {
					if n == 2 {
						h.site.rowsErr = nil
					}
					return nil
				}
			},
			stopAt: 3,
			seen:   []AccountState{StateRunning, StateRunning}, // session() is back to running before the next look
			alerts: []AccountState{StateError},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			seen := h.runUntil(tt.open(h), func(n int) bool { return n == tt.stopAt })
			if got := seen[:len(seen)-1]; !slices.Equal(got, tt.seen) {
				t.Errorf("states at each look = %q, want %q", got, tt.seen)
			}
			if last := seen[len(seen)-1]; tt.stopAt > 1 && last != StateRunning {
				t.Errorf("state before stopping = %s, want running again", last)
			}
			if got := alertStates(h); !slices.Equal(got, tt.alerts) {
				t.Errorf("alerts %q, want %q", got, tt.alerts)
			}
			if tt.idle {
				calls := h.site.callLog()
				// open_chat fails, three looks while paused (the third one
				// clear), then the next cycle opens the chat and reads it.
				if i := slices.Index(calls, "rows"); i != 5 {
					t.Errorf("site calls %q: the paused account acted before the risk cleared", calls)
				}
			}
		})
	}
}

func TestPageTimeoutsRetryBeforeAnError(t *testing.T) {
	timeout := fmt.Errorf("open conversation 42: %w", context.DeadlineExceeded)
	t.Run("one timeout keeps the account running, no alert", func(t *testing.T) {
		h := newHarness(t)
		h.site.rowsErr = timeout
		var at []time.Time
		seen := h.runUntil(func(n int) error {
			at = append(at, h.clk.Now())
			if n == 2 { // the first cycle's chat-list read timed out
				h.site.rowsErr = nil
			}
			return nil
		}, func(n int) bool { return n == 3 })
		if slices.Contains(seen, StateError) {
			t.Errorf("states at each look = %q: a single page timeout put the account in error", seen)
		}
		if got := alertStates(h); len(got) != 0 {
			t.Errorf("alerts %q, want none", got)
		}
		if gap := at[1].Sub(at[0]); gap < timeoutRetry || gap >= time.Minute {
			t.Errorf("retry after %v, want the short timeout retry %v", gap, timeoutRetry)
		}
	})
	t.Run("a run of timeouts is an error", func(t *testing.T) {
		h := newHarness(t)
		h.site.rowsErr = timeout
		h.runUntil(func(int) error { return nil }, func(n int) bool { return n == transientTimeouts+2 })
		if got := alertStates(h); !slices.Equal(got, []AccountState{StateError}) {
			t.Errorf("alerts %q, want one error after %d timeouts in a row", got, transientTimeouts+1)
		}
	})
}

func TestErrorBackoffDoublesAndIsCapped(t *testing.T) {
	h := newHarness(t)
	h.site.rowsErr = errBoom
	var at []time.Time
	h.runUntil(func(int) error { at = append(at, h.clk.Now()); return nil }, func(n int) bool { return n == 9 })
	var gaps []time.Duration
	for i := 1; i < len(at); i++ {
		gaps = append(gaps, at[i].Sub(at[i-1]).Round(time.Minute))
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, 32 * time.Minute}
	if !slices.Equal(gaps, want) {
		t.Fatalf("retry gaps %v, want %v", gaps, want)
	}
}

func TestStatusAndAlertOnlyOnChange(t *testing.T) {
	h := newHarness(t)
	h.agent.setState(StateRunning, nil)
	h.agent.setState(StateError, errBoom)
	h.agent.setState(StateError, errBoom)
	h.agent.setState(StateQuota, pages.ErrQuota)
	if got := alertStates(h); !slices.Equal(got, []AccountState{StateError, StateQuota}) {
		t.Fatalf("alerts %q", got)
	}
	if st := h.agent.Status(); st.LastError != pages.ErrQuota.Error() || st.Account != "acc1" || st.Name != "Account One" {
		t.Fatalf("status %+v", st)
	}
}

func TestJobIDMapping(t *testing.T) {
	h := newHarness(t)
	tests := []struct{ brain, site string }{
		{"job_boss_101", "101"},        // configured
		{"job_boss_777", "777"},        // derived from the platform
		{"job_other_5", "job_other_5"}, // foreign prefix kept
	}
	for _, tt := range tests {
		if got := h.agent.siteJobID(tt.brain); got != tt.site {
			t.Errorf("siteJobID(%s) = %s, want %s", tt.brain, got, tt.site)
		}
	}
	if got := h.agent.brainJobID("101"); got != "job_boss_101" {
		t.Errorf("brainJobID(101) = %s", got)
	}
	if got := h.agent.brainJobID("888"); got != "job_boss_888" {
		t.Errorf("brainJobID(888) = %s", got)
	}
}

func TestAccountWideClassification(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{pages.ErrRisk, true},
		{&pages.SiteError{Code: 37}, true},
		{pages.ErrLoggedOut, true},
		{fmt.Errorf("greet: %w", ErrDailyCap), true},
		{worker.ErrSchema, true},
		{worker.ErrInvalid, true},
		{pages.ErrQuota, false},
		{pages.ErrNotFound, false},
		{errUnknown, false},
		{errBoom, false},
	}
	for _, tt := range tests {
		if got := accountWide(tt.err); got != tt.want {
			t.Errorf("accountWide(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

// fakeRelay records what the agent relays to the control plane.
type fakeRelay struct {
	qrs      []relayedQR
	loggedIn int
	sessions int
}

type relayedQR struct {
	png     string
	expires time.Time
}

func (r *fakeRelay) QR(_ context.Context, png []byte, expires time.Time) {
	r.qrs = append(r.qrs, relayedQR{string(png), expires})
}
func (r *fakeRelay) LoggedIn(context.Context)        { r.loggedIn++ }
func (r *fakeRelay) Session(context.Context, []byte) { r.sessions++ }

// Every code the login page shows is relayed when the page shows it, with
// the expiry the site gave it (the default when the page did not say), and
// the file on disk always holds the newest code.
func TestQRRelayedWhenThePageRefreshesIt(t *testing.T) {
	h := newHarness(t, func(a *AccountConfig) { a.Login = LoginConfig{Method: "qr"} })
	relay := &fakeRelay{}
	h.agent.Relay = relay
	// Two rounds (the first ends unscanned and the login page is opened
	// again), and the page refreshes its code twice in each.
	h.site.loggedIn, h.site.qrRounds, h.site.qrRefreshes = false, 2, 2
	if err := h.agent.session(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(relay.qrs) != 6 || relay.loggedIn != 1 || relay.sessions != 1 {
		t.Fatalf("relayed %d codes, %d logins, %d sessions; want 6, 1, 1", len(relay.qrs), relay.loggedIn, relay.sessions)
	}
	// Codes 1 and 4 open a round, the others are refreshes two minutes
	// apart; codes 3 and 6 came without a TTL (default 2 minutes).
	for i, min := range []int{2, 4, 6, 6, 8, 10} {
		want := relayedQR{fmt.Sprintf("\x89PNG fake qr %d", i+1), testStart.Add(time.Duration(min) * time.Minute)}
		if got := relay.qrs[i]; got.png != want.png || !got.expires.Equal(want.expires) {
			t.Fatalf("code %d relayed %q expiring %s, want %q expiring %s", i+1, got.png, got.expires, want.png, want.expires)
		}
	}
	onDisk, err := os.ReadFile(filepath.Join(h.agent.DataDir, "qr", "acc1.png"))
	if err != nil || string(onDisk) != "\x89PNG fake qr 6" {
		t.Fatalf("qr file holds %q (%v), want the newest code", onDisk, err)
	}
}
