package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// readRaw reads the whole request body (bounded by the route's
// MaxBytesReader).
func readRaw(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, errBadRequest("body", "required")
	}
	return io.ReadAll(r.Body)
}

// checkJSONText rejects what encoding/json would silently accept or turn
// into something else: invalid UTF-8 (which it replaces with U+FFFD and
// would be stored as such) and a bare null (which decodes into nothing, so
// a PUT would be a no-op or clear settings). Errors name the field.
func checkJSONText(raw []byte) error {
	// JSON whitespace only: bytes.TrimSpace would also strip \v and U+0085,
	// calling "\vnull" (a syntax error) a null body.
	if t := bytes.Trim(raw, " \t\r\n"); bytes.Equal(t, []byte("null")) {
		return errBadRequest("body", "must be a JSON object, not null")
	}
	if utf8.Valid(raw) {
		return nil
	}
	return errBadRequest(invalidUTF8Field(raw), "must be valid UTF-8")
}

// invalidUTF8Field walks raw (known to hold invalid UTF-8) token by token
// and returns the path (a.b[2].c) of the first string whose bytes are not
// UTF-8, "body" when the document does not parse that far.
func invalidUTF8Field(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	type frame struct {
		obj    bool
		key    string // current key in an object
		keyNow bool   // next string token is a key
		idx    int    // next index in an array
	}
	var stack []*frame
	path := func() string {
		p := ""
		for _, f := range stack {
			if f.obj {
				if p != "" {
					p += "."
				}
				p += f.key
			} else {
				p += "[" + strconv.Itoa(f.idx-1) + "]"
			}
		}
		if p == "" {
			return "body"
		}
		return p
	}
	// valueDone advances the enclosing container after a value.
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].keyNow = true
		}
	}
	valueStart := func() {
		if n := len(stack); n > 0 && !stack[n-1].obj {
			stack[n-1].idx++
		}
	}
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "body"
		}
		end := dec.InputOffset()
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				valueStart()
				stack = append(stack, &frame{obj: v == '{', keyNow: v == '{'})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			bad := !utf8.Valid(raw[start:end])
			if top != nil && top.obj && top.keyNow {
				if bad {
					return path() // the key itself: name its object
				}
				top.key, top.keyNow = v, false
				continue
			}
			valueStart()
			if bad {
				return path()
			}
			valueDone()
		default:
			valueStart()
			valueDone()
		}
	}
}
