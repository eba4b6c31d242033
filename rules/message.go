package rules

import "strings"

// Kind is what a message carries besides (or instead of) text. The bot fills
// it from the site's body.type via KindFromBodyType; other channels (WeChat
// workers) set it directly.
type Kind int

// Message kinds. Behaviours 1, 4, 5, 9, 11 of seed 004 come from these, not
// from text.
const (
	KindText        Kind = iota // body.type 1
	KindDialogCard              // body.type 7: exchange request / answer card
	KindResumeCard              // body.type 9: online résumé card
	KindAttachment              // body.type 12: hyperlink / attachment résumé
	KindImage                   // a picture; set HasQRCode when it contains a QR code
	KindFile                    // a file other than an attachment résumé
	KindRedPacket               // 红包
	KindWeChatCard              // a WeChat contact card / exchanged WeChat id card
	KindMiniProgram             // 小程序
	KindLink                    // a link message (not text containing a URL)
)

// KindFromBodyType maps the recruiter site's body.type (see
// spec/recruiter-site.md) to a Kind. A dialog card whose text is the site's
// "accepted WeChat exchange" notice is a WeChat card.
func KindFromBodyType(bodyType int, text string) Kind {
	switch bodyType {
	case 7:
		if strings.Contains(text, "微信") && !strings.Contains(text, "是否同意") && !strings.Contains(text, "拒绝") {
			return KindWeChatCard
		}
		return KindDialogCard
	case 9:
		return KindResumeCard
	case 12:
		return KindAttachment
	default:
		return KindText
	}
}

// Direction says who wrote a message relative to our recruiter account.
type Direction int

// Directions. DirReceived is the zero value because most evaluated messages
// are the candidate's.
const (
	DirReceived Direction = iota // from the candidate to our account
	DirSent                      // from our account (bot or human recruiter)
)

// Message is one chat message with the context the applicable range of a
// rule is checked against.
type Message struct {
	Text        string
	Kind        Kind
	Revoked     bool // site status 3
	HasQRCode   bool // for KindImage: the picture holds a QR code
	Welcome     bool // the greeting the site or the bot sends on first contact
	Direction   Direction
	AccountID   string // recruiter account (applicable_range.user)
	JobID       int64  // job (applicable_range.department)
	CandidateID string // candidate (applicable_range.external_contact)
	ChatID      string // group chat id (applicable_range.chat); empty for single chats
	Group       bool   // group chat (chat_type 2) rather than single chat (1)
	Internal    bool   // between our own accounts (session_type 1)
}

// metaSemantics returns the behaviours carried by message metadata.
func (m *Message) metaSemantics() uint32 {
	var s uint32
	switch m.Kind {
	case KindRedPacket:
		s |= semBit(SemRedPacket)
	case KindWeChatCard:
		s |= semBit(SemWeChatCard)
	case KindImage:
		if m.HasQRCode {
			s |= semBit(SemQRImage)
		}
	case KindFile, KindAttachment:
		s |= semBit(SemFile)
	case KindMiniProgram:
		s |= semBit(SemMiniProgram)
	case KindLink:
		s |= semBit(SemLink)
	}
	if m.Revoked {
		s |= semBit(SemRecall)
	}
	if m.Welcome {
		s |= semBit(SemWelcome)
	}
	return s
}

func semBit(s Semantic) uint32 { return 1 << uint(s) }
