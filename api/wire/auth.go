package wire

import (
	"crypto/sha256"
	"encoding/hex"
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
