// Package rules implements operator-defined keyword & behaviour rules (the
// schema of seed 004, the WeCom "会话关键词" interface) and contact extraction
// from candidate messages: phone numbers, WeChat ids, QQ numbers and emails in
// the many disguises candidates use. It also offers small intent helpers
// (opt-out, refusal, question) the bot uses to steer a conversation.
//
// Rule sets are compiled into immutable matchers (Aho-Corasick automata per
// case mode plus exact-match maps) off the hot path and swapped atomically in
// an Engine, so evaluation never blocks on an update.
package rules

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits from seed 004.
const (
	MaxRules          = 200  // rules per set
	MaxNameLen        = 20   // runes in a rule name
	MaxWords          = 20   // keyword.word_list and exclude_keyword.word_list entries
	MaxWordLen        = 32   // runes in one word
	MaxListIDs        = 100  // department / user / external_contact / exclusion lists
	MaxChatIDs        = 2000 // chat.id_list
	DefaultMsgScope   = MsgScopeSent
	defaultCaseSensit = 1
)

// Message scopes (applicable_range.msg_scope): which direction a rule reads.
const (
	MsgScopeSent     = 1 // messages our recruiter account sent
	MsgScopeReceived = 2 // messages the account received from candidates
	MsgScopeBoth     = 3
)

// Match rules (keyword.match_rule).
const (
	MatchContains = 0
	MatchExact    = 1
)

// Semantic is a key behaviour of seed 004 (semantics.semantics_list).
type Semantic int

// The twelve behaviours of seed 004.
const (
	SemRedPacket   Semantic = 1  // 红包
	SemPhone       Semantic = 2  // 手机号码
	SemEmail       Semantic = 3  // 邮箱地址
	SemWeChatCard  Semantic = 4  // 微信名片
	SemQRImage     Semantic = 5  // 带二维码图片
	SemRecall      Semantic = 6  // 撤回消息
	SemBankCard    Semantic = 7  // 银行卡号
	SemIDCard      Semantic = 8  // 身份证号
	SemFile        Semantic = 9  // 发送文件
	SemLink        Semantic = 10 // 发送链接
	SemMiniProgram Semantic = 11 // 发送小程序
	SemWelcome     Semantic = 12 // 发送客户欢迎语
	semMax                  = 12
)

// Target types (applicable_range.target_type.type_list): whose messages.
const (
	TargetStaff    = 1 // 员工: our recruiter accounts
	TargetCustomer = 2 // 客户: candidates
)

// Chat types (applicable_range.chat_type.type_list).
const (
	ChatSingle = 1 // 单聊: one recruiter, one candidate
	ChatGroup  = 2 // 群聊
)

// Session types (applicable_range.session_type.session_type_list).
const (
	SessionInternal = 1 // 内部会话: between our own accounts
	SessionExternal = 2 // 外部会话: with candidates
)

// Rule is one keyword rule exactly as seed 004 shapes it. JSON and YAML
// field names are the seed's. Optional integer flags are pointers so that
// "absent" and "0" can be told apart (the seed forbids the flags without a
// word list).
type Rule struct {
	RuleID          string           `json:"rule_id,omitempty" yaml:"rule_id,omitempty"`
	Name            string           `json:"name" yaml:"name"`
	Keyword         *Keyword         `json:"keyword,omitempty" yaml:"keyword,omitempty"`
	Semantics       *Semantics       `json:"semantics,omitempty" yaml:"semantics,omitempty"`
	ApplicableRange *ApplicableRange `json:"applicable_range,omitempty" yaml:"applicable_range,omitempty"`
	CreateTime      int64            `json:"create_time,omitempty" yaml:"create_time,omitempty"`
}

// Keyword is the keyword{} object of seed 004.
type Keyword struct {
	WordList        []string `json:"word_list" yaml:"word_list"`
	IsCaseSensitive *int     `json:"is_case_sensitive,omitempty" yaml:"is_case_sensitive,omitempty"` // 0 no, 1 yes (default 1)
	MatchRule       *int     `json:"match_rule,omitempty" yaml:"match_rule,omitempty"`               // 0 contains (default), 1 exact
	IsTrimMsg       *int     `json:"is_trim_msg,omitempty" yaml:"is_trim_msg,omitempty"`             // exact only: trim spaces/tabs/newlines first
}

// Semantics is the semantics{} object of seed 004.
type Semantics struct {
	SemanticsList []Semantic `json:"semantics_list" yaml:"semantics_list"`
}

// ApplicableRange is applicable_range{} of seed 004. In recruiting terms
// (see docs/rules.md): user = recruiter accounts, department = jobs,
// external_contact = candidates, chat = group chats, target_type = whose
// messages (1 recruiter, 2 candidate), msg_scope = direction.
type ApplicableRange struct {
	TargetType      *TypeList        `json:"target_type,omitempty" yaml:"target_type,omitempty"`
	Department      *DepartmentList  `json:"department,omitempty" yaml:"department,omitempty"`
	User            *IDList          `json:"user,omitempty" yaml:"user,omitempty"`
	ExternalContact *IDList          `json:"external_contact,omitempty" yaml:"external_contact,omitempty"`
	ChatType        *TypeList        `json:"chat_type,omitempty" yaml:"chat_type,omitempty"`
	Chat            *IDList          `json:"chat,omitempty" yaml:"chat,omitempty"`
	MsgScope        int              `json:"msg_scope,omitempty" yaml:"msg_scope,omitempty"`
	ExcludeMobile   *MobileList      `json:"exclude_mobile,omitempty" yaml:"exclude_mobile,omitempty"`
	ExcludeEmail    *EmailList       `json:"exclude_email,omitempty" yaml:"exclude_email,omitempty"`
	ExcludeBankCard *BankCardList    `json:"exclude_bank_card,omitempty" yaml:"exclude_bank_card,omitempty"`
	ExcludeKeyword  *WordList        `json:"exclude_keyword,omitempty" yaml:"exclude_keyword,omitempty"`
	SessionType     *SessionTypeList `json:"session_type,omitempty" yaml:"session_type,omitempty"`
}

// TypeList is {"type_list": [...]}.
type TypeList struct {
	TypeList []int `json:"type_list" yaml:"type_list"`
}

// DepartmentList is {"id_list": [...]} with integer ids (jobs here).
type DepartmentList struct {
	IDList []int64 `json:"id_list" yaml:"id_list"`
}

// IDList is {"id_list": [...]} with string ids.
type IDList struct {
	IDList []string `json:"id_list" yaml:"id_list"`
}

// MobileList is {"mobile_list": [...]}.
type MobileList struct {
	MobileList []string `json:"mobile_list" yaml:"mobile_list"`
}

// EmailList is {"email_list": [...]}.
type EmailList struct {
	EmailList []string `json:"email_list" yaml:"email_list"`
}

// BankCardList is {"bank_card_list": [...]}.
type BankCardList struct {
	BankCardList []string `json:"bank_card_list" yaml:"bank_card_list"`
}

// WordList is {"word_list": [...]}.
type WordList struct {
	WordList []string `json:"word_list" yaml:"word_list"`
}

// SessionTypeList is {"session_type_list": [...]}.
type SessionTypeList struct {
	SessionTypeList []int `json:"session_type_list" yaml:"session_type_list"`
}

// ErrInvalidRule is wrapped by every validation error.
var ErrInvalidRule = errors.New("invalid rule")

// FieldError is a validation failure naming the offending field with its
// JSON path, e.g. `keyword.word_list[3]: must be 1-32 characters`.
type FieldError struct {
	Field string
	Msg   string
}

// Error implements error.
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalidRule) true.
func (e *FieldError) Unwrap() error { return ErrInvalidRule }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks r against the limits of seed 004. Errors are *FieldError.
func (r *Rule) Validate() error {
	n := utf8.RuneCountInString(r.Name)
	if strings.TrimSpace(r.Name) == "" || n > MaxNameLen {
		return fieldErr("name", "must be 1-%d characters", MaxNameLen)
	}
	hasWords, hasSem := false, false
	if k := r.Keyword; k != nil {
		if err := checkWords("keyword.word_list", k.WordList); err != nil {
			return err
		}
		hasWords = len(k.WordList) > 0
		for _, f := range []struct {
			name string
			v    *int
		}{{"keyword.is_case_sensitive", k.IsCaseSensitive}, {"keyword.match_rule", k.MatchRule}, {"keyword.is_trim_msg", k.IsTrimMsg}} {
			if f.v == nil {
				continue
			}
			if *f.v != 0 && *f.v != 1 {
				return fieldErr(f.name, "must be 0 or 1")
			}
			if !hasWords && f.name != "keyword.is_trim_msg" {
				return fieldErr(f.name, "given without keyword.word_list")
			}
		}
	}
	if s := r.Semantics; s != nil {
		seen := map[Semantic]bool{}
		for i, v := range s.SemanticsList {
			if v < 1 || v > semMax {
				return fieldErr(fmt.Sprintf("semantics.semantics_list[%d]", i), "must be 1-%d", semMax)
			}
			if seen[v] {
				return fieldErr(fmt.Sprintf("semantics.semantics_list[%d]", i), "duplicate %d", v)
			}
			seen[v] = true
		}
		hasSem = len(s.SemanticsList) > 0
	}
	if !hasWords && !hasSem {
		return fieldErr("keyword.word_list", "keyword.word_list or semantics.semantics_list is required")
	}
	if a := r.ApplicableRange; a != nil {
		if err := a.validate(); err != nil {
			return err
		}
	}
	return nil
}

func checkWords(field string, words []string) error {
	if len(words) > MaxWords {
		return fieldErr(field, "at most %d words", MaxWords)
	}
	seen := make(map[string]bool, len(words))
	for i, w := range words {
		if n := utf8.RuneCountInString(w); w == "" || n > MaxWordLen {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "must be 1-%d characters", MaxWordLen)
		}
		if !utf8.ValidString(w) {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "not valid UTF-8")
		}
		if seen[w] {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "duplicate word %q", w)
		}
		seen[w] = true
	}
	return nil
}

func checkInts(field string, v []int, allowed ...int) error {
	for i, x := range v {
		ok := false
		for _, a := range allowed {
			ok = ok || x == a
		}
		if !ok {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "must be one of %v", allowed)
		}
	}
	return nil
}

func checkStrings(field string, v []string, max int) error {
	if len(v) > max {
		return fieldErr(field, "at most %d entries", max)
	}
	for i, s := range v {
		if strings.TrimSpace(s) == "" {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "must not be empty")
		}
	}
	return nil
}

func (a *ApplicableRange) validate() error {
	if a.TargetType != nil {
		if err := checkInts("applicable_range.target_type.type_list", a.TargetType.TypeList, TargetStaff, TargetCustomer); err != nil {
			return err
		}
	}
	if a.ChatType != nil {
		if err := checkInts("applicable_range.chat_type.type_list", a.ChatType.TypeList, ChatSingle, ChatGroup); err != nil {
			return err
		}
	}
	if a.SessionType != nil {
		if err := checkInts("applicable_range.session_type.session_type_list", a.SessionType.SessionTypeList, SessionInternal, SessionExternal); err != nil {
			return err
		}
	}
	if a.Department != nil && len(a.Department.IDList) > MaxListIDs {
		return fieldErr("applicable_range.department.id_list", "at most %d entries", MaxListIDs)
	}
	if a.User != nil {
		if err := checkStrings("applicable_range.user.id_list", a.User.IDList, MaxListIDs); err != nil {
			return err
		}
	}
	if a.ExternalContact != nil {
		if err := checkStrings("applicable_range.external_contact.id_list", a.ExternalContact.IDList, MaxListIDs); err != nil {
			return err
		}
	}
	if a.Chat != nil {
		if err := checkStrings("applicable_range.chat.id_list", a.Chat.IDList, MaxChatIDs); err != nil {
			return err
		}
	}
	if a.MsgScope != 0 && (a.MsgScope < MsgScopeSent || a.MsgScope > MsgScopeBoth) {
		return fieldErr("applicable_range.msg_scope", "must be 1 (sent), 2 (received) or 3 (both)")
	}
	if a.ExcludeMobile != nil {
		if err := checkStrings("applicable_range.exclude_mobile.mobile_list", a.ExcludeMobile.MobileList, MaxListIDs); err != nil {
			return err
		}
		for i, m := range a.ExcludeMobile.MobileList {
			if d := NormalizeMobile(m); len(d) < 5 {
				return fieldErr(fmt.Sprintf("applicable_range.exclude_mobile.mobile_list[%d]", i), "not a phone number")
			}
		}
	}
	if a.ExcludeEmail != nil {
		if err := checkStrings("applicable_range.exclude_email.email_list", a.ExcludeEmail.EmailList, MaxListIDs); err != nil {
			return err
		}
		for i, e := range a.ExcludeEmail.EmailList {
			if !strings.Contains(e, "@") {
				return fieldErr(fmt.Sprintf("applicable_range.exclude_email.email_list[%d]", i), "not an email address")
			}
		}
	}
	if a.ExcludeBankCard != nil {
		if err := checkStrings("applicable_range.exclude_bank_card.bank_card_list", a.ExcludeBankCard.BankCardList, MaxListIDs); err != nil {
			return err
		}
		for i, c := range a.ExcludeBankCard.BankCardList {
			if d := digitsOnly(c); len(d) < 8 {
				return fieldErr(fmt.Sprintf("applicable_range.exclude_bank_card.bank_card_list[%d]", i), "not a bank card number")
			}
		}
	}
	if a.ExcludeKeyword != nil {
		if err := checkWords("applicable_range.exclude_keyword.word_list", a.ExcludeKeyword.WordList); err != nil {
			return err
		}
	}
	return nil
}

// ValidateSet validates every rule and the set limits (≤ MaxRules, unique
// ids). Field paths are prefixed with rules[i].
func ValidateSet(rs []Rule) error {
	if len(rs) > MaxRules {
		return fieldErr("rules", "at most %d rules", MaxRules)
	}
	ids := make(map[string]int, len(rs))
	for i := range rs {
		if err := rs[i].Validate(); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				return fieldErr(fmt.Sprintf("rules[%d].%s", i, fe.Field), "%s", fe.Msg)
			}
			return err
		}
		if id := rs[i].RuleID; id != "" {
			if j, dup := ids[id]; dup {
				return fieldErr(fmt.Sprintf("rules[%d].rule_id", i), "duplicate of rules[%d]", j)
			}
			ids[id] = i
		}
	}
	return nil
}

// NormalizeMobile reduces a phone number as written in an exclusion list
// ("+86 138-0013-8000") to its digits without the 86 country code.
func NormalizeMobile(s string) string {
	d := digitsOnly(s)
	if len(d) == 13 && strings.HasPrefix(d, "86") {
		d = d[2:]
	}
	return d
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if r >= '０' && r <= '９' {
			b.WriteRune(r - '０' + '0')
		}
	}
	return b.String()
}
