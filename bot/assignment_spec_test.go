package bot

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/hunterbot/hunterbot/api/wire"
)

func TestAccountFromSpec(t *testing.T) {
	spec := wire.AccountSpec{Key: "acc-1", PlatformID: "p1", Login: wire.AccountLogin{Method: "password", Username: "u", Password: "pw"},
		ChatPoll: "5s", ChatSafetyPoll: "10m", DisablePush: true, Pacing: json.RawMessage(`{"greet": {"gap": {"min": "1s", "max": "2s"}, "per_day": 10}}`),
		Hosting: json.RawMessage(`{"reply_delay": "2s"}`),
		Jobs:    []wire.AccountJob{{BrainJobID: "job_boss_1", SiteJobID: "1", Position: "dev"}}}
	a, err := AccountFromSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "acc-1" || a.Name != "acc-1" || a.ChatPoll != 5*time.Second || a.ChatSafetyPoll != 10*time.Minute || !a.DisablePush || a.Pacing == nil || a.Pacing.Greet.PerDay != 10 ||
		a.Pacing.Greet.Gap.Min != time.Second || a.Hosting.ReplyDelay != 2*time.Second || a.Login.Password != "pw" ||
		len(a.ContactRequests) != 1 || len(a.Jobs) != 1 {
		t.Fatalf("converted: %+v", a)
	}
	bad := []struct {
		mut   func(*wire.AccountSpec)
		field string
	}{
		{func(s *wire.AccountSpec) { s.Login.Method = "" }, "login.method"},
		{func(s *wire.AccountSpec) { s.Login.Method = "sms" }, "login.method"},
		{func(s *wire.AccountSpec) { s.Login.Username = "" }, "login.username"},
		{func(s *wire.AccountSpec) { s.PlatformID = "" }, "platform_id"},
		{func(s *wire.AccountSpec) { s.Key = "a b" }, "key"},
		{func(s *wire.AccountSpec) { s.ChatPoll = "soon" }, "chat_poll"},
		{func(s *wire.AccountSpec) { s.ChatSafetyPoll = "-3m" }, "chat_safety_poll"},
		{func(s *wire.AccountSpec) { s.Pacing = json.RawMessage(`{"greeet": {}}`) }, "pacing"},
		{func(s *wire.AccountSpec) { s.Hosting = json.RawMessage(`{"reply_strategy": "X"}`) }, "hosting.reply_strategy"},
		{func(s *wire.AccountSpec) { s.ContactRequests = []string{"fax"} }, "contact_requests"},
		{func(s *wire.AccountSpec) { s.Jobs = []wire.AccountJob{{BrainJobID: "x"}} }, "jobs[0]"},
		{func(s *wire.AccountSpec) { s.FollowupDailyCap = -1 }, "followup_daily_cap"},
	}
	for _, c := range bad {
		s := spec
		c.mut(&s)
		err := ValidateSpec(s)
		var fe *wire.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("want field %q, got %v", c.field, err)
		}
	}
}
