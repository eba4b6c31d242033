// Package llmtest is a fake OpenAI-compatible chat-completions server on
// loopback for tests and benchmarks: it checks each request against the
// documented request shape and answers what a script says (good answers,
// invented facts, refusals, errors, slow or hanging answers).
package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Request is what the fake received (decoded).
type Request struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict bool            `json:"strict"`
		} `json:"json_schema"`
	} `json:"response_format"`
	Temperature *float64 `json:"temperature"`
	MaxTokens   int      `json:"max_tokens"`
	// Auth is the Authorization header.
	Auth string `json:"-"`
}

// System returns the concatenated system messages.
func (r Request) System() string {
	var b strings.Builder
	for _, m := range r.Messages {
		if m.Role == "system" {
			b.WriteString(m.Content)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// LastUser returns the last user message.
func (r Request) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// Answer is one scripted response.
type Answer struct {
	// Content is the assistant message content (ignored when Status or
	// Refusal is set).
	Content string
	// Refusal sets message.refusal (content null).
	Refusal string
	// FinishReason defaults to "stop".
	FinishReason string
	// Status, when not 0 or 200, answers the documented error body with
	// ErrType/ErrCode and the Retry-After header RetryAfter (seconds).
	Status     int
	ErrType    string
	ErrCode    string
	RetryAfter string
	// Delay holds the answer this long (or until the client gives up).
	Delay time.Duration
	// Hang holds the answer until the client gives up or the server closes.
	Hang bool
	// Raw, when set, is written as the body verbatim (status 200).
	Raw string
}

// Script chooses the answer to a request.
type Script func(Request) Answer

// JSONReply formats a structured reply the way a model would.
func JSONReply(step, content string) string {
	b, _ := json.Marshal(map[string]string{"nextStep": step, "content": content})
	return string(b)
}

// Server is the fake.
type Server struct {
	*httptest.Server
	mu     sync.Mutex
	script Script
	reqs   []Request
	bad    []string
	done   chan struct{}
}

// New starts a fake on 127.0.0.1 answering with script.
func New(script Script) *Server {
	s := &Server{script: script, done: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close unblocks hanging answers and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.Server.Close()
}

// SetScript replaces the script.
func (s *Server) SetScript(script Script) {
	s.mu.Lock()
	s.script = script
	s.mu.Unlock()
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Violations lists requests that broke the documented request shape.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bad...)
}

func (s *Server) violate(format string, a ...any) {
	s.mu.Lock()
	s.bad = append(s.bad, fmt.Sprintf(format, a...))
	s.mu.Unlock()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		s.violate("%s %s: want POST /v1/chat/completions", r.Method, r.URL.Path)
		writeErr(w, http.StatusNotFound, "invalid_request_error", "unknown_url", "Unknown request URL", "")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.violate("Content-Type %q", ct)
	}
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.violate("body: %v", err)
		writeErr(w, http.StatusBadRequest, "invalid_request_error", "", "We could not parse the JSON body of your request.", "")
		return
	}
	req.Auth = r.Header.Get("Authorization")
	if req.Model == "" || len(req.Messages) == 0 {
		s.violate("model or messages missing")
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "user", "assistant", "developer":
		default:
			s.violate("messages[%d].role %q", i, m.Role)
		}
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case "json_object", "text":
		case "json_schema":
			if rf.JSONSchema == nil || rf.JSONSchema.Name == "" || len(rf.JSONSchema.Schema) == 0 {
				s.violate("json_schema without name or schema")
			}
		default:
			s.violate("response_format.type %q", rf.Type)
		}
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	script := s.script
	s.mu.Unlock()
	a := script(req)
	if a.Hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	if a.Delay > 0 {
		t := time.NewTimer(a.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
	if a.Status != 0 && a.Status != http.StatusOK {
		writeErr(w, a.Status, a.ErrType, a.ErrCode, "scripted error", a.RetryAfter)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if a.Raw != "" {
		fmt.Fprint(w, a.Raw)
		return
	}
	msg := map[string]any{"role": "assistant", "content": a.Content, "refusal": nil}
	if a.Refusal != "" {
		msg["content"], msg["refusal"] = nil, a.Refusal
	}
	fr := a.FinishReason
	if fr == "" {
		fr = "stop"
	}
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": fr}},
		"usage":   map[string]int{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
	})
}

func writeErr(w http.ResponseWriter, status int, typ, code, msg, retryAfter string) {
	w.Header().Set("Content-Type", "application/json")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	var c any
	if code != "" {
		c = code
	}
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c}})
}

// BaseURL is the base_url to configure (…/v1).
func (s *Server) BaseURL() string { return s.URL + "/v1" }
