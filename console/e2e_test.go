package console_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/bot"
	"github.com/hunterbot/hunterbot/console"
	"github.com/hunterbot/hunterbot/demo"
	"github.com/hunterbot/hunterbot/internal/browsertest"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/sim"
)

// The whole QR path with real parts: the demo assembly (sim, brain,
// control plane with the console mounted) and a worker running managed
// accounts in this process on the shared Chromium. The operator creates a
// QR account in the console, watches the relayed QR appear in the account
// page, the code is scanned in the sim, and the fleet page, open in
// another tab, turns the account to running over Server-Sent Events.
func TestQRLoginToRunningInBrowser(t *testing.T) {
	sc, err := sim.LoadScenario(filepath.Join("..", "configs", "sim-fleet.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sc.IntentTip = false // the popup has its own tests; it only slows this one
	clk := clock.NewScaledFrom(sc.Start, time.Now(), 60)
	var con atomic.Pointer[console.Console]
	mount := func(component string, h http.Handler) http.Handler {
		if component != "control" {
			return h
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c := con.Load(); c != nil && strings.HasPrefix(r.URL.Path, "/ui") {
				console.Mount(h, c).ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	dir := t.TempDir()
	shared := browsertest.Browser(t)
	d, err := demo.Start(context.Background(), demo.Options{AddrBase: "127.0.0.1:0", DataDir: dir, Scenario: sc,
		Clock: clk, Seed: 5, Log: zerolog.Nop(), NoWorker: true, HelloSum: 15, AllAtOnce: true,
		ManagedWorkers: []string{"w1"}, LeaseTTL: 10 * time.Second, Browser: shared, Middleware: mount})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	if err := d.Store.PutUser(testUser, testPass); err != nil {
		t.Fatal(err)
	}
	c, err := console.New(console.Options{Store: d.Store, Clock: clk, SessionTTL: 30 * 24 * time.Hour,
		ValidateAccount: bot.ValidateSpec, EventEvery: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	con.Store(c)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	t.Cleanup(func() { cancel(); <-done; <-done })
	go func() { _ = d.Run(runCtx); done <- struct{}{} }()

	cfg := &bot.Config{WorkerID: "w1", DataDir: filepath.Join(dir, "w1"),
		Site: bot.SiteConfig{BaseURL: d.SimURL}, Brain: bot.BrainConfig{URL: d.BrainURL, Token: d.BrainToken},
		Control:  bot.ControlConfig{URL: d.ControlURL, Token: d.WorkerTokens["w1"]},
		Capacity: bot.CapacityConfig{MaxAccounts: 2, Pull: time.Second}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	rt, err := bot.NewRuntime(runCtx, cfg, bot.RuntimeOptions{Clock: clk, Log: zerolog.Nop(), Browser: shared})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = rt.Run(runCtx); done <- struct{}{} }()

	acc := d.WorkerConfig.Accounts[0]
	page := browsertest.Page(t)
	login(t, page, d.ControlURL)

	// Create the account in the console: QR login, on any worker.
	page.MustElement("#new-key").MustInput(acc.ID)
	page.MustElement("#new-name").MustInput(acc.Name)
	page.MustElement("#new-platform").MustInput(acc.PlatformID)
	follow(t, page, "#create-submit")
	if has, _, _ := page.Has("#qr"); !has {
		t.Fatalf("account page not shown after create: %s", page.MustElement("main").MustText())
	}
	t.Log("account created")

	// The fleet, in a second tab of the same session, stays open.
	fleet := page.Browser().MustPage(d.ControlURL + "/ui/fleet")
	t.Cleanup(func() { _ = fleet.Close() })
	fleet.MustElement(`#fleet-rows tr[data-key="` + acc.ID + `"]`)
	if st := fleetState(fleet, acc.ID); st == string(bot.StateRunning) {
		t.Fatalf("account running before its QR was scanned")
	}

	t.Log("fleet tab open")
	// The relayed QR appears in the account page by itself (htmx poll).
	page.Timeout(10 * time.Minute).MustElement("#qr-img")
	src := page.MustElement("#qr-img").MustProperty("src").String()
	st, err := d.Store.LoginStatus(acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(src, "data:image/png;base64,") || !st.Pending {
		t.Fatalf("QR panel shows %.40q (pending %v)", src, st.Pending)
	}
	shot(t, page, "03-account-qr")
	t.Log("QR shown")

	// Scan it on the site; the panel and the live fleet follow.
	waitFor(t, "the sim to accept the scan", func() bool {
		err := d.Sim.ScanQR(acc.ID)
		if err != nil && !errors.Is(err, sim.ErrNoQR) {
			t.Fatal(err)
		}
		return err == nil
	})
	page.Timeout(10 * time.Minute).MustElement(`#qr[data-state="running"]`)
	waitFor(t, "the fleet tab to show the account running without a reload", func() bool {
		return fleetState(fleet, acc.ID) == string(bot.StateRunning)
	})
	if fleet.MustEval(`() => document.getElementById("live").getAttribute("data-updated")`).Nil() {
		t.Fatal("the fleet table changed without a Server-Sent Event")
	}
	waitFor(t, "the fleet tab's recent alerts to list the login alert without a reload", func() bool {
		return strings.Contains(fleet.MustElement("#recent-alerts").MustText(), acc.ID)
	})
	t.Log("running, fleet updated live")
	fleet.MustActivate()
	shot(t, fleet, "02b-fleet-live")

	// The conversation page: a candidate's message and the bot's answer to
	// it, both read from the site by the worker and pushed to the control
	// plane as the transcript, each with its author.
	var candID, candText, botText string
	waitFor(t, "a transcript with a candidate's message and the bot's reply", func() bool {
		convs, _, err := d.Store.ListConversations(wire.ConversationFilter{Account: acc.ID}, 1, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range convs {
			msgs, _, err := d.Store.ListTranscript(acc.ID, cv.CandidateID, 1, wire.TranscriptRetention)
			if err != nil {
				t.Fatal(err)
			}
			last := ""
			for _, m := range msgs {
				if m.Author == wire.AuthorHuman {
					// Only the bot writes for this account: a human label
					// would be a misjudged bot message.
					t.Fatalf("conversation %s: %q labelled a human's", cv.CandidateID, m.Text)
				}
				switch {
				case m.Author == wire.AuthorCandidate && m.Type == "text" && m.Text != "":
					last = m.Text
				case m.Author == wire.AuthorBot && m.Type == "text" && m.Text != "" && last != "":
					candID, candText, botText = cv.CandidateID, last, m.Text
					return true
				}
			}
		}
		return false
	})
	page.MustActivate()
	page.MustNavigate(d.ControlURL + "/ui/conversations/" + acc.ID + "/" + candID).MustWaitLoad()
	// Index and author label of the first line showing text after from.
	find := func(text string, from int) (int, string, string) {
		r := page.MustEval(`(t, from) => {
			const lis = [...document.querySelectorAll("#messages li")];
			for (let i = from; i < lis.length; i++) {
				if (lis[i].querySelector(".text")?.textContent === t) {
					return [i, lis[i].dataset.who, lis[i].querySelector(".who").textContent];
				}
			}
			return [-1, "", ""];
		}`, text, from)
		return r.Get("0").Int(), r.Get("1").String(), r.Get("2").String()
	}
	ci, cwho, clabel := find(candText, 0)
	bi, bwho, blabel := find(botText, ci+1)
	if ci < 0 || cwho != "candidate" || clabel != "候选人" || bi < 0 || bwho != "bot" || blabel != "机器人" {
		t.Fatalf("conversation %s: candidate %q at %d as %s/%s, bot reply %q at %d as %s/%s; page: %s",
			candID, candText, ci, cwho, clabel, botText, bi, bwho, blabel, text(page, "#messages"))
	}
	t.Logf("conversation %s: candidate %q, then bot %q", candID, candText, botText)

	// A human recruiter types in that conversation on the site: the worker
	// reads it as a human's, the page labels it 人工 and shows the
	// takeover, with the release form.
	const humanText = "您好，我是招聘负责人，我直接跟您聊"
	cid, err := strconv.ParseInt(candID, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Sim.HumanMessage(acc.ID, cid, humanText); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the page to show the human's message and the takeover", func() bool {
		page.MustReload().MustWaitLoad()
		_, who, label := find(humanText, 0)
		taken := page.MustEval(`() => document.getElementById("conv-status").dataset.status`).String() == string(wire.ConvIntervened)
		if who != "" && (who != "human" || label != "人工") {
			t.Fatalf("the human's message shown as %s/%s", who, label)
		}
		return who == "human" && taken
	})
	if has, _, _ := page.Has("#release-form"); !has {
		t.Fatal("a taken-over conversation without the release form")
	}
	shot(t, page, "04b-conversation-transcript")

	// Pause from the account page: the desired state and the history say so.
	page.MustActivate()
	page.MustNavigate(d.ControlURL + "/ui/accounts/" + acc.ID).MustWaitLoad()
	follow(t, page, "#pause")
	page.MustElement("#history")
	m, err := d.Store.ManagedAccount(acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	byOperator := false
	for _, h := range m.History {
		byOperator = byOperator || strings.Contains(h.Reason, "console ("+testUser+")")
	}
	if m.Desired != wire.DesiredPaused || !byOperator {
		t.Fatalf("after pause: desired %q, history %+v", m.Desired, m.History)
	}
	if got := text(page, "#history"); !strings.Contains(got, "console ("+testUser+")") {
		t.Fatalf("state history on the page lacks the pause: %q", got)
	}
	shot(t, page, "03b-account")

	// Workers: w1 with its capacity and its browser restarts (reported
	// with every heartbeat).
	page.MustNavigate(d.ControlURL + "/ui/workers").MustWaitLoad()
	row := page.MustElementR("#workers tbody tr", "w1")
	capacity := strings.TrimSpace(row.MustElement(".capacity").MustText())
	restarts := strings.TrimSpace(row.MustElement(".restarts").MustText())
	if !strings.HasSuffix(capacity, "/ 2") || restarts != "0" {
		t.Fatalf("workers row: capacity %q, restarts %q; want .../ 2 and 0", capacity, restarts)
	}
	shot(t, page, "08-workers")

	// A phone-sized viewport of the fleet for the docs.
	fleet.MustActivate()
	if err := fleet.SetViewport(&proto.EmulationSetDeviceMetricsOverride{Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	shot(t, fleet, "07-fleet-phone")
}

// fleetState is the state the fleet table shows for key ("" if absent).
func fleetState(p *rod.Page, key string) string {
	return p.MustEval(`k => {
		const e = document.querySelector('#fleet-rows tr[data-key="' + k + '"] [data-state]');
		return e ? e.getAttribute("data-state") : "";
	}`, key).String()
}
