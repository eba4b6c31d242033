package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/console"
	"github.com/hunterbot/hunterbot/internal/clock"
	"github.com/hunterbot/hunterbot/state"
)

// BenchmarkConversationTranscript measures the server time of the
// conversation page at its worst: a transcript at the retention bound
// (wire.TranscriptRetention messages) merged with 300 follow-up records
// (half of them also in the transcript), among 1,000 conversations of the
// account. Reported: mean (ns/op), p50 and p99 in ms. Run with
//
//	go test -run '^$' -bench ConversationTranscript -benchtime 200x ./console/
func BenchmarkConversationTranscript(b *testing.B) {
	clk := clock.NewManual(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
	db, err := state.Open(filepath.Join(b.TempDir(), "control.db"), state.Options{Clock: clk, BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	var convs []wire.ConversationStatus
	for i := 0; i < 1000; i++ {
		convs = append(convs, wire.ConversationStatus{Account: "acct-a", CandidateID: "geek-" + strconv.Itoa(i), Status: wire.ConvInService, UpdatedAt: clk.Now()})
	}
	for i := 0; i < len(convs); i += 500 {
		if _, err := db.UpsertConversations("w1", convs[i:i+500]); err != nil {
			b.Fatal(err)
		}
	}
	now := clk.Now()
	if _, err := db.UpsertContacts("w1", []wire.ContactInput{{Account: "acct-a", CandidateID: "geek-500", Name: "张伟", ContactedAt: &now}}); err != nil {
		b.Fatal(err)
	}
	start := now.Add(-wire.TranscriptRetention * time.Minute)
	var recs []wire.RecordInput
	for i := 0; i < wire.TranscriptRetention; i += wire.MaxTranscriptPush {
		ms := make([]wire.TranscriptMessage, wire.MaxTranscriptPush)
		for j := range ms {
			k := i + j
			a, text := wire.AuthorCandidate, fmt.Sprintf("候选人的第%d条消息", k)
			if k%2 == 1 {
				a, text = wire.AuthorBot, fmt.Sprintf("机器人的第%d条回复", k)
			}
			at := start.Add(time.Duration(k) * time.Minute)
			ms[j] = wire.TranscriptMessage{MsgID: strconv.Itoa(k), At: at, Author: a, Text: text, Type: "text"}
			if a == wire.AuthorBot && k%13 == 1 && len(recs) < 150 { // a follow-up the transcript also shows
				sent := at.Add(time.Second)
				recs = append(recs, wire.RecordInput{UID: "r" + strconv.Itoa(k), Account: "acct-a", CandidateID: "geek-500", Content: text, SentAt: &sent})
			}
		}
		if _, err := db.AddTranscripts("w1", []wire.TranscriptInput{{Account: "acct-a", CandidateID: "geek-500", Messages: ms}}); err != nil {
			b.Fatal(err)
		}
	}
	for len(recs) < 300 { // sent before the transcript began
		sent := start.Add(-time.Duration(len(recs)) * time.Hour)
		recs = append(recs, wire.RecordInput{UID: "old" + strconv.Itoa(len(recs)), Account: "acct-a", CandidateID: "geek-500", Content: "您好", SentAt: &sent})
	}
	if _, err := db.UpsertRecords("w1", recs); err != nil {
		b.Fatal(err)
	}
	if err := db.PutUser(testUser, testPass); err != nil {
		b.Fatal(err)
	}
	con, err := console.New(console.Options{Store: db, Clock: clk, SessionTTL: 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	pair, err := db.IssueTokens(testUser, console.ClientID, 24*time.Hour, 24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	h := con.Handler()
	for _, p := range []struct{ name, path string }{
		{"newest", "/ui/conversations/acct-a/geek-500"},
		{"oldest", "/ui/conversations/acct-a/geek-500?page=1"},
	} {
		b.Run(p.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(http.MethodGet, p.path, nil)
				req.AddCookie(&http.Cookie{Name: "hb_session", Value: pair.AccessToken})
				rec := httptest.NewRecorder()
				t0 := time.Now()
				h.ServeHTTP(rec, req)
				lat = append(lat, time.Since(t0))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", p.path, rec.Code, rec.Body.String())
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
		})
	}
}
