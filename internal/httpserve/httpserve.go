// Package httpserve builds the http.Server of every hunterbot listener
// (control plane, brain, sim) with read-header, read, write and idle
// timeouts, so a client that trickles a body, never reads an answer or
// parks an idle keep-alive cannot hold a connection (and its goroutine and
// buffers) for ever. Handlers whose answers are legitimately long (backups,
// exports) extend their own write deadline with Extend.
package httpserve

import (
	"fmt"
	"net/http"
	"time"
)

// Timeouts are the per-connection limits of a server. A zero field takes
// its default from Defaults.
type Timeouts struct {
	// ReadHeader bounds reading the request line and headers.
	ReadHeader time.Duration `yaml:"read_header"`
	// Read bounds reading the whole request, body included.
	Read time.Duration `yaml:"read"`
	// Write bounds the time from the end of the request headers to the end
	// of the answer; long answers call Extend.
	Write time.Duration `yaml:"write"`
	// Idle bounds how long a keep-alive connection waits for its next
	// request.
	Idle time.Duration `yaml:"idle"`
}

// Defaults are generous for a human or a worker on a slow link and short
// enough that a few hundred hostile connections are shed within a minute.
var Defaults = Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second, Idle: 90 * time.Second}

// WithDefaults returns t with every zero field set from Defaults.
func (t Timeouts) WithDefaults() Timeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = Defaults.ReadHeader
	}
	if t.Read <= 0 {
		t.Read = Defaults.Read
	}
	if t.Write <= 0 {
		t.Write = Defaults.Write
	}
	if t.Idle <= 0 {
		t.Idle = Defaults.Idle
	}
	return t
}

// Validate names the negative key; prefix is the YAML path of the section
// (e.g. "timeouts").
func (t Timeouts) Validate(prefix string) error {
	// A slice, not a map: with several bad keys the error always names the
	// first one in the order the docs list them.
	for _, f := range []struct {
		key string
		d   time.Duration
	}{{"read_header", t.ReadHeader}, {"read", t.Read}, {"write", t.Write}, {"idle", t.Idle}} {
		if f.d < 0 {
			return fmt.Errorf("%s.%s: must not be negative, got %v", prefix, f.key, f.d)
		}
	}
	return nil
}

// New returns a server for h with t's timeouts (zero fields defaulted).
func New(h http.Handler, t Timeouts) *http.Server {
	t = t.WithDefaults()
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read,
		WriteTimeout: t.Write, IdleTimeout: t.Idle}
}

// Extend gives the answer being written on w its own deadline, d from now,
// replacing the server's write timeout for this request only. It is for
// answers whose size is not bounded by the request (backups, exports). On a
// ResponseWriter that cannot set deadlines (httptest recorders) it is a
// no-op.
func Extend(w http.ResponseWriter, d time.Duration) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
}
