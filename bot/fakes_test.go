package bot

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/pages"
	"github.com/hunterbot/hunterbot/state/worker"
)

// This file holds the browser-free fakes the agent's unit tests run on:
// stepClock (time that moves only when someone sleeps), fakeSite (an
// in-memory recruiter site behind the Site port) and fakeBrain (a scripted
// brain behind the Brain port). worker.db is the real bbolt store in a temp
// dir: the ledgers and the outbox are what the tests check.

// stepClock is a clock whose Sleep returns at once after moving time
// forward by the requested duration, so the governor's gaps and the
// agent's waits cost no wall time and the tests stay deterministic.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func newStepClock(t time.Time) *stepClock { return &stepClock{now: t} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.advance(d)
	return nil
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.advance(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

func (c *stepClock) advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

const (
	fakeRecruiterUID = 9000001
	fakeSessionBlob  = "session-cookies"
)

// fakeConv is one conversation of the fake site.
type fakeConv struct {
	row  pages.Row
	msgs []pages.Message
	// openErr fails OpenConversation (a page that did not answer).
	openErr error
}

// fakeSite is an in-memory recruiter site. It keeps conversations as
// message lists, writes the messages the real site writes (the greeting,
// the toolbar's request texts) and lets tests inject each failure the
// agent must handle.
type fakeSite struct {
	mu  sync.Mutex
	clk clock.Clock
	me  pages.UserInfo

	loggedIn bool
	expired  bool   // a restored session no longer logs in
	password string // PasswordLogin accepts it
	qrRounds int    // WaitQRLogin rounds until a human "scans"
	// qrRefreshes is how many new codes the login page shows during each
	// WaitQRLogin round; qrShown counts the codes shown so far.
	qrRefreshes int
	qrShown     int
	restored    [][]byte

	// openChat, when set, decides OpenChat's result (n counts calls from 1).
	openChat  func(n int) error
	chatCalls int
	rowsErr   error

	convs   map[int64]*fakeConv
	nextMID int64

	lists        map[string]*fakeList // by site job id
	recommendErr error

	// sendFault, when set, decides whether a Send lands and what it returns.
	sendFault func(text string) (landed bool, err error)
	// historyErr fails History (the unknown-outcome check).
	historyErr error
	// exchangeErr is RequestExchange's error.
	exchangeErr error
	views       map[int64]map[pages.Exchange]string
	downloads   map[string][]byte

	calls     []string // site actions in order: open_chat, rows, send, exchange, recommend
	sent      []string // texts that landed, in order
	requested []string // "<uid>/<kind>"
	viewed    []string // ViewExchange calls, "<uid>/<kind>"
	opened    []int64
}

func newFakeSite(clk clock.Clock) *fakeSite {
	return &fakeSite{
		clk: clk, me: pages.UserInfo{UserID: fakeRecruiterUID, Name: "王经理"},
		loggedIn: true, nextMID: 100,
		convs: map[int64]*fakeConv{}, lists: map[string]*fakeList{},
		views: map[int64]map[pages.Exchange]string{}, downloads: map[string][]byte{},
	}
}

func (s *fakeSite) Me(context.Context) (pages.UserInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loggedIn {
		return pages.UserInfo{}, fmt.Errorf("getUserInfo: %w", pages.ErrLoggedOut)
	}
	return s.me, nil
}

func (s *fakeSite) PasswordLogin(_ context.Context, _, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if password == "" || password != s.password {
		return pages.ErrLoginRejected
	}
	s.loggedIn = true
	return nil
}

func (s *fakeSite) QRCode(context.Context) (pages.QR, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextQRLocked(), nil
}

// nextQRLocked is a new code; every third one comes without a TTL (the
// page's request for it was not observed).
func (s *fakeSite) nextQRLocked() pages.QR {
	s.qrShown++
	qr := pages.QR{PNG: []byte(fmt.Sprintf("\x89PNG fake qr %d", s.qrShown)), Src: fmt.Sprintf("qr/%d", s.qrShown), TTL: 2 * time.Minute}
	if s.qrShown%3 == 0 {
		qr.TTL = 0
	}
	return qr
}

func (s *fakeSite) WaitQRLogin(_ context.Context, _ pages.QR, _ time.Duration, refreshed func(pages.QR)) error {
	for i := 0; i < s.qrRefreshes; i++ {
		s.mu.Lock()
		qr := s.nextQRLocked()
		s.mu.Unlock()
		s.clk.(*stepClock).advance(2 * time.Minute) // the page refreshes when its code expired
		refreshed(qr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.qrRounds--
	if s.qrRounds > 0 {
		return pages.ErrLoggedOut
	}
	s.loggedIn = true
	return nil
}

func (s *fakeSite) Check(context.Context) (pages.Risk, error) { return pages.Risk{}, nil }

func (s *fakeSite) SaveSession(context.Context) ([]byte, error) {
	return []byte(fakeSessionBlob), nil
}

func (s *fakeSite) RestoreSession(_ context.Context, blob []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restored = append(s.restored, blob)
	if string(blob) == fakeSessionBlob && !s.expired {
		s.loggedIn = true
	}
	return nil
}

func (s *fakeSite) OpenRecommend(_ context.Context, siteJobID string) (RecommendList, []pages.Geek, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "recommend")
	if s.recommendErr != nil {
		return nil, nil, s.recommendErr
	}
	l, ok := s.lists[siteJobID]
	if !ok {
		return nil, nil, fmt.Errorf("job %s: %w", siteJobID, pages.ErrNotFound)
	}
	l.next = 1
	if len(l.pages) == 0 {
		return l, nil, nil
	}
	return l, l.pages[0], nil
}

func (s *fakeSite) OpenChat(context.Context) error {
	s.mu.Lock()
	s.chatCalls++
	s.calls = append(s.calls, "open_chat")
	n, f := s.chatCalls, s.openChat
	s.mu.Unlock()
	if f != nil {
		return f(n)
	}
	return nil
}

func (s *fakeSite) Rows(context.Context) ([]pages.Row, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "rows")
	if s.rowsErr != nil {
		return nil, s.rowsErr
	}
	uids := make([]int64, 0, len(s.convs))
	for uid := range s.convs {
		uids = append(uids, uid)
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	rows := make([]pages.Row, 0, len(uids))
	for _, uid := range uids {
		c := s.convs[uid]
		r := c.row
		if n := len(c.msgs); n > 0 {
			r.LastText, r.LastTime = c.msgs[n-1].Body.Text, c.msgs[n-1].Time
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func (s *fakeSite) OpenConversation(_ context.Context, uid int64) ([]pages.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened = append(s.opened, uid)
	c, ok := s.convs[uid]
	if !ok {
		return nil, fmt.Errorf("conversation %d: %w", uid, pages.ErrNotFound)
	}
	if c.openErr != nil {
		return nil, c.openErr
	}
	c.row.Unread = 0
	return append([]pages.Message(nil), c.msgs...), nil
}

func (s *fakeSite) History(_ context.Context, uid int64) ([]pages.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.historyErr != nil {
		return nil, s.historyErr
	}
	c, ok := s.convs[uid]
	if !ok {
		return nil, pages.ErrNotFound
	}
	return append([]pages.Message(nil), c.msgs...), nil
}

func (s *fakeSite) Send(_ context.Context, uid int64, text string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "send")
	landed, err := true, error(nil)
	if s.sendFault != nil {
		landed, err = s.sendFault(text)
	}
	var mid int64
	if landed {
		mid = s.addLocked(uid, s.me.UserID, pages.BodyText, text)
		s.sent = append(s.sent, text)
	}
	return mid, err
}

func (s *fakeSite) RequestExchange(_ context.Context, uid int64, kind pages.Exchange) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "exchange")
	if s.exchangeErr != nil {
		return false, s.exchangeErr
	}
	s.requested = append(s.requested, fmt.Sprintf("%d/%s", uid, kind))
	// The page writes its own request text from the recruiter's account.
	text := map[pages.Exchange]string{pages.ExchangeWechat: "请求交换微信", pages.ExchangePhone: "请求交换联系方式",
		pages.ExchangeResume: "方便发一份简历过来吗？"}[kind]
	s.addLocked(uid, s.me.UserID, pages.BodyText, text)
	return true, nil
}

func (s *fakeSite) ViewExchange(_ context.Context, uid int64, kind pages.Exchange) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.viewed = append(s.viewed, fmt.Sprintf("%d/%s", uid, kind))
	if v, ok := s.views[uid][kind]; ok {
		return v, nil
	}
	return "", pages.ErrNotFound
}

func (s *fakeSite) Download(_ context.Context, url string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.downloads[url]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("download %s: 404", url)
}

// addConv opens a conversation with a candidate (as a greeting does).
func (s *fakeSite) addConv(uid int64, name, job string, jobID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addConvLocked(uid, name, job, jobID)
}

func (s *fakeSite) addConvLocked(uid int64, name, job string, jobID int64) *fakeConv {
	c, ok := s.convs[uid]
	if !ok {
		c = &fakeConv{row: pages.Row{UID: uid, Name: name, Job: job, JobID: jobID}}
		s.convs[uid] = c
	}
	return c
}

// say appends a message to a conversation: from the candidate (uid), or
// from the recruiter's account (fakeRecruiterUID: a human or the site).
func (s *fakeSite) say(uid, from int64, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(uid, from, pages.BodyText, text)
}

// card appends a non-text message (a résumé link, an exchange card).
func (s *fakeSite) card(uid, from int64, body int, text, url string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	mid := s.addLocked(uid, from, body, text)
	c := s.convs[uid]
	c.msgs[len(c.msgs)-1].Body.URL = url
	return mid
}

func (s *fakeSite) addLocked(uid, from int64, body int, text string) int64 {
	c := s.addConvLocked(uid, "", "", 0)
	s.nextMID++
	to := uid
	fromName, toName := s.me.Name, c.row.Name
	if from != s.me.UserID {
		to, fromName, toName = s.me.UserID, c.row.Name, s.me.Name
		c.row.Unread++
	}
	c.msgs = append(c.msgs, pages.Message{MID: s.nextMID, Time: s.clk.Now().UnixMilli(), Type: 1,
		From: pages.Party{UID: from, Name: fromName}, To: pages.Party{UID: to, Name: toName},
		Body: pages.MsgBody{Type: body, Text: text}, Status: 1})
	return s.nextMID
}

func (s *fakeSite) sentTexts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// fakeList is one job's recommend list: pages of candidates.
type fakeList struct {
	site    *fakeSite
	pages   [][]pages.Geek
	next    int
	greeted map[string]bool
	// greetFault, per encrypted id, makes Greet fail; landed says whether
	// the greeting reached the site anyway (an unknown outcome).
	greetFault map[string]greetFault
	// greetedErr fails the Greeted check.
	greetedErr error
	greets     []string
	// onGreet, when set, runs after each greeting lands (under the site's
	// lock): tests change the world between two actions with it.
	onGreet func(enc string)
}

type greetFault struct {
	landed bool
	err    error
}

func (s *fakeSite) addList(siteJob string, pgs ...[]pages.Geek) *fakeList {
	l := &fakeList{site: s, pages: pgs, greeted: map[string]bool{}, greetFault: map[string]greetFault{}}
	s.mu.Lock()
	s.lists[siteJob] = l
	s.mu.Unlock()
	return l
}

func (l *fakeList) More(context.Context) ([]pages.Geek, error) {
	l.site.mu.Lock()
	defer l.site.mu.Unlock()
	if l.next >= len(l.pages) {
		return nil, nil
	}
	l.next++
	return l.pages[l.next-1], nil
}

func (l *fakeList) Greeted(_ context.Context, enc string) (bool, error) {
	l.site.mu.Lock()
	defer l.site.mu.Unlock()
	return l.greeted[enc], l.greetedErr
}

func (l *fakeList) Greet(_ context.Context, enc string) error {
	l.site.mu.Lock()
	defer l.site.mu.Unlock()
	l.greets = append(l.greets, enc)
	f, faulty := l.greetFault[enc]
	if faulty && !f.landed {
		return f.err
	}
	l.greeted[enc] = true
	for _, pg := range l.pages {
		for _, g := range pg {
			if g.EncryptGeekID == enc {
				c := l.site.addConvLocked(g.GeekID, g.Name, "Go工程师", g.JobID)
				c.row.Name = g.Name
				l.site.addLocked(g.GeekID, l.site.me.UserID, pages.BodyText, "您好，看了您的简历，方便聊聊吗？")
			}
		}
	}
	if l.onGreet != nil {
		l.onGreet(enc)
	}
	if faulty {
		return f.err
	}
	return nil
}

func geekOf(id int64, name string) pages.Geek {
	return pages.Geek{EncryptGeekID: "enc" + strconv.FormatInt(id, 10), GeekID: id, Name: name, JobID: 101,
		Raw: []byte(`{"geekCard":{"geekId":` + strconv.FormatInt(id, 10) + `}}`)}
}

// fakeBrain is a scripted brain.
type fakeBrain struct {
	mu       sync.Mutex
	tasks    []brain.Task
	tasksErr error
	fetches  int

	reject    map[string]bool // Filter says no to these candidates
	filterErr error
	filtered  []string

	// replies are answered in order per candidate; when none is left the
	// brain says normal_chat "好的".
	replies map[string][]brain.ChatData
	chatErr error
	chats   []brain.ChatRequest

	recalls     []brain.Recall
	recallErr   error
	recallCalls []brain.RecallListRequest
}

func newFakeBrain() *fakeBrain {
	return &fakeBrain{reject: map[string]bool{}, replies: map[string][]brain.ChatData{}}
}

func (b *fakeBrain) FetchTasks(context.Context, brain.TaskFetchRequest) ([]brain.Task, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fetches++
	return b.tasks, b.tasksErr
}

func (b *fakeBrain) Filter(_ context.Context, req brain.FilterRequest) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.filtered = append(b.filtered, req.CandidateID)
	if b.filterErr != nil {
		return false, b.filterErr
	}
	return !b.reject[req.CandidateID], nil
}

func (b *fakeBrain) Chat(_ context.Context, req brain.ChatRequest) (brain.ChatData, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.chats = append(b.chats, req)
	if b.chatErr != nil {
		return brain.ChatData{}, b.chatErr
	}
	if q := b.replies[req.CandidateID]; len(q) > 0 {
		b.replies[req.CandidateID] = q[1:]
		return q[0], nil
	}
	return brain.ChatData{NextStep: string(StepNormalChat), NextStepContent: "好的"}, nil
}

func (b *fakeBrain) RecallList(_ context.Context, req brain.RecallListRequest) ([]brain.Recall, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.recallCalls = append(b.recallCalls, req)
	return b.recalls, b.recallErr
}

func (b *fakeBrain) chatCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.chats)
}

// harness is one agent on the fakes with a real worker.db.
type harness struct {
	t      *testing.T
	clk    *stepClock
	db     *worker.DB
	site   *fakeSite
	brain  *fakeBrain
	agent  *Agent
	alerts []Status
}

// testStart is a Thursday morning in Shanghai, outside quiet hours.
var testStart = time.Date(2026, 3, 5, 10, 0, 0, 0, clock.Shanghai)

func testAccount() AccountConfig {
	return AccountConfig{
		ID: "acc1", Name: "Account One", PlatformID: "p1",
		Login:           LoginConfig{Method: "password", Username: "rec1", Password: "pw"},
		Jobs:            []JobConfig{{BrainJobID: "job_boss_101", SiteJobID: "101", Position: "Go工程师"}},
		ContactRequests: []string{"wechat"},
		ChatPoll:        20 * time.Second,
		Pacing:          &Pacing{}, // no gaps, caps or quiet hours unless a test sets them
	}
}

// newHarness builds an agent on fresh fakes; mods adjust the account.
func newHarness(t *testing.T, mods ...func(*AccountConfig)) *harness {
	t.Helper()
	clk := newStepClock(testStart)
	db, err := worker.Open(filepath.Join(t.TempDir(), "worker.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	cfg := testAccount()
	for _, m := range mods {
		m(&cfg)
	}
	h := &harness{t: t, clk: clk, db: db, site: newFakeSite(clk), brain: newFakeBrain()}
	h.site.password = cfg.Login.Password
	h.agent = NewAgent(cfg, "boss", Deps{Site: h.site, Brain: h.brain, DB: db, Clock: clk, Log: zerolog.Nop(),
		DataDir: t.TempDir(), Alert: func(s Status) { h.alerts = append(h.alerts, s) }})
	return h
}

// login runs the agent's session step (restores or logs in, learns the
// recruiter's uid).
func (h *harness) login() *harness {
	h.t.Helper()
	if err := h.agent.session(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	return h
}

// conv reads the agent's record of a conversation.
func (h *harness) conv(uid int64) Conversation {
	h.t.Helper()
	var c Conversation
	err := h.db.View(func(tx *worker.Tx) error { return tx.Conversation("acc1", strconv.FormatInt(uid, 10), &c) })
	if err != nil {
		h.t.Fatalf("conversation %d: %v", uid, err)
	}
	return c
}

// putConv stores a conversation record directly (the state a previous
// run left).
func (h *harness) putConv(c Conversation) {
	h.t.Helper()
	if err := h.db.Update(func(tx *worker.Tx) error { return tx.PutConversation("acc1", c.CandidateID, c) }); err != nil {
		h.t.Fatal(err)
	}
}

// outbox lists every undelivered item of target, in order.
func (h *harness) outbox(target string) []worker.OutboxItem {
	h.t.Helper()
	var out []worker.OutboxItem
	err := h.db.View(func(tx *worker.Tx) (err error) {
		out, err = tx.Due(target, h.clk.Now().Add(365*24*time.Hour), 1000)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// kinds counts the outbox items of target by kind.
func (h *harness) kinds(target string) map[string]int {
	out := map[string]int{}
	for _, it := range h.outbox(target) {
		out[it.Kind]++
	}
	return out
}

func (h *harness) send(key string) worker.Send {
	h.t.Helper()
	var s worker.Send
	if err := h.db.View(func(tx *worker.Tx) (err error) { s, err = tx.Send(key); return }); err != nil {
		h.t.Fatalf("send %s: %v", key, err)
	}
	return s
}

func (h *harness) greeting(cid string) worker.Greeting {
	h.t.Helper()
	var g worker.Greeting
	if err := h.db.View(func(tx *worker.Tx) (err error) { g, err = tx.Greeting("acc1", cid); return }); err != nil {
		h.t.Fatalf("greeting %s: %v", cid, err)
	}
	return g
}

// greeted makes the state a confirmed greeting leaves: the site
// conversation with its greeting text and the agent's record.
func (h *harness) greeted(uid int64, name string) {
	h.t.Helper()
	h.site.addConv(uid, name, "Go工程师", 101)
	h.site.say(uid, fakeRecruiterUID, "您好，看了您的简历，方便聊聊吗？")
	cid := strconv.FormatInt(uid, 10)
	err := h.db.Update(func(tx *worker.Tx) error {
		if _, _, err := tx.IntendGreeting("acc1", cid, "job_boss_101"); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.agent.confirmGreeting(cid, "job_boss_101", name, ""); err != nil {
		h.t.Fatal(err)
	}
}

// chat runs one chat pass and fails the test on an error.
func (h *harness) chat() {
	h.t.Helper()
	if err := h.agent.chatPass(context.Background()); err != nil {
		h.t.Fatalf("chat pass: %v", err)
	}
}

// errUnknown is a timeout: the site may or may not have taken the action.
var errUnknown = fmt.Errorf("click: %w", context.DeadlineExceeded)

var errBoom = errors.New("boom")

func (s *fakeSite) callLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}
