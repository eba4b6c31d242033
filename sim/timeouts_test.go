package sim

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/internal/config"
	"github.com/hunterbot/hunterbot/internal/httpserve"
)

// server.timeouts is read strictly, defaults to httpserve.Defaults, and
// every one of its four keys reaches the site's http.Server.
func TestScenarioServerTimeouts(t *testing.T) {
	s, err := New(parseTestScenario(t, nil), clock.NewManual(time.Now()), 1, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Timeouts(); got != httpserve.Defaults {
		t.Fatalf("no server section: timeouts %+v, want the defaults %+v", got, httpserve.Defaults)
	}

	sc, err := ParseScenario([]byte(testScenario+"server:\n  timeouts:\n    read_header: 1s\n    read: 2s\n    write: 3s\n    idle: 4s\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s, err = New(sc, clock.NewManual(sc.Start), 1, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	hs := s.Server()
	if hs.ReadHeaderTimeout != time.Second || hs.ReadTimeout != 2*time.Second || hs.WriteTimeout != 3*time.Second || hs.IdleTimeout != 4*time.Second {
		t.Fatalf("server timeouts: read_header %v, read %v, write %v, idle %v; want 1s 2s 3s 4s",
			hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout)
	}

	// A key left out keeps its default.
	sc, err = ParseScenario([]byte(testScenario+"server:\n  timeouts:\n    idle: 4s\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sc.Server.Timeouts.WithDefaults().Read, httpserve.Defaults.Read; got != want {
		t.Fatalf("read without a key: %v, want the default %v", got, want)
	}

	for _, c := range []struct{ yaml, want string }{
		{"server:\n  timeouts:\n    read: -1s\n", "server.timeouts.read: must not be negative"},
		{"server:\n  timeouts:\n    read_header: -5ms\n", "server.timeouts.read_header: must not be negative"},
		{"server:\n  timeouts:\n    write: -1m\n", "server.timeouts.write: must not be negative"},
		{"server:\n  timeouts:\n    idle: -2h\n", "server.timeouts.idle: must not be negative"},
		{"server:\n  timeouts:\n    reed: 1s\n", "reed"},
		{"server:\n  timeouts:\n    idle: soon\n", "soon"},
	} {
		_, err := ParseScenario([]byte(testScenario+c.yaml), "t.yaml")
		if err == nil || !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one naming %q", c.yaml, err, c.want)
		}
	}
}

// The site's server cuts a client that trickles a body and one that parks
// an idle keep-alive, while a normal client is served.
func TestSimServerShedsSlowClients(t *testing.T) {
	sc, err := ParseScenario([]byte(testScenario+"server:\n  timeouts:\n    read: 300ms\n    idle: 300ms\n"), "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(sc, clock.NewManual(sc.Start), 1, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.Server()
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		_ = hs.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	addr := ln.Addr().String()

	// A normal client logs in.
	resp, err := newClient(t).PostForm("http://"+addr+"/wapi/zppassport/login/account",
		url.Values{"account": {"boss"}, "password": {"secret"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"code":0`) {
		t.Fatalf("login with short timeouts: %s", body)
	}

	for _, c := range []struct{ what, req string }{
		// Five of the 500 announced bytes, then nothing: the login handler
		// waits on the body until the read timeout ends it.
		{"trickled body", "POST /wapi/zppassport/login/account HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"a\":"},
		{"idle keep-alive", "GET /web/user/ HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, c.req); err != nil {
			t.Fatal(err)
		}
		// The condition is the server closing the connection (EOF after
		// whatever it answered). The 20 s read deadline is only a hang
		// guard, and it is below the defaults (read 30s, idle 90s), so
		// only the configured timeouts can end the connection in time.
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err = io.ReadAll(conn)
		conn.Close()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("%s: the sim kept the connection open", c.what)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
	}
}
