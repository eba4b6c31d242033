package api

import (
	"net/http"
	"strings"
)

// probeMethods are tried to tell "wrong method" from "no such path".
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowedMethods returns the methods the route table serves for r's path
// (empty: the path does not exist). The /api/ catch-all does not count.
func (s *Server) allowedMethods(r *http.Request) (methods []string, fam family) {
	fam = famPlain
	for _, m := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pat := s.mux.Handler(probe); pat != "" && pat != "/api/" {
			methods = append(methods, m)
			if f, ok := s.famOf[pat]; ok {
				fam = f
			}
		}
	}
	return methods, fam
}

// methodNotAllowed answers 405 in the route family's JSON envelope with an
// Allow header (net/http's own 405 is plain text).
func methodNotAllowed(w http.ResponseWriter, r *http.Request, methods []string, fam family) {
	w.Header().Set("Allow", strings.Join(methods, ", "))
	fam.writeErr(w, &apiError{Status: http.StatusMethodNotAllowed, Field: "method",
		Msg: r.Method + " not allowed on " + r.URL.Path + "; use " + strings.Join(methods, " or ")})
}

// ServeHTTP routes r; where the mux would answer its plain-text 405 it
// answers the JSON one. Paths under /api/ reach the authenticated
// catch-all instead, which does the same after checking the token.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pat := s.mux.Handler(r); pat == "" {
		if methods, fam := s.allowedMethods(r); len(methods) > 0 {
			methodNotAllowed(w, r, methods, fam)
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}
