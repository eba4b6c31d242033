package llm

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// The dial-time check is what stops a name that resolves (or rebinds) to
// an internal address: the client built by the guard cannot reach
// loopback unless it is allowed.
func TestGuardRefusesAtDial(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	resp, err := guard{}.httpClient().Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("loopback reached without an allow entry")
	}
	if !errors.Is(err, ErrForbiddenAddr) {
		t.Fatalf("err = %v", err)
	}
	resp, err = guard{allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}.httpClient().Get(srv.URL)
	if err != nil {
		t.Fatalf("allowed loopback refused: %v", err)
	}
	resp.Body.Close()
	for _, a := range []string{"10.1.2.3", "169.254.169.254", "::1", "fd00::1", "100.64.0.1", "::ffff:127.0.0.1"} {
		if err := (guard{}).check(netip.MustParseAddr(a)); !errors.Is(err, ErrForbiddenAddr) {
			t.Errorf("%s allowed", a)
		}
	}
	if err := (guard{}).check(netip.MustParseAddr("8.8.8.8")); err != nil {
		t.Errorf("public refused: %v", err)
	}
}
