package api

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

type authStore interface {
	CheckClient(id, secret string) error
	CheckPassword(username, password string) error
	IssueTokens(username, clientID string, accessTTL, refreshTTL time.Duration) (wire.TokenPair, error)
	Refresh(refreshToken, clientID string, accessTTL, refreshTTL time.Duration) (wire.TokenPair, error)
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
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
}

// handleToken implements POST /oauth/token: HTTP Basic client
// credentials, grant_type password or refresh_token (rotating).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) error {
	id, secret, ok := r.BasicAuth()
	if !ok {
		return errUnauthorized("client authentication (HTTP Basic) required")
	}
	var req tokenRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return err
			}
			return errBadRequest("body", "invalid form")
		}
		req = tokenRequest{GrantType: r.PostForm.Get("grant_type"), Username: r.PostForm.Get("username"),
			Password: r.PostForm.Get("password"), RefreshToken: r.PostForm.Get("refresh_token"), Scope: r.PostForm.Get("scope")}
	} else {
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&req); err != nil {
			return jsonError(err)
		}
	}
	if err := s.store.CheckClient(id, secret); err != nil {
		if errors.Is(err, wire.ErrUnauthorized) {
			return errUnauthorized("invalid client credentials")
		}
		return err
	}
	var pair wire.TokenPair
	var err error
	switch req.GrantType {
	case "password":
		if req.Username == "" {
			return errBadRequest("username", "required")
		}
		if req.Password == "" {
			return errBadRequest("password", "required")
		}
		if err := s.store.CheckPassword(req.Username, req.Password); err != nil {
			if errors.Is(err, wire.ErrUnauthorized) {
				return errBadRequest("grant", "invalid username or password")
			}
			return err
		}
		pair, err = s.store.IssueTokens(req.Username, id, s.opt.AccessTokenTTL, s.opt.RefreshTokenTTL)
	case "refresh_token":
		if req.RefreshToken == "" {
			return errBadRequest("refresh_token", "required")
		}
		pair, err = s.store.Refresh(req.RefreshToken, id, s.opt.AccessTokenTTL, s.opt.RefreshTokenTTL)
		if errors.Is(err, wire.ErrUnauthorized) {
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
