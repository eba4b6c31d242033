package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashToken returns the hex SHA-256 under which a token is stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenPair is what /oauth/token returns; the plain values exist only here.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int // seconds
}

// ErrTokenReuse is returned by a store's Refresh when a refresh token that
// was already rotated is presented again; the token's whole session (token
// family) has been revoked. It wraps ErrUnauthorized.
var ErrTokenReuse = fmt.Errorf("refresh token reused; its session was revoked: %w", ErrUnauthorized)

// ErrUnknownClient is returned by a store's CheckClient for a client id that
// does not exist (answered without a password-hash compare); it wraps
// ErrUnauthorized.
var ErrUnknownClient = fmt.Errorf("unknown client: %w", ErrUnauthorized)
