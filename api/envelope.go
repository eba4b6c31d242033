package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// apiError is an error with an HTTP status and, for 400s, the field at fault.
type apiError struct {
	Status int
	Field  string
	Msg    string
}

func (e *apiError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Msg
	}
	return e.Msg
}

func errBadRequest(field, format string, args ...any) error {
	return &apiError{Status: http.StatusBadRequest, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func errNotFound(msg string) error { return &apiError{Status: http.StatusNotFound, Msg: msg} }

func errUnauthorized(msg string) error { return &apiError{Status: http.StatusUnauthorized, Msg: msg} }

// toAPIError maps store and decoding errors to statuses; anything unknown
// is a 500 whose detail is logged, not shown.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var fe *wire.FieldError
	switch {
	case errors.Is(err, wire.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Msg: err.Error()}
	case errors.As(err, &fe):
		return &apiError{Status: http.StatusBadRequest, Field: fe.Field, Msg: fe.Msg}
	case errors.Is(err, wire.ErrUnauthorized):
		return &apiError{Status: http.StatusUnauthorized, Msg: "unauthorized"}
	case errors.Is(err, wire.ErrForbidden):
		return &apiError{Status: http.StatusForbidden, Msg: err.Error()}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &apiError{Status: http.StatusRequestEntityTooLarge, Field: "body", Msg: fmt.Sprintf("larger than %d bytes", mbe.Limit)}
	}
	return &apiError{Status: http.StatusInternalServerError, Msg: "internal error"}
}

// family is a group of routes sharing an error envelope. Extension point: a
// route group with its own envelope (e.g. seed 004's errcode/errmsg)
// defines another family value in its own file.
type family struct {
	name     string
	writeErr func(w http.ResponseWriter, e *apiError)
}

// famPlain: seed 000, worker, accounts and admin routes. Success bodies are
// bare JSON; errors are {"detail": "...", "field": "..."} (DRF style).
var famPlain = family{name: "plain", writeErr: func(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"detail": e.Error()}
	if e.Field != "" {
		body["field"] = e.Field
	}
	writeJSON(w, e.Status, body)
}}

// famCoded: seed 001 routes. Everything is {"code": <status>, "msg": "...",
// "data": ...} with the HTTP status equal to code.
var famCoded = family{name: "coded", writeErr: func(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.Status, codedBody{Code: e.Status, Msg: e.Error(), Data: nil})
}}

// famOAuth: /oauth/token, RFC 6749 §5.2 errors.
var famOAuth = family{name: "oauth", writeErr: func(w http.ResponseWriter, e *apiError) {
	code := "invalid_request"
	switch {
	case e.Status == http.StatusUnauthorized:
		code = "invalid_client"
		w.Header().Set("WWW-Authenticate", `Basic realm="hunterbot"`)
	case e.Field == "grant_type" && strings.HasPrefix(e.Msg, "unsupported"):
		code = "unsupported_grant_type"
	case e.Field == "grant":
		code = "invalid_grant"
	case e.Status == http.StatusTooManyRequests:
		code = "temporarily_unavailable"
	}
	writeJSON(w, e.Status, map[string]string{"error": code, "error_description": e.Error()})
}}

type codedBody struct {
	Code int    `json:"code"`
	Msg  string `json:"msg"`
	Data any    `json:"data"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"detail":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// writeCoded writes a seed-001 success envelope.
func writeCoded(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, codedBody{Code: 200, Msg: "success", Data: data})
}

// decodeJSON strictly decodes the request body into dst: one JSON object,
// no unknown fields; errors name the field.
func decodeJSON(r *http.Request, dst any) error {
	raw, err := readRaw(r) // bounded by MaxBytesReader
	if err != nil {
		return err
	}
	if err := checkJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		// encoding/json does not say which field held a bad time; find it
		// in the raw document.
		var pe *time.ParseError
		var se *wire.SeedTimeError
		switch {
		case errors.As(err, &se):
			return errBadRequest(fieldHolding(raw, se.Value), "%s", se.Error())
		case errors.As(err, &pe):
			return errBadRequest(fieldHolding(raw, pe.Value), "must be an RFC 3339 time like 2024-03-01T10:30:00+08:00, got %q", pe.Value)
		}
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errBadRequest("body", "must be a single JSON value")
	}
	return nil
}

// fieldHolding returns the path of the first string equal to v in the JSON
// document raw, or "body".
func fieldHolding(raw []byte, v string) string {
	var doc any
	if json.Unmarshal(raw, &doc) == nil {
		if p := findString(doc, v, ""); p != "" {
			return p
		}
	}
	return "body"
}

// findString returns the path (a.b[2].c) of the first string equal to v.
func findString(doc any, v, path string) string {
	switch d := doc.(type) {
	case string:
		if d == v {
			return path
		}
	case []any:
		for i, e := range d {
			if p := findString(e, v, fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case map[string]any:
		for k, e := range d {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if p := findString(e, v, p); p != "" {
				return p
			}
		}
	}
	return ""
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return errBadRequest("body", "required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("body", "truncated JSON")
	case errors.As(err, &se):
		return errBadRequest("body", "invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return errBadRequest(field, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if f == "" { // a key "" still needs a field to name
			return errBadRequest("body", `unknown field ""`)
		}
		return errBadRequest(f, "unknown field")
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return errBadRequest("body", "%v", err)
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "uint64", "int32", "uint32", "uint":
		return "an integer"
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "ptr":
		return "the right type"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	}
	return "a " + k
}

// --- query parameter parsing: each error names the parameter ---

func qUint(r *http.Request, name string) (*uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return nil, errBadRequest(name, "must be a positive integer, got %q", v)
	}
	return &n, nil
}

func qInt(r *http.Request, name string, def, min, max int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errBadRequest(name, "must be an integer, got %q", v)
	}
	if n < min || n > max {
		return 0, errBadRequest(name, "must be between %d and %d, got %d", min, max, n)
	}
	return n, nil
}

func qBool(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	var b bool
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		b = true
	case "false", "0", "no":
		b = false
	default:
		return nil, errBadRequest(name, "must be true or false, got %q", v)
	}
	return &b, nil
}

// qDate parses YYYY-MM-DD in loc; endOfDay selects 23:59:59 instead of
// 00:00:00.
func qDate(r *http.Request, name string, loc *time.Location, endOfDay bool) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, loc)
	if err != nil {
		return time.Time{}, errBadRequest(name, "must be a date YYYY-MM-DD, got %q", v)
	}
	if endOfDay {
		t = t.Add(24*time.Hour - time.Second)
	}
	return t, nil
}

// pathID parses the {id} path value.
func pathID(r *http.Request) (uint64, error) {
	v := r.PathValue("id")
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, errBadRequest("id", "must be a positive integer, got %q", v)
	}
	return n, nil
}

func isNotFound(err error) bool { return errors.Is(err, wire.ErrNotFound) }

// isNotFoundOf reports a not-found error about the given kind of object
// (the store prefixes its errors with the object kind).
func isNotFoundOf(err error, kind string) bool {
	return isNotFound(err) && strings.HasPrefix(err.Error(), kind)
}

// qPage reads the page (default 1) and page_size (default defSize, at most
// 1000) query parameters; errors name the parameter.
func qPage(r *http.Request, defSize, maxPage int) (page, size int, err error) {
	if page, err = qInt(r, "page", 1, 1, maxPage); err != nil {
		return 0, 0, err
	}
	if size, err = qInt(r, "page_size", defSize, 1, 1000); err != nil {
		return 0, 0, err
	}
	return page, size, nil
}
