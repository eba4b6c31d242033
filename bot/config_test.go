package bot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/internal/config"
)

func TestExampleWorkerConfigLoads(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "configs", "worker.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := cfg.Account("acc-bj-1")
	if !ok || a.Login.Method != "qr" || a.Pacing == nil || a.Pacing.Greet.Gap.Min != 30*time.Second ||
		a.Hosting.ReplyDelay != 10*time.Second || a.Jobs[0].Position != "Go开发" {
		t.Fatalf("example config decoded as %+v", a)
	}
	if *a.Pacing != DefaultPacing() {
		t.Fatalf("the example's pacing differs from DefaultPacing:\n%+v\n%+v", *a.Pacing, DefaultPacing())
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	base := "worker_id: w\nsite: {base_url: http://127.0.0.1:7001}\nbrain: {url: http://127.0.0.1:7003}\ncontrol: {url: http://127.0.0.1:8000}\n"
	acc := "accounts:\n  - id: a\n    platform_id: p\n    login: {method: password, username: u, password: x}\n"
	tests := []struct {
		yaml, want string
	}{
		{base + acc, ""},
		{base, "accounts: at least one"},
		{strings.Replace(base, "worker_id: w\n", "", 1) + acc, "worker_id: required"},
		{strings.Replace(base, "http://127.0.0.1:7003", "ftp://x", 1) + acc, "brain.url"},
		{base + acc + "    contact_requests: [fax]\n", `accounts[0].contact_requests: unknown request "fax"`},
		{base + acc + "    hosting: {reply_strategy: SOMETIMES}\n", "accounts[0].hosting.reply_strategy"},
		{base + acc + "    pacing: {quiet_start: \"22:00\"}\n", "accounts[0].pacing.quiet_start and pacing.quiet_end"},
		{base + acc + "  - id: a\n    platform_id: q\n    login: {method: qr}\n", `accounts[1].id: duplicate account "a"`},
		{base + acc + "    logn: {}\n", `"logn": unknown key`},
		// Profiles mode hosts managed accounts too: each gets its own
		// Chromium when assigned (profiles.go).
		{base + "browser: {mode: profiles}\ncapacity: {max_accounts: 4}\n", ""},
		{base + "browser: {mode: tabs}\n" + acc, `browser.mode: want contexts or profiles, got "tabs"`},
		{base + "browser: {mode: profiles, profile_dir: /srv/hb, profiles_dir: /srv/hb/accounts}\n" + acc, "browser.profiles_dir: /srv/hb/accounts overlaps browser.profile_dir"},
		{base + "browser: {mode: profiles, profile_dir: /srv/hb/one, profiles_dir: /srv/hb}\n" + acc, "browser.profiles_dir: /srv/hb overlaps"},
		{base + "browser: {mode: profiles, profile_dir: /srv/hb-one, profiles_dir: /srv/hb}\n" + acc, ""},
		{base + "browser: {mode: contexts, profile_dir: /srv/hb, profiles_dir: /srv/hb}\n" + acc, ""},
		{base + strings.Replace(acc, "id: a", `id: ".."`, 1), "accounts[0].id: required, without spaces, slashes or backslashes, not . or .."},
		{base + strings.Replace(acc, "id: a", `id: 'a\b'`, 1), "accounts[0].id"},
	}
	for _, tt := range tests {
		p := filepath.Join(t.TempDir(), "w.yaml")
		if err := os.WriteFile(p, []byte(tt.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(p)
		if tt.want == "" {
			if err != nil {
				t.Errorf("valid config rejected: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, config.ErrInvalid) {
			t.Errorf("config error = %v, want it to contain %q and wrap ErrInvalid", err, tt.want)
		}
	}
}

func TestPartialPacingKeepsOtherDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.yaml")
	y := "worker_id: w\nsite: {base_url: http://127.0.0.1:7001}\nbrain: {url: http://127.0.0.1:7003}\ncontrol: {url: http://127.0.0.1:8000}\n" +
		"accounts:\n  - id: a\n    platform_id: p\n    login: {method: qr}\n    pacing:\n      greet: {gap: {min: 90s, max: 2m}, per_day: 50}\n"
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	got, def := *cfg.Accounts[0].Pacing, DefaultPacing()
	if got.Greet.Gap.Min != 90*time.Second || got.Greet.PerDay != 50 || got.Message != def.Message ||
		got.Browse != def.Browse || got.QuietStart != "22:00" {
		t.Fatalf("partial pacing = %+v", got)
	}
}
