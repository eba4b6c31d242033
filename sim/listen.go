package sim

import (
	"net/http"

	"github.com/hunterbot/hunterbot/internal/httpserve"
)

// Timeouts returns the connection timeouts of the scenario's
// server.timeouts with httpserve's defaults filled in, for whoever serves
// Handler (`hunterbot sim`, the demo).
func (s *Sim) Timeouts() httpserve.Timeouts {
	return s.sc.Server.Timeouts.WithDefaults()
}

// Server returns an http.Server for the whole site with the scenario's
// connection timeouts.
func (s *Sim) Server() *http.Server {
	return httpserve.New(s.Handler(), s.Timeouts())
}
