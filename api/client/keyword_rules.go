package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/rules"
)

// KeywordRules fetches the keyword rule set (seed 004) unless the server's
// version equals have (pass 0 the first time). changed is false (and snap
// nil) when the worker's copy is current. Compile the result with
// rules.Compile(snap.Rules, snap.Version) and evaluate locally.
func (w *Worker) KeywordRules(ctx context.Context, have uint64) (snap *wire.KeywordRuleSnapshot, changed bool, err error) {
	var out wire.KeywordRuleSnapshot
	req := w.r.R().SetContext(ctx).SetResult(&out)
	if have > 0 {
		req.SetHeader("If-None-Match", fmt.Sprintf(`"kr-%d"`, have))
	}
	resp, err := req.Get("/api/worker/keyword-rules")
	if err := check(resp, err); err != nil {
		return nil, false, err
	}
	if resp.StatusCode() == http.StatusNotModified {
		return nil, false, nil
	}
	if out.Rules == nil {
		out.Rules = []rules.Rule{}
	}
	return &out, true, nil
}

// PushKeywordHits stores hits the worker evaluated (idempotent on worker,
// msg_id and rule_id, so an outbox may replay a batch).
func (w *Worker) PushKeywordHits(ctx context.Context, hits []wire.KeywordHitInput) ([]wire.KeywordHit, error) {
	var out wire.KeywordHitsResponse
	err := check(w.r.R().SetContext(ctx).SetBody(wire.KeywordHitsRequest{Hits: hits}).SetResult(&out).Post("/api/worker/keyword-hits"))
	return out.Hits, err
}
