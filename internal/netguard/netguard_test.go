package netguard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestCheckRanges(t *testing.T) {
	var g Guard
	for _, s := range []string{"127.0.0.1", "127.9.9.9", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1",
		"169.254.169.254", "fe80::1", "fc00::1", "fd12::1", "0.0.0.0", "::", "100.64.0.1", "224.0.0.1", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a00:1", "198.18.0.1", "255.255.255.255", "240.0.0.1"} {
		if err := g.Check(netip.MustParseAddr(s)); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v, want refused", s, err)
		}
	}
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "1.1.1.1"} {
		if err := g.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	g, err := New("outbound.allow", []string{"10.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"10.20.30.40", "::1", "::ffff:10.0.0.1"} {
		if err := g.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("allow-listed %s refused: %v", s, err)
		}
	}
	err = g.Check(netip.MustParseAddr("127.0.0.1"))
	if err == nil || !strings.Contains(err.Error(), "not in outbound.allow") {
		t.Errorf("127.0.0.1 with an allow-list naming ::1 only: %v", err)
	}
	if _, err := New("llm.allow", []string{"10.0.0.0/8", "ten"}); err == nil || !strings.Contains(err.Error(), "llm.allow[1]") {
		t.Errorf("bad entry: %v", err)
	}
}

// The dial-time check is what stops a name that resolves (or rebinds) to
// an internal address: the guard's client cannot reach loopback unless
// it is allowed.
func TestClientRefusesAtDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	resp, err := Guard{}.Client(0).Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("loopback reached without an allow entry")
	}
	if !errors.Is(err, ErrForbidden) {
		t.Fatalf("err = %v", err)
	}
	g, _ := New("llm.allow", []string{"127.0.0.0/8"})
	resp, err = g.Client(0).Get(srv.URL)
	if err != nil {
		t.Fatalf("allowed loopback refused: %v", err)
	}
	resp.Body.Close()
}

func TestCheckURL(t *testing.T) {
	var g Guard
	for raw, want := range map[string]error{
		"ftp://example.com":          ErrNotHTTP,
		"http://":                    ErrNotHTTP,
		"https://api.example.com/v1": nil,
		"http://localhost:11434/v1":  ErrForbidden,
		"http://app.localhost/":      ErrForbidden,
		"http://192.168.1.5/":        ErrForbidden,
	} {
		if _, err := g.CheckURL(raw); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", raw, err, want)
		}
	}
}
