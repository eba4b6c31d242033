package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/hunterbot/hunterbot/api/client"
	"github.com/hunterbot/hunterbot/api/wire"
	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/state/worker"
)

// Outbox targets and kinds.
const (
	TargetBrain   = "brain"
	TargetControl = "control"

	KindTaskReport = "task_report"
	KindResult     = "result"
	KindContact    = "contact"
	KindRecord     = "followup_record"
)

// resultPayload is the outbox form of a candidate/result report; the CV, if
// any, is the item's Attachment (a file under the data dir).
type resultPayload struct {
	AccountID     string `json:"accountID"`
	JobID         string `json:"jobID,omitempty"`
	CandidateID   string `json:"candidateID"`
	CandidateName string `json:"candidateName"`
	Phone         string `json:"phone,omitempty"`
	Wechat        string `json:"wechat,omitempty"`
	Filename      string `json:"filename,omitempty"`
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// enqueueJSON adds an outbox item with a JSON payload.
func enqueueJSON(tx *worker.Tx, key, target, kind, accountID string, payload any, attachment string) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = tx.Enqueue(worker.OutboxItem{Key: key, Target: target, Kind: kind, AccountID: accountID,
		Payload: data, Attachment: attachment})
	return err
}

// enqueueTaskReport reports one greeted candidate to the brain.
func enqueueTaskReport(tx *worker.Tx, brainAccount, brainJob, candidateID string) error {
	req := brain.TaskReportRequest{AccountID: brainAccount, JobID: brainJob, TaskStatus: []brain.TaskStatus{{
		TaskType: "batchTouch", Details: brain.TaskDetails{CandidateList: []string{candidateID}},
	}}}
	return enqueueJSON(tx, "brain/report/"+brainAccount+"/"+candidateID, TargetBrain, KindTaskReport, brainAccount, req, "")
}

// enqueueResult reports one captured contact piece to the brain.
func enqueueResult(tx *worker.Tx, p resultPayload, cvPath string) error {
	key := "brain/result/" + p.AccountID + "/" + p.CandidateID + "/" + digest(p.Phone, p.Wechat, p.Filename)
	return enqueueJSON(tx, key, TargetBrain, KindResult, p.AccountID, p, cvPath)
}

// enqueueContact pushes the current state of a contact record to the
// control plane. The key changes with the content, so every change is sent
// once and replays are dropped by the control plane's upsert.
func enqueueContact(tx *worker.Tx, in wire.ContactInput) error {
	key := "control/contact/" + in.Account + "/" + in.CandidateID + "/" +
		digest(in.Name, in.Position, in.Phone, in.Wechat, in.Contact, in.Notes,
			fmt.Sprint(in.Replied, in.WechatExchanged))
	return enqueueJSON(tx, key, TargetControl, KindContact, in.Account, in, "")
}

// BrainReporter is the part of the brain client the outbox delivers with.
type BrainReporter interface {
	ReportTask(ctx context.Context, req brain.TaskReportRequest, opts ...brain.CallOption) error
	SubmitResult(ctx context.Context, req brain.ResultRequest, opts ...brain.CallOption) error
	RecallResult(ctx context.Context, req brain.RecallResultRequest, opts ...brain.CallOption) error
}

// BrainDeliverer delivers brain outbox items, passing the item key as the
// idempotency key. An answer refusing the item (ret != 0, or the
// reference's exception envelope) is ErrRejectedData: retried a few times,
// then parked; outages retry without bound.
func BrainDeliverer(b BrainReporter) Deliverer {
	return DelivererFunc(func(ctx context.Context, it worker.OutboxItem) error {
		idem := brain.WithIdempotencyKey(it.Key)
		var err error
		switch it.Kind {
		case KindTaskReport:
			var req brain.TaskReportRequest
			if err := json.Unmarshal(it.Payload, &req); err != nil {
				return fmt.Errorf("%w: %v", ErrPermanent, err)
			}
			err = b.ReportTask(ctx, req, idem)
		case KindResult:
			var p resultPayload
			if err := json.Unmarshal(it.Payload, &p); err != nil {
				return fmt.Errorf("%w: %v", ErrPermanent, err)
			}
			req := brain.ResultRequest{AccountID: p.AccountID, JobID: p.JobID, CandidateID: p.CandidateID,
				CandidateName: p.CandidateName, Phone: p.Phone, Wechat: p.Wechat, Filename: p.Filename}
			if it.Attachment != "" {
				data, rerr := os.ReadFile(it.Attachment)
				if rerr != nil {
					return fmt.Errorf("%w: read cv: %v", ErrPermanent, rerr)
				}
				req.CV = data
			}
			err = b.SubmitResult(ctx, req, idem)
		case KindRecallResult:
			var req brain.RecallResultRequest
			if err := json.Unmarshal(it.Payload, &req); err != nil {
				return fmt.Errorf("%w: %v", ErrPermanent, err)
			}
			err = b.RecallResult(ctx, req, idem)
		default:
			return fmt.Errorf("%w: unknown brain item kind %q", ErrPermanent, it.Kind)
		}
		return brainRejection(err) // parking.go
	})
}

// ControlPusher is the part of the control-plane worker client the outbox
// delivers with.
type ControlPusher interface {
	PushContacts(ctx context.Context, contacts []wire.ContactInput) ([]wire.UpsertResult, error)
	PushRecords(ctx context.Context, records []wire.RecordInput) ([]wire.FollowupRecord, error)
	PushConversations(ctx context.Context, convs []wire.ConversationStatus) ([]wire.Conversation, error)
	AckSend(ctx context.Context, id uint64, sent bool, sentAt time.Time, reason string) (wire.FollowupRecord, error)
	AckCommand(ctx context.Context, id uint64, done bool, reason string) (wire.Command, error)
	PushKeywordHits(ctx context.Context, hits []wire.KeywordHitInput) ([]wire.KeywordHit, error)
}

// ControlDeliverer delivers control-plane outbox items. A 4xx answer is
// permanent (the payload is wrong) except 401, 408 and 429, which retry
// like 5xx and transport errors: a 401 means the worker token is wrong or
// was rotated, which an operator fixes in the config, and the reports must
// survive until then.
func ControlDeliverer(c ControlPusher) Deliverer { return ControlDelivererFenced(c, nil) }

// fencedAcker acks a send of a managed account at its lease epoch.
type fencedAcker interface {
	AckSendFenced(ctx context.Context, id, epoch uint64, sent bool, sentAt time.Time, reason string) (wire.FollowupRecord, error)
}

// ControlDelivererFenced is ControlDeliverer for a worker running managed
// accounts: contacts, records, statuses and acks carry epochOf(account),
// the epoch the account last ran at on this worker. An item of an account
// granted to another worker since gets 403, which is permanent: the
// account's new holder settles it from the site (docs/bot.md).
func ControlDelivererFenced(c ControlPusher, epochOf func(account string) uint64) Deliverer {
	if epochOf == nil {
		epochOf = func(string) uint64 { return 0 }
	}
	return DelivererFunc(func(ctx context.Context, it worker.OutboxItem) error {
		var err error
		switch it.Kind {
		case KindContact:
			var in wire.ContactInput
			if err := json.Unmarshal(it.Payload, &in); err != nil {
				return fmt.Errorf("%w: %v", ErrPermanent, err)
			}
			in.Epoch = epochOf(in.Account)
			_, err = c.PushContacts(ctx, []wire.ContactInput{in})
		case KindRecord:
			var in wire.RecordInput
			if err := json.Unmarshal(it.Payload, &in); err != nil {
				return fmt.Errorf("%w: %v", ErrPermanent, err)
			}
			in.Epoch = epochOf(in.Account)
			_, err = c.PushRecords(ctx, []wire.RecordInput{in})
		case KindConversation:
			var in wire.ConversationStatus
			if err := json.Unmarshal(it.Payload, &in); err != nil {
				return fmt.Errorf("%w: %v", ErrPermanent, err)
			}
			in.Epoch = epochOf(in.Account)
			_, err = c.PushConversations(ctx, []wire.ConversationStatus{in})
		case KindSendAck:
			var ack sendAck
			if err := json.Unmarshal(it.Payload, &ack); err != nil {
				return fmt.Errorf("%w: %v", ErrPermanent, err)
			}
			if fa, ok := c.(fencedAcker); ok && epochOf(it.AccountID) != 0 {
				_, err = fa.AckSendFenced(ctx, ack.ID, epochOf(it.AccountID), ack.Sent, ack.SentAt, ack.Reason)
			} else {
				_, err = c.AckSend(ctx, ack.ID, ack.Sent, ack.SentAt, ack.Reason)
			}
		case KindNotifyAck:
			err = deliverNotifyAck(ctx, c, it, epochOf) // notify.go
		case KindPlanEvent:
			err = deliverPlanEvent(ctx, c, it) // plan.go
		case KindTranscript:
			err = deliverTranscript(ctx, c, it, epochOf) // transcript.go
		case KindCommandAck:
			var ack commandAck
			if err := json.Unmarshal(it.Payload, &ack); err != nil {
				return fmt.Errorf("%w: %v", ErrPermanent, err)
			}
			_, err = c.AckCommand(ctx, ack.ID, ack.Done, ack.Reason)
		case KindKeywordHit:
			var in wire.KeywordHitInput
			if err := json.Unmarshal(it.Payload, &in); err != nil {
				return fmt.Errorf("%w: %v", ErrPermanent, err)
			}
			_, err = c.PushKeywordHits(ctx, []wire.KeywordHitInput{in})
		default:
			return fmt.Errorf("%w: unknown control item kind %q", ErrPermanent, it.Kind)
		}
		var ce *client.Error
		if errors.As(err, &ce) && ce.Status >= 400 && ce.Status < 500 &&
			ce.Status != http.StatusTooManyRequests && ce.Status != http.StatusRequestTimeout && ce.Status != http.StatusUnauthorized {
			return fmt.Errorf("%w: %v", ErrPermanent, err)
		}
		return err
	})
}

// timePtr returns &t, or nil for the zero time.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
