// Package netguard keeps outbound HTTP requests whose URL an operator or a
// config sets (alert webhooks, IM robots, keyword-hit callbacks, model
// endpoints) away from the services on the host's own machine and network:
// loopback, link-local, private and other non-public addresses are refused
// unless the config's allow list names them.
//
// The check runs when a socket is about to connect, on the resolved
// address, so a name that resolves (or rebinds) to an internal address is
// caught at every request; CheckURL also refuses a literal internal host
// when the URL is saved, so the operator learns it at once.
package netguard

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

// ErrForbidden is wrapped by every refusal: errors.Is(err, ErrForbidden)
// holds for a refused dial's error too.
var ErrForbidden = errors.New("address is not public and not allowed")

// ErrNotHTTP is returned by CheckURL for a URL that is not http(s) with a
// host.
var ErrNotHTTP = errors.New("must be an http(s) URL")

// ForbiddenError is a refused address and the allow-list key that would
// permit it.
type ForbiddenError struct {
	Addr netip.Addr
	Key  string
}

// Error implements error.
func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("%s: address is not public and not in %s", e.Addr, e.Key)
}

// Unwrap makes errors.Is(err, ErrForbidden) true.
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// nonPublic are ranges the netip predicates do not cover but that never
// belong to a receiver on the internet.
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

// Guard decides which resolved addresses outbound connections may reach.
// The zero Guard refuses every non-public address.
type Guard struct {
	key   string // the allow list's config key, for messages
	allow []netip.Prefix
}

// New parses an allow list of addresses (10.0.0.7, ::1) and ranges
// (10.0.0.0/8); key is its config key (outbound.allow, llm.allow), named
// by errors and refusals.
func New(key string, allow []string) (Guard, error) {
	g := Guard{key: key, allow: make([]netip.Prefix, 0, len(allow))}
	for i, s := range allow {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			g.allow = append(g.allow, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return Guard{}, fmt.Errorf("%s[%d]: %q must be an IP address or a CIDR range", key, i, s)
		}
		a = a.Unmap()
		g.allow = append(g.allow, netip.PrefixFrom(a, a.BitLen()))
	}
	return g, nil
}

// Check returns nil when ip is public or allowed, else a *ForbiddenError.
func (g Guard) Check(ip netip.Addr) error {
	ip = ip.Unmap()
	for _, p := range g.allow {
		if p.Contains(ip) {
			return nil
		}
	}
	bad := !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified()
	for _, p := range nonPublic {
		bad = bad || p.Contains(ip)
	}
	if bad {
		return &ForbiddenError{Addr: ip, Key: g.keyName()}
	}
	return nil
}

func (g Guard) keyName() string {
	if g.key == "" {
		return "the allow list"
	}
	return g.key
}

// control runs after name resolution, on the very address the socket is
// about to connect to.
func (g Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %q: %w", address, ErrForbidden)
	}
	return g.Check(ap.Addr())
}

// Client returns an HTTP client whose every connection passes the guard.
// timeout bounds a whole request and the wait for response headers (0:
// none; callers then use contexts). It ignores proxy environment variables
// (a proxy would be the address dialled and checked, not the receiver) and
// follows no redirects (a receiver answers, it does not send us on).
func (g Guard) Client(timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Timeout: timeout, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// CheckURL parses raw and refuses a URL that is not http(s) with a host
// (ErrNotHTTP) or whose host is a literal address, or localhost, the guard
// would refuse at every dial (a *ForbiddenError). Host names are checked
// again on every dial.
func (g Guard) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, ErrNotHTTP
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		host = "127.0.0.1"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := g.Check(ip); err != nil {
			return u, err
		}
	}
	return u, nil
}
