package server

import (
	"bytes"
	"encoding/json"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"github.com/hunterbot/hunterbot/brain"
)

// enqueueWechat appends a pending task to the account's queue.
func (s *Server) enqueueWechat(tx *bolt.Tx, acct string, t wxTask) error {
	seq, err := nextSequence(tx, bWechat)
	if err != nil {
		return err
	}
	t.Seq, t.Status, t.CreatedAt = seq, wxPending, s.clk.Now()
	return putJSON(tx, bWechat, seqKey(acct, seq), t)
}

// eachWechat calls fn for the account's tasks in queue order; fn may
// rewrite the task through the returned key.
func eachWechat(tx *bolt.Tx, acct string, fn func(k []byte, t *wxTask) (stop bool, err error)) error {
	p := prefix(acct)
	c := tx.Bucket(bWechat).Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		var t wxTask
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		stop, err := fn(append([]byte(nil), k...), &t)
		if err != nil || stop {
			return err
		}
	}
	return nil
}

func (s *Server) wechatTaskToDo(r *http.Request) (any, error) {
	var req brain.WechatTaskToDoRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.AccountID == "" {
		// Earlier built-in clients send account_id; the reference's accountID.
		req.AccountID = req.AccountIDOld
	}
	if err := requireID("accountID", req.AccountID); err != nil {
		return nil, err
	}
	out := brain.WechatTaskList{TaskList: []brain.WechatTask{}}
	err := s.view(func(tx *bolt.Tx) error {
		if _, err := loadAccount(tx, req.AccountID); err != nil {
			return err
		}
		var send, add []brain.WechatTaskContent
		err := eachWechat(tx, req.AccountID, func(_ []byte, t *wxTask) (bool, error) {
			if t.Status != wxPending {
				return false, nil
			}
			switch t.Type {
			case brain.WechatSendMsg:
				send = append(send, brain.WechatTaskContent{AliasID: t.AliasID, Msg: t.Msg})
			case brain.WechatAddFriend:
				// msg repeats the note for v3.0-shaped clients ({alias_id, msg}).
				add = append(add, brain.WechatTaskContent{AliasID: t.AliasID, Msg: t.HelloMsg, SearchID: t.SearchID, HelloMsg: t.HelloMsg})
			}
			return false, nil
		})
		if len(send) > 0 {
			out.TaskList = append(out.TaskList, brain.WechatTask{TaskType: brain.WechatSendMsg, Content: send})
		}
		if len(add) > 0 {
			out.TaskList = append(out.TaskList, brain.WechatTask{TaskType: brain.WechatAddFriend, Content: add})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) wechatAddFriend(r *http.Request) (any, error) {
	var req brain.WechatAddFriendReport
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	for _, f := range [][2]string{{"account_id", req.AccountID}, {"alias_id", req.AliasID}} {
		if err := requireID(f[0], f[1]); err != nil {
			return nil, err
		}
	}
	return s.update(r, brain.PathWechatAddFriend, req.AccountID, func(tx *bolt.Tx) (any, error) {
		if _, err := loadAccount(tx, req.AccountID); err != nil {
			return nil, err
		}
		matched, replay := false, false
		err := eachWechat(tx, req.AccountID, func(k []byte, t *wxTask) (bool, error) {
			if t.Type != brain.WechatAddFriend || t.AliasID != req.AliasID || (req.SearchID != "" && t.SearchID != req.SearchID) {
				return false, nil
			}
			if t.Status == wxDone {
				replay = true
				return false, nil
			}
			t.Status, t.DoneAt = wxDone, s.clk.Now()
			matched = true
			return false, putJSON(tx, bWechat, k, t)
		})
		if err != nil {
			return nil, err
		}
		if !matched && !replay {
			return nil, failf("alias_id: no add_friend task for %s", req.AliasID)
		}
		if matched {
			// The friend is added: the queue moves on to the intro message.
			texts, err := aliasTexts(tx, req.AccountID, req.AliasID)
			if err != nil {
				return nil, err
			}
			if err := s.enqueueWechat(tx, req.AccountID, wxTask{Type: brain.WechatSendMsg, AliasID: req.AliasID, Msg: texts.WechatIntro}); err != nil {
				return nil, err
			}
		}
		return brain.StatusData{Status: "ok"}, nil
	})
}

// aliasTexts returns the resolved texts of the job an alias belongs to.
func aliasTexts(tx *bolt.Tx, acct, alias string) (brain.JobTexts, error) {
	var a aliasRec
	ok, err := getJSON(tx, bAliases, key(acct, alias), &a)
	if err != nil {
		return brain.JobTexts{}, err
	}
	if !ok {
		return brain.JobTexts{}, failf("alias_id: unknown %s", alias)
	}
	job, err := loadJob(tx, a.JobID)
	if err != nil {
		return brain.JobTexts{}, err
	}
	return resolveTexts(job.Config.Texts), nil
}

func (s *Server) wechatMsgSent(r *http.Request) (any, error) {
	var req brain.WechatMsgSendReport
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	for _, f := range [][2]string{{"account_id", req.AccountID}, {"alias_id", req.AliasID}, {"msg_send", req.MsgSend}} {
		if err := requireID(f[0], f[1]); err != nil {
			return nil, err
		}
	}
	return s.update(r, brain.PathWechatMsgSent, req.AccountID, func(tx *bolt.Tx) (any, error) {
		if _, err := loadAccount(tx, req.AccountID); err != nil {
			return nil, err
		}
		if tx.Bucket(bAliases).Get(key(req.AccountID, req.AliasID)) == nil {
			return nil, failf("alias_id: unknown %s", req.AliasID)
		}
		// The oldest pending send_msg with this text is done. A message
		// that matches no task (e.g. the reply userMsg returned) is fine.
		err := eachWechat(tx, req.AccountID, func(k []byte, t *wxTask) (bool, error) {
			if t.Type != brain.WechatSendMsg || t.Status != wxPending || t.AliasID != req.AliasID || t.Msg != req.MsgSend {
				return false, nil
			}
			t.Status, t.DoneAt = wxDone, s.clk.Now()
			return true, putJSON(tx, bWechat, k, t)
		})
		if err != nil {
			return nil, err
		}
		return brain.StatusData{Status: "ok"}, nil
	})
}

func (s *Server) wechatUserMsg(r *http.Request) (any, error) {
	var req brain.WechatUserMsg
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	for _, f := range [][2]string{{"account_id", req.AccountID}, {"alias_id", req.AliasID}, {"msg_receive", req.MsgReceive}} {
		if err := requireID(f[0], f[1]); err != nil {
			return nil, err
		}
	}
	var reply string
	err := s.view(func(tx *bolt.Tx) error {
		if _, err := loadAccount(tx, req.AccountID); err != nil {
			return err
		}
		texts, err := aliasTexts(tx, req.AccountID, req.AliasID)
		if err != nil {
			return err
		}
		reply = answerWechat(texts, req.MsgReceive)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return brain.WechatReply{Msg: reply}, nil
}
