package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Reply is the structured answer of a conversation turn.
type Reply struct {
	NextStep string `json:"nextStep"`
	Content  string `json:"content"`
}

// replySchema builds the JSON schema of Reply with nextStep limited to the
// allowed values (strict structured output needs every property required
// and additionalProperties false).
func replySchema(steps []string) json.RawMessage {
	enum, _ := json.Marshal(steps)
	return json.RawMessage(`{"type":"object","properties":{"nextStep":{"type":"string","enum":` + string(enum) +
		`},"content":{"type":"string"}},"required":["nextStep","content"],"additionalProperties":false}`)
}

// Reply asks for a {nextStep, content} object and validates it: nextStep
// must be one of steps (the server may not enforce the schema: json_object
// mode, or a server that ignores response_format), content a string.
// Unknown keys, trailing data and a missing field are ErrInvalidOutput.
func (c *Client) Reply(ctx context.Context, msgs []Message, steps []string) (Reply, error) {
	content, err := c.Complete(ctx, msgs, &Schema{Name: "chat_reply", Schema: replySchema(steps)})
	if err != nil {
		return Reply{}, err
	}
	return ParseReply(content, steps)
}

// ParseReply validates a model's structured answer (exported for the
// evaluation tool and fuzzing).
func ParseReply(content string, steps []string) (Reply, error) {
	var raw struct {
		NextStep *string `json:"nextStep"`
		Content  *string `json:"content"`
	}
	dec := json.NewDecoder(strings.NewReader(stripFence(content)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Reply{}, fmt.Errorf("%w: %v", ErrInvalidOutput, err)
	}
	if dec.More() {
		return Reply{}, fmt.Errorf("%w: trailing data after the object", ErrInvalidOutput)
	}
	if raw.NextStep == nil {
		return Reply{}, fmt.Errorf("%w: nextStep missing", ErrInvalidOutput)
	}
	if raw.Content == nil {
		return Reply{}, fmt.Errorf("%w: content missing", ErrInvalidOutput)
	}
	if !slices.Contains(steps, *raw.NextStep) {
		return Reply{}, fmt.Errorf("%w: nextStep %q is not one of %v", ErrInvalidOutput, *raw.NextStep, steps)
	}
	return Reply{NextStep: *raw.NextStep, Content: strings.TrimSpace(*raw.Content)}, nil
}

// Verdict is a classifier's structured answer (a scene's prompt).
type Verdict struct {
	Hit    bool   `json:"hit"`
	Reason string `json:"reason"`
}

var verdictSchema = json.RawMessage(`{"type":"object","properties":{"hit":{"type":"boolean"},"reason":{"type":"string"}},"required":["hit","reason"],"additionalProperties":false}`)

// Classify asks a yes/no question about a text and validates the answer.
func (c *Client) Classify(ctx context.Context, msgs []Message) (Verdict, error) {
	content, err := c.Complete(ctx, msgs, &Schema{Name: "scene_verdict", Schema: verdictSchema})
	if err != nil {
		return Verdict{}, err
	}
	var raw struct {
		Hit    *bool  `json:"hit"`
		Reason string `json:"reason"`
	}
	dec := json.NewDecoder(strings.NewReader(stripFence(content)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil || raw.Hit == nil {
		return Verdict{}, fmt.Errorf("%w: verdict must be {\"hit\":bool,\"reason\":string}", ErrInvalidOutput)
	}
	return Verdict{Hit: *raw.Hit, Reason: raw.Reason}, nil
}

// stripFence removes a ```json fence some models wrap JSON in when the
// server does not enforce response_format.
func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "```") {
		return s
	}
	s = strings.TrimPrefix(s, "```")
	if i := strings.IndexByte(s, '\n'); i >= 0 && !bytes.ContainsAny([]byte(s[:i]), "{[") {
		s = s[i+1:]
	}
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "```"))
}
