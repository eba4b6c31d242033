package api

import (
	"errors"

	"github.com/hunterbot/hunterbot/internal/netguard"
)

// OutboundConfig is the `outbound:` section of the control plane config:
// where alert webhooks, IM robots and keyword-hit callbacks may connect.
// Loopback, link-local, private and other non-public ranges are refused
// unless Allow names them (internal/netguard), so an operator-set URL cannot
// make the control plane probe or call services on its own host or network.
type OutboundConfig struct {
	// Allow lists addresses (10.0.0.7) or ranges (10.0.0.0/8, ::1/128) that
	// outbound requests may reach even though they are not public.
	Allow []string `yaml:"allow"`
}

// guard parses Allow; an error names the entry.
func (c OutboundConfig) guard() (netguard.Guard, error) {
	return netguard.New("outbound.allow", c.Allow)
}

// checkOutboundURL refuses, when it is saved, a URL whose host is a literal
// address (or "localhost") the guard would refuse at delivery, so the
// operator learns at once; names are checked again on every dial.
func (s *Server) checkOutboundURL(field, raw string) error {
	_, err := s.guard.CheckURL(raw)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, netguard.ErrNotHTTP):
		return errBadRequest(field, "must be an http(s) URL")
	}
	return errBadRequest(field, "%v (add it to outbound.allow in the control plane config to permit it)", err)
}
