package brain

import (
	"context"
	"errors"
	"fmt"
)

// Sentinels for errors.Is. Every error a Client method returns matches
// exactly one of them (or a context error when the caller's ctx ended).
var (
	// ErrRejected: the server answered with ret != 0 (a handled failure).
	ErrRejected = errors.New("brain: request rejected")
	// ErrNoRet: the body had no "ret" key — the reference server's
	// exception envelope {"msg":"exception: ...","status":0,"data":[]}.
	ErrNoRet = errors.New("brain: exception envelope without ret")
	// ErrTransport: the request did not complete (connection, timeout).
	ErrTransport = errors.New("brain: transport error")
	// ErrHTTPStatus: a non-2xx status without a decodable envelope.
	ErrHTTPStatus = errors.New("brain: unexpected HTTP status")
	// ErrDecode: a 2xx body that is not a JSON envelope of the expected shape.
	ErrDecode = errors.New("brain: undecodable response")
)

// APIError is an answer of the server that is not a success: ret != 0
// (errors.Is(err, ErrRejected)) or no ret at all (errors.Is(err, ErrNoRet)).
type APIError struct {
	Endpoint string
	// HasRet is false for the exception envelope.
	HasRet bool
	Ret    int
	Msg    string
	// Reason is the server's explanation: "data" when it is a string
	// (e.g. "job_id为空"), else Msg.
	Reason string
}

// Error implements error.
func (e *APIError) Error() string {
	if !e.HasRet {
		return fmt.Sprintf("brain %s: %s", e.Endpoint, e.Reason)
	}
	return fmt.Sprintf("brain %s: ret %d: %s", e.Endpoint, e.Ret, e.Reason)
}

// Is maps the error to ErrRejected or ErrNoRet.
func (e *APIError) Is(target error) bool {
	if e.HasRet {
		return target == ErrRejected
	}
	return target == ErrNoRet
}

// TransportError wraps a failed round trip (errors.Is(err, ErrTransport)).
type TransportError struct {
	Endpoint string
	Err      error
}

// Error implements error.
func (e *TransportError) Error() string {
	return fmt.Sprintf("brain %s: %v", e.Endpoint, e.Err)
}

// Unwrap returns the underlying error (e.g. context.DeadlineExceeded for a
// per-call timeout).
func (e *TransportError) Unwrap() error { return e.Err }

// Is matches ErrTransport.
func (e *TransportError) Is(target error) bool { return target == ErrTransport }

// StatusError is a non-2xx HTTP answer whose body is not an envelope
// (errors.Is(err, ErrHTTPStatus)); 429 and 5xx are retried on safe calls.
type StatusError struct {
	Endpoint string
	Code     int
	// Body is the start of the body, for the operator (servers do not put
	// personal data in error pages).
	Body string
}

// Error implements error.
func (e *StatusError) Error() string {
	return fmt.Sprintf("brain %s: HTTP %d: %s", e.Endpoint, e.Code, e.Body)
}

// Is matches ErrHTTPStatus.
func (e *StatusError) Is(target error) bool { return target == ErrHTTPStatus }

// DecodeError is a 2xx body that could not be decoded (errors.Is(err, ErrDecode)).
type DecodeError struct {
	Endpoint string
	Err      error
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("brain %s: decode response: %v", e.Endpoint, e.Err)
}

// Unwrap returns the JSON error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Is matches ErrDecode.
func (e *DecodeError) Is(target error) bool { return target == ErrDecode }

// Outcome classifies a call's result for metrics with a small fixed set of
// values: ok, canceled (the caller's ctx ended), http_4xx, http_5xx,
// transport, rejected (the brain answered with an error envelope) or
// invalid (an answer that could not be decoded).
func Outcome(ctx context.Context, err error) string {
	var se *StatusError
	switch {
	case err == nil:
		return "ok"
	case ctx.Err() != nil:
		return "canceled"
	case errors.As(err, &se) && se.Code >= 500:
		return "http_5xx"
	case errors.As(err, &se):
		return "http_4xx"
	case errors.Is(err, ErrTransport):
		return "transport"
	case errors.Is(err, ErrRejected), errors.Is(err, ErrNoRet):
		return "rejected"
	default:
		return "invalid"
	}
}
