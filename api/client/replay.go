package client

import (
	"context"
	"net/url"

	"github.com/hunterbot/hunterbot/api/wire"
)

// ReplayParked queues the replay of the account's parked brain reports on
// its worker (POST /api/accounts/{key}/outbox/replay); an open replay of
// the account is returned instead of a second one.
func (o *Operator) ReplayParked(ctx context.Context, account, note string) (wire.Command, error) {
	var out wire.Command
	err := check(o.r.R().SetContext(ctx).SetBody(wire.ReplayRequest{Note: note}).SetResult(&out).
		Post("/api/accounts/" + url.PathEscape(account) + "/outbox/replay"))
	return out, err
}
