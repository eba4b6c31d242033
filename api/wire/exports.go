package wire

import (
	"time"
)

// Export is a generated contacts export. The file is served only with the
// link token whose SHA-256 is stored, and only until ExpiresAt.
type Export struct {
	Filename  string    `json:"filename"`
	TokenHash string    `json:"token_hash"`
	Records   int       `json:"records"`
	User      string    `json:"user"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}
