package brain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSnippetCutsAtARuneBoundary(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{"  short  ", "short"},
		{strings.Repeat("a", 200), strings.Repeat("a", 200)},
		{strings.Repeat("a", 201), strings.Repeat("a", 200) + "…"},
		// 67 three-byte runes = 201 bytes: byte 200 is inside the 67th rune.
		{strings.Repeat("错", 67), strings.Repeat("错", 66) + "…"},
		{"x" + strings.Repeat("错", 70), "x" + strings.Repeat("错", 66) + "…"},
	}
	for _, tt := range tests {
		got := snippet([]byte(tt.body))
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("snippet(%d bytes) = %q (valid %v), want %q", len(tt.body), got, utf8.ValidString(got), tt.want)
		}
	}
}
