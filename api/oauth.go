package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/hunterbot/hunterbot/api/wire"
)

type authStore interface {
	CheckClient(id, secret string) error
	CheckPassword(username, password string) error
	IssueTokens(username, clientID string, accessTTL, refreshTTL time.Duration) (wire.TokenPair, error)
	Refresh(refreshToken, clientID string, accessTTL, refreshTTL time.Duration) (wire.TokenPair, error)
	RevokeToken(token, clientID string) (int, error)
	RevokeUserTokens(username string) (int, error)
	RecordSecurityAlert(kind, detail string) (wire.Alert, error)
	CheckAccessToken(token string) (string, error)
	CheckWorkerToken(token string) (string, error)
	PurgeExpiredTokens() (int, error)
}

// tokenRequest is the /oauth/token body (JSON per seed 002, or a form per
// RFC 6749).
type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	Username     string `json:"username"`
	Password     string `json:"password"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	// RFC 7009 revocation.
	Token         string `json:"token"`
	TokenTypeHint string `json:"token_type_hint"`
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// readTokenRequest reads the /oauth/token or /oauth/revoke body: a form
// (RFC 6749) or JSON (seed 002).
func readTokenRequest(r *http.Request) (tokenRequest, error) {
	var req tokenRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return req, err
			}
			return req, errBadRequest("body", "invalid form")
		}
		f := r.PostForm
		for k, vs := range f {
			for _, v := range vs {
				if !utf8.ValidString(v) {
					return req, errBadRequest(k, "must be valid UTF-8")
				}
			}
		}
		req = tokenRequest{GrantType: f.Get("grant_type"), Username: f.Get("username"), Password: f.Get("password"),
			RefreshToken: f.Get("refresh_token"), Scope: f.Get("scope"), Token: f.Get("token"), TokenTypeHint: f.Get("token_type_hint")}
		return req, nil
	}
	raw, err := readRaw(r)
	if err != nil {
		return req, err
	}
	if err := checkJSONText(raw); err != nil {
		return req, err
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return req, jsonError(err)
	}
	return req, nil
}

// checkClient authenticates the HTTP Basic client of an /oauth request
// under the throttle; it returns the client id.
func (s *Server) checkClient(w http.ResponseWriter, r *http.Request) (string, error) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return "", errUnauthorized("client authentication (HTTP Basic) required")
	}
	if wait := s.throttle.locked(remoteKey(r), "client:"+id); wait > 0 {
		return "", errThrottled(w, wait)
	}
	if err := s.store.CheckClient(id, secret); err != nil {
		if !errors.Is(err, wire.ErrUnauthorized) {
			return "", err
		}
		keys := []string{remoteKey(r)}
		if !errors.Is(err, wire.ErrUnknownClient) {
			keys = append(keys, "client:"+id) // unknown ids would only fill the table
		}
		s.authFailed(r, "client", id, "", keys...)
		return "", errUnauthorized("invalid client credentials")
	}
	return id, nil
}

// authFailed counts a failed credential against keys; a burst of failures
// is logged as a warning and raised as an auth_burst alert.
func (s *Server) authFailed(r *http.Request, what, client, user string, keys ...string) {
	s.log.Debug().Str("remote", remoteKey(r)[3:]).Str("client", client).Str("user", user).Str("failed", what).Msg("oauth credential rejected")
	if !s.throttle.fail(keys...) {
		return
	}
	c := s.throttle.cfg
	detail := fmt.Sprintf("%d or more failed /oauth/token attempts within %s (last: %s from %s)", c.BurstFailures, c.BurstWindow, what, remoteKey(r)[3:])
	s.log.Warn().Str("remote", remoteKey(r)[3:]).Str("client", client).Str("user", user).Int("failures", c.BurstFailures).
		Dur("window", c.BurstWindow).Msg("burst of failed logins on /oauth/token")
	if _, err := s.store.RecordSecurityAlert(wire.AlertAuthBurst, detail); err != nil {
		s.log.Error().Err(err).Msg("record auth_burst alert")
	}
	s.alertWake.poke() // deliver it now, not at the delivery loop's idle pass
}

// clientTokenRequest reads a token-endpoint form and authenticates its
// client (HTTP Basic), the shared opening of /oauth/token and
// /oauth/revoke. It returns the form and the client id.
func (s *Server) clientTokenRequest(w http.ResponseWriter, r *http.Request) (tokenRequest, string, error) {
	if _, _, ok := r.BasicAuth(); !ok {
		return tokenRequest{}, "", errUnauthorized("client authentication (HTTP Basic) required")
	}
	req, err := readTokenRequest(r)
	if err != nil {
		return tokenRequest{}, "", err
	}
	id, err := s.checkClient(w, r)
	if err != nil {
		return tokenRequest{}, "", err
	}
	return req, id, nil
}

// handleToken implements POST /oauth/token: HTTP Basic client
// credentials, grant_type password or refresh_token (rotating). Failures
// are throttled per remote address, client and username (throttle.go).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) error {
	req, id, err := s.clientTokenRequest(w, r)
	if err != nil {
		return err
	}
	var pair wire.TokenPair
	switch req.GrantType {
	case "password":
		if req.Username == "" {
			return errBadRequest("username", "required")
		}
		if req.Password == "" {
			return errBadRequest("password", "required")
		}
		userKey := "user:" + req.Username
		if wait := s.throttle.locked(userKey); wait > 0 {
			return errThrottled(w, wait)
		}
		if err := s.store.CheckPassword(req.Username, req.Password); err != nil {
			if errors.Is(err, wire.ErrUnauthorized) {
				s.authFailed(r, "password", id, req.Username, remoteKey(r), userKey)
				return errBadRequest("grant", "invalid username or password")
			}
			return err
		}
		s.throttle.ok(userKey, "client:"+id)
		pair, err = s.store.IssueTokens(req.Username, id, s.opt.AccessTokenTTL, s.opt.RefreshTokenTTL)
	case "refresh_token":
		if req.RefreshToken == "" {
			return errBadRequest("refresh_token", "required")
		}
		pair, err = s.store.Refresh(req.RefreshToken, id, s.opt.AccessTokenTTL, s.opt.RefreshTokenTTL)
		if errors.Is(err, wire.ErrTokenReuse) {
			s.log.Warn().Str("client", id).Str("remote", remoteKey(r)[3:]).Msg("rotated refresh token reused: its session was revoked")
			s.authFailed(r, "refresh_token", id, "", remoteKey(r))
			return errBadRequest("grant", "refresh token already used; the session was revoked, log in again")
		}
		if errors.Is(err, wire.ErrUnauthorized) {
			s.authFailed(r, "refresh_token", id, "", remoteKey(r))
			return errBadRequest("grant", "invalid, expired or already used refresh token")
		}
	case "":
		return errBadRequest("grant_type", "required")
	default:
		return errBadRequest("grant_type", "unsupported grant type %q (password, refresh_token)", req.GrantType)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: pair.AccessToken, TokenType: "bearer",
		ExpiresIn: pair.ExpiresIn, RefreshToken: pair.RefreshToken, Scope: "all"})
	return nil
}

// handleRevoke implements RFC 7009 token revocation: POST /oauth/revoke
// with the client's HTTP Basic credentials and token=<access or refresh
// token>. The token's whole session (family) ends. An unknown token is
// answered 200 like a revoked one, so the endpoint is no token oracle.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) error {
	req, id, err := s.clientTokenRequest(w, r)
	if err != nil {
		return err
	}
	if req.Token == "" {
		return errBadRequest("token", "required")
	}
	n, err := s.store.RevokeToken(req.Token, id)
	if errors.Is(err, wire.ErrUnauthorized) {
		return &apiError{Status: http.StatusBadRequest, Field: "token", Msg: "token was issued to another client"}
	}
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info().Str("client", id).Int("tokens", n).Msg("session revoked")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	return nil
}

// revokeUserSessions implements DELETE /api/users/{username}/sessions:
// every access and refresh token of the user ends at once (a leaked
// token, a departing operator).
func (s *Server) revokeUserSessions(w http.ResponseWriter, r *http.Request) error {
	user := r.PathValue("username")
	n, err := s.store.RevokeUserTokens(user)
	if err != nil {
		return err
	}
	s.log.Info().Str("user", user).Str("by", userFrom(r)).Int("tokens", n).Msg("user sessions revoked")
	writeJSON(w, http.StatusOK, map[string]any{"username": user, "revoked_tokens": n})
	return nil
}
