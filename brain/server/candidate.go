package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/brain"
	"github.com/hunterbot/hunterbot/internal/clock"
)

func (s *Server) filter(r *http.Request) (any, error) {
	// One decoding pass: candidateInfo (a whole recommend-list item, the
	// bulk of the body) goes straight into the fields the filter reads
	// instead of being kept raw and parsed a second time. The shallower
	// Info field wins over the embedded request's candidateInfo.
	var body struct {
		brain.FilterRequest
		Info *candidateRecord `json:"candidateInfo"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	req := body.FilterRequest
	if err := requireID("accountID", req.AccountID); err != nil {
		return nil, err
	}
	if body.Info == nil {
		return nil, failf("candidateInfo为空")
	}
	rec := *body.Info
	cand := rec.candidateID()
	if cand == "" {
		cand = req.CandidateID
	}
	if err := requireID("candidateInfo.geekCard.geekId", cand); err != nil {
		return nil, err
	}
	now := s.clk.Now()
	var (
		touch  bool
		checks []Check
		acctID string
		jobID  string
	)
	// The answer depends only on stored state, so it is computed in a
	// read transaction; the decision itself goes to the decision log
	// (decisions.go), written before the answer leaves.
	err := s.view(func(tx *bolt.Tx) error {
		acct, err := loadAccount(tx, req.AccountID)
		if err != nil {
			return err
		}
		job, err := jobFor(tx, acct, req.JobID, "")
		if err != nil {
			return err
		}
		acctID, jobID = acct.AccountID, job.JobID
		p := prefix(job.JobID, cand)
		if k, v := tx.Bucket(bTouched).Cursor().Seek(p); k != nil && bytes.HasPrefix(k, p) {
			touch = false
			checks = []Check{{Name: "already_contacted", OK: false,
				Detail: fmt.Sprintf("%s recorded for this job by %s", v, k[len(p):])}}
		} else {
			touch, checks = evaluateFilter(job.Config.FilterArgs, rec, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	val := appendDecision(make([]byte, 0, 1024), &Decision{Time: now, AccountID: acctID, JobID: jobID,
		CandidateID: cand, Touch: touch, Checks: checks})
	if err := s.decisions.add(acctID, val); err != nil {
		return nil, err
	}
	return brain.FilterData{Touch: touch}, nil
}

// debugDecisions lists stored filter decisions, newest first:
// GET /debug/decisions?accountID=A[&candidateID=C][&limit=N] (default 50).
func (s *Server) debugDecisions(r *http.Request) (any, error) {
	q := r.URL.Query()
	acct := q.Get("accountID")
	if err := requireID("accountID", acct); err != nil {
		return nil, err
	}
	cand := q.Get("candidateID")
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 1000 {
			return nil, failf("limit: want 1..1000")
		}
		limit = n
	}
	// Fold the decision log first so the answer includes the latest ones.
	if err := s.decisions.fold(); err != nil {
		return nil, err
	}
	out := []Decision{}
	err := s.view(func(tx *bolt.Tx) error {
		p := prefix(acct)
		c := tx.Bucket(bDecisions).Cursor()
		// Seek past the account's last key, then walk backwards.
		k, v := c.Seek(append(prefix(acct), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, p) && len(out) < limit; k, v = c.Prev() {
			var d Decision
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			if cand == "" || d.CandidateID == cand {
				out = append(out, d)
			}
		}
		return nil
	})
	return out, err
}

func (s *Server) chat(r *http.Request) (any, error) {
	var req brain.ChatRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := requireID("accountID", req.AccountID); err != nil {
		return nil, err
	}
	if err := requireID("candidateID", req.CandidateID); err != nil {
		return nil, err
	}
	for i, m := range req.HistoryMsg {
		switch m.Speaker {
		case brain.SpeakerRobot, brain.SpeakerUser, brain.SpeakerSystem:
		default:
			return nil, failf("historyMsg[%d].speaker: %q is not robot, user or system", i, m.Speaker)
		}
	}
	pc := s.prepareChat(r, req) // llmchat.go: scenes and the model, outside the transaction (model only)
	var out brain.ChatData
	_, err := s.update(r, brain.PathChat, req.AccountID, func(tx *bolt.Tx) (any, error) {
		acct, err := loadAccount(tx, req.AccountID)
		if err != nil {
			return nil, err
		}
		job, err := jobFor(tx, acct, req.JobID, req.CandidateID)
		if err != nil {
			return nil, err
		}
		sess, err := s.loadSession(tx, acct.AccountID, job.JobID, req.CandidateID)
		if err != nil {
			return nil, err
		}
		d := decideChat(chatTexts(job), req.HistoryMsg, chatState{HasContact: sess.hasContact(), Refused: sess.Refused})
		d = s.applyPrecheck(&pc, job, req, d) // llmchat.go
		if req.CandidateName != "" {
			sess.CandidateName = req.CandidateName
		}
		sess.Refused = sess.Refused || d.Refused
		sess.LastStep = d.Step
		sess.Chats++
		sess.UpdatedAt = s.clk.Now()
		if err := s.saveSession(tx, sess, "chat"); err != nil {
			return nil, err
		}
		out = brain.ChatData{NextStep: d.Step, NextStepContent: d.Content}
		out.Hunterbot = answerExtension(req, d, pc.hits, pc.sum) // chatext.go
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	if pc.job != nil {
		s.llm.addScenes(sceneKey(pc.job, req), chatPlan(pc.job, req), req.AccountID+"\x00"+req.CandidateID, pc.hits)
	}
	return out, nil
}

// loadSession returns the stored session or a fresh one.
func (s *Server) loadSession(tx *bolt.Tx, acct, job, cand string) (*session, error) {
	sess := &session{AccountID: acct, JobID: job, CandidateID: cand}
	ok, err := getSession(tx.Bucket(bSessions), key(acct, job, cand), sess)
	if err != nil {
		return nil, err
	}
	if !ok {
		sess.CreatedAt = s.clk.Now()
		sess.UpdatedAt = sess.CreatedAt
	}
	return sess, nil
}

// saveSession stores sess and its indexes: the filter's "already
// contacted for this job" mark and the candidate's latest job.
func (s *Server) saveSession(tx *bolt.Tx, sess *session, how string) error {
	if err := put(tx, bSessions, key(sess.AccountID, sess.JobID, sess.CandidateID), encodeSession(sess)); err != nil {
		return err
	}
	if err := put(tx, bTouched, key(sess.JobID, sess.CandidateID, sess.AccountID), []byte(how)); err != nil {
		return err
	}
	return put(tx, bLatest, key(sess.AccountID, sess.CandidateID), []byte(sess.JobID))
}

func (s *Server) result(r *http.Request) (any, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxResultBody)
	if err := r.ParseMultipartForm(4 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, failf("请求体超过%dMB", maxResultBody>>20)
		}
		return nil, failf("multipart/form-data解析失败: %v", err)
	}
	defer r.MultipartForm.RemoveAll()
	f := r.MultipartForm.Value
	val := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	acctID, jobID, cand := val("accountID"), val("jobID"), val("candidateID")
	name, phone, wechat, filename := val("candidateName"), val("phone"), val("wechat"), val("filename")
	if err := requireID("accountID", acctID); err != nil {
		return nil, err
	}
	if err := requireID("candidateID", cand); err != nil {
		return nil, err
	}
	var cv []byte
	if fh := r.MultipartForm.File["cv"]; len(fh) > 0 {
		file, err := fh[0].Open()
		if err != nil {
			return nil, failf("cv: %v", err)
		}
		cv, err = io.ReadAll(file)
		file.Close()
		if err != nil {
			return nil, failf("cv: %v", err)
		}
		if filename == "" {
			filename = fh[0].Filename
		}
	}
	if phone == "" && wechat == "" && cv == nil {
		return nil, failf("phone, wechat和cv都为空")
	}
	var cvName string
	var wroteFile bool
	if cv != nil {
		var err error
		cvName, wroteFile, err = s.saveCV(acctID, cand, filename, cv)
		if err != nil {
			return nil, err
		}
	}
	out, err := s.update(r, brain.PathResult, acctID, func(tx *bolt.Tx) (any, error) {
		acct, err := loadAccount(tx, acctID)
		if err != nil {
			return nil, err
		}
		job, err := jobFor(tx, acct, jobID, cand)
		if err != nil {
			return nil, err
		}
		sess, err := s.loadSession(tx, acct.AccountID, job.JobID, cand)
		if err != nil {
			return nil, err
		}
		if name != "" {
			sess.CandidateName = name
		}
		if phone != "" {
			sess.Phone = phone
		}
		newWechat := wechat != "" && wechat != sess.Wechat
		if wechat != "" {
			sess.Wechat = wechat
		}
		if cvName != "" && !slices.Contains(sess.CVFiles, cvName) {
			sess.CVFiles = append(sess.CVFiles, cvName)
		}
		sess.UpdatedAt = s.clk.Now()
		if err := s.saveSession(tx, sess, "chat"); err != nil {
			return nil, err
		}
		if newWechat {
			texts := resolveTexts(job.Config.Texts)
			if err := s.enqueueWechat(tx, acct.AccountID, wxTask{Type: brain.WechatAddFriend, AliasID: cand,
				SearchID: wechat, HelloMsg: texts.WechatHello}); err != nil {
				return nil, err
			}
			if err := putJSON(tx, bAliases, key(acct.AccountID, cand), aliasRec{JobID: job.JobID, CandidateID: cand}); err != nil {
				return nil, err
			}
		}
		return brain.StatusData{Status: "ok"}, nil
	})
	if err != nil && wroteFile {
		os.Remove(filepath.Join(s.cvDir, cvName)) // nothing half-written
	}
	return out, err
}

// saveCV writes the file under cv/ with a safe, content-addressed name
// (0600) and reports whether it created the file.
func (s *Server) saveCV(acct, cand, filename string, data []byte) (string, bool, error) {
	sum := sha256.Sum256(data)
	ext := safeName(strings.ToLower(filepath.Ext(filename)))
	if len(ext) > 10 {
		ext = ""
	}
	name := safeName(acct) + "_" + safeName(cand) + "_" + hex.EncodeToString(sum[:6]) + ext
	path := filepath.Join(s.cvDir, name)
	if _, err := os.Stat(path); err == nil {
		return name, false, nil
	}
	tmp, err := os.CreateTemp(s.cvDir, ".cv-*")
	if err != nil {
		return "", false, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", false, err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", false, err
	}
	if err := tmp.Close(); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", false, err
	}
	return name, true, nil
}

// safeName keeps [A-Za-z0-9._-] and replaces everything else, so no path
// separator or dot-dot sequence from a client reaches the file system.
func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			b[i] = '_'
		}
	}
	out := strings.ReplaceAll(string(b), "..", "_")
	if len(out) > 64 {
		out = out[:64]
	}
	return out
}

// recallWindow reports whether a session last updated at updated is due
// for recall number count (0-based) at now. Days are calendar days in the
// account timezone: 1–3 days for the first two recalls, 2–7 for the third.
func recallWindow(count int, updated, now time.Time) bool {
	days := calendarDays(updated, now)
	if count < 2 {
		return days >= 1 && days <= 3
	}
	return days >= 2 && days <= 7
}

func calendarDays(from, to time.Time) int {
	f := from.In(clock.Shanghai)
	t := to.In(clock.Shanghai)
	fd := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, time.UTC)
	td := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return int(td.Sub(fd).Hours() / 24)
}

const maxRecalls = 3

func (s *Server) recallList(r *http.Request) (any, error) {
	var req brain.RecallListRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := requireID("accountID", req.AccountID); err != nil {
		return nil, err
	}
	read := map[string]bool{}
	for _, id := range req.CandidateIDsRead {
		read[id] = true
	}
	now := s.clk.Now()
	out := []brain.Recall{}
	err := s.view(func(tx *bolt.Tx) error {
		acct, err := loadAccount(tx, req.AccountID)
		if err != nil {
			return err
		}
		ids := append(slices.Clone(req.CandidateIDs), req.CandidateIDsRead...)
		seen := map[string]bool{}
		latest, sessions := tx.Bucket(bLatest), tx.Bucket(bSessions)
		// A page's candidates are nearly always of one job: look it and its
		// texts up once.
		var job *jobRec
		var texts brain.JobTexts
		for _, id := range ids {
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			j := latest.Get(key(acct.AccountID, id))
			if j == nil {
				continue // never chatted: nothing to recall
			}
			if job == nil || job.JobID != string(j) {
				if job, err = loadJob(tx, string(j)); err != nil {
					return err
				}
				texts = resolveTexts(job.Config.Texts)
			}
			var sess session
			if ok, err := getSession(sessions, key(acct.AccountID, job.JobID, id), &sess); err != nil || !ok {
				continue
			}
			if sess.hasContact() || sess.Refused || sess.RecallCount >= maxRecalls {
				continue
			}
			if !read[id] && !recallWindow(sess.RecallCount, sess.UpdatedAt, now) {
				continue
			}
			out = append(out, brain.Recall{CandidateID: id, CandidateName: sess.CandidateName, JobID: job.JobID,
				NeedRecall: true, RecallMsg: texts.Recall[sess.RecallCount]})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) recallResult(r *http.Request) (any, error) {
	var req brain.RecallResultRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := requireID("accountID", req.AccountID); err != nil {
		return nil, err
	}
	if err := requireID("candidateID", req.CandidateID); err != nil {
		return nil, err
	}
	return s.update(r, brain.PathRecallResult, req.AccountID, func(tx *bolt.Tx) (any, error) {
		acct, err := loadAccount(tx, req.AccountID)
		if err != nil {
			return nil, err
		}
		job, err := jobFor(tx, acct, req.JobID, req.CandidateID)
		if err != nil {
			return nil, err
		}
		var sess session
		ok, err := getSession(tx.Bucket(bSessions), key(acct.AccountID, job.JobID, req.CandidateID), &sess)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, failf("candidateID: no conversation with %s for %s", req.CandidateID, job.JobID)
		}
		sess.RecallCount++
		sess.UpdatedAt = s.clk.Now()
		if err := s.saveSession(tx, &sess, "chat"); err != nil {
			return nil, err
		}
		return brain.StatusData{Status: "ok"}, nil
	})
}
