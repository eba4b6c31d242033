package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

// FuzzTranscriptRequests sends arbitrary bodies to POST
// /api/worker/transcripts and arbitrary candidate ids and queries to GET
// .../messages (real handlers, real bbolt file). Every answer is JSON
// below 500, a 400 names its field, and a push that was accepted is
// idempotent: sending it again adds nothing and leaves the totals as they
// were.
func FuzzTranscriptRequests(f *testing.F) {
	f.Add([]byte(transcriptBody), "g1", "page=1&page_size=2")
	f.Add([]byte(`{"transcripts":[{"account":"boss-a","candidate_id":"g","messages":[{"msg_id":"1","at":"2026-11-30T09:00:00Z","author":"robot","text":"x"}]}]}`), "g", "")
	f.Add([]byte(`{"transcripts":[{"account":"boss-a","candidate_id":"g","messages":[{"msg_id":"1","at":"2026-11-30T09:00:00Z","author":"human","text":"\u003cscript\u003e"},{"msg_id":"1","at":"2026-11-30T09:00:01Z","author":"bot","text":"dup id"}]}]}`), "g%2F1", "page=0")
	f.Add([]byte(`[1,2]`), "", "page_size=100000")
	ft := newFuzzTarget(f, time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	h, pair := ft.h, ft.pair
	do := func(t *testing.T, method, target, token string, body []byte) (int, []byte) {
		req, err := http.NewRequest(method, target, strings.NewReader(string(body)))
		if err != nil {
			return 0, nil
		}
		req.RemoteAddr = "192.0.2.1:1234"
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var v any
		if rec.Code >= 500 || json.Unmarshal(rec.Body.Bytes(), &v) != nil {
			t.Fatalf("%s %s %q: %d %q", method, target, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code == 400 && !strings.Contains(rec.Body.String(), `"field"`) {
			t.Fatalf("%s %s %q: 400 naming no field: %s", method, target, body, rec.Body.Bytes())
		}
		return rec.Code, rec.Body.Bytes()
	}
	f.Fuzz(func(t *testing.T, body []byte, candidate, query string) {
		code, out := do(t, "POST", "/api/worker/transcripts", testWorkerTk, body)
		if code == 200 {
			var first, again wire.TranscriptsResponse
			if err := json.Unmarshal(out, &first); err != nil {
				t.Fatal(err)
			}
			code, out = do(t, "POST", "/api/worker/transcripts", testWorkerTk, body)
			if err := json.Unmarshal(out, &again); err != nil || code != 200 || len(again.Results) != len(first.Results) {
				t.Fatalf("replay of an accepted push: %d %s", code, out)
			}
			for i, r := range again.Results {
				if r.Added != 0 {
					t.Fatalf("replay stored %d messages again: %s", r.Added, out)
				}
				// Totals only ever hold what was stored; a later input of
				// the same conversation in the first push may have added
				// to it, so compare with the conversation's last result.
				last := first.Results[i]
				for _, q := range first.Results {
					if q.Account == r.Account && q.CandidateID == r.CandidateID {
						last = q
					}
				}
				if r.Total != last.Total {
					t.Fatalf("replay changed a total from %d to %d: %s", last.Total, r.Total, out)
				}
			}
		}
		if candidate == "" || candidate == "." || candidate == ".." {
			return // ServeMux cleans such paths with a redirect before any handler
		}
		target := "/api/accounts/boss-a/conversations/" + url.PathEscape(candidate) + "/messages"
		if query != "" {
			target += "?" + query
		}
		do(t, "GET", target, pair.AccessToken, nil)
	})
}
