package bot

import (
	"context"
	"time"

	"github.com/hunterbot/hunterbot/internal/browser"
	"github.com/hunterbot/hunterbot/pages"
)

// Profiles mode: one Chromium per account, each on a persistent profile
// directory of its own (<profiles_dir>/<account id>, 0700) that survives
// restarts and recycles, so the site always sees the account in the same
// long-lived browser. The account's tab lives in the browser's default
// context, whose cookies and storage the profile keeps. It costs a whole
// Chromium (browser, GPU, network and renderer processes) per account;
// docs/density.md puts both modes side by side.

// attachProfiles launches every agent's browser and opens its session.
// A given shared browser (RuntimeOptions.Browser, tests) is not used: the
// mode is about each account having its own.
func (rt *Runtime) attachProfiles(ctx context.Context) error {
	rt.detach = append(rt.detach, func() { rt.profiles = nil })
	for _, a := range rt.agents {
		b, err := browser.LaunchProfile(ctx, browser.Options{Bin: rt.cfg.Browser.Bin, Show: rt.cfg.Browser.Show},
			rt.cfg.Browser.ProfilesDir, a.cfg.ID)
		if err != nil {
			rt.release()
			return err
		}
		rt.detach = append(rt.detach, func() { _ = b.Close() })
		rt.profiles = append(rt.profiles, b)
		if len(rt.profiles) == 1 {
			rt.pid.Store(int64(b.PID()))
		}
		sess, err := pages.NewSession(b.Rod(), pages.Options{BaseURL: rt.cfg.Site.BaseURL, Selectors: &rt.sel})
		if err != nil {
			rt.release()
			return err
		}
		rt.detach = append(rt.detach, func() { _ = sess.Close() })
		a.Site = PageSite{sess}
	}
	return nil
}

// watchProfiles is watchBrowser for profiles mode: any account's browser
// that stops answering, or the recycle period, restarts them all (on the
// same profiles).
func (rt *Runtime) watchProfiles(ctx context.Context) string {
	var recycle <-chan time.Time
	if every := rt.cfg.Browser.RecycleEvery; every > 0 {
		t := time.NewTimer(every)
		defer t.Stop()
		recycle = t.C
	}
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ""
		case <-recycle:
			return "recycle"
		case <-tick.C:
			for _, b := range rt.profiles {
				if err := b.Ping(ctx, 10*time.Second); err != nil && ctx.Err() == nil {
					rt.opts.Log.Error().Err(err).Str("profile", b.DataDir()).Msg("browser not answering")
					return "crashed"
				}
			}
		}
	}
}
