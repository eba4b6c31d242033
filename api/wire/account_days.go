package wire

// DayCount is what an account did on one day (Asia/Shanghai, the site's
// day): greetings sent, messages the bot sent (chat answers, follow-ups,
// recalls and operators' manual sends), the follow-ups among them, contacts
// captured (WeChat, phone, CV) and candidates who replied for the first time.
type DayCount struct {
	Day       string `json:"day"` // YYYY-MM-DD
	Greetings int64  `json:"greetings"`
	Messages  int64  `json:"messages"`
	Followups int64  `json:"followups"`
	Contacts  int64  `json:"contacts"`
	Replies   int64  `json:"replies"`
}

// Add adds o's counts to d (the day is d's).
func (d *DayCount) Add(o DayCount) {
	d.Greetings += o.Greetings
	d.Messages += o.Messages
	d.Followups += o.Followups
	d.Contacts += o.Contacts
	d.Replies += o.Replies
}

// AccountDays is GET /api/accounts/{key}/counters: one entry per day of
// the asked range that has any count, oldest first.
type AccountDays struct {
	Key  string     `json:"key"`
	From string     `json:"from"`
	To   string     `json:"to"`
	Days []DayCount `json:"days"`
}
