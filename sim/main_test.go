package sim

import (
	"testing"

	"github.com/hunterbot/hunterbot/internal/browsertest"
)

// TestMain shares one headless Chromium across the end-to-end tests and
// checks that none of them leaks a tab or a process.
func TestMain(m *testing.M) { browsertest.Main(m) }
