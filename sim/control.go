package sim

import (
	"errors"
	"time"
)

// ForceRisk raises a risk check of kind (slider, captcha, rate) on account.
func (s *Sim) ForceRisk(accountID, kind string) error {
	if kind == "" {
		kind = RiskSlider
	}
	if kind != RiskSlider && kind != RiskCaptcha && kind != RiskRate && kind != RiskAccount {
		return ErrBadRiskKind
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	s.raiseRisk(a, kind, "control", s.now())
	return nil
}

// ClearRisk ends the account's active risk check ("solved by a human").
func (s *Sim) ClearRisk(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	now := s.now()
	if a.risk != "" {
		a.truth.RiskEvents[len(a.truth.RiskEvents)-1].ClearedAt = now
		a.risk = ""
		a.actions = nil
		s.log.Info().Str("account", a.cfg.ID).Msg("sim: risk cleared")
	}
	return nil
}

func (s *Sim) raiseRisk(a *account, kind, reason string, now time.Time) {
	if a.risk != "" {
		return
	}
	a.truth.RiskEvents = append(a.truth.RiskEvents, RiskEvent{Time: now, Kind: kind, Reason: reason})
	a.risk = kind
	s.log.Warn().Str("account", a.cfg.ID).Str("kind", kind).Str("reason", reason).Msg("sim: risk raised")
}

// riskKind returns the active risk kind or "".
func (a *account) riskKind() string { return a.risk }

// ExpireSession logs every session of the account out.
func (s *Sim) ExpireSession(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	for tok, ss := range s.sessions {
		if ss.acct == a {
			delete(s.sessions, tok)
		}
	}
	return nil
}

// Inject makes the candidate write text in its conversation with the
// account, opening the conversation (新招呼) when there is none.
func (s *Sim) Inject(accountID string, candidateID int64, text string) error {
	if text == "" {
		return errors.New("sim: text is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	c, err := s.candidateOf(a, candidateID)
	if err != nil {
		return err
	}
	now := s.now()
	conv := a.convs[c.id]
	if conv == nil {
		conv = s.newConversation(a, c)
		conv.byCand = true
	}
	s.candidateText(conv, text, now)
	return nil
}

// HumanMessage records a message the human recruiter typed in the
// conversation (not through the bot). The candidate reacts to it like to any
// recruiter message.
func (s *Sim) HumanMessage(accountID string, candidateID int64, text string) error {
	if text == "" {
		return errors.New("sim: text is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	c, err := s.candidateOf(a, candidateID)
	if err != nil {
		return err
	}
	now := s.now()
	conv := a.convs[c.id]
	if conv == nil {
		conv = s.newConversation(a, c)
	}
	s.recruiterText(conv, text, ByHuman, KindText, now)
	conv.human = true
	return nil
}

// ScanQR "scans" the newest pending, unexpired QR code with the account's
// phone; the login page polling that code then logs in.
func (s *Sim) ScanQR(accountID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.account(accountID)
	if err != nil {
		return err
	}
	now := s.now()
	var best *qrCode
	for _, q := range s.qrs {
		if q.scanned == nil && !q.used && now.Sub(q.created) < qrLifetime {
			if best == nil || q.created.After(best.created) || (q.created.Equal(best.created) && q.uuid > best.uuid) {
				best = q
			}
		}
	}
	if best == nil {
		return ErrNoQR
	}
	best.scanned = a
	return nil
}

// qrLifetime is how long a login QR code stays valid (sim time).
const qrLifetime = 2 * time.Minute
