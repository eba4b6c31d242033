package api

import (
	"context"
	"net/http"
	"strings"
)

// authKind says which credential a route needs.
type authKind int

const (
	authNone   authKind = iota // /oauth/token (HTTP Basic checked by the handler), export downloads (signed link)
	authUser                   // operator Bearer access token from /oauth/token
	authWorker                 // worker Bearer token (see docs/api.md)
)

// handler serves one route; a returned error is written in the route
// family's envelope (and nothing else must have been written).
type handler func(w http.ResponseWriter, r *http.Request) error

type route struct {
	pattern string // Go 1.22 ServeMux pattern: "METHOD /path/{id}"
	fam     family
	auth    authKind
	h       handler
}

// routes is THE route table. Extension point: a feature adds its routes in
// its own file as `func (s *Server) xxxRoutes() []route` and appends them
// here with one line, e.g. `rs = append(rs, s.keywordRuleRoutes()...)`.
func (s *Server) routes() []route {
	rs := []route{
		// OAuth2 (seed 002).
		{"POST /oauth/token", famOAuth, authNone, s.handleToken},
		{"POST /oauth/revoke", famOAuth, authNone, s.handleRevoke},
		{"DELETE /api/users/{username}/sessions", famPlain, authUser, s.revokeUserSessions},

		// Seed 000: follow-up configs, scripts, records, manual send.
		{"GET /api/followup-configs", famPlain, authUser, s.listConfigs},
		{"POST /api/followup-configs", famPlain, authUser, s.createConfig},
		{"GET /api/followup-configs/{id}", famPlain, authUser, s.getConfig},
		{"PUT /api/followup-configs/{id}", famPlain, authUser, s.updateConfig},
		{"DELETE /api/followup-configs/{id}", famPlain, authUser, s.deleteConfig},
		{"GET /api/followup-scripts", famPlain, authUser, s.listScripts},
		{"POST /api/followup-scripts", famPlain, authUser, s.createScript},
		{"PUT /api/followup-scripts/{id}", famPlain, authUser, s.updateScript},
		{"DELETE /api/followup-scripts/{id}", famPlain, authUser, s.deleteScript},
		{"GET /api/followup-records", famPlain, authUser, s.listRecords},
		{"POST /api/followup-records/send", famPlain, authUser, s.sendManual},

		// Seed 001: contacts and export.
		{"GET /api/contacts", famCoded, authUser, s.listContacts},
		{"GET /api/contacts/export", famCoded, authUser, s.exportContacts},
		{"GET /media/exports/{name}", famPlain, authNone, s.downloadExport},

		// Operators: accounts status, hot backup.
		{"GET /api/accounts", famPlain, authUser, s.listAccounts},
		{"GET /api/admin/backup", famPlain, authUser, s.backup},

		// Workers (worker token).
		{"POST /api/worker/register", famPlain, authWorker, s.workerHeartbeat},
		{"POST /api/worker/heartbeat", famPlain, authWorker, s.workerHeartbeat},
		{"POST /api/worker/contacts", famPlain, authWorker, s.workerContacts},
		{"POST /api/worker/followup-records", famPlain, authWorker, s.workerRecords},
		{"GET /api/worker/followup-configs", famPlain, authWorker, s.workerConfigs},
		{"GET /api/worker/sends", famPlain, authWorker, s.workerSends},
		{"POST /api/worker/sends/{id}/ack", famPlain, authWorker, s.workerAck},
	}
	rs = append(rs, s.keywordRuleRoutes()...)
	rs = append(rs, s.releaseRoutes()...)
	rs = append(rs, s.alertRoutes()...)
	rs = append(rs, s.replayRoutes()...)    // replay.go
	rs = append(rs, s.managedRoutes()...)   // accounts_managed.go
	rs = append(rs, s.marketingRoutes()...) // marketing.go (seed 002 plans)
	rs = append(rs, s.metricsRoutes()...)   // metrics.go
	rs = append(rs, s.fileRoutes()...)      // files.go
	rs = append(rs, s.notifyRoutes()...)    // notify.go
	rs = append(rs, s.transcriptRoutes()...)
	return rs
}

type ctxKey int

const (
	ctxUser ctxKey = iota
	ctxWorker
)

// userFrom returns the authenticated operator of r ("" for none).
func userFrom(r *http.Request) string { v, _ := r.Context().Value(ctxUser).(string); return v }

// workerFrom returns the authenticated worker id of r ("" for none).
func workerFrom(r *http.Request) string { v, _ := r.Context().Value(ctxWorker).(string); return v }

// wrap adds body limits, authentication and error envelopes to a route.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit(rt)) // files.go
		switch rt.auth {
		case authUser, authWorker:
			tok, ok := bearer(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="hunterbot"`)
				rt.fam.writeErr(w, &apiError{Status: http.StatusUnauthorized, Msg: "missing Bearer token"})
				return
			}
			var who string
			var err error
			key := ctxUser
			if rt.auth == authUser {
				who, err = s.store.CheckAccessToken(tok)
			} else {
				who, err = s.store.CheckWorkerToken(tok)
				key = ctxWorker
			}
			if err != nil {
				ae := toAPIError(err)
				if ae.Status == http.StatusUnauthorized {
					ae = &apiError{Status: http.StatusUnauthorized, Msg: "invalid or expired token"}
					w.Header().Set("WWW-Authenticate", `Bearer realm="hunterbot", error="invalid_token"`)
				}
				s.writeErr(w, r, rt, ae, err)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), key, who))
		}
		if err := rt.h(w, r); err != nil {
			s.writeErr(w, r, rt, toAPIError(err), err)
		}
	})
}

func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, rt route, ae *apiError, cause error) {
	if ae.Status >= 500 {
		s.log.Error().Err(cause).Str("route", rt.pattern).Msg("request failed")
	} else {
		s.log.Debug().Str("route", rt.pattern).Int("status", ae.Status).Str("error", ae.Error()).Msg("request rejected")
	}
	rt.fam.writeErr(w, ae)
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(p):])
	return tok, tok != ""
}
