package server

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"strings"

	"github.com/hunterbot/hunterbot/brain"
)

// The reference's v3.0 line registers jobs and accounts from its web
// console under /backend/manage/ (behind its login cookie). The built-in
// brain answers those routes with the same request shapes, so a console or
// script written for v3.0 works; its own bearer token replaces the cookie.

// manageJobRegister is v3.0's job/register: platformID is optional (v3.0
// always draws a random 10-digit one) and robotApi may be left out.
func (s *Server) manageJobRegister(r *http.Request) (any, error) {
	var req brain.JobRegisterRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.PlatformID) == "" {
		id, err := randomDigits(10)
		if err != nil {
			return nil, err
		}
		req.PlatformID = id
	}
	return s.registerJob(r, req)
}

// randomDigits returns n decimal digits, the first not 0.
func randomDigits(n int) (string, error) {
	var b strings.Builder
	for i := 0; i < n; i++ {
		lo, span := int64(0), int64(10)
		if i == 0 {
			lo, span = 1, 9
		}
		d, err := rand.Int(rand.Reader, big.NewInt(span))
		if err != nil {
			return "", err
		}
		b.WriteByte(byte('0' + lo + d.Int64()))
	}
	return b.String(), nil
}
