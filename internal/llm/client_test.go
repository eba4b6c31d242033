package llm_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/llm"
	"github.com/hunterbot/hunterbot/internal/llm/llmtest"
)

var steps = []string{"normal_chat", "need_contact", "noTalk"}

func newClient(t *testing.T, fake *llmtest.Server, mut func(*llm.Config)) *llm.Client {
	t.Helper()
	cfg := llm.Config{BaseURL: fake.BaseURL(), Model: "m1", APIKeyEnv: "TEST_LLM_KEY", Allow: []string{"127.0.0.1"}, Timeout: 5 * time.Second}
	if mut != nil {
		mut(&cfg)
	}
	c, err := llm.New(cfg, llm.Options{Getenv: func(k string) string {
		if k == "TEST_LLM_KEY" {
			return "sk-test-123"
		}
		return ""
	}, BackoffBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReplyStructuredOutput(t *testing.T) {
	fake := llmtest.New(func(llmtest.Request) llmtest.Answer {
		return llmtest.Answer{Content: llmtest.JSONReply("need_contact", " 薪资15-20K，方便加个微信吗？ ")}
	})
	defer fake.Close()
	c := newClient(t, fake, nil)
	r, err := c.Reply(context.Background(), []llm.Message{{Role: llm.RoleSystem, Content: "s"}, {Role: llm.RoleUser, Content: "工资多少"}}, steps)
	if err != nil {
		t.Fatal(err)
	}
	if r.NextStep != "need_contact" || r.Content != "薪资15-20K，方便加个微信吗？" {
		t.Fatalf("reply = %+v", r)
	}
	if v := fake.Violations(); len(v) > 0 {
		t.Fatalf("request shape: %v", v)
	}
	req := fake.Requests()[0]
	if req.Auth != "Bearer sk-test-123" || req.Model != "m1" {
		t.Fatalf("auth %q model %q", req.Auth, req.Model)
	}
	rf := req.ResponseFormat
	if rf == nil || rf.Type != "json_schema" || rf.JSONSchema == nil || !rf.JSONSchema.Strict ||
		!strings.Contains(string(rf.JSONSchema.Schema), `"enum":["normal_chat","need_contact","noTalk"]`) {
		t.Fatalf("response_format = %+v", rf)
	}
}

func TestJSONObjectMode(t *testing.T) {
	fake := llmtest.New(func(llmtest.Request) llmtest.Answer {
		return llmtest.Answer{Content: "```json\n" + llmtest.JSONReply("normal_chat", "好的") + "\n```"}
	})
	defer fake.Close()
	c := newClient(t, fake, func(c *llm.Config) { c.ResponseFormat = llm.FormatJSONObject })
	r, err := c.Reply(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "x"}}, steps)
	if err != nil || r.Content != "好的" {
		t.Fatalf("reply %+v err %v", r, err)
	}
	if rf := fake.Requests()[0].ResponseFormat; rf == nil || rf.Type != "json_object" || rf.JSONSchema != nil {
		t.Fatalf("response_format = %+v", rf)
	}
}

func TestParseReplyRejects(t *testing.T) {
	for _, in := range []string{
		``, `not json`, `{"nextStep":"send_money","content":"x"}`, `{"content":"x"}`, `{"nextStep":"noTalk"}`,
		`{"nextStep":"noTalk","content":"x","extra":1}`, `{"nextStep":"noTalk","content":"x"} {}`,
		`{"nextStep":1,"content":"x"}`, `[]`,
	} {
		if _, err := llm.ParseReply(in, steps); !errors.Is(err, llm.ErrInvalidOutput) {
			t.Errorf("ParseReply(%q) err = %v, want ErrInvalidOutput", in, err)
		}
	}
}

func TestRefusalAndTruncation(t *testing.T) {
	for name, a := range map[string]llmtest.Answer{
		"refusal":        {Refusal: "I'm sorry, I cannot help with that."},
		"content_filter": {Content: "", FinishReason: "content_filter"},
	} {
		fake := llmtest.New(func(llmtest.Request) llmtest.Answer { return a })
		c := newClient(t, fake, nil)
		if _, err := c.Reply(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "x"}}, steps); !errors.Is(err, llm.ErrRefusal) {
			t.Errorf("%s: err = %v", name, err)
		}
		fake.Close()
	}
	fake := llmtest.New(func(llmtest.Request) llmtest.Answer {
		return llmtest.Answer{Content: `{"nextStep":"normal_chat","content":"薪资`, FinishReason: "length"}
	})
	defer fake.Close()
	if _, err := newClient(t, fake, nil).Reply(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "x"}}, steps); !errors.Is(err, llm.ErrInvalidOutput) {
		t.Fatalf("truncated: err = %v", err)
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		first     llmtest.Answer
		wantCalls int32
		wantErr   bool
	}{
		{"rate limited then ok", llmtest.Answer{Status: 429, ErrType: "requests", ErrCode: "rate_limit_exceeded", RetryAfter: "0"}, 2, false},
		{"overloaded then ok", llmtest.Answer{Status: 503, ErrType: "service_unavailable_error", ErrCode: "server_is_overloaded"}, 2, false},
		{"quota exhausted: no retry", llmtest.Answer{Status: 429, ErrType: "insufficient_quota", ErrCode: "insufficient_quota"}, 1, true},
		{"bad request: no retry", llmtest.Answer{Status: 400, ErrType: "invalid_request_error"}, 1, true},
		{"unauthorized: no retry", llmtest.Answer{Status: 401, ErrType: "invalid_request_error", ErrCode: "invalid_api_key"}, 1, true},
		{"retry-after beyond the budget: give up", llmtest.Answer{Status: 429, ErrCode: "rate_limit_exceeded", RetryAfter: "30"}, 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			fake := llmtest.New(func(llmtest.Request) llmtest.Answer {
				if n.Add(1) == 1 {
					return tc.first
				}
				return llmtest.Answer{Content: llmtest.JSONReply("noTalk", "")}
			})
			defer fake.Close()
			_, err := newClient(t, fake, nil).Reply(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "x"}}, steps)
			if (err != nil) != tc.wantErr || n.Load() != tc.wantCalls {
				t.Fatalf("err %v calls %d", err, n.Load())
			}
			var ae *llm.APIError
			if tc.wantErr && (!errors.As(err, &ae) || ae.Status != tc.first.Status || !errors.Is(err, llm.ErrStatus)) {
				t.Fatalf("err = %#v", err)
			}
			if tc.wantErr && strings.Contains(err.Error(), "sk-test") {
				t.Fatal("key in error")
			}
		})
	}
}

// A model that never answers costs the budget, not more: the call returns
// a transport error once the context's deadline passes.
func TestHangingModelEndsAtTheBudget(t *testing.T) {
	fake := llmtest.New(func(llmtest.Request) llmtest.Answer { return llmtest.Answer{Hang: true} })
	defer fake.Close()
	c := newClient(t, fake, func(c *llm.Config) { c.Timeout = 50 * time.Millisecond })
	_, err := c.Reply(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "x"}}, steps)
	if !errors.Is(err, llm.ErrTransport) {
		t.Fatalf("err = %v", err)
	}
	// The caller's context is honoured too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c2 := newClient(t, fake, nil)
	if _, err := c2.Reply(ctx, []llm.Message{{Role: llm.RoleUser, Content: "x"}}, steps); err == nil {
		t.Fatal("cancelled context answered")
	}
}

func TestSSRFGuard(t *testing.T) {
	fake := llmtest.New(func(llmtest.Request) llmtest.Answer { return llmtest.Answer{Content: llmtest.JSONReply("noTalk", "")} })
	defer fake.Close()
	// Loopback without an allow entry: refused at New (literal address).
	if _, err := llm.New(llm.Config{BaseURL: fake.BaseURL(), Model: "m"}, llm.Options{}); err == nil || !strings.Contains(err.Error(), "llm.base_url") {
		t.Fatalf("loopback accepted: %v", err)
	}
	for _, u := range []string{"http://169.254.169.254/v1", "http://10.0.0.1/v1", "http://[::1]:8080/v1", "http://localhost:1/v1", "ftp://x/v1", "http://u:p@api.example.com/v1"} {
		if _, err := llm.New(llm.Config{BaseURL: u, Model: "m"}, llm.Options{}); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if len(fake.Requests()) != 0 {
		t.Fatal("the guarded client reached loopback")
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	for want, cfg := range map[string]llm.Config{
		"llm.model":           {BaseURL: "https://api.example.com/v1"},
		"llm.response_format": {BaseURL: "https://api.example.com/v1", Model: "m", ResponseFormat: "xml"},
		"llm.allow[0]":        {BaseURL: "https://api.example.com/v1", Model: "m", Allow: []string{"nope"}},
		"llm.base_url":        {Model: "m"},
	} {
		if err := cfg.Validate("llm"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
	if _, err := llm.New(llm.Config{BaseURL: "https://api.example.com/v1", Model: "m", APIKeyEnv: "NOPE_UNSET"}, llm.Options{Getenv: func(string) string { return "" }}); err == nil || !strings.Contains(err.Error(), "NOPE_UNSET") {
		t.Fatalf("unset key: %v", err)
	}
}

func TestClassify(t *testing.T) {
	fake := llmtest.New(func(r llmtest.Request) llmtest.Answer {
		return llmtest.Answer{Content: `{"hit":true,"reason":"asks salary"}`}
	})
	defer fake.Close()
	v, err := newClient(t, fake, nil).Classify(context.Background(), []llm.Message{{Role: llm.RoleUser, Content: "x"}})
	if err != nil || !v.Hit {
		t.Fatalf("%+v %v", v, err)
	}
}
