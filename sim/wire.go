package sim

// Wire shapes of the site's XHR responses, exactly as spec/recruiter-site.md
// describes them. They are exported so that tests of other packages can
// decode the sim's responses without redefining them.

// Envelope is the JSON envelope of every /wapi/ response.
type Envelope[T any] struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	ZPData  T      `json:"zpData"`
}

// UserInfo is zpData of GET /wapi/zpuser/wap/getUserInfo.json.
type UserInfo struct {
	UserID   int64  `json:"userId"`
	Name     string `json:"name"`
	ShowName string `json:"showName"`
	Avatar   string `json:"avatar"`
	Identity int    `json:"identity"` // 1 = boss (recruiter)
	Company  string `json:"companyName"`
	Title    string `json:"title"`
}

// GeekList is zpData of GET /wapi/zpjob/rec/geek/list.
type GeekList struct {
	GeekList []GeekItem `json:"geekList"`
	HasMore  bool       `json:"hasMore"`
	Page     int        `json:"page"`
	JobID    int64      `json:"jobId"`
}

// GeekItem is one candidate record of the recommend list.
type GeekItem struct {
	EncryptGeekID  string     `json:"encryptGeekId"`
	IsFriend       int        `json:"isFriend"`
	HaveChatted    int        `json:"haveChatted"`
	ActiveTimeDesc string     `json:"activeTimeDesc"`
	GeekCard       GeekCard   `json:"geekCard"`
	ShowEdus       []Edu      `json:"showEdus"`
	ShowWorks      []Work     `json:"showWorks"`
	GeekLastWork   Work       `json:"geekLastWork"`
	Feedback       []Feedback `json:"feedback"`
}

// Feedback is a not-interested reason offered on a card.
type Feedback struct {
	Code int    `json:"code"`
	Text string `json:"text"`
}

// GeekDesc wraps the candidate's self-description.
type GeekDesc struct {
	Content string `json:"content"`
}

// GeekCard is the candidate card of a GeekItem.
type GeekCard struct {
	GeekID             int64    `json:"geekId"`
	GeekName           string   `json:"geekName"`
	EncryptGeekID      string   `json:"encryptGeekId"`
	SecurityID         string   `json:"securityId"`
	GeekAvatar         string   `json:"geekAvatar"`
	GeekGender         int      `json:"geekGender"`
	GeekWorkYear       string   `json:"geekWorkYear"`
	GeekDegree         string   `json:"geekDegree"`
	FreshGraduate      int      `json:"freshGraduate"`
	GeekDesc           GeekDesc `json:"geekDesc"`
	Salary             string   `json:"salary"`
	LowSalary          int      `json:"lowSalary"`
	HighSalary         int      `json:"highSalary"`
	ExpectPositionName string   `json:"expectPositionName"`
	ExpectPositionCode int      `json:"expectPositionCode"`
	ExpectLocationName string   `json:"expectLocationName"`
	ExpectLocationCode int      `json:"expectLocationCode"`
	ApplyStatus        int      `json:"applyStatus"`
	ApplyStatusDesc    string   `json:"applyStatusDesc"`
	ActiveTime         int64    `json:"activeTime"`
	AgeDesc            string   `json:"ageDesc"`
	GeekEdus           []Edu    `json:"geekEdus"`
	GeekWorks          []Work   `json:"geekWorks"`
	JobID              int64    `json:"jobId"`
	EncryptJobID       string   `json:"encryptJobId"`
	Lid                string   `json:"lid"`
}

// Edu is one education entry.
type Edu struct {
	School     string `json:"school"`
	Major      string `json:"major"`
	DegreeName string `json:"degreeName"`
	StartDate  string `json:"startDate"`
	EndDate    string `json:"endDate"`
}

// Work is one work-experience entry; EndDate "" means current.
type Work struct {
	Company          string   `json:"company"`
	PositionName     string   `json:"positionName"`
	PositionCategory string   `json:"positionCategory"`
	Responsibility   string   `json:"responsibility"`
	WorkEmphasisList []string `json:"workEmphasisList"`
	StartDate        string   `json:"startDate"`
	EndDate          string   `json:"endDate"`
	WorkTime         string   `json:"workTime"`
	Current          bool     `json:"current"`
}

// History is zpData of GET /wapi/zpchat/boss/historyMsg.
type History struct {
	Messages []Message `json:"messages"`
	HasMore  bool      `json:"hasMore"`
	MinMsgID int64     `json:"minMsgId"`
}

// Message is one chat message.
type Message struct {
	MID    int64   `json:"mid"`
	Time   int64   `json:"time"` // ms epoch
	Type   int     `json:"type"` // 1 chat, 4 system notice
	From   Party   `json:"from"`
	To     Party   `json:"to"`
	Body   MsgBody `json:"body"`
	Status int     `json:"status"` // 1 unread, 2 read, 3 revoked
}

// Message.Type values.
const (
	MsgTypeChat   = 1
	MsgTypeSystem = 4
)

// MsgBody.Type values.
const (
	BodyText      = 1
	BodyDialog    = 7
	BodyResume    = 9
	BodyHyperlink = 12
)

// Party is a message's sender or receiver.
type Party struct {
	UID    int64  `json:"uid"`
	Name   string `json:"name"`
	Source int    `json:"source"`
}

// MsgBody is a message's content. URL is set on hyperlink (attachment
// résumé) bodies; Dialog on interactive cards.
type MsgBody struct {
	Type   int     `json:"type"`
	Text   string  `json:"text"`
	URL    string  `json:"url,omitempty"`
	Dialog *Dialog `json:"dialog,omitempty"`
}

// Dialog is the state of an interactive card (同意/拒绝).
type Dialog struct {
	Kind     string `json:"kind"`     // wechat | phone | resume
	Operated int    `json:"operated"` // 0 open, 1 agreed, 2 refused
}

// FriendList is zpData of GET /wapi/zprelation/friend/getBossFriendListV2.json.
type FriendList struct {
	FriendList []Friend `json:"friendList"`
	UnreadAll  int      `json:"unreadAll"`
}

// Friend is one conversation row of the chat page.
type Friend struct {
	UID           int64  `json:"uid"`
	EncryptUID    string `json:"encryptUid"`
	SecurityID    string `json:"securityId"`
	Name          string `json:"name"`
	JobID         int64  `json:"jobId"`
	JobName       string `json:"jobName"`
	LastMsg       string `json:"lastMsg"`
	LastTime      int64  `json:"lastTime"`     // ms epoch
	LastTimeDesc  string `json:"lastTimeDesc"` // "15:04" today, else "01月02日" (Asia/Shanghai)
	Unread        int    `json:"unreadCount"`
	Source        int    `json:"source"`
	IsNew         bool   `json:"isNew"` // candidate opened the conversation (新招呼)
	BothTalked    bool   `json:"bothTalked"`
	PhoneExchange bool   `json:"phoneExchanged"`
	WeChatExch    bool   `json:"wechatExchanged"`
	HasResume     bool   `json:"resumeReceived"`
}

// GeekInfo is zpData of GET /wapi/zpchat/boss/geekInfo: the open
// conversation's header and exchange state.
type GeekInfo struct {
	UID      int64                    `json:"uid"`
	Name     string                   `json:"name"`
	JobName  string                   `json:"jobName"`
	Exchange map[string]ExchangeState `json:"exchange"` // keys wechat, phone, resume
}

// ExchangeState is the state of one toolbar exchange.
type ExchangeState struct {
	State int    `json:"state"` // 0 none, 1 requested, 2 accepted, 3 refused
	Value string `json:"value,omitempty"`
}

// Exchange states.
const (
	ExNone      = 0
	ExRequested = 1
	ExAccepted  = 2
	ExRefused   = 3
)

// SendResult is zpData of POST /wapi/zpchat/boss/sendMsg.
type SendResult struct {
	MID  int64 `json:"mid"`
	Time int64 `json:"time"`
}

// GreetResult is zpData of POST /wapi/zpjob/chat/start.
type GreetResult struct {
	Status     int    `json:"status"` // 1 greeted, 2 already chatted
	GeekID     int64  `json:"geekId"`
	SecurityID string `json:"securityId"`
}
