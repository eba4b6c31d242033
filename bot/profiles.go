package bot

import (
	"context"

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
