package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Summary is a model's structured view of a conversation: the candidate's
// mood (one of the caller's values) and a short summary.
type Summary struct {
	Mood    string `json:"mood"`
	Summary string `json:"summary"`
}

func summarySchema(moods []string) json.RawMessage {
	enum, _ := json.Marshal(moods)
	return json.RawMessage(`{"type":"object","properties":{"mood":{"type":"string","enum":` + string(enum) +
		`},"summary":{"type":"string"}},"required":["mood","summary"],"additionalProperties":false}`)
}

// Summarize asks for a {mood, summary} object (schema name
// "member_summary") and validates it: mood must be one of moods, summary a
// non-empty string. Unknown keys and a missing field are ErrInvalidOutput.
func (c *Client) Summarize(ctx context.Context, msgs []Message, moods []string) (Summary, error) {
	content, err := c.Complete(ctx, msgs, &Schema{Name: "member_summary", Schema: summarySchema(moods)})
	if err != nil {
		return Summary{}, err
	}
	return ParseSummary(content, moods)
}

// ParseSummary validates a model's summary answer.
func ParseSummary(content string, moods []string) (Summary, error) {
	var raw struct {
		Mood    *string `json:"mood"`
		Summary *string `json:"summary"`
	}
	dec := json.NewDecoder(strings.NewReader(stripFence(content)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Summary{}, fmt.Errorf("%w: %v", ErrInvalidOutput, err)
	}
	if dec.More() {
		return Summary{}, fmt.Errorf("%w: trailing data after the object", ErrInvalidOutput)
	}
	if raw.Mood == nil || !slices.Contains(moods, *raw.Mood) {
		return Summary{}, fmt.Errorf("%w: mood must be one of %v", ErrInvalidOutput, moods)
	}
	if raw.Summary == nil || strings.TrimSpace(*raw.Summary) == "" {
		return Summary{}, fmt.Errorf("%w: summary missing", ErrInvalidOutput)
	}
	return Summary{Mood: *raw.Mood, Summary: strings.TrimSpace(*raw.Summary)}, nil
}
