package api

import (
	"strings"
	"testing"
)

// The control plane's guard is netguard's (ranges tested there) with the
// outbound.allow key: a saved URL with a literal internal host is a 400
// naming the field and the key that would permit it.
func TestCheckOutboundURL(t *testing.T) {
	g, err := OutboundConfig{Allow: []string{"10.0.0.0/8"}}.guard()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{guard: g}
	for raw, want := range map[string]string{
		"ftp://example.com/x":         "must be an http(s) URL",
		"http://127.0.0.1:8080/hook":  "not in outbound.allow",
		"http://localhost/hook":       "not in outbound.allow",
		"http://[::1]/hook":           "not in outbound.allow",
		"http://169.254.169.254/meta": "not in outbound.allow",
	} {
		err := s.checkOutboundURL("url", raw)
		ae, ok := err.(*apiError)
		if !ok || ae.Field != "url" || !strings.Contains(ae.Msg, want) {
			t.Errorf("%s: %v, want a 400 on url saying %q", raw, err, want)
		}
	}
	for _, raw := range []string{"https://hooks.example.com/x", "http://10.1.2.3/x"} {
		if err := s.checkOutboundURL("url", raw); err != nil {
			t.Errorf("%s refused: %v", raw, err)
		}
	}
	if _, err := (OutboundConfig{Allow: []string{"10.0.0.0/33"}}).guard(); err == nil || !strings.Contains(err.Error(), "outbound.allow[0]") {
		t.Errorf("bad allow entry: %v", err)
	}
}
