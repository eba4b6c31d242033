package testwait

import (
	"context"
	"testing"
	"time"
)

func TestGuardIsBeforeTheBinaryDeadline(t *testing.T) {
	g := Guard(t)
	if dl, ok := t.Deadline(); ok {
		if want := dl.Add(-margin); !g.Equal(want) {
			t.Fatalf("Guard = %v, want %v", g, want)
		}
	} else if time.Until(g) < time.Hour {
		t.Fatalf("without a deadline Guard = %v, want far away", g)
	}
	ctx := Context(t, context.Background())
	if dl, ok := ctx.Deadline(); !ok || !dl.Equal(g) {
		t.Fatalf("Context deadline = %v %v, want %v", dl, ok, g)
	}
}

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	n := 0
	Until(t, "the third look", func() bool { n++; return n == 3 }, nil)
	if n != 3 {
		t.Fatalf("cond called %d times, want 3", n)
	}
}
