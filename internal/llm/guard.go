package llm

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

// ErrForbiddenAddr is returned (wrapped) when the model endpoint resolves to
// an address that is not public and not in the config's allow list.
var ErrForbiddenAddr = errors.New("address is not public and not in llm.allow")

// nonPublic are ranges the netip predicates do not cover but that never
// belong to a model endpoint on the internet (the same list as the control
// plane's outbound guard, api/ssrf.go).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

// guard decides which resolved addresses the client may connect to. A
// self-hosted model (vLLM, Ollama) on loopback or a private network is
// reached only when the operator lists its address in llm.allow.
type guard struct{ allow []netip.Prefix }

func parseAllow(key string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %q must be an IP address or a CIDR range", key, i, s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (g guard) check(ip netip.Addr) error {
	ip = ip.Unmap()
	for _, p := range g.allow {
		if p.Contains(ip) {
			return nil
		}
	}
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return fmt.Errorf("%s: %w", ip, ErrForbiddenAddr)
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return fmt.Errorf("%s: %w", ip, ErrForbiddenAddr)
		}
	}
	return nil
}

// control runs on the address the socket is about to connect to, after
// name resolution, so a name that rebinds to an internal address is caught.
func (g guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %q: %w", address, ErrForbiddenAddr)
	}
	return g.check(ap.Addr())
}

// checkURL refuses at start a base URL whose literal host the guard would
// refuse at every call, so the operator learns it at once.
func (g guard) checkURL(key, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%s: %q must be an http(s) URL", key, raw)
	}
	if u.User != nil {
		return fmt.Errorf("%s: must not carry credentials (use api_key_env)", key)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		host = "127.0.0.1"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := g.check(ip); err != nil {
			return fmt.Errorf("%s: %v (add it to llm.allow to permit a self-hosted model)", key, err)
		}
	}
	return nil
}

// httpClient returns a client whose connections pass the guard. It ignores
// proxy variables (the proxy would be what is checked) and follows no
// redirects (an API answers, it does not redirect).
func (g guard) httpClient() *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        32,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
