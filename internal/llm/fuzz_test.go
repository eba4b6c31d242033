package llm

import (
	"errors"
	"slices"
	"testing"
)

// FuzzParseReply: whatever a model writes, ParseReply either returns a
// reply with an allowed nextStep or ErrInvalidOutput; it never panics.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{`{"nextStep":"normal_chat","content":"好"}`, "```json\n{\"nextStep\":\"noTalk\",\"content\":\"\"}\n```", `{`, `null`, `{"nextStep":null,"content":"x"}`, "```"} {
		f.Add(s)
	}
	steps := []string{"normal_chat", "need_contact", "noTalk"}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReply(s, steps)
		if err != nil {
			if !errors.Is(err, ErrInvalidOutput) {
				t.Fatalf("error %v is not ErrInvalidOutput", err)
			}
			return
		}
		if !slices.Contains(steps, r.NextStep) {
			t.Fatalf("nextStep %q", r.NextStep)
		}
	})
}
