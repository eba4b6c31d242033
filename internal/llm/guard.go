package llm

import (
	"errors"
	"fmt"

	"github.com/hunterbot/hunterbot/internal/netguard"
)

// ErrForbiddenAddr is returned (wrapped) when the model endpoint resolves to
// an address that is not public and not in the config's llm.allow. It is
// netguard's sentinel: a self-hosted model (vLLM, Ollama) on loopback or a
// private network is reached only when the operator lists its address.
var ErrForbiddenAddr = netguard.ErrForbidden

// checkBaseURL refuses at start a base URL that is not http(s), carries
// credentials, or has a literal host the guard would refuse at every call,
// so the operator learns it at once.
func checkBaseURL(g netguard.Guard, key, raw string) error {
	u, err := g.CheckURL(raw)
	switch {
	case errors.Is(err, netguard.ErrNotHTTP):
		return fmt.Errorf("%s: %q must be an http(s) URL", key, raw)
	case err != nil:
		return fmt.Errorf("%s: %v (add it to llm.allow to permit a self-hosted model)", key, err)
	case u.User != nil:
		return fmt.Errorf("%s: must not carry credentials (use api_key_env)", key)
	}
	return nil
}
