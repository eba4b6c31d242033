package wire

import "errors"

// Sentinel errors every Store backend returns; callers check them with
// errors.Is.
var (
	// ErrNotFound means the id or key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means the input was rejected; the wrapping error names the field.
	ErrInvalid = errors.New("invalid input")
	// ErrUnauthorized means credentials or a token did not check out.
	ErrUnauthorized = errors.New("unauthorized")
)

// FieldError is an ErrInvalid that names the offending field.
type FieldError struct {
	Field string
	Msg   string
}

// Error implements error.
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FieldError) Unwrap() error { return ErrInvalid }
