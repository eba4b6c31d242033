package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// OutboundConfig is the `outbound:` section of the control plane config:
// where alert webhooks and keyword-hit callbacks may connect. Loopback,
// link-local, private and other non-public ranges are refused unless Allow
// names them, so an operator-set URL cannot make the control plane probe or
// call services on its own host or network.
type OutboundConfig struct {
	// Allow lists addresses (10.0.0.7) or ranges (10.0.0.0/8, ::1/128) that
	// outbound requests may reach even though they are not public.
	Allow []string `yaml:"allow"`
}

// prefixes parses Allow; an error names the entry.
func (c OutboundConfig) prefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(c.Allow))
	for i, s := range c.Allow {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("outbound.allow[%d]: must be an IP address or a CIDR range", i)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// nonPublic are ranges the netip predicates do not cover but that never
// belong to a webhook receiver on the internet.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64: may embed a private IPv4
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("100::/64"),       // discard
	netip.MustParsePrefix("2002::/16"),      // 6to4: may embed a private IPv4
	netip.MustParsePrefix("2001::/32"),      // Teredo: may embed a private IPv4
	netip.MustParsePrefix("::/128"),         // unspecified
	netip.MustParsePrefix("255.255.255.255/32"),
}

// errForbiddenAddr is returned (wrapped) by a dial the guard refused.
var errForbiddenAddr = errors.New("address is not public and not in outbound.allow")

// outboundGuard decides which resolved addresses outbound requests may
// reach.
type outboundGuard struct{ allow []netip.Prefix }

// check returns nil when ip is public or explicitly allowed.
func (g outboundGuard) check(ip netip.Addr) error {
	ip = ip.Unmap()
	for _, p := range g.allow {
		if p.Contains(ip) {
			return nil
		}
	}
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return fmt.Errorf("%s: %w", ip, errForbiddenAddr)
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return fmt.Errorf("%s: %w", ip, errForbiddenAddr)
		}
	}
	return nil
}

// control runs after name resolution, on the very address the socket is
// about to connect to; checking here (not when the URL is saved) is what
// defeats DNS rebinding: whatever a name resolves to at delivery time is
// what gets checked.
func (g outboundGuard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("outbound dial %q: %w", address, errForbiddenAddr)
	}
	return g.check(ap.Addr())
}

// client returns an HTTP client whose every connection passes the guard.
// It ignores proxy environment variables (a proxy would be the one dialled
// and checked, not the receiver) and follows no redirects (a receiver
// answers 2xx or the delivery failed).
func (g outboundGuard) client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Timeout: timeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// checkURL refuses, when it is saved, a URL whose host is a literal
// address (or "localhost") the guard would refuse at delivery, so the
// operator learns at once; names are checked again on every dial.
func (g outboundGuard) checkURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return errBadRequest(field, "must be an http(s) URL")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		host = "127.0.0.1"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := g.check(ip); err != nil {
			return errBadRequest(field, "%v (add it to outbound.allow in the control plane config to permit it)", err)
		}
	}
	return nil
}
