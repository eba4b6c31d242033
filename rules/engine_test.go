package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

func ip(v int) *int { return &v }

func mustCompile(t *testing.T, rs ...Rule) *RuleSet {
	t.Helper()
	set, err := Compile(rs, 1)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func hitIDs(hs []Hit) []string {
	var ids []string
	for _, h := range hs {
		ids = append(ids, h.RuleID)
	}
	return ids
}

// received is a candidate message; rules default to msg_scope 1 (sent), so
// tests that read candidate messages set msg_scope 2 or 3.
func received(text string) *Message { return &Message{Text: text, Direction: DirReceived} }

func both() *ApplicableRange { return &ApplicableRange{MsgScope: MsgScopeBoth} }

func TestValidateNamesField(t *testing.T) {
	long := strings.Repeat("词", 33)
	words21 := make([]string, 21)
	for i := range words21 {
		words21[i] = fmt.Sprintf("w%d", i)
	}
	tests := []struct {
		rule  Rule
		field string
	}{
		{Rule{Name: "", Keyword: &Keyword{WordList: []string{"a"}}}, "name"},
		{Rule{Name: strings.Repeat("名", 21), Keyword: &Keyword{WordList: []string{"a"}}}, "name"},
		{Rule{Name: "x"}, "keyword.word_list"},
		{Rule{Name: "x", Keyword: &Keyword{WordList: []string{"ok", long}}}, "keyword.word_list[1]"},
		{Rule{Name: "x", Keyword: &Keyword{WordList: []string{""}}}, "keyword.word_list[0]"},
		{Rule{Name: "x", Keyword: &Keyword{WordList: words21}}, "keyword.word_list"},
		{Rule{Name: "x", Keyword: &Keyword{IsCaseSensitive: ip(1)}, Semantics: &Semantics{SemanticsList: []Semantic{2}}}, "keyword.is_case_sensitive"},
		{Rule{Name: "x", Keyword: &Keyword{WordList: []string{"a"}, MatchRule: ip(2)}}, "keyword.match_rule"},
		{Rule{Name: "x", Semantics: &Semantics{SemanticsList: []Semantic{13}}}, "semantics.semantics_list[0]"},
		{Rule{Name: "x", Semantics: &Semantics{SemanticsList: []Semantic{0}}}, "semantics.semantics_list[0]"},
		{Rule{Name: "x", Semantics: &Semantics{SemanticsList: []Semantic{2}}, ApplicableRange: &ApplicableRange{MsgScope: 4}}, "applicable_range.msg_scope"},
		{Rule{Name: "x", Semantics: &Semantics{SemanticsList: []Semantic{2}}, ApplicableRange: &ApplicableRange{TargetType: &TypeList{TypeList: []int{3}}}}, "applicable_range.target_type.type_list[0]"},
		{Rule{Name: "x", Semantics: &Semantics{SemanticsList: []Semantic{2}}, ApplicableRange: &ApplicableRange{ChatType: &TypeList{TypeList: []int{1, 0}}}}, "applicable_range.chat_type.type_list[1]"},
		{Rule{Name: "x", Semantics: &Semantics{SemanticsList: []Semantic{2}}, ApplicableRange: &ApplicableRange{ExcludeEmail: &EmailList{EmailList: []string{"nope"}}}}, "applicable_range.exclude_email.email_list[0]"},
		{Rule{Name: "x", Semantics: &Semantics{SemanticsList: []Semantic{2}}, ApplicableRange: &ApplicableRange{ExcludeKeyword: &WordList{WordList: []string{long}}}}, "applicable_range.exclude_keyword.word_list[0]"},
		{Rule{Name: "x", Semantics: &Semantics{SemanticsList: []Semantic{2}}, ApplicableRange: &ApplicableRange{User: &IDList{IDList: make([]string, 101)}}}, "applicable_range.user.id_list"},
	}
	for _, tt := range tests {
		err := tt.rule.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidRule) {
			t.Errorf("Validate(%+v) = %v, want a FieldError", tt.rule, err)
			continue
		}
		if fe.Field != tt.field {
			t.Errorf("Validate: field %q (%v), want %q", fe.Field, err, tt.field)
		}
	}
	ok := Rule{Name: "已回复", Keyword: &Keyword{WordList: []string{"收到", "好的"}, IsCaseSensitive: ip(1), MatchRule: ip(1), IsTrimMsg: ip(1)},
		Semantics: &Semantics{SemanticsList: []Semantic{1, 2}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("seed example rejected: %v", err)
	}
	many := make([]Rule, MaxRules+1)
	for i := range many {
		many[i] = ok
	}
	if err := ValidateSet(many); err == nil || !strings.Contains(err.Error(), "at most 200") {
		t.Errorf("201 rules: %v", err)
	}
	if _, err := Compile([]Rule{ok, {Name: "bad"}}, 1); err == nil || !strings.HasPrefix(err.Error(), "rules[1].") {
		t.Errorf("Compile error should name rules[1]: %v", err)
	}
}

func TestKeywordCaseExactTrim(t *testing.T) {
	rs := mustCompile(t,
		Rule{RuleID: "cs", Name: "cs", Keyword: &Keyword{WordList: []string{"Offer"}}, ApplicableRange: both()},
		Rule{RuleID: "ci", Name: "ci", Keyword: &Keyword{WordList: []string{"Offer"}, IsCaseSensitive: ip(0)}, ApplicableRange: both()},
		Rule{RuleID: "exact", Name: "exact", Keyword: &Keyword{WordList: []string{"好的"}, MatchRule: ip(1)}, ApplicableRange: both()},
		Rule{RuleID: "trim", Name: "trim", Keyword: &Keyword{WordList: []string{"收到"}, MatchRule: ip(1), IsTrimMsg: ip(1)}, ApplicableRange: both()},
		Rule{RuleID: "exact-ci", Name: "exact-ci", Keyword: &Keyword{WordList: []string{"OK"}, MatchRule: ip(1), IsCaseSensitive: ip(0)}, ApplicableRange: both()},
		Rule{RuleID: "cn", Name: "cn", Keyword: &Keyword{WordList: []string{"离职", "到岗"}}, ApplicableRange: both()},
	)
	tests := []struct {
		text string
		want []string
	}{
		{"I got an Offer", []string{"cs", "ci"}},
		{"i got an offer", []string{"ci"}},
		{"OFFER!", []string{"ci"}},
		{"好的", []string{"exact"}},
		{"好的呀", nil},
		{" 好的 ", nil},
		{"收到", []string{"trim"}},
		{"  收到\t\n", []string{"trim"}},
		{"收到了", nil},
		{"ok", []string{"exact-ci"}},
		{"Ok", []string{"exact-ci"}},
		{"ok吧", nil},
		{"已离职，随时到岗", []string{"cn"}},
	}
	for _, tt := range tests {
		if got := hitIDs(rs.Evaluate(received(tt.text), nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%q: hits %v, want %v", tt.text, got, tt.want)
		}
	}
	h := rs.Evaluate(received("已离职，随时到岗，离职证明有"), nil)
	if len(h) != 1 || !slices.Equal(h[0].Keywords, []string{"离职", "到岗"}) {
		t.Errorf("keywords reported: %+v", h)
	}
}

func TestExclusions(t *testing.T) {
	rs := mustCompile(t,
		Rule{RuleID: "reply", Name: "已回复", Keyword: &Keyword{WordList: []string{"收到", "好的"}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, ExcludeKeyword: &WordList{WordList: []string{"没收到", "不好的"}}}},
		Rule{RuleID: "phone", Name: "手机号", Semantics: &Semantics{SemanticsList: []Semantic{SemPhone}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, ExcludeMobile: &MobileList{MobileList: []string{"+86 139 1234 0000"}}}},
		Rule{RuleID: "email", Name: "邮箱", Semantics: &Semantics{SemanticsList: []Semantic{SemEmail}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, ExcludeEmail: &EmailList{EmailList: []string{"HR@Xingchen.com"}}}},
		Rule{RuleID: "card", Name: "银行卡", Semantics: &Semantics{SemanticsList: []Semantic{SemBankCard}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, ExcludeBankCard: &BankCardList{BankCardList: []string{"4111 1111 1111 1111"}}}},
	)
	tests := []struct {
		text string
		want []string
	}{
		{"收到", []string{"reply"}},
		{"没收到啊", nil},
		{"好的，不好的也行", nil},
		{"电话13812345678", []string{"phone"}},
		{"打13912340000就行", nil},
		{"邮箱 a@b.com", []string{"email"}},
		{"发到 hr@xingchen.com", nil},
		{"卡号6222021234567890128", []string{"card"}},
		{"卡号 4111 1111 1111 1111", nil},
		{"卡号6222021234567890127", nil}, // Luhn fails
	}
	for _, tt := range tests {
		if got := hitIDs(rs.Evaluate(received(tt.text), nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%q: hits %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestSemantics(t *testing.T) {
	all := make([]Semantic, 0, semMax)
	for s := Semantic(1); s <= semMax; s++ {
		all = append(all, s)
	}
	rs := mustCompile(t, Rule{RuleID: "all", Name: "全部行为", Semantics: &Semantics{SemanticsList: all}, ApplicableRange: both()})
	tests := []struct {
		msg  Message
		want []Semantic
	}{
		{Message{Text: "电话 138 1234 5678"}, []Semantic{SemPhone}},
		{Message{Text: "abc艾特qq点com"}, []Semantic{SemEmail}},
		{Message{Text: "身份证11010519491231002X"}, []Semantic{SemIDCard}},
		{Message{Text: "身份证 44030419900307123x"}, []Semantic{SemIDCard}},
		{Message{Text: "身份证11010519491231002Y"}, nil},
		{Message{Text: "身份证110105194912310021"}, nil}, // bad checksum, and not Luhn-valid either
		{Message{Text: "卡号 6222 0212 3456 7890 128"}, []Semantic{SemBankCard}},
		{Message{Text: "看 https://example.org/x"}, []Semantic{SemLink}},
		{Message{Text: "作品在 github.com/someone"}, []Semantic{SemLink}},
		{Message{Text: "版本 3.5 发布"}, nil},
		{Message{Text: "熟悉ASP.NET和VB.NET开发"}, nil},
		{Message{Kind: KindRedPacket}, []Semantic{SemRedPacket}},
		{Message{Kind: KindFromBodyType(7, "接受与您交换微信")}, []Semantic{SemWeChatCard}},
		{Message{Kind: KindFromBodyType(7, "我想要和您交换微信，您是否同意")}, nil},
		{Message{Kind: KindImage, HasQRCode: true}, []Semantic{SemQRImage}},
		{Message{Kind: KindImage}, nil},
		{Message{Text: "撤回了", Revoked: true}, []Semantic{SemRecall}},
		{Message{Kind: KindFromBodyType(12, "")}, []Semantic{SemFile}},
		{Message{Kind: KindMiniProgram}, []Semantic{SemMiniProgram}},
		{Message{Text: "您好", Welcome: true}, []Semantic{SemWelcome}},
		{Message{Kind: KindLink}, []Semantic{SemLink}},
		{Message{Text: "微信支付很方便，2023年毕业，期望15000"}, nil},
	}
	for _, tt := range tests {
		m := tt.msg
		h := rs.Evaluate(&m, nil)
		var got []Semantic
		if len(h) == 1 {
			got = h[0].Semantics
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%+v: semantics %v, want %v", tt.msg, got, tt.want)
		}
	}
}

func TestApplicableRange(t *testing.T) {
	rs := mustCompile(t,
		Rule{RuleID: "default", Name: "默认发送", Keyword: &Keyword{WordList: []string{"词"}}},
		Rule{RuleID: "recv", Name: "接收", Keyword: &Keyword{WordList: []string{"词"}}, ApplicableRange: &ApplicableRange{MsgScope: 2}},
		Rule{RuleID: "acct", Name: "账号", Keyword: &Keyword{WordList: []string{"词"}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, User: &IDList{IDList: []string{"acc1"}}}},
		Rule{RuleID: "acct-only", Name: "仅账号", Keyword: &Keyword{WordList: []string{"词"}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, TargetType: &TypeList{TypeList: []int{1}}, User: &IDList{IDList: []string{"acc1"}}}},
		Rule{RuleID: "job", Name: "职位", Keyword: &Keyword{WordList: []string{"词"}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, TargetType: &TypeList{TypeList: []int{1}}, Department: &DepartmentList{IDList: []int64{42}}}},
		Rule{RuleID: "cand", Name: "候选人", Keyword: &Keyword{WordList: []string{"词"}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, TargetType: &TypeList{TypeList: []int{2}}, ExternalContact: &IDList{IDList: []string{"geek7"}}}},
		Rule{RuleID: "group", Name: "群聊", Keyword: &Keyword{WordList: []string{"词"}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, ChatType: &TypeList{TypeList: []int{2}}, Chat: &IDList{IDList: []string{"g1"}}}},
		Rule{RuleID: "internal", Name: "内部", Keyword: &Keyword{WordList: []string{"词"}},
			ApplicableRange: &ApplicableRange{MsgScope: 3, SessionType: &SessionTypeList{SessionTypeList: []int{1}}}},
	)
	tests := []struct {
		name string
		msg  Message
		want []string
	}{
		{"sent by acc1 job 42", Message{Direction: DirSent, AccountID: "acc1", JobID: 42}, []string{"default", "acct", "acct-only", "job"}},
		{"sent by acc2 job 1", Message{Direction: DirSent, AccountID: "acc2", JobID: 1}, []string{"default"}},
		{"received from geek7", Message{CandidateID: "geek7"}, []string{"recv", "acct", "cand"}},
		{"received from geek8", Message{CandidateID: "geek8"}, []string{"recv", "acct"}},
		{"group g1", Message{CandidateID: "geek8", Group: true, ChatID: "g1"}, []string{"recv", "acct", "group"}},
		{"group g2", Message{CandidateID: "geek8", Group: true, ChatID: "g2"}, []string{"recv", "acct"}},
		{"internal", Message{Direction: DirSent, AccountID: "acc2", Internal: true}, []string{"default", "internal"}},
	}
	for _, tt := range tests {
		m := tt.msg
		m.Text = "词"
		if got := hitIDs(rs.Evaluate(&m, nil)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: hits %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEngineSwapConcurrent(t *testing.T) {
	a := mustCompile(t, Rule{RuleID: "a", Name: "a", Keyword: &Keyword{WordList: []string{"面试"}}, ApplicableRange: both()})
	b, err := Compile([]Rule{{RuleID: "b", Name: "b", Keyword: &Keyword{WordList: []string{"面试"}}, ApplicableRange: both()}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(a)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				h := e.Evaluate(received("明天面试"))
				if len(h) != 1 || (h[0].RuleID != "a" && h[0].RuleID != "b") {
					t.Errorf("hits during swap: %+v", h)
					return
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		if i%2 == 0 {
			e.Swap(b)
		} else {
			e.Swap(a)
		}
	}
	close(stop)
	wg.Wait()
	e.Swap(b)
	if v := e.Rules().Version(); v != 2 {
		t.Errorf("version %d, want 2", v)
	}
	res := e.Process(received("明天面试，电话13812345678"))
	if len(res.Contacts) != 1 || res.Contacts[0].Value != "13812345678" || len(res.Hits) != 1 {
		t.Errorf("Process: %+v", res)
	}
}

func TestAutomaton(t *testing.T) {
	a := NewAutomaton([]string{"he", "she", "his", "hers", "微信", "信号"}, false)
	got := a.AppendMatches(nil, "ushers 微信号")
	slices.Sort(got)
	want := []int32{0, 1, 3, 4, 5}
	if !slices.Equal(got, want) {
		t.Errorf("matches %v, want %v", got, want)
	}
	f := NewAutomaton([]string{"Offer"}, true)
	if n := len(f.AppendMatches(nil, "OFFER offer oFfEr")); n != 3 {
		t.Errorf("folded matches %d, want 3", n)
	}
	if n := len(NewAutomaton(nil, false).AppendMatches(nil, "x")); n != 0 {
		t.Errorf("empty automaton matched")
	}
}
