package demo

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
	"github.com/hunterbot/hunterbot/state/worker"
)

// Seed 000's cadence and seed 003's recall over five simulated days.
// Follow-ups (job 1001 has a config): day-1 scripts in order, day 2 after
// its interval, day-0 scripts repeating after theirs; nothing after a reply
// or an opt-out; nothing in quiet hours; every send recorded. Recall (job
// 1002 has no config): only inside the brain's windows, at most three per
// candidate, never once a contact is known.
func TestFollowupsAndRecallAcrossDays(t *testing.T) {
	t.Parallel()
	sc := manualScenario()
	clk := clock.NewManual(sc.Start)
	counter := &chatCounter{calls: map[string][]time.Time{}, clk: clk}
	dir := t.TempDir()
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: dir, Scenario: sc, Clock: clk,
		Seed: 21, Log: zerolog.Nop(), Browser: browsertest.Browser(t), HelloSum: 6, ChatPoll: 20 * time.Minute,
		Middleware: counter.wrap,
		// Five days of 30 s heartbeats are 14,400 round trips to the
		// control plane that the discrete-event loop waits for one by one
		// (about a sixth of the run on a loaded machine).
		Heartbeat: manualHeartbeat,
		// The whole chat list (a reload of the chat page) every hour, the
		// pushed conversations in between: with the default 3 min safety
		// net every 20 min cycle reloaded the page, 366 loads in five sim
		// days and about a third of the test's CPU. Production runs the
		// same two kinds of pass (chat_poll 20 s, safety net 3 min).
		WorkerHook: func(c *bot.Config) {
			for i := range c.Accounts {
				c.Accounts[i].ChatSafetyPoll = time.Hour
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	scripts := []followupScript{
		{Day: 1, Order: 1, Interval: 24, Content: "后续沟通会更及时，您方便留一下您的微信号吗？我这边加您。"},
		{Day: 1, Order: 2, Interval: 2, Content: "看到您的经历很匹配，方便的话聊聊？"},
		{Day: 2, Order: 1, Interval: 20, Content: "您好，不知道您是否方便留个联系方式？"},
		{Day: 0, Order: 1, Interval: 20, Content: "您好，如果您感兴趣可以随时联系我。"},
	}
	createFollowups(t, d, "Go开发", scripts)
	h := &harness{t: t, d: d, clk: clk}
	end := sc.Start.Add(5 * 24 * time.Hour)
	h.run(end)
	if h.clk.Now().Before(end) {
		t.Fatalf("run stopped early at %v", h.clk.Now())
	}

	truth := d.Sim.Truth().Accounts["demo"]
	if len(truth.DuplicateGreetings) != 0 || len(truth.DuplicateMessages) != 0 || len(truth.MessagesAfterOptOut) != 0 {
		t.Fatalf("duplicates or messages after opt-out: %+v %+v %+v", truth.DuplicateGreetings, truth.DuplicateMessages, truth.MessagesAfterOptOut)
	}
	wdb, err := worker.Open(filepath.Join(dir, "worker", "worker.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer wdb.Close()
	convs := workerConversations(t, wdb, "demo")
	scriptIdx := map[string]int{}
	for i, s := range scripts {
		scriptIdx[s.Content] = i
	}
	jobOf := map[int64]int64{}
	for _, g := range truth.Greetings {
		jobOf[g.CandidateID] = g.JobID
	}
	type sent struct {
		idx int
		at  time.Time
	}
	byCand := map[int64][]sent{}
	total := 0
	for _, m := range truth.Messages {
		i, ok := scriptIdx[m.Text]
		if !ok || m.By != sim.ByBot {
			continue
		}
		total++
		local := m.Time.In(clock.Shanghai)
		if local.Hour() >= 22 || local.Hour() < 8 {
			t.Errorf("follow-up to %d in quiet hours at %v", m.CandidateID, local)
		}
		if jobOf[m.CandidateID] != 1001 {
			t.Errorf("follow-up for job %d, but only the Go开发 config exists (candidate %d)", jobOf[m.CandidateID], m.CandidateID)
		}
		byCand[m.CandidateID] = append(byCand[m.CandidateID], sent{i, m.Time})
	}
	if total == 0 {
		t.Fatal("no follow-up was sent in four days")
	}
	fullCadences := 0
	for cand, list := range byCand {
		c := convs[strconv.FormatInt(cand, 10)]
		if c.Replied && list[len(list)-1].at.After(c.RepliedAt) {
			t.Errorf("candidate %d replied at %v but got a follow-up at %v", cand, c.RepliedAt, list[len(list)-1].at)
		}
		// Order: day-1 scripts, then day 2, then day 0 repeating.
		wantIdx := []int{0, 1, 2}
		for k, s := range list {
			want := 3
			if k < len(wantIdx) {
				want = wantIdx[k]
			}
			if s.idx != want {
				t.Errorf("candidate %d: follow-up %d is script %d, want %d", cand, k, s.idx, want)
			}
			if k > 0 {
				gap := s.at.Sub(list[k-1].at)
				floor := time.Duration(scripts[s.idx].Interval) * time.Hour
				if gap < floor {
					t.Errorf("candidate %d: follow-up %d came %v after the previous, interval is %v", cand, k, gap, floor)
				}
			}
			day := int(startOfDayIn(s.at).Sub(startOfDayIn(c.GreetedAt)).Hours()/24) + 1
			if s.idx == 2 && day < 2 {
				t.Errorf("candidate %d: the day-2 script went out on day %d", cand, day)
			}
		}
		if len(list) >= 5 {
			fullCadences++
		}
	}
	if fullCadences == 0 {
		t.Errorf("no candidate received the whole cadence incl. a repeated day-0 script: %v", byCand)
	}
	// Every follow-up is a follow_up_record in the control plane.
	records := 0
	for cand := range byCand {
		contact := contactIDOf(t, d, strconv.FormatInt(cand, 10))
		for _, r := range followupRecords(t, d, contact) {
			if r.SentAt != nil {
				records++
			}
		}
	}
	if records != total {
		t.Errorf("%d follow-ups sent, %d follow_up_records with sent_at", total, records)
	}
	// Recall: every recall message is inside its window, counted from the
	// brain's last update of the conversation (its last chat call or the
	// previous recall), in Shanghai calendar days.
	recallTexts := map[string]bool{
		"哈喽 哈喽 不知道看到消息了么？最近是在忙？方便的话留个联系方式，咱们细聊": true,
		"hi 亲，您对我们感兴趣的话，方便交换个联系方式或者简历吗？":        true,
		"哈喽 亲 看给你发消息一直没有回复，是不感兴趣？有兴趣的话随时回复我":    true,
	}
	recalls := map[int64][]time.Time{}
	for _, m := range truth.Messages {
		if m.By == sim.ByBot && recallTexts[m.Text] {
			recalls[m.CandidateID] = append(recalls[m.CandidateID], m.Time)
		}
	}
	nRecalls := 0
	for cand, times := range recalls {
		id := strconv.FormatInt(cand, 10)
		if jobOf[cand] != 1002 {
			t.Errorf("recall to %d of job %d, which the follow-up cadence covers", cand, jobOf[cand])
		}
		if len(times) > 3 {
			t.Errorf("%d recalls to %d, at most 3", len(times), cand)
		}
		for _, disc := range truth.Disclosures {
			if disc.CandidateID == cand && disc.Time.Before(times[len(times)-1].Add(-time.Hour)) {
				t.Errorf("recall to %d at %v after it disclosed a %s at %v", cand, times[len(times)-1], disc.Type, disc.Time)
			}
		}
		for k, at := range times {
			var last time.Time
			for _, call := range counter.calls[id] {
				if call.Before(at) && call.After(last) {
					last = call
				}
			}
			if k > 0 && times[k-1].After(last) {
				last = times[k-1]
			}
			days := int(startOfDayIn(at).Sub(startOfDayIn(last)).Hours() / 24)
			lo, hi := 1, 3
			if k == 2 {
				lo, hi = 2, 7
			}
			if days < lo || days > hi {
				t.Errorf("recall %d to %d at %v: %d days after the last update %v, window %d..%d", k+1, cand, at, days, last, lo, hi)
			}
			nRecalls++
		}
	}
	if nRecalls == 0 {
		t.Error("no recall was sent in five days")
	}
	t.Logf("%d follow-ups to %d candidates (%d got the full cadence); %d recalls to %d candidates",
		total, len(byCand), fullCadences, nRecalls, len(recalls))
}

func startOfDayIn(t time.Time) time.Time {
	y, m, d := t.In(clock.Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, clock.Shanghai)
}
