package api_test

import (
	"github.com/hunterbot/hunterbot/api"
	"github.com/hunterbot/hunterbot/state"
)

// The bbolt backend implements the whole Store port; api itself imports no
// backend, so the check lives here.
var _ api.Store = (*state.DB)(nil)
