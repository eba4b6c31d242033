package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hunterbot/hunterbot/internal/httpserve"
)

// Config is the `metrics:` section of a worker config: its own listen
// address, off by default. HUNTERBOT_METRICS_TOKEN overrides Token.
type Config struct {
	// Addr is where /metrics listens (e.g. 127.0.0.1:9464); empty: off.
	Addr string `yaml:"addr"`
	// Token, when set, is the Bearer token scrapes must carry. Required
	// when Addr is not a loopback address.
	Token string `yaml:"token"`
}

// ApplyEnv lets HUNTERBOT_METRICS_TOKEN supply the token.
func (c *Config) ApplyEnv(getenv func(string) string) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := getenv("HUNTERBOT_METRICS_TOKEN"); v != "" {
		c.Token = v
	}
}

// Validate names the bad key under prefix (e.g. "metrics").
func (c Config) Validate(prefix string) error {
	if c.Addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("%s.addr: %v", prefix, err)
	}
	if c.Token == "" && !isLoopback(host) {
		return fmt.Errorf("%s.token: required when %s.addr is not a loopback address (or set HUNTERBOT_METRICS_TOKEN)", prefix, prefix)
	}
	if c.Token != "" && len(c.Token) < 16 {
		return fmt.Errorf("%s.token: must be at least 16 characters", prefix)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Server is a running metrics listener.
type Server struct {
	hs *http.Server
	ln net.Listener
}

// Listen opens cfg.Addr and serves reg's /metrics on it (with cfg.Token)
// until Close.
func Listen(cfg Config, reg *prometheus.Registry) (*Server, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen %s: %w", cfg.Addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler(reg, cfg.Token, nil))
	s := &Server{hs: httpserve.New(mux, httpserve.Timeouts{}), ln: ln}
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

// Addr is the address the listener is bound to.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the listener, letting a scrape in progress finish briefly.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.hs.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
