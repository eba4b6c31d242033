package httpserve

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serve runs New(h, t) on a loopback listener.
func serve(t *testing.T, h http.Handler, to Timeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := New(h, to)
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// closedByServer waits (bounded by a generous limit that only guards
// against a hang) until the server closes c, reading what it sends.
func closedByServer(t *testing.T, c net.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server kept the connection open (read so far %q)", b)
	}
	return string(b)
}

func TestDefaultsAreSet(t *testing.T) {
	hs := New(http.NotFoundHandler(), Timeouts{})
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 {
		t.Fatalf("a timeout is unset: %+v", hs)
	}
	if err := (Timeouts{Read: -1}).Validate("timeouts"); err == nil || !strings.Contains(err.Error(), "timeouts.read") {
		t.Fatalf("negative: %v", err)
	}
}

// A body trickled slower than the read timeout is cut off.
func TestTrickledBodyIsCutOff(t *testing.T) {
	got := make(chan error, 1)
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		got <- err
	}), Timeouts{Read: 300 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab"); err != nil {
		t.Fatal(err)
	}
	// No more bytes: the handler's read must fail, and the connection end.
	if err := <-got; err == nil {
		t.Fatal("the handler read a body that never arrived")
	}
	closedByServer(t, c)
}

// A connection that never finishes its headers is closed.
func TestSlowHeadersAreCutOff(t *testing.T) {
	addr := serve(t, http.NotFoundHandler(), Timeouts{ReadHeader: 200 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
	closedByServer(t, c)
}

// An idle keep-alive connection is closed after the idle timeout.
func TestIdleKeepAliveIsClosed(t *testing.T) {
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }),
		Timeouts{Idle: 200 * time.Millisecond})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first request: %v", err)
	}
	io.ReadAll(io.LimitReader(resp.Body, 2))
	closedByServer(t, c)
}

// Extend gives one answer a deadline beyond the server's write timeout.
// The long request starts first; a later short one writes until its own
// write deadline has passed (its write fails), so the long one's original
// deadline has passed too; only then does the long one answer, and that
// answer must reach the client.
func TestExtendOutlivesTheWriteTimeout(t *testing.T) {
	longStarted, shortFailed := make(chan struct{}), make(chan struct{})
	addr := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		switch r.URL.Path {
		case "/long":
			Extend(w, time.Minute)
			close(longStarted)
			<-shortFailed
			io.WriteString(w, "done")
		case "/short":
			chunk := []byte(strings.Repeat("x", 4096))
			for {
				_, err := w.Write(chunk)
				if err == nil {
					err = rc.Flush()
				}
				if err != nil {
					close(shortFailed)
					return
				}
			}
		}
	}), Timeouts{Write: 200 * time.Millisecond})
	get := func(path string) string {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return "error: " + err.Error()
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return "error: " + err.Error()
		}
		return string(b)
	}
	long := make(chan string, 1)
	go func() { long <- get("/long") }()
	<-longStarted
	if got := get("/short"); !strings.HasPrefix(got, "error") {
		t.Fatalf("the short answer was not cut off by the write timeout (%d bytes)", len(got))
	}
	if got := <-long; got != "done" {
		t.Fatalf("extended answer: %q", got)
	}
}
