package wire

import (
	"errors"
	"fmt"
	"time"
)

// Limits of the files API (seed 002 《文件上传与访问》).
const (
	// MaxFileName bounds an uploaded file's original name (runes).
	MaxFileName = 255
	// MaxModuleName bounds moduleName (the seed: 1-50, letters, digits, _).
	MaxModuleName = 50
)

// File is one stored upload. Content is deduplicated by Signature: the same
// bytes uploaded again return the first record.
type File struct {
	ID         uint64 `json:"id"`
	FileName   string `json:"fileName"`
	ModuleName string `json:"moduleName"`
	// Signature is the lowercase hex SHA-256 of the content.
	Signature string `json:"signature"`
	Size      int64  `json:"fileSize"`
	// ContentType is sniffed from the content at upload (never taken from
	// the client), e.g. image/png.
	ContentType string    `json:"contentType"`
	CreatedAt   time.Time `json:"createdAt"`
	CreatedBy   string    `json:"createdBy,omitempty"`
}

// IsImage reports whether the file's sniffed type is an image a chat
// message can carry; only such files are served without a token.
func (f File) IsImage() bool {
	switch f.ContentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// ErrFileTooLarge is returned by a store's SaveFile when the content
// exceeds its limit.
var ErrFileTooLarge = errors.New("file larger than the limit")

// ValidModuleName checks the seed's rule for moduleName: 1-50 characters,
// letters, digits and underscore only.
func ValidModuleName(s string) error {
	bad := func(format string, args ...any) error {
		return &FieldError{Field: "moduleName", Msg: fmt.Sprintf(format, args...)}
	}
	if s == "" {
		return bad("must not be empty")
	}
	if len(s) > MaxModuleName {
		return bad("must be at most %d characters", MaxModuleName)
	}
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return bad("may hold only letters, digits and underscore, got %q", s)
		}
	}
	return nil
}
