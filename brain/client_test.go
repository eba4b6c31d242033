package brain

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/internal/clock"
)

// instantClock makes backoff sleeps return at once (they still honour ctx)
// and records them, so retry tests do not wait on the wall clock.
type instantClock struct {
	clock.Real
	sleeps atomic.Int32
}

func (c *instantClock) Sleep(ctx context.Context, d time.Duration) error {
	c.sleeps.Add(1)
	return ctx.Err()
}

func newTestClient(t *testing.T, h http.HandlerFunc, mod func(*Options)) (*Client, *instantClock) {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	clk := &instantClock{}
	// A fixed dialect: these tests count calls, and an auto client would
	// add its one-off probe (dialect_test.go covers that).
	opts := Options{BaseURL: ts.URL, Clock: clk, Timeout: 2 * time.Second, Dialect: DialectV2}
	if mod != nil {
		mod(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk
}

// html writes body with the reference server's text/html content type.
func html(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	io.WriteString(w, body)
}

func TestDecodesByBodyWhateverContentType(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != PathFilter || r.Method != http.MethodPost {
			t.Errorf("got %s %s", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("request content type %q", ct)
		}
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("request body: %v", err)
		}
		if req["accountID"] != "account_boss_1" || req["candidateInfo"] == nil {
			t.Errorf("request fields: %v", req)
		}
		html(w, 200, `{"ret": 0, "msg": "success", "data": {"touch": true}}`)
	}, nil)
	touch, err := c.Filter(context.Background(), FilterRequest{AccountID: "account_boss_1", CandidateInfo: json.RawMessage(`{"geekCard":{"geekId":1}}`)})
	if err != nil || !touch {
		t.Fatalf("Filter = %v, %v; want true, nil", touch, err)
	}
}

func TestRetFailureIsTypedWithReason(t *testing.T) {
	var calls atomic.Int32
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		html(w, 200, `{"ret": -1, "msg": "fail", "data": "job_id为空"}`)
	}, nil)
	_, err := c.Chat(context.Background(), ChatRequest{AccountID: "a"})
	if !errors.Is(err, ErrRejected) || errors.Is(err, ErrNoRet) || errors.Is(err, ErrTransport) {
		t.Fatalf("err = %v; want ErrRejected only", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Ret != -1 || ae.Reason != "job_id为空" || ae.Msg != "fail" || ae.Endpoint != PathChat {
		t.Fatalf("APIError = %+v", ae)
	}
	if calls.Load() != 1 {
		t.Errorf("a handled failure was sent %d times; want 1 (not retried)", calls.Load())
	}
}

func TestExceptionEnvelopeWithoutRet(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, `{"msg": "exception: 'NoneType' object is not subscriptable", "status": 0, "data": []}`)
	}, nil)
	_, err := c.QueryAccount(context.Background(), "boss", "1")
	if !errors.Is(err, ErrNoRet) || errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v; want ErrNoRet", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.HasRet || !strings.Contains(ae.Reason, "NoneType") {
		t.Fatalf("APIError = %+v", ae)
	}
}

func TestUndecodableBody(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, `<html>oops</html>`)
	}, nil)
	_, err := c.QueryJob(context.Background(), "boss", "1")
	if !errors.Is(err, ErrDecode) {
		t.Fatalf("err = %v; want ErrDecode", err)
	}
	c2, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		html(w, 404, `<html>not found</html>`)
	}, nil)
	_, err = c2.QueryJob(context.Background(), "boss", "1")
	var se *StatusError
	if !errors.Is(err, ErrHTTPStatus) || !errors.As(err, &se) || se.Code != 404 {
		t.Fatalf("err = %v; want StatusError 404", err)
	}
}

func TestSlowResponseHitsPerCallTimeout(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
		html(w, 200, `{"ret":0,"msg":"success","data":{"touch":true}}`)
	}, func(o *Options) { o.Timeout = 50 * time.Millisecond; o.MaxRetries = 2 })
	defer close(release)
	_, err := c.Filter(context.Background(), FilterRequest{AccountID: "a", CandidateInfo: json.RawMessage(`{}`)})
	if !errors.Is(err, ErrTransport) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want a transport error wrapping DeadlineExceeded", err)
	}
	if calls.Load() != 3 {
		t.Errorf("safe call attempted %d times; want 1 + 2 retries", calls.Load())
	}
}

func TestCallerCancelStopsRetries(t *testing.T) {
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		cancel()
		html(w, 503, "busy")
	}, nil)
	_, err := c.FetchTasks(ctx, TaskFetchRequest{AccountID: "a"})
	if err == nil || calls.Load() != 1 {
		t.Fatalf("err = %v after %d calls; want an error after 1 call", err, calls.Load())
	}
}

func TestRetriesOnlySafeCalls(t *testing.T) {
	for _, code := range []int{500, 502, 503, 429} {
		var calls atomic.Int32
		c, clk := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) < 3 {
				html(w, code, "<html>busy</html>")
				return
			}
			html(w, 200, `{"ret":0,"msg":"success","data":{"nextStep":"normal_chat","nextStepContent":"hi"}}`)
		}, nil)
		d, err := c.Chat(context.Background(), ChatRequest{AccountID: "a", CandidateID: "c"})
		if err != nil || d.NextStep != StepNormalChat || calls.Load() != 3 || clk.sleeps.Load() != 2 {
			t.Errorf("HTTP %d: Chat = %+v, %v after %d calls, %d sleeps; want success after 3 calls, 2 backoffs", code, d, err, calls.Load(), clk.sleeps.Load())
		}
	}

	unsafe := map[string]func(c *Client) error{
		"report": func(c *Client) error {
			return c.ReportTask(context.Background(), TaskReportRequest{AccountID: "a"}, WithIdempotencyKey("k1"))
		},
		"result": func(c *Client) error {
			return c.SubmitResult(context.Background(), ResultRequest{AccountID: "a", CandidateID: "c", Phone: "13800000000"})
		},
		"recallResult": func(c *Client) error {
			return c.RecallResult(context.Background(), RecallResultRequest{AccountID: "a", CandidateID: "c"})
		},
		"msgSendReport": func(c *Client) error {
			return c.WechatMsgSendReport(context.Background(), WechatMsgSendReport{AccountID: "a"})
		},
		"addFriendReport": func(c *Client) error {
			return c.WechatAddFriendReport(context.Background(), WechatAddFriendReport{AccountID: "a"})
		},
	}
	for name, call := range unsafe {
		for _, code := range []int{500, 429} {
			var calls atomic.Int32
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				html(w, code, "busy")
			}, nil)
			err := call(c)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != code || calls.Load() != 1 {
				t.Errorf("%s on HTTP %d: err = %v after %d calls; want one StatusError", name, code, err, calls.Load())
			}
		}
	}
}

func TestTransportErrorRetriedOnSafeCall(t *testing.T) {
	// A closed listener: every attempt fails to connect.
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	clk := &instantClock{}
	c, err := New(Options{BaseURL: url, Clock: clk, MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.RecallList(context.Background(), RecallListRequest{AccountID: "a"})
	if !errors.Is(err, ErrTransport) || clk.sleeps.Load() != 2 {
		t.Fatalf("err = %v with %d sleeps; want ErrTransport after 2 backoffs", err, clk.sleeps.Load())
	}
	err = c.RecallResult(context.Background(), RecallResultRequest{AccountID: "a", CandidateID: "c"})
	if !errors.Is(err, ErrTransport) || clk.sleeps.Load() != 2 {
		t.Fatalf("unsafe call: err = %v, sleeps now %d; want ErrTransport without retry", err, clk.sleeps.Load())
	}
}

func TestBearerTokenAndIdempotencyKey(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer s3cret" {
			t.Errorf("Authorization = %q", got)
		}
		if got := r.Header.Get("Idempotency-Key"); got != "report-1" {
			t.Errorf("Idempotency-Key = %q", got)
		}
		html(w, 200, `{"ret":0,"msg":"success","data":{"status":"ok"}}`)
	}, func(o *Options) { o.Token = "s3cret" })
	if err := c.ReportTask(context.Background(), TaskReportRequest{AccountID: "a"}, WithIdempotencyKey("report-1")); err != nil {
		t.Fatal(err)
	}
}

func TestResultIsMultipart(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "multipart/form-data" {
			t.Fatalf("content type %q", r.Header.Get("Content-Type"))
		}
		mr := multipart.NewReader(r.Body, params["boundary"])
		got := map[string]string{}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			if p.FormName() == "cv" {
				got["cv:"+p.FileName()] = string(b)
			} else {
				got[p.FormName()] = string(b)
			}
		}
		want := map[string]string{"accountID": "a", "candidateID": "c", "candidateName": "张三", "wechat": "wx_1", "filename": "cv.pdf", "cv:cv.pdf": "%PDF"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("field %s = %q, want %q", k, got[k], v)
			}
		}
		if _, ok := got["phone"]; ok {
			t.Errorf("empty phone was sent")
		}
		html(w, 200, `{"ret":0,"msg":"success","data":{"status":"ok"}}`)
	}, nil)
	err := c.SubmitResult(context.Background(), ResultRequest{AccountID: "a", CandidateID: "c", CandidateName: "张三",
		Wechat: "wx_1", Filename: "cv.pdf", CV: []byte("%PDF")})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	if _, err := New(Options{BaseURL: "127.0.0.1:7003"}); err == nil {
		t.Fatal("want an error for a URL without scheme")
	}
}

func TestCallLogCarriesNoPersonalData(t *testing.T) {
	var buf strings.Builder
	log := zerolog.New(&buf)
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		html(w, 200, `{"ret":0,"msg":"success","data":{"nextStep":"normal_chat","nextStepContent":"好的，我加您细聊"}}`)
	}, func(o *Options) { o.Logger = &log })
	_, err := c.Chat(context.Background(), ChatRequest{AccountID: "account_boss_1", CandidateID: "c1", CandidateName: "王小明",
		HistoryMsg: []ChatMessage{{Speaker: SpeakerUser, Msg: "我微信 wxid_secret 电话13812345678"}}})
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(buf.String()), &line); err != nil {
		t.Fatalf("log %q: %v", buf.String(), err)
	}
	if line["endpoint"] != PathChat || line["accountID"] != "account_boss_1" || line["outcome"] != "ok" || line["attempt"] != float64(1) || line["latency"] == nil {
		t.Errorf("log line = %v", line)
	}
	for _, secret := range []string{"王小明", "wxid_secret", "13812345678", "我加您细聊"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("log contains personal data %q: %s", secret, buf.String())
		}
	}
}
