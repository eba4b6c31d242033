package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
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

// BenchmarkReactionLatency measures, on the wall clock, how long the bot
// takes from a candidate message appearing on the site to its reply being
// on the site, with every configured delay set to (almost) zero: pacing
// gaps 0–50 ms, reply delay and reply interval 1 ms, chat poll 1 s.
//
// push=on (the default set-up): the sim pushes the message over /chatws,
// the page receives it, the bot sees the frame through CDP and opens that
// conversation at once. push=off: the sim serves no push channel and the
// bot reads the chat list every second as before, so the figure includes
// up to one poll interval of waiting (mean 0.5 s). Both include the real
// work: reading the list, opening the conversation, the brain call,
// typing and confirming the send.
func BenchmarkReactionLatency(b *testing.B) {
	for _, push := range []bool{true, false} {
		name := "push=on"
		if !push {
			name = "push=off"
		}
		b.Run(name, func(b *testing.B) { reactionLatency(b, push) })
	}
}

func reactionLatency(b *testing.B, push bool) {
	const conversations = 24
	sc := sim.DefaultScenario()
	sc.Pacing = sim.Pacing{} // the site's own rate limits would trip on zero pacing
	clk := clock.NewScaled(sc.Start, 1)
	fast := bot.Range{Max: 50 * time.Millisecond}
	pacing := bot.Pacing{Greet: bot.Limits{Gap: fast}, Message: bot.Limits{Gap: fast}, Browse: bot.Limits{Gap: fast},
		QuietStart: "00:00", QuietEnd: "00:00"}
	unified := true
	d, err := Start(context.Background(), Options{AddrBase: "127.0.0.1:0", DataDir: b.TempDir(), Scenario: sc, Clock: clk,
		Seed: 17, Log: zerolog.Nop(), Browser: browsertest.Browser(b), HelloSum: conversations / 2, AllAtOnce: true,
		Pacing: &pacing, ChatPoll: time.Second,
		Hosting: &bot.Hosting{ReplyDelay: time.Millisecond, MinReplyInterval: time.Millisecond, UnifiedReply: &unified},
		WorkerHook: func(c *bot.Config) {
			for i := range c.Accounts {
				c.Accounts[i].DisablePush = !push
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	d.Sim.SetPush(push)
	b.Cleanup(func() { _ = d.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// Let the bot greet everyone and settle the first exchanges.
	deadline := time.Now().Add(3 * time.Minute)
	for len(d.Sim.Truth().Accounts["demo"].Greetings) < conversations && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(20 * time.Second)
	var lat []time.Duration
	b.ResetTimer()
	for _, g := range d.Sim.Truth().Accounts["demo"].Greetings {
		if !open(b, d, strconv.FormatInt(g.CandidateID, 10)) {
			continue
		}
		before := len(d.Sim.Truth().Accounts["demo"].Messages)
		sent := clk.Now()
		if err := d.Sim.Inject("demo", g.CandidateID, "您好，请问这个岗位薪资多少？"); err != nil {
			b.Fatal(err)
		}
		for wait := time.Now().Add(30 * time.Second); time.Now().Before(wait); time.Sleep(20 * time.Millisecond) {
			msgs := d.Sim.Truth().Accounts["demo"].Messages
			var reply time.Time
			for _, m := range msgs[before:] {
				if m.CandidateID == g.CandidateID && m.By == sim.ByBot && m.Time.After(sent) {
					reply = m.Time
					break
				}
			}
			if !reply.IsZero() {
				lat = append(lat, reply.Sub(sent))
				break
			}
		}
	}
	b.StopTimer()
	if len(lat) < 20 {
		b.Fatalf("only %d conversations answered; want at least 20", len(lat))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	b.ReportMetric(float64(p(0.50).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(p(0.95).Milliseconds()), "p95-ms")
	b.ReportMetric(float64(len(lat)), "conversations")
	b.Logf("reaction latency over %d conversations: p50 %v, p95 %v, max %v; sim push stats %+v", len(lat), p(0.50), p(0.95), lat[len(lat)-1], d.Sim.PushStats())
}

// open reports whether the bot still hosts the conversation (not done,
// not opted out, not handed over), reading worker.db.
func open(b *testing.B, d *Demo, cid string) bool {
	var c bot.Conversation
	err := d.Runtime.DB().View(func(tx *worker.Tx) error {
		var raw json.RawMessage
		if err := tx.Conversation("demo", cid, &raw); err != nil {
			return err
		}
		return json.Unmarshal(raw, &c)
	})
	if err != nil {
		b.Logf("%s: %v", cid, fmt.Errorf("conversation: %w", err))
		return false
	}
	return !c.Done && !c.OptedOut && !c.HandedOver
}
