package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// authorized checks the request's bearer token. The scheme is matched
// case-insensitively (RFC 9110 §11.1), as the control plane does, and the
// tokens are compared in constant time over fixed-length digests so
// neither content nor length leaks through timing.
func (s *Server) authorized(r *http.Request) bool {
	if s.token == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	const p = "bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(p):])))
	want := sha256.Sum256([]byte(s.token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// debugAllowed guards GET /debug/decisions, which shows candidates' age,
// degree and location checks: it needs a configured token (and the request
// to carry it, checked by wrap). Without one the route is off.
func (s *Server) debugAllowed(w http.ResponseWriter) bool {
	if s.token != "" {
		return true
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintln(w, `{"ret":-1,"msg":"fail","data":"/debug/decisions needs server.token to be set"}`)
	return false
}

// ErrExposedWithoutToken is returned by CheckExposure.
var ErrExposedWithoutToken = errors.New("refusing to listen beyond loopback without server.token (set a token, or listen on 127.0.0.1)")

// CheckExposure refuses a listen address that is reachable from other
// machines when no token is set: the brain's routes would then be open to
// the network. Loopback addresses and names that resolve only to loopback
// are fine without a token; an empty host or 0.0.0.0/:: (every interface)
// is not.
func CheckExposure(addr, token string) error {
	if token != "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("server.addr: %v", err)
	}
	if host == "" {
		return fmt.Errorf("%s: %w", addr, ErrExposedWithoutToken)
	}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s: %w", addr, ErrExposedWithoutToken)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("server.addr: resolve %s: %v", host, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return fmt.Errorf("%s (%s): %w", addr, ip.IP, ErrExposedWithoutToken)
		}
	}
	return nil
}
