package brain_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hunterbot/hunterbot/brain"
)

// FuzzClientDecodesAnyAnswer serves arbitrary status codes and bodies to
// the real client (over loopback HTTP) and checks that every answer becomes
// a result or one of the documented error types, never a panic. Seeds are
// the recorded contract answers.
func FuzzClientDecodesAnyAnswer(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "contract", "*.json"))
	for _, p := range files {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var ex struct {
			Response json.RawMessage `json:"response"`
		}
		if json.Unmarshal(raw, &ex) == nil && len(ex.Response) > 0 {
			f.Add(200, []byte(ex.Response))
		}
	}
	for _, s := range []string{`{"ret":0,"msg":"success","data":null}`, `{"ret":-1,"msg":"fail","data":"job_id为空"}`,
		`{"msg":"exception: x","status":0,"data":[]}`, `{"ret":0,"data":{"touch":"yes"}}`, `not json`, ``, `{"ret":null}`} {
		f.Add(200, []byte(s))
	}
	f.Add(503, []byte("down"))
	f.Add(404, []byte(`{"ret":0}`))

	var mu sync.Mutex
	var status int
	var body []byte
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		st, b := status, body
		mu.Unlock()
		w.WriteHeader(st)
		w.Write(b)
	}))
	f.Cleanup(ts.Close)
	c, err := brain.New(brain.Options{BaseURL: ts.URL, MaxRetries: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, st int, b []byte) {
		if st < 200 || st > 599 {
			st = 200 + (st%400+400)%400
		}
		mu.Lock()
		status, body = st, b
		mu.Unlock()
		ctx := context.Background()
		check := func(what string, err error) {
			if err == nil {
				return
			}
			var ae *brain.APIError
			var de *brain.DecodeError
			var se *brain.StatusError
			var te *brain.TransportError
			if !errors.As(err, &ae) && !errors.As(err, &de) && !errors.As(err, &se) && !errors.As(err, &te) {
				t.Fatalf("%s: status %d body %q: untyped error %T %v", what, st, b, err, err)
			}
		}
		_, err := c.FetchTasks(ctx, brain.TaskFetchRequest{AccountID: "account_boss_1"})
		check("task/fetch", err)
		_, err = c.Filter(ctx, brain.FilterRequest{AccountID: "account_boss_1"})
		check("candidate/filter", err)
		_, err = c.Chat(ctx, brain.ChatRequest{AccountID: "account_boss_1"})
		check("chat", err)
	})
}
