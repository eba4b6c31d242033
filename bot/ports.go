package bot

import (
	"context"
	"time"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/pages"
)

// Site is what the agent needs from the recruiter web app. PageSite
// implements it with rod page objects; unit tests use a hand-written fake.
type Site interface {
	Me(ctx context.Context) (pages.UserInfo, error)
	PasswordLogin(ctx context.Context, username, password string) error
	QRCode(ctx context.Context) (pages.QR, error)
	// WaitQRLogin waits up to d for a scan of the code shown; refreshed
	// gets every new code the page shows meanwhile.
	WaitQRLogin(ctx context.Context, shown pages.QR, d time.Duration, refreshed func(pages.QR)) error
	Check(ctx context.Context) (pages.Risk, error)
	SaveSession(ctx context.Context) ([]byte, error)
	RestoreSession(ctx context.Context, blob []byte) error

	// OpenRecommend opens a job's recommend list and returns its first page.
	OpenRecommend(ctx context.Context, siteJobID string) (RecommendList, []pages.Geek, error)

	OpenChat(ctx context.Context) error
	Rows(ctx context.Context) ([]pages.Row, error)
	OpenConversation(ctx context.Context, uid int64) ([]pages.Message, error)
	History(ctx context.Context, uid int64) ([]pages.Message, error)
	Send(ctx context.Context, uid int64, text string) (int64, error)
	RequestExchange(ctx context.Context, uid int64, kind pages.Exchange) (bool, error)
	ViewExchange(ctx context.Context, uid int64, kind pages.Exchange) (string, error)
	Download(ctx context.Context, url string) ([]byte, error)
}

// RecommendList is an open recommend list.
type RecommendList interface {
	More(ctx context.Context) ([]pages.Geek, error)
	Greeted(ctx context.Context, encryptGeekID string) (bool, error)
	Greet(ctx context.Context, encryptGeekID string) error
}

// PageSite adapts *pages.Session to Site.
type PageSite struct{ *pages.Session }

// OpenRecommend implements Site.
func (p PageSite) OpenRecommend(ctx context.Context, siteJobID string) (RecommendList, []pages.Geek, error) {
	r, geeks, err := p.Session.OpenRecommend(ctx, siteJobID)
	if err != nil {
		return nil, nil, err
	}
	return r, geeks, nil
}

// Brain is what the agent asks the brain synchronously: today's greeting
// plan, the filter verdict, the next chat step and whom to recall. Reports
// (task report, results, recall results) go through the outbox instead.
// *brain.Client implements it.
type Brain interface {
	FetchTasks(ctx context.Context, req brain.TaskFetchRequest) ([]brain.Task, error)
	Filter(ctx context.Context, req brain.FilterRequest) (bool, error)
	Chat(ctx context.Context, req brain.ChatRequest) (brain.ChatData, error)
	RecallList(ctx context.Context, req brain.RecallListRequest) ([]brain.Recall, error)
}
