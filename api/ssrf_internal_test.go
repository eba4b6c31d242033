package api

import (
	"net/netip"
	"testing"
)

func TestOutboundGuardRanges(t *testing.T) {
	g := outboundGuard{}
	for _, s := range []string{"127.0.0.1", "127.9.9.9", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1",
		"169.254.169.254", "fe80::1", "fc00::1", "fd12::1", "0.0.0.0", "::", "100.64.0.1", "224.0.0.1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "198.18.0.1", "255.255.255.255", "240.0.0.1"} {
		if g.check(netip.MustParseAddr(s)) == nil {
			t.Errorf("%s allowed", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "1.1.1.1"} {
		if err := g.check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	allow, err := OutboundConfig{Allow: []string{"10.0.0.0/8", "::1"}}.prefixes()
	if err != nil {
		t.Fatal(err)
	}
	g = outboundGuard{allow: allow}
	for _, s := range []string{"10.20.30.40", "::1", "::ffff:10.0.0.1"} {
		if err := g.check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("allow-listed %s refused: %v", s, err)
		}
	}
	if g.check(netip.MustParseAddr("127.0.0.1")) == nil {
		t.Error("127.0.0.1 allowed by an allow-list naming ::1 only")
	}
}
