package server

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestSessionCodecRoundTripsAndReadsJSON: every field survives the binary
// form (times as instants), a record stored as JSON by an earlier version
// still decodes, and every truncation of a record is an error, not a
// half-filled session.
func TestSessionCodecRoundTripsAndReadsJSON(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 8, 7, 654321000, time.UTC)
	full := session{AccountID: "account_boss_1", JobID: "job_boss_2", CandidateID: "候选人3", CandidateName: "张三",
		Phone: "13800000000", Wechat: "wx_1", CVFiles: []string{"a.pdf", "b.docx"}, Refused: true, LastStep: "need_contact",
		Chats: 7, RecallCount: 2, CreatedAt: at, UpdatedAt: at.Add(36 * time.Hour)}
	for _, in := range []session{full, {AccountID: "a", JobID: "j", CandidateID: "c"}} {
		var out session
		if err := decodeSession(encodeSession(&in), &out); err != nil {
			t.Fatal(err)
		}
		if !out.CreatedAt.Equal(in.CreatedAt) || !out.UpdatedAt.Equal(in.UpdatedAt) ||
			out.CreatedAt.IsZero() != in.CreatedAt.IsZero() {
			t.Errorf("times %v %v; want %v %v", out.CreatedAt, out.UpdatedAt, in.CreatedAt, in.UpdatedAt)
		}
		out.CreatedAt, out.UpdatedAt, in.CreatedAt, in.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(out, in) {
			t.Errorf("round trip:\n got %+v\nwant %+v", out, in)
		}
	}
	legacy, _ := json.Marshal(full)
	var out session
	if err := decodeSession(legacy, &out); err != nil || out.Phone != full.Phone || out.RecallCount != 2 || !out.UpdatedAt.Equal(full.UpdatedAt) {
		t.Errorf("JSON record decoded as %+v, %v", out, err)
	}
	raw := encodeSession(&full)
	for n := range len(raw) {
		var s session
		if err := decodeSession(raw[:n], &s); err == nil {
			t.Errorf("record cut to %d of %d bytes decoded without error", n, len(raw))
		}
	}
}
