package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/state/worker"
)

// fakeControl is the control plane's worker API as the outbox sees it.
type fakeControl struct {
	err   error
	calls []string
}

func (f *fakeControl) PushContacts(_ context.Context, in []wire.ContactInput) ([]wire.UpsertResult, error) {
	f.calls = append(f.calls, "contacts:"+in[0].CandidateID)
	return nil, f.err
}

func (f *fakeControl) PushRecords(_ context.Context, in []wire.RecordInput) ([]wire.FollowupRecord, error) {
	f.calls = append(f.calls, "records:"+in[0].UID)
	return nil, f.err
}

func (f *fakeControl) PushConversations(_ context.Context, in []wire.ConversationStatus) ([]wire.Conversation, error) {
	f.calls = append(f.calls, "conversations:"+string(in[0].Status))
	return nil, f.err
}

func (f *fakeControl) AckSend(_ context.Context, id uint64, sent bool, _ time.Time, reason string) (wire.FollowupRecord, error) {
	f.calls = append(f.calls, fmt.Sprintf("sendack:%d:%v:%s", id, sent, reason))
	return wire.FollowupRecord{}, f.err
}

func (f *fakeControl) AckCommand(_ context.Context, id uint64, done bool, reason string) (wire.Command, error) {
	f.calls = append(f.calls, fmt.Sprintf("cmdack:%d:%v:%s", id, done, reason))
	return wire.Command{}, f.err
}

func (f *fakeControl) PushKeywordHits(_ context.Context, in []wire.KeywordHitInput) ([]wire.KeywordHit, error) {
	f.calls = append(f.calls, "hits:"+in[0].RuleID+":"+in[0].MsgID)
	return nil, f.err
}

// fakeReporter is the brain's report API as the outbox sees it.
type fakeReporter struct {
	err   error
	calls []string
	cv    []byte
	keys  []string
}

func (f *fakeReporter) note(call string, opts []brain.CallOption) error {
	f.calls = append(f.calls, call)
	f.keys = append(f.keys, fmt.Sprint(len(opts)))
	return f.err
}

func (f *fakeReporter) ReportTask(_ context.Context, req brain.TaskReportRequest, opts ...brain.CallOption) error {
	return f.note("report:"+req.TaskStatus[0].Details.CandidateList[0], opts)
}

func (f *fakeReporter) SubmitResult(_ context.Context, req brain.ResultRequest, opts ...brain.CallOption) error {
	f.cv = req.CV
	return f.note("result:"+req.CandidateID+":"+req.Wechat, opts)
}

func (f *fakeReporter) RecallResult(_ context.Context, req brain.RecallResultRequest, opts ...brain.CallOption) error {
	return f.note("recall:"+req.CandidateID, opts)
}

func item(kind string, payload any) worker.OutboxItem {
	b, _ := json.Marshal(payload)
	return worker.OutboxItem{Key: "k-" + kind, Kind: kind, Payload: b}
}

func TestControlDelivererRetryOrPark(t *testing.T) {
	kinds := []worker.OutboxItem{
		item(KindContact, wire.ContactInput{Account: "acc1", CandidateID: "501"}),
		item(KindRecord, wire.RecordInput{UID: "fu-1"}),
		item(KindConversation, wire.ConversationStatus{Status: StatusInService}),
		item(KindSendAck, sendAck{ID: 7, Sent: true}),
		item(KindCommandAck, commandAck{ID: 8, Reason: "no"}),
		item(KindKeywordHit, wire.KeywordHitInput{RuleID: "r1", MsgID: "105"}),
	}
	wantCalls := []string{"contacts:501", "records:fu-1", "conversations:IN_SERVICE", "sendack:7:true:", "cmdack:8:false:no", "hits:r1:105"}
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		{name: "delivered", err: nil},
		{name: "400 is parked", err: &client.Error{Status: 400, Detail: "records[0].uid: required"}, permanent: true},
		{name: "404 is parked", err: &client.Error{Status: 404}, permanent: true},
		{name: "401 retries (a token rotation)", err: &client.Error{Status: 401}},
		{name: "408 retries", err: &client.Error{Status: 408}},
		{name: "429 retries", err: &client.Error{Status: 429}},
		{name: "500 retries", err: &client.Error{Status: 500}},
		{name: "transport error retries", err: errors.New("connection refused")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &fakeControl{err: tt.err}
			d := ControlDeliverer(fc)
			for i, it := range kinds {
				err := d.Deliver(context.Background(), it)
				if (err == nil) != (tt.err == nil) || errors.Is(err, ErrPermanent) != tt.permanent {
					t.Fatalf("%s: Deliver = %v, want error %v permanent %v", it.Kind, err, tt.err != nil, tt.permanent)
				}
				if fc.calls[i] != wantCalls[i] {
					t.Fatalf("call %q, want %q", fc.calls[i], wantCalls[i])
				}
			}
		})
	}
	for _, it := range []worker.OutboxItem{{Kind: "mystery"}, {Kind: KindContact, Payload: []byte("{broken")}} {
		if err := ControlDeliverer(&fakeControl{}).Deliver(context.Background(), it); !errors.Is(err, ErrPermanent) {
			t.Errorf("%s %q: Deliver = %v, want permanent", it.Kind, it.Payload, err)
		}
	}
}

func TestBrainDelivererRetryOrPark(t *testing.T) {
	cv := filepath.Join(t.TempDir(), "cv.pdf")
	if err := os.WriteFile(cv, []byte("%PDF cv"), 0o600); err != nil {
		t.Fatal(err)
	}
	withCV := item(KindResult, resultPayload{AccountID: "account_boss_p1", CandidateID: "501", Wechat: "zw"})
	withCV.Attachment = cv
	items := []worker.OutboxItem{
		item(KindTaskReport, brain.TaskReportRequest{TaskStatus: []brain.TaskStatus{{Details: brain.TaskDetails{CandidateList: []string{"501"}}}}}),
		withCV,
		item(KindRecallResult, brain.RecallResultRequest{CandidateID: "501"}),
	}
	tests := []struct {
		name     string
		err      error
		rejected bool // a data rejection: retried a few times, then parked
	}{
		{name: "delivered"},
		{name: "ret -1 is a data rejection", err: fmt.Errorf("task/report: %w", brain.ErrRejected), rejected: true},
		{name: "transport error retries", err: fmt.Errorf("post: %w", brain.ErrTransport)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := &fakeReporter{err: tt.err}
			d := BrainDeliverer(fr)
			for _, it := range items {
				err := d.Deliver(context.Background(), it)
				if (err == nil) != (tt.err == nil) || errors.Is(err, ErrRejectedData) != tt.rejected || errors.Is(err, ErrPermanent) {
					t.Fatalf("%s: Deliver = %v, want error %v rejected %v", it.Kind, err, tt.err != nil, tt.rejected)
				}
			}
			if want := []string{"report:501", "result:501:zw", "recall:501"}; fmt.Sprint(fr.calls) != fmt.Sprint(want) {
				t.Fatalf("calls %q, want %q", fr.calls, want)
			}
			if fmt.Sprint(fr.keys) != "[1 1 1]" {
				t.Fatalf("idempotency options %q, want one per call", fr.keys)
			}
			if string(fr.cv) != "%PDF cv" {
				t.Fatalf("cv %q not attached", fr.cv)
			}
		})
	}
	missing := withCV
	missing.Attachment = filepath.Join(t.TempDir(), "gone.pdf")
	for _, it := range []worker.OutboxItem{missing, {Kind: "mystery"}, {Kind: KindTaskReport, Payload: []byte("[")},
		{Kind: KindResult, Payload: []byte("[")}, {Kind: KindRecallResult, Payload: []byte("[")}} {
		if err := BrainDeliverer(&fakeReporter{}).Deliver(context.Background(), it); !errors.Is(err, ErrPermanent) {
			t.Errorf("%s: Deliver = %v, want permanent", it.Kind, err)
		}
	}
}

// A permanent failure parks the item (out of the queue, kept for a
// replay); a transient one retries after MinBackoff·2^attempts, capped,
// with equal jitter. Neither drops it.
func TestOutboxRetryVersusPark(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		attempts int
		min, max time.Duration
	}{
		{name: "transient, first retry", err: errBoom, attempts: 0, min: 500 * time.Millisecond, max: time.Second},
		{name: "transient, third retry", err: errBoom, attempts: 2, min: 2 * time.Second, max: 4 * time.Second},
		{name: "transient, capped", err: errBoom, attempts: 20, min: 30 * time.Second, max: time.Minute},
		{name: "permanent is parked", err: fmt.Errorf("bad payload: %w", ErrPermanent), attempts: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if err := h.db.Update(func(tx *worker.Tx) error {
				_, err := tx.Enqueue(worker.OutboxItem{Key: "x", Target: TargetControl, Kind: KindContact})
				if err != nil {
					return err
				}
				for range tt.attempts {
					if err := tx.Retry(1, errBoom, tx.Now()); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			fail := DelivererFunc(func(context.Context, worker.OutboxItem) error { return tt.err })
			ob := NewOutbox(h.db, h.clk, zerolog.Nop(), map[string]Deliverer{TargetControl: fail},
				OutboxOptions{MinBackoff: time.Second, MaxBackoff: time.Minute})
			n, err := ob.Pass(context.Background())
			if err != nil || n != 0 {
				t.Fatalf("Pass = %d, %v", n, err)
			}
			items := h.outbox(TargetControl)
			if errors.Is(tt.err, ErrPermanent) {
				var parked []worker.ParkedItem
				if err := h.db.View(func(tx *worker.Tx) (err error) { parked, err = tx.Parked(); return }); err != nil {
					t.Fatal(err)
				}
				if len(items) != 0 || len(parked) != 1 || parked[0].Key != "x" {
					t.Fatalf("queue %d items, parked %+v; want the item parked", len(items), parked)
				}
				return
			}
			if len(items) != 1 {
				t.Fatalf("%d items left, want the failed one kept", len(items))
			}
			it := items[0]
			wait := it.NextAt.Sub(h.clk.Now())
			if it.Attempts != tt.attempts+1 || wait < tt.min || wait > tt.max || it.LastError == "" {
				t.Fatalf("attempts %d next in %v (error %q), want %d in [%v, %v]", it.Attempts, wait, it.LastError,
					tt.attempts+1, tt.min, tt.max)
			}
		})
	}
}
