package api

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzCheckJSONText: the UTF-8/null gate never panics, passes every valid
// UTF-8 document but null, and names a field for every invalid one.
func FuzzCheckJSONText(f *testing.F) {
	for _, s := range []string{`{"name":"ok"}`, "{\"a\":{\"b\":[1,\"x\xff\"]}}", "{\"k\xff\":1}", `null`, ` null `, `[1,2]`,
		"{\"steps\":[{\"content\":\"\xc3\"}]}", `{"a":`, "\xff", `"str"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		err := checkJSONText(raw)
		if utf8.Valid(raw) {
			var v any
			isNull := json.Unmarshal(raw, &v) == nil && v == nil
			if (err != nil) != isNull {
				t.Fatalf("%q: err %v, null %v", raw, err, isNull)
			}
			return
		}
		ae, ok := err.(*apiError)
		if !ok || ae.Field == "" || ae.Status != 400 {
			t.Fatalf("%q: invalid UTF-8 answered %v", raw, err)
		}
	})
}
