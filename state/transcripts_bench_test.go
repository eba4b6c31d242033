package state

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/internal/clock"
)

// BenchmarkAddTranscripts measures storing one worker push: 100 new
// messages of one conversation (of 1,000 conversations on one account),
// with their index entries and count in the same transaction. Run with
//
//	go test -run '^$' -bench AddTranscripts ./state/
func BenchmarkAddTranscripts(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "control.db"), Options{Clock: clock.NewManual(time.Unix(1700000000, 0)), BcryptCost: bcrypt.MinCost})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ms := make([]wire.TranscriptMessage, wire.MaxTranscriptPush)
		for j := range ms {
			ms[j] = wire.TranscriptMessage{MsgID: fmt.Sprint(i*wire.MaxTranscriptPush + j), At: at.Add(time.Duration(i*wire.MaxTranscriptPush+j) * time.Second),
				Author: wire.AuthorCandidate, Text: "您好，我对这个岗位挺感兴趣的，方便聊聊吗", Type: "text"}
		}
		if _, err := db.AddTranscripts("w1", []wire.TranscriptInput{{Account: "acct-a", CandidateID: fmt.Sprint("geek-", i%1000), Messages: ms}}); err != nil {
			b.Fatal(err)
		}
	}
}
